"""The demo company's people, with names, registered through the org stream as HQ would: the
catalogue's units as `org.unit_created` events (parents first), then one person per unit (a
manager, or the rep) and an auditor at HQ."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from domain.catalog import CompanyCatalog
from domain.kernel import Actor, DomainError
from domain.org_tree import OrgTree
from domain.organisation import CreateOrgUnit, RegisterPerson
from handlers.recording import AggregateCommands

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = (
    "芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "霞", "平", "刚", "婷", "浩", "宇", "欣", "佳", "晨", "思远", "雨桐", "子涵",
    "一鸣", "晓东", "嘉怡",
)  # fmt: skip
AUDITOR = Actor(person_id="p-audit", role="auditor", unit_id="hq")


def name_for(person_id: str) -> str:
    """A stable Chinese name for a demo person (the same id gives the same name)."""
    digest = hashlib.sha256(person_id.encode()).digest()
    return SURNAMES[digest[0] % len(SURNAMES)] + GIVEN[digest[1] % len(GIVEN)]


async def register_people(
    conn: asyncpg.Connection,
    org: AggregateCommands[Any, Any, Any, Any],
    company: CompanyCatalog,
    people: list[Actor],
    at: datetime,
) -> int:
    """Units then people through the org commands; what the stream already has is skipped.
    Returns how many people were registered."""
    hq = next(p for p in people if p.role == "hq_admin")
    tree = OrgTree(list(company.units))
    for unit in sorted(company.units, key=lambda u: len(tree.ancestors_and_self(u.id))):
        await _quietly(
            org.handle(
                conn,
                CreateOrgUnit(
                    command_id=uuid.uuid4(),
                    actor=hq,
                    at=at,
                    unit_id=unit.id,
                    name=unit.name,
                    level=unit.level,
                    parent_id=unit.parent_id,
                ),
            )
        )
    registered = 0
    for person in [*people, AUDITOR]:
        registered += await _quietly(
            org.handle(
                conn,
                RegisterPerson(
                    command_id=uuid.uuid4(),
                    actor=hq,
                    at=at,
                    person_id=person.person_id,
                    name=name_for(person.person_id),
                    role=person.role,
                    unit_id=person.unit_id,
                ),
            )
        )
    return registered


async def _quietly(command: object) -> int:
    """1 if the command was recorded, 0 if the stream already had it (a re-run)."""
    try:
        await command  # type: ignore[misc]
    except DomainError:
        return 0
    return 1
