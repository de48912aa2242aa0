# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adds the Markdown pages of the repository and the front page to the Sphinx source directory that
antsibull-docs filled with the generated plugin and role pages.

Every page keeps its path relative to the repository root, so the links between pages work as they do
on GitHub. Each directory of docs/ becomes a section of the table of contents; a new page appears in
it without changing anything here.
"""

import argparse
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SKIP = {DOCS / "site", DOCS / "docsite"}
# Pages of the top level that come first, in this order; the others follow by name.
FIRST = ["README", "docs/quickstart", "docs/architecture", "docs/awx"]
LAST = ["docs/releasing", "CONTRIBUTING"]
SECTIONS = {"runbooks": "Runbooks", "roles": "Role guides", "plugins": "Plugin guides", "examples": "Examples"}

INDEX = """\
{title}
{underline}

Ansible collection that turns Proxmox VMs, Raspberry Pis and mini PCs into a k3s cluster with its
platform apps, and keeps it alive: upgrades, etcd snapshots, restores, new nodes.

{toctrees}
"""


def pages():
    found = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    found += [p for p in DOCS.rglob("*.md") if not any(s in p.parents for s in SKIP)]
    return sorted(found)


def docname(path):
    return path.relative_to(ROOT).with_suffix("").as_posix()


def toctree(caption, entries, maxdepth=1):
    lines = [".. toctree::", f"   :caption: {caption}", f"   :maxdepth: {maxdepth}", ""]
    return "\n".join(lines + [f"   {e}" for e in entries]) + "\n"


def index(names):
    top = [n for n in names if n.count("/") <= 1]
    guides = [n for n in FIRST if n in top]
    guides += sorted(n for n in top if n not in FIRST + LAST)
    guides += [n for n in LAST if n in top]
    trees = [toctree("Guides", guides)]
    sections = sorted({n.split("/")[1] for n in names if n.count("/") >= 2})
    for section in sorted(
        sections, key=lambda s: (s not in SECTIONS, list(SECTIONS).index(s) if s in SECTIONS else 0, s)
    ):
        entries = sorted(n for n in names if n.startswith(f"docs/{section}/"))
        trees.append(toctree(SECTIONS.get(section, section.capitalize()), entries))
    reference = ["collections/homelab/k3s/index", "collections/index_module", "collections/index_role"]
    reference += ["collections/index_inventory", "collections/index_filter", "collections/environment_variables"]
    trees.append(toctree("Reference (from the plugins and roles)", reference))
    title = "homelab.k3s"
    return INDEX.format(title=title, underline="=" * len(title), toctrees="\n".join(trees))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the Sphinx source directory")
    args = parser.parse_args()
    names = []
    for page in pages():
        target = args.source / page.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, target)
        names.append(docname(page))
    (args.source / "index.rst").write_text(index(names))
    missing = [
        r for r in ("collections/index_module", "collections/index_role") if not (args.source / f"{r}.rst").exists()
    ]
    if missing:
        raise SystemExit(f"antsibull-docs did not write {', '.join(missing)}: run it before this script")


if __name__ == "__main__":
    main()
