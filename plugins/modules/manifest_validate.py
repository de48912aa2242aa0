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
  - Needs no cluster and no network. An action plugin, it always runs on the controller, in the Python
    that runs Ansible. Nothing is sent to the host of the task, which is not contacted.
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
  - kubernetes-validate (Python package, on the controller)
  - jsonschema (Python package, on the controller)
author:
  - homelab.k3s maintainers (@homelab-k3s)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  become:
    support: none
  bypass_host_loop:
    support: none
  connection:
    support: none
  check_mode:
    support: full
    details: It behaves the same as without check mode.
  delegation:
    support: none
    details: It runs on the controller whatever the task's host; C(delegate_to) only changes whose variables apply.
  diff_mode:
    support: none
    details: It changes nothing, so there is nothing to diff.
  platform:
    platforms: all
"""

EXAMPLES = r"""
- name: Validate rendered manifests before writing them
  homelab.k3s.manifest_validate:
    manifests: "{{ my_documents }}"
    kubernetes_version: "1.35"
    schema_dirs:
      - "{{ role_path }}/files/schemas"
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
