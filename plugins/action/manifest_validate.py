# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The manifest_validate action: offline validation of Kubernetes manifests, on the controller.

The documentation is in plugins/modules/manifest_validate.py; the checks in plugins/plugin_utils/apps_validation.py.
"""

from __future__ import annotations

import sys
from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.homelab.k3s.plugins.plugin_utils import apps_validation
from ansible_collections.homelab.k3s.plugins.plugin_utils.apps_catalog import plain

ARGUMENT_SPEC: dict[str, dict[str, Any]] = dict(
    manifests=dict(type="list", elements="dict", required=True),
    kubernetes_version=dict(type="str", required=True),
    schema_dirs=dict(type="list", elements="path", default=[]),
    strict=dict(type="bool", default=True),
    unknown_kinds=dict(type="str", choices=list(apps_validation.UNKNOWN_KINDS), default="fail"),
)


def missing_library_message(name: str, error: ImportError | None) -> str:
    return (
        f"manifest_validate needs the Python library {name} on the controller, in the Python that runs Ansible"
        f" ({sys.executable}): install it there (see the collection's requirements.txt). Import error: {error}"
    )


class ActionModule(ActionBase):
    """Validate manifests in the controller's Python: nothing is sent to, or run on, the host."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result = super().run(tmp, task_vars)
        del tmp

        missing = apps_validation.missing_libraries()
        if missing:
            name, error = missing[0]
            result.update(failed=True, msg=missing_library_message(name, error))
            return result

        try:
            schemas = apps_validation.load_schemas(args["schema_dirs"])
        except (OSError, ValueError) as exc:
            result.update(failed=True, msg=f"Cannot read the schemas: {exc}")
            return result

        # The manifests as a module would have received them: plain JSON types, not templated values.
        manifests = plain(args["manifests"])
        errors, warnings = apps_validation.validate_manifests(
            manifests,
            args["kubernetes_version"],
            schemas,
            strict=args["strict"],
            unknown_kinds=args["unknown_kinds"],
        )
        result.update(changed=False, validated=len(manifests), errors=errors)
        if warnings:
            result["warnings"] = warnings
        if errors:
            result.update(failed=True, msg="Invalid manifests:\n" + "\n".join(errors))
        return result
