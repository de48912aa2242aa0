# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: terraform
short_description: k3s inventory from the Terraform or OpenTofu state of Proxmox guests
description:
  - Reads Terraform or OpenTofu state and turns the Proxmox VMs and containers in it into hosts of the
    C(k3s_cluster) group, with the children C(server) and C(agent).
  - Knows the Telmate (C(proxmox_vm_qemu), C(proxmox_lxc)) and bpg (C(proxmox_virtual_environment_vm),
    C(proxmox_virtual_environment_container)) providers, and the C(ansible_host) and C(ansible_group)
    resources of the ansible/ansible provider. Other resources and data sources are ignored.
  - Reads state files directly (format version 4) without a terraform binary, runs C(terraform show -json)
    or C(tofu show -json) in project directories, and fetches remote state from the HTTP backend and from
    S3-compatible object stores. All configured sources are read and their hosts combined.
  - "C(ansible_host) follows O(address_precedence): by default the static address of the primary NIC
    (cloud-init C(ipconfig0) / the first C(initialization.ip_config)), else the address the guest agent
    reported, else the static address of another NIC, else O(address_fallback)."
  - Unknown options in the configuration file stop the run with their names.
  - Host variables describe the guest (C(proxmox_name), C(proxmox_vmid), C(proxmox_node), C(proxmox_tags),
    C(proxmox_guest_type), C(proxmox_static_ipv4), C(proxmox_static_ipv6), C(proxmox_agent_ipv4),
    C(proxmox_agent_ipv6), C(terraform_address)); other state attributes, passwords and keys among them,
    are never copied into the inventory.
  - The configuration file name must end in C(.terraform.yml) or C(.terraform.yaml).
author:
  - homelab.k3s maintainers (@homelab-k3s)
version_added: 0.1.0
requirements:
  - netaddr
  - proxmoxer, only with O(proxmox_api_enrichment)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; it must be V(homelab.k3s.terraform).
    type: str
    required: true
    choices: [homelab.k3s.terraform]
  state_files:
    description:
      - Local state files, or directories whose C(*.tfstate) files are all read.
      - Relative paths are relative to the directory of this configuration file.
    type: list
    elements: path
    default: []
  project_paths:
    description:
      - Terraform or OpenTofu project directories, read with C(show -json) after C(init).
      - Without a binary (see O(binary_path)) the project's local C(terraform.tfstate) is read directly.
      - Relative paths are relative to the directory of this configuration file.
    type: list
    elements: path
    default: []
  binary_path:
    description:
      - The C(terraform) or C(tofu) executable used for O(project_paths), a path or a command name.
      - By default C(terraform), then C(tofu), is looked up on E(PATH).
    type: str
  workspace:
    description: The workspace O(project_paths) are read in (passed as E(TF_WORKSPACE)).
    type: str
  backends:
    description:
      - Remote state to fetch, read only and without locking.
      - "C(type: http) reads Terraform's HTTP backend with a GET and basic authentication, as GitLab serves
        it. Settings: C(address), C(username), C(password), C(validate_certs), C(ca_path). Unset ones are
        taken from E(TF_HTTP_ADDRESS), E(TF_HTTP_USERNAME) and E(TF_HTTP_PASSWORD)."
      - "C(type: s3) reads an object from S3 or an S3-compatible store such as MinIO, signed with AWS
        Signature Version 4. Settings: C(bucket), C(key), C(region), C(endpoint), C(access_key),
        C(secret_key), C(session_token), C(profile), C(use_path_style), C(workspace),
        C(workspace_key_prefix) (default C(env:)), C(validate_certs), C(ca_path)."
      - "Unset S3 settings come from E(AWS_REGION) or E(AWS_DEFAULT_REGION) (else C(us-east-1)),
        E(AWS_ENDPOINT_URL_S3) or E(AWS_ENDPOINT_URL), E(AWS_ACCESS_KEY_ID), E(AWS_SECRET_ACCESS_KEY),
        E(AWS_SESSION_TOKEN), and the profile E(AWS_PROFILE) (else C(default)) of the shared credentials
        file (E(AWS_SHARED_CREDENTIALS_FILE), else C(~/.aws/credentials))."
      - A backend that holds no state yet (HTTP 404) gives no hosts and a warning.
    type: list
    elements: dict
    default: []
  timeout:
    description: Seconds allowed for each C(show -json) run and each HTTP request.
    type: int
    default: 60
  tainted:
    description:
      - What to do with tainted instances, which the next apply replaces.
      - V(skip) leaves them out with a warning, V(include) keeps them, V(fail) stops with an error.
    type: str
    choices: [skip, include, fail]
    default: skip
  address_precedence:
    description:
      - Where C(ansible_host) comes from, tried in this order; O(address_fallback) comes after all of them.
      - V(primary_static) is the static address of the NIC O(primary_nic) (C(ipconfigN), the Nth
        C(initialization.ip_config) or container C(network)).
      - V(agent) is the address the guest reported (Telmate C(default_ipv4_address) / C(ssh_host); bpg
        guest agent and container interfaces, loopback left out, bridges and tunnels such as C(docker0),
        C(cni0), C(flannel.1) last).
      - V(static) is the first static address of any NIC, in NIC order.
      - A guest whose primary static address is not among its guest agent's addresses gets a warning.
    type: list
    elements: str
    choices: [primary_static, agent, static]
    default: [primary_static, agent, static]
  primary_nic:
    description: Index of the primary NIC for V(primary_static) in O(address_precedence) (C(net0) / C(ipconfig0) is 0).
    type: int
    default: 0
  merge_short_names:
    description:
      - Merge an C(ansible_host) resource named by a fully qualified name (C(k3s-1.home.arpa)) into the guest
        of the short name (C(k3s-1)), and the other way round, when just one guest matches.
      - The host keeps the guest's name; a guest without an address gets the qualified name as C(ansible_host).
    type: bool
    default: true
  name_conflicts:
    description:
      - What to do with a host named like a group (C(server), C(agent), C(k3s_cluster), a node, tag or declared
        group). Ansible cannot keep both; the host would vanish and its variables would land on the group.
      - V(rename_host) names the host C(<name>-host) with a warning; V(fail) stops with an error, as does
        O(strict).
    type: str
    choices: [rename_host, fail]
    default: rename_host
  hostname:
    description:
      - Jinja2 template for the inventory host name, over the host variables listed above.
      - By default the Proxmox name (the container host name for containers) is used.
      - "Example: V({{ proxmox_name }}.lab.example)."
    type: str
  address_fallback:
    description:
      - Jinja2 template giving C(ansible_host) for guests whose state has no address, for example a DNS name
        such as V({{ name }}.home.arpa) for guests on DHCP with a DNS record, or stopped ones.
      - The host variables listed above, C(name) (the Proxmox name) and C(inventory_hostname) are available.
      - Guests left without an address are skipped with a warning, or stop the run when O(strict) is set.
    type: str
  ip_version:
    description: The IP version of C(ansible_host).
    type: int
    choices: [4, 6]
    default: 4
  server_tags:
    description: Proxmox tags that put a guest into the C(server) group.
    type: list
    elements: str
    default: [k3s-server]
  agent_tags:
    description: Proxmox tags that put a guest into the C(agent) group.
    type: list
    elements: str
    default: [k3s-agent]
  server_name_pattern:
    description:
      - Regular expression searched in the Proxmox name of guests without a role tag; a match puts the guest
        into the C(server) group.
    type: str
  agent_name_pattern:
    description:
      - Regular expression searched in the Proxmox name of guests without a role tag; a match puts the guest
        into the C(agent) group. A guest matching both roles is a server.
    type: str
  group_by_node:
    description: Add each guest to a group named after its Proxmox node, prefixed with O(node_group_prefix).
    type: bool
    default: true
  node_group_prefix:
    description: Prefix of the groups made by O(group_by_node).
    type: str
    default: proxmox_node_
  group_by_tag:
    description: Add each guest to one group per Proxmox tag, prefixed with O(tag_group_prefix).
    type: bool
    default: true
  tag_group_prefix:
    description: Prefix of the groups made by O(group_by_tag).
    type: str
    default: proxmox_tag_
  keep_sensitive_variables:
    description:
      - Keep C(ansible_host) and C(ansible_group) variables that the state marks as sensitive.
      - By default they are left out with a warning naming them.
      - When kept, the inventory cache is not written, so that no secret lands in it.
    type: bool
    default: false
  proxmox_api_enrichment:
    description:
      - Ask the Proxmox VE API for the addresses of guests whose state has none (guest agent for VMs,
        interfaces for containers). Needs the proxmoxer library and an API token.
    type: bool
    default: false
  proxmox_url:
    description: URL of the Proxmox VE API, for example V(https://pve.lab.example:8006).
    type: str
    env:
      - name: PROXMOX_URL
  proxmox_user:
    description: User of the API token, when O(proxmox_token_id) is only the token name.
    type: str
    env:
      - name: PROXMOX_USER
  proxmox_token_id:
    description: API token ID, V(user@realm!name) or the bare token name.
    type: str
    env:
      - name: PROXMOX_TOKEN_ID
  proxmox_token_secret:
    description: API token secret.
    type: str
    env:
      - name: PROXMOX_TOKEN_SECRET
  proxmox_validate_certs:
    description: Verify the TLS certificate of the Proxmox VE API.
    type: bool
    default: true
    env:
      - name: PROXMOX_VALIDATE_CERTS
  proxmox_ca_path:
    description: CA bundle that signs the Proxmox VE API certificate.
    type: path
notes:
  - Credentials are sent only to the configured servers; they are neither logged nor cached.
  - "Warnings name the file and resource of: guests without an address, duplicate names (the second is
    skipped, an error with O(strict)), hosts named like a group, addresses shared by several hosts, static and
    guest-agent addresses that disagree, sources without any guest, and an empty C(server) group."
  - Host variables from C(ansible_host) resources are data, not templates.
seealso:
  - name: homelab.k3s Terraform inventory guide
    description: Options, one example per source, and Terraform examples for both Proxmox providers.
    link: https://github.com/homelab-k3s/homelab.k3s/blob/main/docs/plugins/terraform.md
"""

EXAMPLES = r"""
# k3s.terraform.yml: a local state file; tags k3s-server / k3s-agent set the roles
plugin: homelab.k3s.terraform
state_files:
  - ../terraform/terraform.tfstate
---
# k3s.terraform.yml: run 'tofu show -json' in a project, name-based roles
plugin: homelab.k3s.terraform
project_paths:
  - ../terraform
binary_path: tofu
server_name_pattern: "-(master|server)-"
agent_name_pattern: "-(worker|agent)-"
---
# k3s.terraform.yml: GitLab-managed state; the token comes from TF_HTTP_PASSWORD
plugin: homelab.k3s.terraform
backends:
  - type: http
    address: https://gitlab.example.com/api/v4/projects/42/terraform/state/k3s
    username: deploy
---
# k3s.terraform.yml: MinIO; keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
plugin: homelab.k3s.terraform
backends:
  - type: s3
    bucket: tfstate
    key: homelab/k3s.tfstate
    endpoint: https://minio.lab.example:9000
    use_path_style: true
keyed_groups:
  - key: proxmox_guest_type
    prefix: guest
compose:
  ansible_user: "'debian'"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/homelab-k3s-inventory
"""

import difflib
import os
import re
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.homelab.k3s.plugins.plugin_utils.ansible_resources import (
    ANSIBLE_GROUP,
    ANSIBLE_HOST,
    declared_group,
    declared_host,
)
from ansible_collections.homelab.k3s.plugins.plugin_utils.ip_addresses import HAS_NETADDR
from ansible_collections.homelab.k3s.plugins.plugin_utils.proxmox_api import (
    GuestUnavailable,
    ProxmoxApiError,
    ProxmoxGuestAddresses,
)
from ansible_collections.homelab.k3s.plugins.plugin_utils.proxmox_resources import (
    GUEST_READERS,
    Guest,
    GuestReadError,
    guest_from_instance,
)
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_inventory import (
    AGENT_GROUP,
    SERVER_GROUP,
    InventoryBuildError,
    InventorySettings,
    build_inventory,
    declared_from_dicts,
    empty_role_warning,
)
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_remote import fetch_http_state, fetch_s3_state
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_sources import (
    project_state,
    read_state_file,
    state_file_paths,
)
from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import (
    TerraformStateError,
    parse_state_document,
)

CACHE_FORMAT = 2
BACKEND_READERS = {"http": fetch_http_state, "s3": fetch_s3_state}


def to_cache(guests: list, hosts: list, groups: list, sources: list) -> dict:
    """The cached form of what the sources gave: plain data, no credential of the configuration."""
    return {
        "format": CACHE_FORMAT,
        "guests": [dict(vars(guest)) for guest in guests],
        "hosts": [dict(vars(host)) for host in hosts],
        "groups": [dict(vars(group)) for group in groups],
        "sources": list(sources),
    }


def from_cache(data) -> tuple | None:
    """Guests, declared hosts and groups and source labels back from the cache; None for another format."""
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        return None
    guests = [Guest(**guest) for guest in data["guests"]]
    return (guests, *declared_from_dicts(data["hosts"], data["groups"]), list(data.get("sources") or []))


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "homelab.k3s.terraform"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith((".terraform.yml", ".terraform.yaml"))

    def _read_config_data(self, path):
        """Ansible's option handling ignores keys it does not know: a misspelled option would go unnoticed."""
        config = super()._read_config_data(path)
        unknown = sorted(str(key) for key in config if key not in self._options)
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, list(self._options), n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise AnsibleParserError(
                f"{path}: unknown option{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; "
                f"see 'ansible-doc -t inventory {self.NAME}' for the options"
            )
        return config

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        if not HAS_NETADDR:
            raise AnsibleParserError(f"{self.NAME} needs the Python library netaddr on the controller")
        self._base_dir = Path(os.path.abspath(path)).parent
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        loaded = None
        if use_cache:
            loaded = from_cache(self._cache.get(cache_key))
            update_cache = loaded is None
        if loaded is None:
            try:
                loaded, cacheable = self._load()
            except (TerraformStateError, ProxmoxApiError, GuestReadError) as exc:
                raise AnsibleParserError(str(exc)) from None
            if update_cache and not cacheable:
                self.display.warning(f"{path}: the inventory holds sensitive variables, so it is not cached")
            elif update_cache:
                self._cache[cache_key] = to_cache(*loaded)
        try:
            self._populate(*loaded)
        except InventoryBuildError as exc:
            raise AnsibleParserError(str(exc)) from None

    # -- reading -----------------------------------------------------------------------------------------

    def _path(self, value) -> Path:
        path = Path(os.path.expanduser(str(value)))
        return path if path.is_absolute() else self._base_dir / path

    def _documents(self):
        """Yield ``(source label, raw document)`` for every configured source, in configuration order."""
        timeout = self.get_option("timeout")
        for configured in self.get_option("state_files") or []:
            for path in state_file_paths(self._path(configured)):
                yield str(path), read_state_file(path)
        for configured in self.get_option("project_paths") or []:
            label, document, note = project_state(
                self._path(configured), self.get_option("binary_path"), self.get_option("workspace"), timeout
            )
            if note:
                self.display.warning(note)
            yield label, document
        for index, settings in enumerate(self.get_option("backends") or []):
            if not isinstance(settings, dict):
                raise TerraformStateError(f"backends[{index}] is not a mapping")
            reader = BACKEND_READERS.get(str(settings.get("type")))
            if reader is None:
                raise TerraformStateError(f"backends[{index}]: type must be one of {', '.join(BACKEND_READERS)}")
            label, document = reader(settings, timeout)
            if document is None or not document.strip():
                self.display.warning(f"{label}: no state stored there yet")
                continue
            yield label, document

    def _load(self):
        """Read every source: ``((guests, declared hosts, declared groups), whether they may be cached)``."""
        tainted_policy = self.get_option("tainted")
        keep_sensitive = self.get_option("keep_sensitive_variables")
        guests: list[Guest] = []
        hosts: list[Any] = []
        groups: list[Any] = []
        sources: list[str] = []
        sensitive_kept = False
        for label, document in self._documents():
            instances = parse_state_document(document, label)
            sources.append(label)
            self.display.vvv(f"homelab.k3s.terraform: {len(instances)} managed resource instances in {label}")
            known = [
                instance
                for instance in instances
                if instance.type in GUEST_READERS or instance.type in (ANSIBLE_HOST, ANSIBLE_GROUP)
            ]
            if not known:
                types = sorted({instance.type for instance in instances})
                found = f"only {', '.join(types[:8])}{' …' if len(types) > 8 else ''}" if types else "no resources"
                self.display.warning(
                    f"{label}: no Proxmox guest and no ansible_host or ansible_group resource in it ({found})"
                )
            for instance in instances:
                if instance.type not in GUEST_READERS and instance.type not in (ANSIBLE_HOST, ANSIBLE_GROUP):
                    continue
                if instance.tainted and tainted_policy != "include":
                    message = f"{instance.address} in {label} is tainted"
                    if tainted_policy == "fail":
                        raise TerraformStateError(f"{message} (set tainted to skip or include)")
                    self.display.warning(f"{message}; skipped")
                    continue
                if instance.type in GUEST_READERS:
                    guest = guest_from_instance(instance, label)
                    if guest is not None:
                        guests.append(guest)
                    continue
                read = declared_host if instance.type == ANSIBLE_HOST else declared_group
                declared, sensitive = read(instance, keep_sensitive, label)
                if sensitive and keep_sensitive:
                    sensitive_kept = True
                elif sensitive:
                    self.display.warning(
                        f"{instance.address} in {label}: sensitive variables left out: {', '.join(sensitive)} "
                        "(set keep_sensitive_variables to keep them)"
                    )
                if declared is not None:
                    (hosts if instance.type == ANSIBLE_HOST else groups).append(declared)
        if self.get_option("proxmox_api_enrichment"):
            self._enrich(guests)
        return (guests, hosts, groups, sources), not sensitive_kept

    def _enrich(self, guests: list) -> None:
        version = self.get_option("ip_version")
        missing = [
            guest
            for guest in guests
            if not guest.template
            and guest.node
            and guest.vmid
            and not guest.addresses("static", version)
            and not guest.addresses("agent", version)
        ]
        if not missing:
            return
        try:
            api = ProxmoxGuestAddresses(
                self.get_option("proxmox_url"),
                self.get_option("proxmox_user"),
                self.get_option("proxmox_token_id"),
                self.get_option("proxmox_token_secret"),
                validate_certs=self.get_option("proxmox_validate_certs"),
                ca_path=self.get_option("proxmox_ca_path"),
                timeout=self.get_option("timeout"),
            )
            for guest in missing:
                try:
                    found = api.addresses(guest.kind, guest.node, guest.vmid, version)
                except GuestUnavailable as exc:
                    self.display.warning(f"{guest.name}: no address from the Proxmox API: {exc}")
                    continue
                guest.addresses("agent", version).extend(found)
        except ProxmoxApiError as exc:
            if self.get_option("strict"):
                raise
            self.display.warning(f"{exc}; guests without an address in the state keep none")

    # -- building ----------------------------------------------------------------------------------------

    def _settings(self) -> InventorySettings:
        def pattern(option):
            value = self.get_option(option)
            try:
                return re.compile(value) if value else None
            except re.error as exc:
                raise AnsibleParserError(f"{option} is not a valid regular expression: {exc}") from None

        return InventorySettings(
            address_precedence=tuple(self.get_option("address_precedence") or []),
            primary_nic=self.get_option("primary_nic"),
            merge_short_names=self.get_option("merge_short_names"),
            name_conflicts=self.get_option("name_conflicts"),
            ip_version=self.get_option("ip_version"),
            server_tags=frozenset(self.get_option("server_tags") or []),
            agent_tags=frozenset(self.get_option("agent_tags") or []),
            server_name_pattern=pattern("server_name_pattern"),
            agent_name_pattern=pattern("agent_name_pattern"),
            node_group_prefix=self.get_option("node_group_prefix") if self.get_option("group_by_node") else None,
            tag_group_prefix=self.get_option("tag_group_prefix") if self.get_option("group_by_tag") else None,
            strict=self.get_option("strict"),
        )

    def _template(self, option):
        template = self.get_option(option)
        if not template:
            return None

        def render(variables):
            self.templar.available_variables = variables
            try:
                value = self.templar.template(template)
            except Exception as exc:
                raise AnsibleParserError(f"{option}: cannot render {template!r}: {exc}") from None
            return "" if value is None else str(value)

        return render

    def _populate(self, guests: list, hosts: list, groups: list, sources: list) -> None:
        settings = self._settings()
        plan = build_inventory(
            guests,
            hosts,
            groups,
            settings,
            host_name=self._template("hostname"),
            address_fallback=self._template("address_fallback"),
        )
        for warning in plan.warnings:
            self.display.warning(warning)

        inventory = self.inventory
        sanitize = self._sanitize_group_name
        group_names = {name: inventory.add_group(sanitize(name)) for name in plan.groups}
        for name, group in plan.groups.items():
            for variable, value in group.variables.items():
                inventory.set_variable(group_names[name], variable, value)
            for child in group.children:
                if child not in group_names:
                    group_names[child] = inventory.add_group(sanitize(child))
                inventory.add_child(group_names[name], group_names[child])

        strict = self.get_option("strict")
        compose = self.get_option("compose")
        conditional_groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        for name, host in plan.hosts.items():
            inventory.add_host(name)
            for variable, value in host.variables.items():
                inventory.set_variable(name, variable, value)
            for group in host.groups:
                inventory.add_child(group_names[group], name)
            if compose or conditional_groups or keyed_groups:
                variables = host.variables
                self._set_composite_vars(compose, variables, name, strict=strict)
                self._add_host_to_composed_groups(conditional_groups, variables, name, strict=strict)
                self._add_host_to_keyed_groups(keyed_groups, variables, name, strict=strict)
        members = {
            role: len(inventory.groups[role].get_hosts()) if role in inventory.groups else 0
            for role in (SERVER_GROUP, AGENT_GROUP)
        }
        warning = empty_role_warning(members[SERVER_GROUP], members[AGENT_GROUP], len(plan.hosts), sources, settings)
        if warning:
            self.display.warning(warning)
