"""SQL lives in projections/ (read models, with named .sql files) and infra/postgres/ (storage):
the HTTP layer and the command line hold none (fails the build otherwise)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NO_SQL = ("api", "northstar_cli")
STATEMENT = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+RECURSIVE)\b",
    re.DOTALL,  # the house writes SQL keywords in capitals; prose is spared
)


def sql_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of the string literals (implicit concatenations joined) that are SQL."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if STATEMENT.search(node.value):
                found.append((node.lineno, node.value[:80]))
    return found


def test_api_and_cli_hold_no_sql():
    offenders = {
        f"{path.relative_to(ROOT)}:{line}": text
        for package in NO_SQL
        for path in (ROOT / package).rglob("*.py")
        for line, text in sql_literals(path.read_text())
    }
    assert offenders == {}


def test_the_check_itself_finds_sql_and_spares_prose():
    source = (
        'Q = "SELECT id FROM org_unit WHERE level = $1"\n'
        'R = ("INSERT INTO goal_view (a)" " VALUES ($1)")\n'
        'S = "select the rep from the list"\n'
        'T = "update your password"\n'
    )
    assert [line for line, _ in sql_literals(source)] == [1, 2]
