"""What the API reads of the OKR read models (queries in `sql/okr_reads.sql`), and the goal
views it records."""

from __future__ import annotations

from typing import Literal

import asyncpg

from projections.sql_files import load_queries

SQL = load_queries("okr_reads")


async def alignment_of_person(conn: asyncpg.Connection, person_id: str) -> set[str]:
    return {r[0] for r in await conn.fetch(SQL["alignment_of_person"], person_id)}


async def kr_objectives(conn: asyncpg.Connection, kr_id: str) -> set[str]:
    return {r[0] for r in await conn.fetch(SQL["kr_objectives"], kr_id)}


async def key_result(conn: asyncpg.Connection, kr_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SQL["key_result"], kr_id)


async def objective_owner(conn: asyncpg.Connection, objective_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SQL["objective_owner"], objective_id)


async def objectives(
    conn: asyncpg.Connection, owner_person_id: str | None, cycle_id: str | None
) -> list[asyncpg.Record]:
    return await conn.fetch(SQL["objectives"], owner_person_id, cycle_id)


async def alignment_chain(conn: asyncpg.Connection, objective_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(SQL["alignment_chain"], objective_id)


async def north_star(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow(SQL["north_star"])


async def cycles(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(SQL["cycles"])


async def person_name(conn: asyncpg.Connection, person_id: str) -> str | None:
    return await conn.fetchval(SQL["person_name"], person_id)


async def record_goal_view(
    conn: asyncpg.Connection,
    person_id: str,
    role: str,
    unit_id: str | None,
    subject: Literal["key_result", "objective"],
    subject_id: str,
) -> None:
    await conn.execute(SQL["record_goal_view"], person_id, role, unit_id, subject, subject_id)
