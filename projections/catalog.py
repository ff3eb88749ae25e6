"""Writes the company catalog (org tree, KR definitions) and seeds their progress rows."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import asyncpg

from domain.catalog import CompanyCatalog
from projections.kr_progress import SNAPSHOT, refresh_progress, shard_locks

_UPSERT_UNIT = """
INSERT INTO org_unit (id, name, level, parent_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level,
                               parent_id = excluded.parent_id
"""
_UPSERT_KR = """
INSERT INTO key_result (id, title, owner_unit_id, metric, kind, start_value, target_value,
                        window_start, window_end, category, channel, window_kind, rolling_days,
                        skus, monthly_pacing)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (id) DO UPDATE SET title = excluded.title, owner_unit_id = excluded.owner_unit_id,
    metric = excluded.metric, kind = excluded.kind, start_value = excluded.start_value,
    target_value = excluded.target_value, window_start = excluded.window_start,
    window_end = excluded.window_end, category = excluded.category, channel = excluded.channel,
    window_kind = excluded.window_kind, rolling_days = excluded.rolling_days,
    skus = excluded.skus, monthly_pacing = excluded.monthly_pacing
"""


def _parents_first(catalog: CompanyCatalog) -> list[tuple[str, str, str, str | None]]:
    order = {"hq": 0, "region": 1, "city": 2, "rep": 3}
    units = sorted(catalog.units, key=lambda u: (order[u.level], u.id))
    return [(u.id, u.name, u.level, u.parent_id) for u in units]


async def load_catalog(conn: asyncpg.Connection, catalog: CompanyCatalog) -> int:
    """Idempotent upsert; KR progress is recomputed from the roll-ups already projected."""
    async with conn.transaction():
        await conn.executemany(_UPSERT_UNIT, _parents_first(catalog))
        await conn.executemany(
            _UPSERT_KR,
            [
                (
                    kr.id,
                    kr.title,
                    kr.owner_unit_id,
                    kr.metric,
                    kr.kind,
                    kr.start,
                    kr.target,
                    kr.window_start,
                    kr.window_end,
                    kr.category,
                    kr.channel,
                    kr.window,
                    kr.rolling_days,
                    kr.skus,
                    kr.monthly_pacing,
                )
                for kr in catalog.key_results
            ],
        )
        await conn.executemany(
            "INSERT INTO strategic_project (project_id, title) VALUES ($1, $2)"
            " ON CONFLICT (project_id) DO UPDATE SET title = excluded.title",
            [(p.project_id, p.title) for p in catalog.strategic_projects],
        )
        await conn.executemany(
            "INSERT INTO product_launch (sku, launched_on, first_month_plan_minor)"
            " VALUES ($1, $2, $3) ON CONFLICT (sku) DO UPDATE SET"
            " launched_on = excluded.launched_on,"
            " first_month_plan_minor = excluded.first_month_plan_minor",
            [(p.sku, p.launched_on, p.first_month_plan_minor) for p in catalog.launches],
        )
        kr_ids = sorted(kr.id for kr in catalog.key_results)
        # Committed before the recompute so that stage 2 adds to these rows whatever the
        # recompute below leaves out (the messages still pending).
        await conn.execute(
            "INSERT INTO kr_progress (kr_id, actual, progress_pct, progress_display)"
            " SELECT unnest($1::text[]), 0, 0, 0 ON CONFLICT DO NOTHING",
            kr_ids,
        )
    async with shard_locks(conn, (), wait=True), conn.transaction(isolation=SNAPSHOT):
        return len(await refresh_progress(conn, kr_ids, ZoneInfo(catalog.timezone)))
