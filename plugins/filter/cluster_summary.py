# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cluster_summary
short_description: The lines of the cluster summary printed at the end of site.yml
version_added: 0.1.0
author: homelab.k3s contributors
description:
  - Joins the inventory's view of the cluster (hosts, roles, addresses) with what the cluster says about itself
    (C(kubectl get nodes -o json), C(kubectl get ingress -o json), C(k3s --version)) and returns the summary as
    a list of lines - one table row per node, then the k3s release, the API address, the kubeconfig and the app
    URLs.
  - Hosts are matched to nodes by node name, then by address. Nodes the inventory does not list are shown too.
  - When the cluster could not be read (check mode on new hosts, k3s not installed) every node's status is
    C(unknown) and the lines say why.
  - No line contains a colon followed by a space, so that YAML output keeps them unquoted.
options:
  _input:
    description:
      - The inventory hosts, each a dictionary with C(host), C(role) (C(server) or C(agent)), C(address) and
        C(node_name).
    type: list
    elements: dict
    required: true
  nodes:
    description: The output of C(kubectl get nodes -o json), as a string or parsed; empty when unreadable.
    type: raw
    default: ""
  version:
    description: The output of C(k3s --version) on the first server; empty when k3s is not installed.
    type: str
    default: ""
  ingresses:
    description: The output of C(kubectl get ingress --all-namespaces -o json), as a string or parsed.
    type: raw
    default: ""
  api_url:
    description: The address of the Kubernetes API.
    type: str
    default: ""
  kubeconfig:
    description: The kubeconfig on the controller holding the cluster's context; empty when none was written.
    type: str
    default: ""
  context:
    description: The name of that context.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Show the cluster
  ansible.builtin.debug:
    msg: >-
      {{ [{'host': 'pi5', 'role': 'server', 'address': '192.168.88.30', 'node_name': 'pi5'}]
         | homelab.k3s.cluster_summary(nodes=__nodes.stdout, version=__version.stdout,
                                       api_url='https://192.168.88.30:6443', kubeconfig='~/.kube/config',
                                       context='homelab') }}
"""

RETURN = r"""
_value:
  description: The summary, one string per line.
  type: list
  elements: str
"""

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.k3s.plugins.plugin_utils.kubectl_json import is_ready, list_items, node_roles

_VERSION_LINE = re.compile(r"^k3s version (\S+) \(([^)]*)\)")
_COLUMNS = ("HOST", "ROLE", "ADDRESS", "STATUS", "VERSION")


def _parse(data, what):
    """Parsed `kubectl ... -o json` output, or None when there is none."""
    if data is None or data == "":
        return None
    return list_items(data, "cluster_summary", what)


def _node_facts(item):
    metadata = item.get("metadata") or {}
    status = item.get("status") or {}
    roles = node_roles(metadata.get("labels") or {})
    ready = is_ready(status)
    # As kubectl's STATUS column: a cordoned node is "Ready,SchedulingDisabled".
    cordoned = bool((item.get("spec") or {}).get("unschedulable"))
    return {
        "name": metadata.get("name", ""),
        "addresses": [a.get("address", "") for a in status.get("addresses") or [] if a.get("type") == "InternalIP"],
        "role": "server" if roles & {"control-plane", "master", "etcd"} else "agent",
        "status": ("Ready" if ready else "NotReady") + (",SchedulingDisabled" if cordoned else ""),
        "version": (status.get("nodeInfo") or {}).get("kubeletVersion", ""),
    }


def _match(host, nodes, taken):
    """The node of an inventory host: same name first, then same address."""
    for key, value in (("name", (host.get("node_name") or host["host"]).lower()), ("address", host.get("address"))):
        for node in nodes:
            if node["name"] in taken:
                continue
            if (key == "name" and node["name"] == value) or (key == "address" and value in node["addresses"]):
                return node
    return None


def _rows(hosts, nodes):
    rows: list[tuple[str, ...]] = []
    taken: set[str] = set()
    for host in hosts:
        if nodes is None:
            rows.append((host["host"], host["role"], host.get("address") or "-", "unknown", "-"))
            continue
        node = _match(host, nodes, taken)
        if node is None:
            rows.append((host["host"], host["role"], host.get("address") or "-", "not-joined", "-"))
            continue
        taken.add(node["name"])
        name = host["host"] if node["name"] == host["host"].lower() else f"{host['host']} (node {node['name']})"
        address = (node["addresses"] or [host.get("address") or "-"])[0]
        rows.append((name, host["role"], address, node["status"], node["version"] or "-"))
    for node in nodes or []:
        if node["name"] not in taken:
            address = (node["addresses"] or ["-"])[0]
            rows.append((f"{node['name']} (not in inventory)", node["role"], address, node["status"], node["version"]))
    return rows


def _table(rows):
    widths = [max(len(str(row[i])) for row in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    return ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [_COLUMNS, *rows]]


def _release(version):
    match = _VERSION_LINE.match(version.strip())
    if not match:
        return "not installed on the first server (or not readable)"
    release, commit = match.groups()
    # The build line as the binary prints it (a Go release for k3s; whatever another build says of itself),
    # with ": " made ", " so that the line stays a plain YAML string.
    build = next((line.strip() for line in version.strip().splitlines()[1:] if line.strip()), "").replace(": ", ", ")
    return f"{release} (commit {commit[:8]})" + (f", {build}" if build else "")


def _app_urls(ingresses):
    urls = {}
    for item in ingresses or []:
        spec = item.get("spec") or {}
        tls_hosts = {h for entry in spec.get("tls") or [] for h in entry.get("hosts") or []}
        for rule in spec.get("rules") or []:
            host = rule.get("host")
            if host:
                urls[host] = ("https://" if host in tls_hosts else "http://") + host
    return [urls[host] for host in sorted(urls)]


def _count(number, noun):
    return f"{number} {noun}{'' if number == 1 else 's'}"


def cluster_summary(hosts, nodes="", version="", ingresses="", api_url="", kubeconfig="", context=""):
    """Return the lines of the cluster summary."""
    if not isinstance(hosts, list) or not all(isinstance(h, Mapping) and h.get("host") for h in hosts):
        raise AnsibleFilterError("cluster_summary: the input must be a list of {host, role, address, node_name}")
    node_items = _parse(nodes, "nodes")
    nodes_facts = None if node_items is None else [_node_facts(item) for item in node_items]
    rows = _rows(hosts, nodes_facts)
    servers = sum(1 for row in rows if row[1] == "server")
    ready = sum(1 for row in rows if row[3].split(",")[0] == "Ready")
    cordoned = sum(1 for row in rows if row[3].endswith(",SchedulingDisabled"))
    state = f"{ready} Ready" + (f", {cordoned} cordoned" if cordoned else "")
    if nodes_facts is None:
        state = "not readable (k3s not running yet, or check mode)"
    apps = _app_urls(_parse(ingresses, "ingresses"))
    if kubeconfig and context:
        kubeconfig = f"{kubeconfig} (context {context})"
    counts = f"{_count(len(rows), 'node')} ({_count(servers, 'server')}, {_count(len(rows) - servers, 'agent')})"
    return [
        f"homelab.k3s cluster - {counts}, {state}",
        *_table(rows),
        f"k3s         {_release(version or '')}",
        f"api         {api_url or '-'}",
        f"kubeconfig  {kubeconfig or 'not written (server_kubeconfig_fetch is false)'}",
        f"apps        {' '.join(apps) if apps else 'none with an ingress (playbooks/apps.yml installs them)'}",
    ]


class FilterModule:
    def filters(self):
        return {"cluster_summary": cluster_summary}
