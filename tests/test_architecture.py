"""The house rules a newcomer relies on: declared layers hold, modules stay small, extension points are
documented. ``pyproject.toml``'s ``[tool.importlinter]`` contract is the layering; these tests check it
(and the parts import-linter cannot express) from the source itself."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bench", "trackers", "datasets", "reports")
MAX_LINES = 700


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def _imported(path: Path) -> set[str]:
    """Every module an ``import``/``from ... import`` in ``path`` names, at any depth (function-local too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_no_module_over_700_lines():
    long = {str(p.relative_to(REPO)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by job): {long}"


def test_base_layer_imports_nothing_else_of_the_project():
    # bench/core is what trackers/ and datasets/ may import; one import back up would make a cycle
    for path in sorted((REPO / "bench" / "core").rglob("*.py")):
        project = {m for m in _imported(path) if m.split(".")[0] in PACKAGES}
        outside = sorted(m for m in project if not m.startswith("bench.core") and m != "bench")
        assert not outside, f"{path.relative_to(REPO)} imports {outside}: the base layer imports only bench.core"


@pytest.mark.parametrize("package", ["trackers", "datasets"])
def test_trackers_and_datasets_import_only_the_base_layer(package):
    other = {"trackers": "datasets", "datasets": "trackers"}[package]
    for path in sorted((REPO / package).rglob("*.py")):
        bad = sorted(m for m in _imported(path)
                     if (m.startswith("bench.") and not m.startswith("bench.core")) or m.split(".")[0] in (other, "reports"))
        assert not bad, f"{path.relative_to(REPO)} imports {bad}: {package}/ may import only bench.core"


def test_only_the_cli_imports_reports():
    for path in _modules():
        rel = path.relative_to(REPO)
        if rel.parts[0] == "reports" or rel.parts[:2] == ("bench", "commands") or rel == Path("bench/cli.py"):
            continue
        bad = sorted(m for m in _imported(path) if m.split(".")[0] == "reports")
        assert not bad, f"{rel} imports {bad}: only the CLI layer (bench/cli.py, bench/commands) imports reports"


@pytest.mark.skipif(shutil.which("lint-imports") is None and not (Path(sys.executable).parent / "lint-imports").exists(),
                    reason="import-linter is a test extra: pip install -e '.[test]'")
def test_import_linter_layers_contract_is_kept():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    out = subprocess.run([exe, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "1 kept, 0 broken" in out.stdout


@pytest.mark.parametrize("guide", ["new_tracker.md", "new_benchmark.md", "new_protocol.md", "new_efficiency_metric.md"])
def test_extension_guides_exist_and_name_real_files(guide):
    # each guide names the one file to write and the test to add; the paths it cites must exist
    text = (REPO / "docs" / guide).read_text(encoding="utf-8")
    cited = {c for c in (w.strip("`()[],.:") for w in text.split()) if c.endswith(".py") and "/" in c
             and "<" not in c and not c.startswith(("my_", "path/", "examples/my"))}
    missing = sorted(c for c in cited if not (REPO / c).exists() and "new" not in Path(c).stem and "your" not in c)
    assert "tests/" in text, f"docs/{guide} must name the test to add"
    assert not missing, f"docs/{guide} cites files that do not exist: {missing}"
