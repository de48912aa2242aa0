# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the homelab.k3s.terraform inventory plugin on a generated state of many VMs.

Times, as medians of several runs:

* in-process: ``json.load`` of the state file (as is, and with the cycle collector paused as the plugin
  pauses it), and the plugin's ``parse()`` of the same file;
* processes: a bare ``python -c 'json.load(...)'``, ``ansible-inventory --list`` on the plugin configuration,
  and ``ansible-inventory --list`` on a static YAML inventory of the same hosts and variables.

Usage: .venv/bin/python tests/bench/inventory_bench.py [--vms 5000] [--runs 5] [--json report.json]
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "terraform"
COLLECTIONS = REPO / "collections"
PLUGIN = "homelab.k3s.terraform"
SERVERS = 3


def _template(fixture: str, address_part: str) -> tuple[dict, dict]:
    """A resource of a fixture state and one of its instances, to copy."""
    state = json.loads((FIXTURES / fixture).read_text())
    for resource in state["resources"]:
        for instance in resource["instances"]:
            if address_part in json.dumps([resource.get("module"), resource["name"], instance.get("index_key")]):
                return resource, instance
    raise LookupError(address_part)


def vm_address(index: int) -> str:
    return f"10.{20 + index // 65000}.{index // 250 % 260}.{index % 250 + 1}"


def generate_state(count: int) -> dict:
    """A state of ``count`` VMs: half Telmate (count), half bpg (for_each in a module), realistic attributes."""
    telmate_resource, telmate_instance = _template("telmate.tfstate", '"server", 0')
    bpg_resource, bpg_instance = _template("bpg.tfstate", '"k3s-master-1"')
    telmate = dict(telmate_resource, name="node", instances=[])
    bpg = dict(bpg_resource, name="node", instances=[])
    for index in range(count):
        name = f"k3s-{index:05d}"
        role = "k3s-server" if index < SERVERS else "k3s-agent"
        address = vm_address(index)
        node = f"pve{index % 8 + 1}"
        vmid = 1000 + index
        if index % 2 == 0:
            instance = copy.deepcopy(telmate_instance)
            attributes = instance["attributes"]
            attributes.update(
                name=name,
                vmid=vmid,
                id=f"{node}/qemu/{vmid}",
                target_node=node,
                current_node=node,
                tags=f"k3s;{role}",
                ipconfig0=f"ip={address}/16,gw=10.20.0.1",
                default_ipv4_address=address,
                ssh_host=address,
            )
            instance["index_key"] = len(telmate["instances"])
            telmate["instances"].append(instance)
        else:
            instance = copy.deepcopy(bpg_instance)
            attributes = instance["attributes"]
            attributes.update(name=name, vm_id=vmid, id=str(vmid), node_name=node, tags=["k3s", role])
            attributes["initialization"][0]["ip_config"][0]["ipv4"][0]["address"] = f"{address}/16"
            attributes["ipv4_addresses"] = [["127.0.0.1"], [address]]
            instance["index_key"] = name
            bpg["instances"].append(instance)
    return {
        "version": 4,
        "terraform_version": "1.9.8",
        "serial": 1,
        "lineage": "00000000-0000-4000-8000-000000000000",
        "outputs": {},
        "resources": [telmate, bpg],
    }


def static_inventory(state: dict) -> dict:
    """A static YAML inventory holding the hosts, groups and host variables the plugin makes of ``state``."""
    from ansible_collections.homelab.k3s.plugins.plugin_utils.proxmox_resources import guest_from_instance
    from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_inventory import (
        InventorySettings,
        build_inventory,
    )
    from ansible_collections.homelab.k3s.plugins.plugin_utils.terraform_state import parse_state_document

    guests = [guest_from_instance(instance) for instance in parse_state_document(json.dumps(state), "bench")]
    plan = build_inventory(guests, [], [], InventorySettings())
    groups: dict = {name: {"hosts": {}} for name in plan.groups}
    groups["k3s_cluster"] = {"children": {"server": {}, "agent": {}}}
    for name, host in plan.hosts.items():
        for group in host.groups:
            groups[group]["hosts"][name] = host.variables if group in ("server", "agent") else None
    return {"all": {"children": groups}}


def median_seconds(action, runs: int) -> float:
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plugin_parser():
    """A function running the plugin's parse() on a configuration file, in this process."""
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import inventory_loader

    from ansible_collections.homelab.k3s.plugins.inventory import terraform

    inventory_loader._load_config_defs(PLUGIN, terraform, terraform.__file__)

    def parse(config: Path) -> int:
        plugin = terraform.InventoryModule()
        plugin._load_name = PLUGIN
        plugin._redirected_names = [PLUGIN]
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(config), cache=False)
        return len(inventory.hosts)

    return parse


def run_process(command: list, runs: int) -> float:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_INVENTORY_UNPARSED_FAILED="true")

    def run():
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=600)

    return median_seconds(run, runs)


def write_files(directory: Path, count: int) -> tuple[Path, Path, Path]:
    import yaml

    state = generate_state(count)
    state_path = directory / "bench.tfstate"
    state_path.write_text(json.dumps(state, indent=2))
    config = directory / "bench.terraform.yml"
    config.write_text(f"---\nplugin: {PLUGIN}\nstate_files:\n  - {state_path.name}\n")
    static = directory / "static.yml"
    static.write_text(yaml.safe_dump(static_inventory(state), sort_keys=False))
    return state_path, config, static


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.vms < SERVERS:
        parser.error(f"--runs must be 1 or more and --vms {SERVERS} or more")
    ansible_inventory = str(Path(sys.executable).with_name("ansible-inventory"))

    with tempfile.TemporaryDirectory(prefix="inventory-bench-") as tmp:
        state_path, config, static = write_files(Path(tmp), args.vms)
        parse = plugin_parser()
        hosts = parse(config)
        if hosts != args.vms:
            raise SystemExit(f"the plugin made {hosts} hosts of {args.vms} VMs")

        def load_json():
            with state_path.open("rb") as handle:
                json.load(handle)

        def load_json_without_gc():
            gc.disable()
            try:
                load_json()
            finally:
                gc.enable()

        report = {
            "vms": args.vms,
            "runs": args.runs,
            "state_bytes": state_path.stat().st_size,
            "in_process_json_load_s": median_seconds(load_json, args.runs),
            "in_process_json_load_gc_paused_s": median_seconds(load_json_without_gc, args.runs),
            "in_process_parse_s": median_seconds(lambda: parse(config), args.runs),
            "process_json_load_s": run_process(
                [sys.executable, "-c", "import json, sys; json.load(open(sys.argv[1], 'rb'))", str(state_path)],
                args.runs,
            ),
            "ansible_inventory_plugin_s": run_process([ansible_inventory, "-i", str(config), "--list"], args.runs),
            "ansible_inventory_static_yaml_s": run_process([ansible_inventory, "-i", str(static), "--list"], args.runs),
        }
    report["ratio_parse_to_json_load"] = report["in_process_parse_s"] / report["in_process_json_load_s"]
    report["ratio_parse_to_json_load_gc_paused"] = (
        report["in_process_parse_s"] / report["in_process_json_load_gc_paused_s"]
    )
    report["ratio_plugin_to_json_load_process"] = report["ansible_inventory_plugin_s"] / report["process_json_load_s"]
    static_yaml = report["ansible_inventory_static_yaml_s"]
    report["ratio_plugin_to_static_yaml"] = report["ansible_inventory_plugin_s"] / static_yaml

    print(f"{args.vms} VMs, state {report['state_bytes'] / 1e6:.1f} MB, medians of {args.runs} runs")
    print(f"  in-process json.load               {report['in_process_json_load_s']:8.3f} s")
    print(f"  in-process json.load, gc paused    {report['in_process_json_load_gc_paused_s']:8.3f} s")
    print(f"  in-process plugin parse()          {report['in_process_parse_s']:8.3f} s")
    print(f"    ratio parse / json.load          {report['ratio_parse_to_json_load']:8.2f}")
    print(f"    ratio parse / json.load gc paused{report['ratio_parse_to_json_load_gc_paused']:8.2f}")
    print(f"  process: python json.load          {report['process_json_load_s']:8.3f} s")
    print(f"  process: ansible-inventory plugin  {report['ansible_inventory_plugin_s']:8.3f} s")
    print(f"  process: ansible-inventory YAML    {report['ansible_inventory_static_yaml_s']:8.3f} s")
    print(f"    ratio plugin / json.load process {report['ratio_plugin_to_json_load_process']:8.2f}")
    print(f"    ratio plugin / static YAML       {report['ratio_plugin_to_static_yaml']:8.2f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(COLLECTIONS))
    sys.exit(main())
