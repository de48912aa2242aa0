# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx settings of the homelab.k3s documentation site (built by tests/docs/build.sh)."""

import sys
from pathlib import Path

import yaml

SITE = Path(__file__).resolve().parent
sys.path.insert(0, str(SITE / "ext"))
GALAXY = yaml.safe_load((SITE.parents[1] / "galaxy.yml").read_text())

project = f"{GALAXY['namespace']}.{GALAXY['name']}"
copyright = "homelab.k3s contributors"
release = version = GALAXY["version"]
title = html_short_title = html_title = f"{project} {release}"

extensions = ["sphinx_antsibull_ext", "myst_parser", "sphinxcontrib.mermaid", "homelab_links"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"

# Markdown pages (docs/ and the README): heading anchors for links like page.md#section,
# and ```mermaid blocks as diagrams.
myst_heading_anchors = 3
myst_fence_as_directive = ["mermaid"]
mermaid_output_format = "raw"

# The plugin and role pages antsibull-docs generates.
pygments_style = "ansible"
highlight_language = "none"
default_role = "any"
nitpicky = True

html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_copy_source = False
html_use_index = False

homelab_root = str(SITE.parents[1])
homelab_repository = GALAXY["repository"]
homelab_branch = "main"
homelab_collection = project
