# Copyright: contributors to the homelab.k3s collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Changelog fragments are valid for antsibull-changelog, which builds CHANGELOG.rst at release time."""

import yaml
from pkg_helpers import BIN, ROOT, run


def test_changelog_lint_passes():
    result = run([BIN / "antsibull-changelog", "lint"], cwd=ROOT, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_fragments_use_known_sections():
    config = yaml.safe_load((ROOT / "changelogs" / "config.yaml").read_text())
    sections = {section[0] for section in config["sections"]} | {
        config["trivial_section_name"],
        config["prelude_section_name"],
    }
    fragments = sorted((ROOT / "changelogs" / "fragments").glob("*.yml"))
    assert fragments
    for fragment in fragments:
        content = yaml.safe_load(fragment.read_text())
        assert set(content) <= sections, fragment.name
