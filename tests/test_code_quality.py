"""ruff and mypy are part of the suite: a lint or type error fails CI like any other test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: install the test extra (pip install -e '.[test]')")
    return found


def test_ruff_finds_nothing() -> None:
    result = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing() -> None:
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# the tools whose own release can fail CI: pinned exactly in pyproject.toml's test extra
PINNED_TOOLS = ("ruff", "mypy", "pytest", "pytest-xdist", "hypothesis")


def _test_extra() -> list[str]:
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as file:
        extra: list[str] = tomllib.load(file)["project"]["optional-dependencies"]["test"]
    return extra


def test_ci_tools_are_pinned_and_installed_as_pinned() -> None:
    """A new ruff rule or mypy check must not fail CI by itself: each such tool is pinned to one version,
    and the one this suite runs with is that version (so the pin is what was tested)."""
    from importlib.metadata import version

    pins = {}
    for requirement in _test_extra():
        name, _, pinned = requirement.partition("==")
        pins[name.strip().lower()] = pinned.strip()
    for tool in PINNED_TOOLS:
        assert pins.get(tool), f"{tool} is not pinned with == in pyproject.toml's test extra"
        assert version(tool) == pins[tool], f"{tool} {version(tool)} installed, {pins[tool]} pinned"


def _imports_of(path: Path) -> list[tuple[int, str]]:
    """The modules a Python file imports (`import x.y` and `from x.y import z`), with their line numbers."""
    import ast

    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_imports_run_one_way() -> None:
    """handlers/ (Slack listeners) -> bot/ (services, engine, renderers) -> storage/: nothing in bot/ or
    storage/ imports handlers/, except the app factory registering the listeners; storage/ imports no Slack."""
    wrong: list[str] = []
    for package in ("bot", "storage"):
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for line, module in _imports_of(path):
                upward = module == "handlers" or module.startswith("handlers.")
                if upward and where != "bot/app.py":
                    wrong.append(f"{where}:{line} imports {module}")
                if package == "storage" and (
                    module.startswith("slack") or module == "bot" or module.startswith("bot.")
                ):
                    wrong.append(f"{where}:{line} imports {module}")
    assert wrong == []


def test_layering_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The check above reads real import statements (a guard against a check that cannot fail)."""
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom handlers.render import x\nimport handlers\n", encoding="utf-8")
    assert _imports_of(sample) == [(1, "os"), (2, "handlers.render"), (3, "handlers")]
