"""The domain imports only pydantic and the standard library (fails the build otherwise)."""

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
ALLOWED = {"pydantic", "domain", "__future__"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_only_pydantic_and_stdlib():
    offenders = {}
    for path in DOMAIN.rglob("*.py"):
        bad = {r for r in imported_roots(path) if r not in ALLOWED | sys.stdlib_module_names}
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_the_check_itself_catches_an_io_import(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("import asyncpg\nfrom faust import App\n")
    assert imported_roots(sample) - ALLOWED - sys.stdlib_module_names == {"asyncpg", "faust"}
