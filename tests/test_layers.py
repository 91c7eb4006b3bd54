"""The folders are layers: the runtime (stance) at the bottom, training and the service beside each
other on it, the CLI on top. Imports are read from the source, those inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGES = ("stance", "training", "service", "cli")
# What each package may import from the project (itself included).
ALLOWED = {
    "stance": {"stance"},
    "training": {"stance", "training"},
    "service": {"stance", "service"},
    "cli": {"stance", "training", "service", "cli"},
}


def module_path(module: str) -> Path | None:
    """The source file of a project module, or None for a module of another project."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def project_imports(module: str) -> set[str]:
    """Every project module `module` imports, at any depth of its code (functions, classes, branches)."""
    found = set()
    for node in ast.walk(ast.parse(module_path(module).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(name for name in names if name.split(".")[0] in PACKAGES and module_path(name))
    return found


def reachable(start: str) -> set[str]:
    """Every project module `start` can end up importing, directly or through others."""
    seen, stack = set(), [start]
    while stack:
        for imported in project_imports(stack.pop()) - seen:
            seen.add(imported)
            stack.append(imported)
    return seen


def modules_of(package: str) -> list[str]:
    return sorted(f"{package}.{path.stem}" if path.stem != "__init__" else package
                  for path in (ROOT / package).glob("*.py"))


def test_the_service_reaches_no_training_or_cli_module():
    reached = reachable("service.service")
    assert {"stance.inference", "stance.registry", "service.following"} <= reached
    assert not [name for name in reached if name.split(".")[0] in ("training", "cli")], sorted(reached)


def test_the_walk_sees_imports_inside_functions():
    assert "training.retrain" in project_imports("cli.main")  # imported inside `retrain()` only
    assert "stance.registry" in project_imports("stance.inference")  # inside `StanceClassifier.load`


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_imports_a_package_above_or_beside_it(package):
    for module in modules_of(package):
        wrong = {name for name in project_imports(module) if name.split(".")[0] not in ALLOWED[package]}
        assert not wrong, f"{module} imports {sorted(wrong)}"

