"""Every table the migrations create has exactly one module that inserts into, updates, deletes
from, truncates or copies into it: the projection (or store) that owns it. Operator tools
(rebuilds, parked-stream retry and skip) and other projections go through the owner's functions.
The tables come from the migrations and the writers from the code, so a new table or a second
writer fails the build."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "infra" / "postgres" / "migrations"
PACKAGES = (
    "api",
    "audit",
    "reports",
    "domain",
    "handlers",
    "infra",
    "northstar_cli",
    "projections",
    "simulator",
    "streams",
)
CREATED = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)
DROPPED = re.compile(r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\w+)", re.IGNORECASE)
# A write names its table after the verb, maybe schema-qualified (`public.`, `{schema}.`).
WRITE = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|COPY)\s+(?:ONLY\s+)?"
    r"(?:\{[^}]*\}\.|\w+\.)?(\w+)",
    re.IGNORECASE,
)


def migrated_tables(folder: Path = MIGRATIONS) -> set[str]:
    tables: set[str] = set()
    for migration in sorted(folder.glob("*.sql")):
        text = migration.read_text()
        tables |= set(CREATED.findall(text))
        tables -= set(DROPPED.findall(text))
    return tables


def module_of(path: Path) -> str:
    """The module a file is: a named-SQL file belongs to the module that loads it
    (`projections/sql/kr_progress.sql` is `projections/sales/kr_progress.py`)."""
    if path.suffix == ".sql":
        (path,) = (ROOT / "projections").rglob(f"{path.stem}.py")
    return str(path.relative_to(ROOT))


def writers(tables: set[str], texts: dict[Path, str]) -> dict[str, set[str]]:
    """table -> the modules whose text (by file) writes it."""
    found: dict[str, set[str]] = defaultdict(set)
    for path, text in texts.items():
        for table in WRITE.findall(text):
            if table in tables:
                found[table].add(module_of(path))
    return dict(found)


def code_texts() -> dict[Path, str]:
    return {
        path: path.read_text()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.suffix in (".py", ".sql") and MIGRATIONS not in path.parents
    }


def test_every_table_has_exactly_one_writer():
    tables = migrated_tables()
    found = writers(tables, code_texts())
    assert len(tables) > 50  # the migrations were read
    assert {t: sorted(w) for t, w in found.items() if len(w) > 1} == {}, "second writers"
    assert sorted(tables - set(found)) == [], "tables nobody writes"


def test_the_check_finds_a_second_writer_and_an_unowned_table(tmp_path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001.sql").write_text(
        "CREATE TABLE a (x int);\nCREATE TABLE b (x int);\nCREATE TABLE gone (x int);\n"
    )
    (migrations / "0002.sql").write_text("DROP TABLE IF EXISTS gone;\n")
    owner = ROOT / "projections" / "owner_probe.py"
    other = ROOT / "handlers" / "other_probe.py"
    named = ROOT / "projections" / "sql" / "sales_rollups.sql"  # loaded by its module
    texts = {
        owner: 'Q = "INSERT INTO a (x) VALUES (1)"\n',
        other: 'R = f"UPDATE {schema}.a SET x = 2"\nS = "update the list"\n',
        named: "-- name: q\nDELETE FROM public.a;\n",
    }
    tables = migrated_tables(migrations)
    assert tables == {"a", "b"}
    found = writers(tables, texts)
    assert found == {
        "a": {
            "projections/owner_probe.py",
            "handlers/other_probe.py",
            "projections/sales/sales_rollups.py",
        }
    }
    assert tables - set(found) == {"b"}
