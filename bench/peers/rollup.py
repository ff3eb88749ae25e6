"""The roll-up every peer keeps, written as plainly as a user would: decode JSON, convert each
fact's time to the company's day, add it to the rep's and each ancestor's bucket, upsert."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo

import asyncpg
import orjson

Chains = dict[str, tuple[str, ...]]
Buckets = dict[tuple[str, object, str, str, str], list[int]]

TABLE = """
CREATE TABLE IF NOT EXISTS peer_rollup (
    unit_id text, day date, category text, sku text, channel text,
    revenue_minor bigint, units bigint, premium_revenue_minor bigint, payments_minor bigint,
    leads bigint, first_orders bigint,
    PRIMARY KEY (unit_id, day, category, sku, channel)
);
CREATE TABLE IF NOT EXISTS peer_offset (
    topic text, partition int, next_offset bigint, PRIMARY KEY (topic, partition)
);
"""
UPSERT = """
INSERT INTO peer_rollup AS r
SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                     $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[])
ON CONFLICT (unit_id, day, category, sku, channel) DO UPDATE SET
    revenue_minor = r.revenue_minor + excluded.revenue_minor,
    units = r.units + excluded.units,
    premium_revenue_minor = r.premium_revenue_minor + excluded.premium_revenue_minor,
    payments_minor = r.payments_minor + excluded.payments_minor,
    leads = r.leads + excluded.leads,
    first_orders = r.first_orders + excluded.first_orders
"""
_SIGN = {"sales.sale_recorded": 1, "sales.sale_refunded": -1}


async def load_chains(conn: asyncpg.Connection) -> Chains:
    """rep id -> the rep and every unit above it."""
    parent = {
        r["id"]: r["parent_id"] for r in await conn.fetch("SELECT id, parent_id FROM org_unit")
    }
    chains: Chains = {}
    for unit in parent:
        chain, at = [], unit
        while at is not None:
            chain.append(at)
            at = parent[at]
        chains[unit] = tuple(chain)
    return chains


def events_of(value: bytes) -> Iterator[dict]:
    """The facts of one record: a single event or a `sales.batch`."""
    body = orjson.loads(value)
    if body.get("type") == "sales.batch":
        yield from body["events"]
    else:
        yield body


def fold(events: Iterable[dict], chains: Chains, zone: tzinfo, into: Buckets) -> Buckets:
    for event in events:
        kind = event["type"]
        day = datetime.fromisoformat(event["occurred_at"]).astimezone(zone).date()
        sign = _SIGN.get(kind)
        if sign is None:
            dims = ("", "", "")
            add = [
                0, 0, 0,
                event["amount_minor"] if kind == "sales.payment_collected" else 0,
                1 if kind == "sales.lead_registered" else 0,
                1 if kind == "sales.customer_first_order" else 0,
            ]  # fmt: skip
        else:
            dims = (event["category"], event["sku"], event["channel"])
            amount, units = sign * event["amount_minor"], sign * event["quantity"]
            premium = event["premium"]
            add = [amount, units, amount if premium else 0, 0, 0, 0]
        for unit in chains[event["rep_id"]]:
            bucket = into.setdefault((unit, day, *dims), [0] * 6)
            for i, value in enumerate(add):
                bucket[i] += value
    return into


def upsert_args(buckets: Buckets) -> list[list[object]]:
    rows = [(*key, *sums) for key, sums in sorted(buckets.items())]
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 11


async def totals(conn: asyncpg.Connection, table: str = "peer_rollup") -> dict[str, tuple]:
    """Per unit: the sums over every day and product, to check peers against each other."""
    rows = await conn.fetch(
        f"SELECT unit_id, sum(revenue_minor), sum(units), sum(premium_revenue_minor),"
        f" sum(payments_minor), sum(leads), sum(first_orders) FROM {table} GROUP BY unit_id"
    )
    return {r[0]: tuple(int(v) for v in r[1:]) for r in rows}
