"""The catalog's reference data: HQ's strategic projects (what a certification recommends people
for) and product launches (what the launch report compares with its plan). They are the company's
master data, like its product range: nobody sets them as a target, adjusts them or answers for
them, so they carry no audit trail of their own; the file that lists them is their history
(ADR 0023). This module is their one writer."""

from __future__ import annotations

import asyncpg

from domain.catalog import CompanyCatalog


async def load_reference_data(conn: asyncpg.Connection, catalog: CompanyCatalog) -> int:
    """Upsert the catalog's strategic projects and launches; returns how many rows it wrote."""
    async with conn.transaction():
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
    return len(catalog.strategic_projects) + len(catalog.launches)
