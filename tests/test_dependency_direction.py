"""The direction of imports between the project's parts (docs/architecture.md, "Dependency direction").

From the ground up: the `quality` project package (the organisation, access rules and shared
helpers), then `audits`, then `moderation`, then `performance`, then `evidence`, the reports
(`quality.reports`), and the evaluation (`quality.evaluation`) on top. A module may import its own
layer and the layers below it, never one above: audits never imports moderation, not even inside a
function; nothing below the reports imports them, and nothing imports the evaluation. The few
project modules that wire everything together may import anything (WIRING, each with its reason).

Every .py file under the four packages is parsed (migrations aside), imports inside functions
included, as are import_module("...") calls with a literal name.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("quality", "audits", "moderation", "performance", "evidence")

# Lowest first: a layer may import itself and the layers before it.
LAYERS = ("quality", "audits", "moderation", "performance", "evidence", "quality.reports", "quality.evaluation")
# The layers that are packages nested inside the project package.
NESTED_LAYERS = ("quality.reports", "quality.evaluation")

# Project modules that put the parts together, so they may import any of them.
WIRING = {
    "quality/urls.py": "the root URLconf mounts every app's pages",
    "quality/celery.py": "the Celery app declares every periodic job, whichever app owns it",
    "quality/settings": "settings name every installed app",
    "quality/views.py": "the home page gathers each role's 'what is due' from the workbenches",
    "quality/org/management/commands/load_demo.py": "the demo command loads every app's demo, in order",
}


def layer_of(dotted: str) -> str | None:
    """The layer a dotted module name belongs to; None for anything outside the project's parts."""
    for nested in NESTED_LAYERS:
        if dotted == nested or dotted.startswith(f"{nested}."):
            return nested
    top = dotted.split(".")[0]
    return top if top in PACKAGES else None


def module_name(path: str) -> str:
    """audits/cycle/escalations.py -> audits.cycle.escalations; moderation/__init__.py -> moderation."""
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(path: str) -> list[str]:
    parts = path.removesuffix(".py").split("/")
    return parts[:-1]


def imported_names(path: str, source: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in the source, relative ones resolved against `path`."""
    found = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package(path)
                base = package[: len(package) - (node.level - 1)]
                dotted = ".".join(base + ([node.module] if node.module else []))
            else:
                dotted = node.module or ""
            # `from quality import reports` names the reports package, a layer of its own.
            named = {f"{dotted}.{alias.name}" for alias in node.names}
            reports = sorted(name for name in named if layer_of(name) != layer_of(dotted))
            found += [(node.lineno, name) for name in reports or [dotted]]
        elif isinstance(node, ast.Call) and _is_import_module(node):
            found.append((node.lineno, node.args[0].value))
    return found


def _is_import_module(node: ast.Call) -> bool:
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    return (
        name == "import_module"
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def is_wiring(path: str) -> bool:
    return any(path == wired or path.startswith(f"{wired}/") for wired in WIRING)


def violations(path: str, source: str) -> list[str]:
    """'file:line: layer imports name' for each import of a higher layer than the file's own."""
    own = layer_of(module_name(path))
    if own is None or is_wiring(path):
        return []
    allowed = LAYERS[: LAYERS.index(own) + 1]
    problems = []
    for line, dotted in imported_names(path, source):
        target = layer_of(dotted)
        if target is not None and target not in allowed:
            problems.append(f"{path}:{line}: {own} imports {dotted} ({target} is above {own})")
    return sorted(set(problems))


def project_files() -> list[Path]:
    return sorted(
        file
        for package in PACKAGES
        for file in (ROOT / package).rglob("*.py")
        if "migrations" not in file.relative_to(ROOT).parts
    )


def test_no_part_of_the_project_imports_a_part_above_it():
    problems = []
    for file in project_files():
        path = file.relative_to(ROOT).as_posix()
        problems += violations(path, file.read_text(encoding="utf-8"))
    assert not problems, "Imports against the dependency direction:\n" + "\n".join(problems)


def test_the_wiring_modules_listed_exist():
    assert all((ROOT / path).exists() for path in WIRING), [path for path in WIRING if not (ROOT / path).exists()]


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        # audits importing moderation, even inside a function, is caught with its line
        (
            "audits/cycle/escalations.py",
            "import logging\n\ndef timeline():\n    from moderation.models import ModerationDecision\n",
            ["audits/cycle/escalations.py:4: audits imports moderation.models (moderation is above audits)"],
        ),
        (
            "audits/views.py",
            "import moderation.panels\n",
            ["audits/views.py:1: audits imports moderation.panels (moderation is above audits)"],
        ),
        (
            "quality/org/services.py",
            "from audits import selectors\n",
            ["quality/org/services.py:1: quality imports audits (audits is above quality)"],
        ),
        (
            "moderation/statistics.py",
            "from quality import reports\n",
            ["moderation/statistics.py:1: moderation imports quality.reports (quality.reports is above moderation)"],
        ),
        (
            "performance/scorecard.py",
            "from importlib import import_module\nimport_module('quality.reports.figures')\n",
            [
                "performance/scorecard.py:2: performance imports quality.reports.figures "
                "(quality.reports is above performance)"
            ],
        ),
        # a relative import is resolved against the file's package
        (
            "quality/org/demo.py",
            "from ..reports import figures\n",
            ["quality/org/demo.py:1: quality imports quality.reports (quality.reports is above quality)"],
        ),
        # nothing imports the evaluation, not even the reports
        (
            "quality/reports/figures.py",
            "from quality.evaluation import triangulation\n",
            [
                "quality/reports/figures.py:1: quality.reports imports quality.evaluation "
                "(quality.evaluation is above quality.reports)"
            ],
        ),
        # what the direction allows
        ("quality/evaluation/triangulation.py", "from quality.reports.figures import pct\nimport evidence\n", []),
        ("moderation/panels.py", "from audits import escalations\nfrom quality.org.models import Person\n", []),
        ("quality/reports/figures.py", "from moderation.models import ModerationDecision\nimport performance\n", []),
        ("audits/grades.py", "from .models import Audit\nfrom . import services\n", []),
        ("quality/urls.py", "from quality.reports import views\n", []),
    ],
)
def test_an_import_against_the_direction_is_named_by_file_and_line(path, source, expected):
    assert violations(path, source) == expected
