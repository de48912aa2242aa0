# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What `ansible-galaxy collection build` puts into the tarball, and the metadata Galaxy shows."""

import json
import re
import tarfile

import yaml
from pkg_helpers import ROOT

# Everything the artifact may hold: the collection and what users read. Anything else (tests, molecule, the
# lab, the k3s test double, CI helpers, the clone's own settings, local state) fails the test.
ALLOWED = [
    r"MANIFEST\.json",
    r"FILES\.json",
    r"README\.md",
    r"CONTRIBUTING\.md",
    r"LICENSE",
    r"CHANGELOG\.rst",
    r"requirements\.txt",
    r"bindep\.txt",
    r"meta(/(runtime|execution-environment)\.yml)?",
    r"changelogs(/(changelog|config)\.yaml)?",
    r"playbooks(/[a-z_]+\.yml)?",
    r"plugins(/(modules|module_utils|action|filter|inventory|plugin_utils|doc_fragments)(/[a-z_0-9]+\.py)?)?",
    r"roles(/[a-z_0-9]+(/(tasks|handlers|defaults|vars|meta|templates|files)(/.+)?)?)?",
    r"docs(/(roles|plugins|runbooks|examples)(/.+)?|/[a-z-]+\.md)?",
    r"inventory(/example(/.+)?)?",
]
# What must never ship, whatever the list above says.
FORBIDDEN = re.compile(
    r"(^|/)(tests|molecule|\.ci|\.lab|\.venv|\.cache|collections|__pycache__|k3s_double)(/|$)|\.pyc$"
)


def _names(members):
    return [m.name for m in members]


def _manifest(tarball):
    with tarfile.open(tarball) as archive:
        return json.load(archive.extractfile("MANIFEST.json"))["collection_info"]


def test_holds_nothing_unexpected(members):
    names = _names(members)
    unexpected = [n for n in names if not any(re.fullmatch(pattern, n) for pattern in ALLOWED)]
    assert unexpected == []
    assert [n for n in names if FORBIDDEN.search(n)] == []


def test_holds_the_files_users_read(members):
    names = set(_names(members))
    docs = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*/*.md") if "/site/" not in str(p))
    examples = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "inventory" / "example").rglob("*.yml"))
    wanted = ["docs/quickstart.md", "docs/awx.md", *(d for d in docs if not d.startswith("docs/testing/")), *examples]
    assert [n for n in wanted if n not in names] == []


def test_has_no_links_or_paths_outside(members):
    assert [m.name for m in members if m.issym() or m.islnk()] == []
    assert [m.name for m in members if m.name.startswith("/") or ".." in m.name.split("/")] == []


def test_holds_the_collection(members):
    names = set(_names(members))
    roles = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").exists())
    playbooks = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "playbooks").glob("*.yml"))
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "plugins").glob("*/*.py"))
    wanted = [
        "MANIFEST.json",
        "FILES.json",
        "README.md",
        "LICENSE",
        "meta/runtime.yml",
        "meta/execution-environment.yml",
        "requirements.txt",
        "bindep.txt",
        "changelogs/changelog.yaml",
        *playbooks,
        *modules,
        *(f"roles/{r}/tasks/main.yml" for r in roles),
        *(f"roles/{r}/meta/argument_specs.yml" for r in roles),
    ]
    assert [n for n in wanted if n not in names] == []


def test_stays_small(tarball):
    assert tarball.stat().st_size < 2_000_000


def test_galaxy_metadata_is_complete(tarball):
    info = _manifest(tarball)
    assert (info["namespace"], info["name"]) == ("homelab", "k3s")
    assert info["license"] == ["GPL-3.0-or-later"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", info["version"])
    assert info["description"] and info["readme"] == "README.md"
    # Galaxy's rules for tags: at most 20, lowercase letters, digits and underscores.
    assert 1 <= len(info["tags"]) <= 20
    assert [t for t in info["tags"] if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", t)] == []
    assert {"k3s", "kubernetes"} <= set(info["tags"])
    for link in ("repository", "documentation", "homepage", "issues"):
        assert re.fullmatch(r"https://\S+", info[link] or ""), link


def test_dependencies_match_the_awx_requirements(tarball):
    """AWX installs collections/requirements.yml; it must ask for what galaxy.yml depends on."""
    requirements = yaml.safe_load((ROOT / "collections" / "requirements.yml").read_text())
    wanted = {c["name"]: c["version"] for c in requirements["collections"]}
    assert _manifest(tarball)["dependencies"] == wanted
