# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read Terraform / OpenTofu state documents into a flat list of managed resource instances.

Two documents are understood:

* the state file itself, format version 4 (Terraform 0.12 and later, 1.x, OpenTofu);
* the output of ``terraform show -json`` / ``tofu show -json`` (``format_version`` 1.x).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

STATE_FORMAT_VERSION = 4


class TerraformStateError(Exception):
    """A state document that cannot be used; the message names its source."""


@dataclass(frozen=True)
class ResourceInstance:
    """One instance of a managed resource, wherever it sits in the module tree.

    ``sensitive`` is the instance's raw sensitivity data: the state's ``sensitive_attributes`` list,
    or the ``sensitive_values`` tree of ``show -json``. It is decoded only when asked about.
    """

    address: str
    type: str
    attributes: dict
    tainted: bool = False
    sensitive: object = None

    @cached_property
    def sensitive_paths(self) -> frozenset:
        if isinstance(self.sensitive, list):
            return _state_sensitive_paths(self.sensitive)
        return frozenset(_show_sensitive_paths(self.sensitive, ()))

    def is_sensitive(self, *path) -> bool:
        """Whether the value at ``path`` (attribute name, then keys or indexes) is marked sensitive."""
        return any(path[: len(marked)] == marked for marked in self.sensitive_paths)


def parse_state_document(raw: bytes | str, source: str) -> list[ResourceInstance]:
    """Parse a state file or ``show -json`` output; ``source`` names it in error messages."""
    try:
        document = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise TerraformStateError(f"{source}: not a Terraform state: not UTF-8 text ({exc.reason})") from None
    except ValueError as exc:
        raise TerraformStateError(f"{source}: not a Terraform state: invalid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise TerraformStateError(f"{source}: not a Terraform state: the JSON document is not an object")
    if "format_version" in document:
        return _instances_from_show(document, source)
    return _instances_from_state(document, source)


def instance_address(module: str, resource_type: str, name: str, index_key) -> str:
    """The address Terraform prints for an instance, e.g. ``module.k3s.proxmox_vm_qemu.agent[1]``."""
    address = f"{module}.{resource_type}.{name}" if module else f"{resource_type}.{name}"
    if index_key is None:
        return address
    if isinstance(index_key, str):
        return f"{address}[{json.dumps(index_key)}]"
    return f"{address}[{index_key}]"


def _instances_from_state(document: dict, source: str) -> list[ResourceInstance]:
    version = document.get("version")
    if version is None:
        raise TerraformStateError(f"{source}: not a Terraform state: it has no 'version' field")
    if not isinstance(version, int) or isinstance(version, bool):
        raise TerraformStateError(
            f"{source}: the state format version is {type(version).__name__} {version!r}, not a number: "
            f'Terraform writes "version": {STATE_FORMAT_VERSION}; the file was changed by hand or by another tool'
        )
    if version != STATE_FORMAT_VERSION:
        hint = (
            " (written by Terraform 0.11 or older: run 'terraform apply' with Terraform 0.12 or later to upgrade it)"
            if isinstance(version, int) and version < STATE_FORMAT_VERSION
            else ""
        )
        raise TerraformStateError(
            f"{source}: state format version {version!r} is not supported, only version "
            f"{STATE_FORMAT_VERSION} (Terraform 0.12+, 1.x, OpenTofu){hint}"
        )
    resources = document.get("resources")
    resources = [] if resources is None else resources  # Terraform reads a null or missing list as empty
    if not isinstance(resources, list):
        raise TerraformStateError(f"{source}: 'resources' is not a list but {type(resources).__name__}")
    instances = []
    for resource in resources:
        if not isinstance(resource, dict) or resource.get("mode") != "managed":
            continue
        module = resource.get("module", "")
        resource_type = resource.get("type", "")
        name = resource.get("name", "")
        for instance in resource.get("instances") or []:
            if not isinstance(instance, dict) or instance.get("deposed"):
                continue  # a deposed object is an old copy waiting to be destroyed
            attributes = instance.get("attributes")
            if not isinstance(attributes, dict):
                continue
            instances.append(
                ResourceInstance(
                    address=instance_address(module, resource_type, name, instance.get("index_key")),
                    type=resource_type,
                    attributes=attributes,
                    tainted=instance.get("status") == "tainted",
                    sensitive=instance.get("sensitive_attributes") or [],
                )
            )
    return instances


def _state_sensitive_paths(entries) -> frozenset:
    """Paths from a state instance's ``sensitive_attributes`` (lists of get_attr / index steps)."""
    paths = set()
    for entry in entries or []:
        steps = [entry] if isinstance(entry, dict) else entry
        if not isinstance(steps, list):
            continue
        path = []
        for step in steps:
            value = step.get("value") if isinstance(step, dict) else None
            if isinstance(value, dict):  # index steps carry {"value": key, "type": "string"|"number"}
                value = value.get("value")
            path.append(value)
        if path:
            paths.add(tuple(path))
    return frozenset(paths)


def _instances_from_show(document: dict, source: str) -> list[ResourceInstance]:
    format_version = str(document.get("format_version", ""))
    if not format_version.startswith("1."):
        raise TerraformStateError(
            f"{source}: 'show -json' format version {format_version!r} is not supported, only 1.x"
        )
    values = document.get("values") or {}
    root = values.get("root_module") if isinstance(values, dict) else None
    instances: list[ResourceInstance] = []
    pending = [root] if isinstance(root, dict) else []
    while pending:
        module = pending.pop(0)
        for resource in module.get("resources") or []:
            if not isinstance(resource, dict) or resource.get("mode") != "managed" or resource.get("deposed_key"):
                continue
            attributes = resource.get("values")
            if not isinstance(attributes, dict):
                continue
            instances.append(
                ResourceInstance(
                    address=resource.get("address", ""),
                    type=resource.get("type", ""),
                    attributes=attributes,
                    tainted=bool(resource.get("tainted")),
                    sensitive=resource.get("sensitive_values") or {},
                )
            )
        pending.extend(child for child in module.get("child_modules") or [] if isinstance(child, dict))
    return instances


def _show_sensitive_paths(marks, prefix: tuple):
    """Paths marked ``true`` in a ``sensitive_values`` tree, which mirrors the values it describes."""
    if marks is True:
        yield prefix
    elif isinstance(marks, dict):
        for key, value in marks.items():
            yield from _show_sensitive_paths(value, (*prefix, key))
    elif isinstance(marks, list):
        for index, value in enumerate(marks):
            yield from _show_sensitive_paths(value, (*prefix, index))
