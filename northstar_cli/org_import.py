"""`northstar org import`: units and people from CSV files, applied as org-stream commands."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from tqdm import tqdm

from domain.kernel import Actor, DomainError, field_errors
from domain.org_tree import LEVEL_ORDER
from domain.organisation import (
    ORG_STREAM,
    ORGANISATION,
    ChangePersonRole,
    CreateOrgUnit,
    OrgCommand,
    RegisterPerson,
)
from handlers.bootstrap import command_handlers
from handlers.recording import AggregateCommands
from infra.postgres.db import connect
from infra.settings import Settings

IMPORTER = "cli-import"


@dataclass
class ImportReport:
    units_created: int = 0
    people_registered: int = 0
    people_changed: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def _rows(path: Path | None) -> list[tuple[int, dict[str, str]]]:
    if path is None:
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        return [
            (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader
        ]


async def import_org(
    settings: Settings, units: Path | None, people: Path | None, quiet: bool = False
) -> ImportReport:
    report = ImportReport()

    async def no_tree(_conn: Any) -> Any:
        return None

    handler = command_handlers(settings.okr_events_topic, no_tree).org_units
    store = handler.store
    unit_rows = sorted(_rows(units), key=lambda r: LEVEL_ORDER.get(r[1].get("level", ""), 9))
    people_rows = _rows(people)
    conn = await connect(settings.dsn)
    try:
        state = ORGANISATION.fold(await store.load(conn, ORG_STREAM))
        hq = next((u for u, (level, _) in state.units.items() if level == "hq"), None)
        hq = hq or next((r["id"] for _, r in unit_rows if r.get("level") == "hq"), "hq")
        actor = Actor(person_id=IMPORTER, role="hq_admin", unit_id=hq)
        with tqdm(
            total=len(unit_rows) + len(people_rows), unit="row", disable=quiet, desc="org import"
        ) as bar:
            for line, row in unit_rows:
                bar.update(1)
                if row.get("id") in state.units:
                    report.unchanged += 1
                    continue
                fields = {
                    "unit_id": row.get("id"),
                    "name": row.get("name"),
                    "level": row.get("level"),
                    "parent_id": row.get("parent_id") or None,
                }
                if await _apply(conn, handler, CreateOrgUnit, fields, actor, units, line, report):
                    report.units_created += 1
                    state = ORGANISATION.fold(await store.load(conn, ORG_STREAM))
            for line, row in people_rows:
                bar.update(1)
                fields = {
                    "person_id": row.get("id"),
                    "role": row.get("role"),
                    "unit_id": row.get("unit_id"),
                }
                current = state.people.get(row.get("id", ""))
                if current == (row.get("role"), row.get("unit_id")):
                    report.unchanged += 1
                    continue
                if current is None:
                    ok = await _apply(
                        conn,
                        handler,
                        RegisterPerson,
                        {**fields, "name": row.get("name")},
                        actor,
                        people,
                        line,
                        report,
                    )
                    report.people_registered += ok
                else:
                    ok = await _apply(
                        conn, handler, ChangePersonRole, fields, actor, people, line, report
                    )
                    report.people_changed += ok
                if ok:
                    state.people[row["id"]] = (row["role"], row["unit_id"])
    finally:
        await conn.close()
    return report


async def _apply(
    conn: Any,
    handler: AggregateCommands[Any, Any, Any, Any],
    command_type: type[OrgCommand],
    fields: dict[str, Any],
    actor: Actor,
    path: Path | None,
    line: int,
    report: ImportReport,
) -> bool:
    try:
        command = command_type.model_validate(
            {**fields, "command_id": uuid.uuid4(), "actor": actor, "at": datetime.now(UTC)}
        )
        await handler.handle(conn, command)
        return True
    except ValidationError as exc:
        for error in field_errors(exc.errors(include_url=False)):  # type: ignore[arg-type]
            report.errors.append(f"{path}:{line}: {error['field']}: {error['message']}")
    except DomainError as exc:
        report.errors.append(f"{path}:{line}: {exc}")
    return False
