"""Named SQL statements kept in .sql files next to the projection that runs them."""

from __future__ import annotations

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"


def load_queries(name: str) -> dict[str, str]:
    """Split `sql/<name>.sql` on `-- name: <query>` markers."""
    queries: dict[str, str] = {}
    current: str | None = None
    for line in (SQL_DIR / f"{name}.sql").read_text().splitlines():
        if line.startswith("-- name:"):
            current = line.split(":", 1)[1].strip()
            queries[current] = ""
        elif current is not None:
            queries[current] += line + "\n"
    return queries
