#!/usr/bin/python
# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k3s_token
short_description: Read or check the join token of a k3s server
version_added: 0.1.0
description:
  - Reads the server, agent or node token of a k3s server from its data directory, waiting for
    the file while k3s is still starting.
  - When O(token) is given, checks its format and compares it with the token of the node. The
    secrets are compared in constant time; neither token ever appears in a message.
  - The module only reads. It never writes the token anywhere.
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
options:
  kind:
    description:
      - Which token to read.
      - V(server) reads C(server/token), the token servers join with.
      - V(agent) reads C(server/agent-token), and falls back to the server token when no separate
        agent token is configured, as k3s does.
      - V(node) reads C(server/node-token), the legacy name of the server token.
    type: str
    choices: [server, agent, node]
    default: server
  data_dir:
    description:
      - The k3s data directory (C(--data-dir)).
    type: path
    default: /var/lib/rancher/k3s
  timeout:
    description:
      - Seconds to wait for the token file to appear. A k3s server writes it during start-up.
      - V(0) checks once.
    type: int
    default: 60
  token:
    description:
      - A token to compare with the token of the node, either the full
        C(K10<CA hash>::<user>:<secret>) form or the bare secret.
      - Surrounding spaces and newlines are ignored.
      - When given, the result contains RV(matches).
    type: str
  must_match:
    description:
      - Fail when O(token) does not match the token of the node.
      - Requires O(token).
    type: bool
    default: false
notes:
  - The result contains the token. Set C(no_log) on the task that calls this module.
  - When O(token) is given, Ansible replaces its value with C(********) wherever it appears in the
    result, RV(token) included.
  - Reading the token needs root on a default install; use C(become).
"""

EXAMPLES = r"""
- name: Read the server token of the first server
  homelab.k3s.k3s_token:
    kind: server
    timeout: 120
  become: true
  no_log: true
  register: __server_token

- name: Check that the configured cluster token is the one the cluster runs with
  homelab.k3s.k3s_token:
    token: "{{ k3s_token }}"
    must_match: true
  become: true
  no_log: true

- name: Read the agent token (the server token when no agent token is configured)
  homelab.k3s.k3s_token:
    kind: agent
    data_dir: /srv/k3s
  become: true
  no_log: true
  register: __agent_token
"""

RETURN = r"""
token:
  description:
    - The token read from the node, in the full form k3s writes.
    - Set C(no_log) on the task.
  returned: success
  type: str
  sample: K10<64 hexadecimal characters>::server:<secret>
token_file:
  description: The file the token was read from.
  returned: success
  type: str
  sample: /var/lib/rancher/k3s/server/token
ca_hash:
  description: The SHA-256 hash of the cluster CA carried in the token; empty when it has none.
  returned: success
  type: str
  sample: 0f6b1c0a9e1d4c2b7a3f5e8d9c0b1a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b
format:
  description: V(full) when the token read carries a CA hash, V(bare) when it does not.
  returned: success
  type: str
  sample: full
supplied_format:
  description: V(full) or V(bare), the form of O(token).
  returned: when O(token) is given
  type: str
  sample: bare
matches:
  description:
    - Whether O(token) matches the token of the node.
    - The secrets must be equal, and so must the CA hashes when both tokens carry one.
  returned: when O(token) is given
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.k3s.plugins.module_utils.k3s_token import (
    TokenFileTimeout,
    TokenFormatError,
    compare_tokens,
    parse_token,
    token_path,
    wait_for_token,
)


def mismatch_message(kind, path, comparison):
    if comparison.ca_hash_matches is False:
        what = "the CA hash differs, so the token belongs to another cluster or to a server whose CA was created anew"
        if not comparison.secret_matches:
            what += ", and the secret differs as well"
    else:
        what = "the secret differs"
    return (
        f"The supplied token does not match the {kind} token of this node ({path}): {what}. Set it to the token the"
        f" cluster runs with (the content of {path} on a running server, or its secret part); to change the"
        " token of a running cluster use 'k3s token rotate'."
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kind=dict(type="str", choices=["server", "agent", "node"], default="server"),
            data_dir=dict(type="path", default="/var/lib/rancher/k3s"),
            timeout=dict(type="int", default=60),
            token=dict(type="str", no_log=True),
            must_match=dict(type="bool", default=False),
        ),
        required_if=[("must_match", True, ("token",))],
        supports_check_mode=True,
    )
    params = module.params
    kind = params["kind"]

    supplied = None
    if params["token"] is not None:
        try:
            supplied = parse_token(params["token"])
        except TokenFormatError as error:
            module.fail_json(
                msg=f"The supplied token is not a valid k3s token: {error}. Use the full token"
                " (K10<CA hash>::<user>:<secret>) or its bare secret."
            )

    try:
        path, content = wait_for_token(params["data_dir"], kind, params["timeout"])
    except TokenFileTimeout as error:
        module.fail_json(
            msg=f"No {kind} token: {error}. Is this node a k3s server with data_dir {params['data_dir']},"
            " and is k3s running?"
        )
    except PermissionError:
        module.fail_json(
            msg=f"Cannot read {token_path(params['data_dir'], kind)}: permission denied."
            " Run the task with become: true."
        )

    try:
        node_token = parse_token(content)
    except TokenFormatError as error:
        module.fail_json(msg=f"The token in {path} is not a valid k3s token: {error}.")

    result = dict(
        changed=False,
        token=content,
        token_file=path,
        ca_hash=node_token.ca_hash,
        format=node_token.format,
    )
    if supplied is not None:
        comparison = compare_tokens(supplied, node_token)
        result.update(matches=comparison.matches, supplied_format=supplied.format)
        if params["must_match"] and not comparison.matches:
            module.fail_json(msg=mismatch_message(kind, path, comparison), matches=False)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
