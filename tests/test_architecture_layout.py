"""docs/architecture.md's layout table and the tree agree: every path the table names exists, and every
top-level entry and every Python package of the portal is named there."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("quality", "audits", "moderation", "performance", "evidence")
# Packages that only hold what Django finds by convention; their parent's row covers them.
CONVENTIONAL = {"migrations", "management", "commands", "templatetags"}


def layout_paths() -> set[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text.split("## Layout", 1)[1].split("\n#", 1)[0]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {path.rstrip("/") for cell in first_cells for path in re.findall(r"`([^`]+)`", cell)}


def tracked_top_level() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {name.split("/", 1)[0] for name in files.splitlines()}


def packages(root: Path = ROOT) -> set[str]:
    found = set()
    for app in APPS:
        for init in (root / app).rglob("__init__.py"):
            package = init.parent.relative_to(root)
            if not CONVENTIONAL & set(package.parts):
                found.add(package.as_posix())
    return found


def test_every_path_the_layout_names_exists():
    missing = sorted(path for path in layout_paths() if not (ROOT / path).exists())
    assert missing == []


def test_every_top_level_entry_and_package_is_in_the_layout():
    unnamed = sorted((tracked_top_level() | packages()) - layout_paths())
    assert unnamed == []


def test_the_check_sees_a_package_the_table_leaves_out(tmp_path):
    """The check can fail: a package in a tree the table does not describe is reported, a migrations
    package is not."""
    for package in ("audits/newpart", "audits/migrations"):
        (tmp_path / package).mkdir(parents=True)
        (tmp_path / package / "__init__.py").write_text("")
    assert packages(tmp_path) - layout_paths() == {"audits/newpart"}
