"""Benchmark of the projection rebuilds (issue #5): N sales (written by `northstar ingest`, as
production does) and an OKR history of M adjustment requests (through the command path and the
relay), then both projections rebuilt from their topics and swapped in; next to each, the raw
aiokafka decode rate of the same topic in the same run.

    .venv/bin/python -m bench.rebuild [--sales 1000000] [--adjustments 12000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import orjson
import yaml

from bench.slice import CACHE, TODAY, Stack, raw_ceiling, sales_file, write_results
from infra import gc_tuning
from infra.kafka.connection import kafka_options
from infra.kafka.topic_reader import read_topic
from infra.settings import Settings
from projections.rebuild import OkrRebuild, SalesRebuild
from simulator.company import company_catalog


async def okr_history(stack: Stack, adjustments: int, company_file: Path) -> int:
    """Seed the OKR tree and `adjustments` requests through commands; wait for the relay."""
    cli = [sys.executable, "-m", "northstar_cli.main"]
    await asyncio.to_thread(
        subprocess.run,
        [
            *cli,
            "simulate",
            "okrs",
            "--company",
            str(company_file),
            "--adjustments",
            str(adjustments),
            "--days",
            str(adjustments / 12),  # ~12 requests a day across the 96 reps
        ],
        env=stack.environ(),
        check=True,
        capture_output=True,
    )
    relay = subprocess.Popen(
        [*cli, "relay"], env=stack.environ(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    conn = await asyncpg.connect(stack.settings.dsn)
    try:
        while await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
            await asyncio.sleep(0.5)
        return int(await conn.fetchval("SELECT count(*) FROM event_store"))
    finally:
        await conn.close()
        relay.terminate()
        relay.wait(timeout=30)


async def okr_ceiling(settings: Settings) -> float:
    """Raw decode rate of the OKR events topic: read every record and parse its JSON."""
    started = time.monotonic()
    values = await read_topic(
        kafka_options(settings), settings.okr_events_topic, settings.topic_partitions
    )
    for value in values:
        orjson.loads(value)
    return len(values) / (time.monotonic() - started)


async def run(base: Settings, sales: int, adjustments: int) -> dict[str, object]:
    path = sales_file(sales)
    facts = sum(1 for _ in open(path, "rb"))
    async with Stack(base, "rebuild") as stack:
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "northstar_cli.main", "ingest", str(path), "--quiet"],
            env=stack.environ(),
            check=True,
            capture_output=True,
        )
        company_file = CACHE / "rebuild-company.yaml"
        company_file.write_text(
            yaml.safe_dump(
                company_catalog(TODAY.date()).model_dump(mode="json"), allow_unicode=True
            )
        )
        okr_events = await okr_history(stack, adjustments, company_file)
        started = time.monotonic()
        report = await SalesRebuild(stack.settings, quiet=False).run()
        elapsed = time.monotonic() - started
        ceiling = await raw_ceiling(stack.settings)
        okr_started = time.monotonic()
        okr_report = await OkrRebuild(stack.settings, quiet=False).run()
        okr_elapsed = time.monotonic() - okr_started
        okr_raw = await okr_ceiling(stack.settings)
    okr = {
        "events": okr_events,
        "records": okr_report.records,
        "seconds": okr_elapsed,
        "events_per_s": okr_events / okr_elapsed,
        "swap_seconds": okr_report.swap_seconds,
        "raw_decode_events_per_s": okr_raw,
    }
    return {
        "okr_read_models": okr,
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count()},
        "sales": sales,
        "facts": facts,
        "records": report.records,
        "seconds": elapsed,
        "swap_seconds": report.swap_seconds,
        "facts_per_s": facts / elapsed,
        "raw_aiokafka_ceiling": ceiling,
        "ratio_to_ceiling": facts / elapsed / ceiling["facts_per_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--adjustments", type=int, default=12_000)
    args = parser.parse_args()
    gc_tuning.for_batches()  # as `northstar rebuild` does
    results = asyncio.run(run(Settings(), args.sales, args.adjustments))
    out = write_results("rebuild", results)
    c, o = results["raw_aiokafka_ceiling"], results["okr_read_models"]
    print(f"""
rebuild of kr_progress: {results["sales"]:,} sales ({results["facts"]:,} facts, {results["records"]:,} records) in {results["seconds"]:.1f}s = {results["facts_per_s"]:,.0f} facts/s   [target >= 100,000 events/s]
swap: {results["swap_seconds"] * 1000:.0f} ms; raw aiokafka decode+aggregate of the same topic: {c["facts_per_s"]:,.0f} facts/s (ratio {results["ratio_to_ceiling"]:.1%})
rebuild of okr_read_models: {o["events"]:,} events in {o["seconds"]:.1f}s = {o["events_per_s"]:,.0f} events/s, swap {o["swap_seconds"] * 1000:.0f} ms; raw decode of the same topic: {o["raw_decode_events_per_s"]:,.0f} events/s
results: {out}""")


if __name__ == "__main__":
    main()
