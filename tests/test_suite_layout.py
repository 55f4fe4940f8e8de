"""The suite's layout: test modules share helpers through `tests/support/` and fixtures through `conftest.py`;
none imports another test module or `conftest`, and `support` imports no test module."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
TEST_MODULES = {path.stem for path in TESTS.glob("test_*.py")} | {"conftest"}


def imported_modules(path: Path) -> set[str]:
    """The top-level names of every module `path` imports, at any depth of its code."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_the_suite_imports_a_test_module_or_conftest() -> None:
    offenders = {
        str(path.relative_to(TESTS)): sorted(imported_modules(path) & TEST_MODULES)
        for path in [*TESTS.glob("*.py"), *(TESTS / "support").glob("*.py")]
        if imported_modules(path) & TEST_MODULES
    }
    assert offenders == {}, "move what they share into tests/support/ (helpers) or tests/conftest.py (fixtures)"


def test_helpers_live_in_support_not_beside_the_tests() -> None:
    assert sorted(path.name for path in TESTS.glob("*.py") if not path.name.startswith("test_")) == ["conftest.py"]
    assert (TESTS / "support" / "__init__.py").exists()
    assert ast.get_docstring(ast.parse((TESTS / "support" / "__init__.py").read_text("utf-8")))


def test_the_layout_check_sees_an_import_of_a_test_module(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text("import os\nfrom test_cli_import import x\n\ndef f():\n    import conftest\n")
    assert imported_modules(sample) & TEST_MODULES == {"test_cli_import", "conftest"}
