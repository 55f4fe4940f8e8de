"""The package's layers, and the one rule between them: a module imports only from its own layer or a lower one.

Lowest first. The shared modules (`cxreport.errors`, `config`, `clock`, `times`, `ids`, `jsontext`) are the
ground floor; `metrics` is the data dictionary (events → records, pure); `records` is what a record is (its shape,
validation, facets, CSV row); `store` keeps records and events (SQL lives only there); `service` holds the use
cases; `http` and `cli` are the two edges (the CLI may start the HTTP server, so it sits above it).
`docs/architecture.md` draws the same picture.
"""

from __future__ import annotations

import ast
from pathlib import Path

import cxreport

LAYERS = ("shared", "metrics", "records", "importers", "store", "service", "http", "cli")
PACKAGE = Path(cxreport.__file__).resolve().parent


def layer_of(module: str) -> str:
    """`cxreport.store.sqlite` → store; a top-level module (`cxreport.times`) → shared."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in LAYERS:
        return parts[1]
    return "shared"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """Every cxreport module `path` imports (at any depth of the file, type-checking imports included)."""
    found = []
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("cxreport")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: up from the importer's package
                parents = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parents, base] if base else parents)
            if base == "cxreport":  # from cxreport import clock: the names are modules
                found += [(node.lineno, f"cxreport.{alias.name}") for alias in node.names]
            elif base.startswith("cxreport."):
                found.append((node.lineno, base))
    return found


def upward_imports(root: Path = PACKAGE) -> list[str]:
    rank = {layer: index for index, layer in enumerate(LAYERS)}
    problems = []
    for path in sorted(root.rglob("*.py")):
        importer = module_name(path, root)
        for line, imported in imported_modules(path, root):
            if rank[layer_of(imported)] > rank[layer_of(importer)]:
                problems.append(f"{path.relative_to(root.parent)}:{line}: {importer} ({layer_of(importer)}) "
                                f"imports {imported} ({layer_of(imported)})")
    return problems


def test_no_module_imports_from_a_layer_above_it() -> None:
    assert upward_imports() == []


def test_every_package_is_a_known_layer_and_says_what_it_may_import() -> None:
    packages = sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py"))
    unknown = [name for name in packages if name not in LAYERS]
    assert unknown == [], "add the package to LAYERS (and docs/architecture.md)"
    for name in packages:
        docstring = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text())) or ""
        assert "may import:" in docstring.lower(), f"cxreport/{name}/__init__.py must say what it may import"


def test_the_check_finds_an_upward_import(tmp_path: Path) -> None:
    """The rule is not vacuous: in a copy of the package's shape, the data dictionary importing the store, a
    record module importing a service lazily, and a relative import up to http are each found."""
    root = tmp_path / "cxreport"
    for folder in ("metrics", "records", "store", "service", "http"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "times.py").write_text("from cxreport.metrics import derive\n")
    (root / "metrics" / "derive.py").write_text("from cxreport.store.base import Store\nfrom cxreport import ids\n")
    (root / "records" / "csv.py").write_text("def f():\n    import cxreport.service.search\n")
    (root / "store" / "base.py").write_text("from ..http import query\nfrom cxreport.records import facets\n")
    found = upward_imports(root)
    assert [problem.split(": ", 1)[1] for problem in found] == [
        "cxreport.metrics.derive (metrics) imports cxreport.store.base (store)",
        "cxreport.records.csv (records) imports cxreport.service.search (service)",
        "cxreport.store.base (store) imports cxreport.http (http)",
        "cxreport.times (shared) imports cxreport.metrics (metrics)",
    ]
