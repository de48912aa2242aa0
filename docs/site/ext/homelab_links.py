# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Links the site cannot resolve by itself, offline and without an inventory of other sites.

- References of the generated plugin pages to the Ansible documentation (ansible.builtin plugins, the
  configuration settings and their environment variables, the common return values, action plugins) become
  links to docs.ansible.com.
- Links of the Markdown pages to files of the repository that are not pages of the site (example
  inventories, Terraform files, directories) become links to the file in the repository.

Anything else that does not resolve stays a warning, which fails the build.
"""

import posixpath
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

ANSIBLE_DOCS = "https://docs.ansible.com/ansible/latest/"
_ANSIBLE_LABELS = {
    "common_return_values": "reference_appendices/common_return_values.html",
    "ansible_configuration_settings": "reference_appendices/config.html",
    # The note of a module that has an action plugin (manifest_validate).
    "action_plugins": "plugins/action.html",
}
_PLUGIN_LABEL = re.compile(r"^ansible_collections\.(\w+)\.(\w+)\.(\w+)_(\w+)$")


def _external(url, contnode):
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference += contnode
    return reference


def resolve_ansible_reference(app, env, node, contnode):
    target = node.get("reftarget", "")
    if node.get("reftype") == "envvar" and target.startswith("ANSIBLE_"):
        return _external(f"{ANSIBLE_DOCS}reference_appendices/config.html#envvar-{target}", contnode)
    if node.get("reftype") != "ref":
        return None
    if target in _ANSIBLE_LABELS:
        return _external(ANSIBLE_DOCS + _ANSIBLE_LABELS[target], contnode)
    match = _PLUGIN_LABEL.match(target)
    if match and match.group(1, 2) != tuple(app.config.homelab_collection.split(".")):
        namespace, name, plugin, kind = match.groups()
        return _external(f"{ANSIBLE_DOCS}collections/{namespace}/{name}/{plugin}_{kind}.html", contnode)
    return None


class RepositoryLinks(SphinxPostTransform):
    """Runs before MyST resolves its links: local links to repository files that are no pages."""

    default_priority = 8

    def run(self, **kwargs):
        root = Path(self.config.homelab_root)
        docnames = self.env.found_docs
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst" or node.get("refdomain") == "doc":
                continue
            target = node.get("reftarget", "")
            path = target.split("#", 1)[0]
            if not path or "://" in path:
                continue
            repo_path = posixpath.normpath(posixpath.join(posixpath.dirname(node.get("refdoc", "")), path))
            if repo_path.startswith("../") or posixpath.splitext(repo_path)[0] in docnames:
                continue
            if not (root / repo_path).exists():
                continue
            kind = "tree" if (root / repo_path).is_dir() else "blob"
            url = f"{self.config.homelab_repository}/{kind}/{self.config.homelab_branch}/{repo_path}"
            node.replace_self(_external(url, node[0].deepcopy() if node.children else nodes.Text(target)))


def setup(app):
    app.add_config_value("homelab_root", "", "env")
    app.add_config_value("homelab_repository", "", "env")
    app.add_config_value("homelab_branch", "main", "env")
    app.add_config_value("homelab_collection", "", "env")
    app.connect("missing-reference", resolve_ansible_reference)
    app.add_post_transform(RepositoryLinks)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
