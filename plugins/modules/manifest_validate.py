#!/usr/bin/python
# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: manifest_validate
short_description: Validate Kubernetes manifests offline against schemas
version_added: 0.1.0
description:
  - Checks every manifest against the Kubernetes OpenAPI schemas bundled with the
    C(kubernetes-validate) Python package (built-in kinds, strict about unknown fields),
    and custom resources against JSON schemas from O(schema_dirs).
  - Needs no cluster and no network. Run it on the controller, with C(delegate_to=localhost).
  - Reports every invalid manifest in one failure message.
options:
  manifests:
    description:
      - The manifests to check, each a mapping with C(apiVersion), C(kind) and C(metadata).
    type: list
    elements: dict
    required: true
  kubernetes_version:
    description:
      - Kubernetes minor version whose schemas apply, for example V(1.35).
      - The newest bundled schema not newer than this version is used.
    type: str
    required: true
  schema_dirs:
    description:
      - Directories holding JSON schemas for custom resources, one file per kind named
        C(<kind>-<group>-<version>.json) in lower case, for example C(helmchart-helm.cattle.io-v1.json).
      - A schema found here takes precedence over the bundled Kubernetes schemas.
    type: list
    elements: path
    default: []
  strict:
    description:
      - Reject fields that the Kubernetes schema of a built-in kind does not define.
    type: bool
    default: true
  unknown_kinds:
    description:
      - What to do with a manifest whose kind has no schema.
    type: str
    choices: [fail, warn, ignore]
    default: fail
requirements:
  - kubernetes-validate (Python package)
  - jsonschema (Python package)
author:
  - homelab.k3s maintainers (@homelab-k3s)
attributes:
  check_mode:
    description: Can run in check mode; it behaves the same as without it.
    support: full
  diff_mode:
    description: The module changes nothing, so there is nothing to diff.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Validate rendered manifests before writing them
  homelab.k3s.manifest_validate:
    manifests: "{{ my_documents }}"
    kubernetes_version: "1.35"
    schema_dirs:
      - "{{ role_path }}/files/schemas"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
validated:
  description: Number of manifests checked.
  returned: always
  type: int
  sample: 12
errors:
  description: One line per problem found, naming the manifest and the field.
  returned: always
  type: list
  elements: str
  sample:
    - "HelmChart kube-system/traefik: spec: Additional properties are not allowed ('valueContent' was unexpected)"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.homelab.k3s.plugins.module_utils.apps_validation import (
    HAS_JSONSCHEMA,
    HAS_KUBERNETES_VALIDATE,
    JSONSCHEMA_IMPORT_ERROR,
    KUBERNETES_VALIDATE_IMPORT_ERROR,
    load_schemas,
    validate_manifests,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            manifests=dict(type="list", elements="dict", required=True),
            kubernetes_version=dict(type="str", required=True),
            schema_dirs=dict(type="list", elements="path", default=[]),
            strict=dict(type="bool", default=True),
            unknown_kinds=dict(type="str", choices=["fail", "warn", "ignore"], default="fail"),
        ),
        supports_check_mode=True,
    )
    if not HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib("jsonschema"), exception=str(JSONSCHEMA_IMPORT_ERROR))
    if not HAS_KUBERNETES_VALIDATE:
        module.fail_json(
            msg=missing_required_lib("kubernetes-validate"), exception=str(KUBERNETES_VALIDATE_IMPORT_ERROR)
        )

    try:
        schemas = load_schemas(module.params["schema_dirs"])
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"Cannot read the schemas: {exc}")

    errors, warnings = validate_manifests(
        module.params["manifests"],
        module.params["kubernetes_version"],
        schemas,
        strict=module.params["strict"],
        unknown_kinds=module.params["unknown_kinds"],
    )
    for warning in warnings:
        module.warn(warning)
    result = dict(changed=False, validated=len(module.params["manifests"]), errors=errors)
    if errors:
        module.fail_json(msg="Invalid manifests:\n" + "\n".join(errors), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
