"""SQL may live only in the places this allow-list names, each for its reason; every other
module of the product holds none (fails the build otherwise)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Where SQL may live, and why. A path is a folder (everything under it) or one module.
ALLOWED = {
    "projections/": "the read models: their writers and reads, named SQL in projections/sql/",
    "infra/postgres/": "storage: the event store, the outbox and the relay's positions, accounts",
    "audit/": "the auditor's reads of the event store: history, as-of, verify",
    "reports/": "the field analytics, each report's own queries",
    "streams/webhooks.py": "the webhook dispatcher's subscriptions and deliveries (its own tables)",
    "infra/heartbeat.py": "each long-running process's heartbeat (its own table)",
    "bench/": "the benchmarks set up and measure the database directly (not the product)",
}
PRODUCT = ("api", "audit", "bench", "domain", "handlers", "infra", "northstar_cli", "projections",
           "reports", "simulator", "streams")  # fmt: skip
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


def allowed(relative: str) -> bool:
    return any(relative == place or relative.startswith(place) for place in ALLOWED if place)


def test_sql_lives_only_where_the_allow_list_says():
    offenders = {
        f"{relative}:{line}": text
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if not allowed(relative := str(path.relative_to(ROOT)))
        for line, text in sql_literals(path.read_text())
    }
    assert offenders == {}


def test_every_allowed_place_exists():
    assert [place for place in ALLOWED if not (ROOT / place).exists()] == []


def test_the_check_itself_finds_sql_and_spares_prose():
    source = (
        'Q = "SELECT id FROM org_unit WHERE level = $1"\n'
        'R = ("INSERT INTO goal_view (a)" " VALUES ($1)")\n'
        'S = "select the rep from the list"\n'
        'T = "update your password"\n'
    )
    assert [line for line, _ in sql_literals(source)] == [1, 2]
