"""Benchmark of the projection rebuild (issue #5): replay a topic of N sales (written by
`northstar ingest`, as production does) into fresh tables and swap them in; next to it, the raw
aiokafka decode+aggregate rate of the same topic in the same run.

    .venv/bin/python -m bench.rebuild [--sales 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.slice import RESULTS, Stack, raw_ceiling, sales_file
from infra.settings import Settings
from projections.rebuild import SalesRebuild


async def run(base: Settings, sales: int) -> dict[str, object]:
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
        started = time.monotonic()
        report = await SalesRebuild(stack.settings, quiet=False).run()
        elapsed = time.monotonic() - started
        ceiling = await raw_ceiling(stack.settings)
    return {
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
    args = parser.parse_args()
    results = asyncio.run(run(Settings(), args.sales))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"rebuild-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    c = results["raw_aiokafka_ceiling"]
    print(f"""
rebuild of kr_progress: {results["sales"]:,} sales ({results["facts"]:,} facts, {results["records"]:,} records) in {results["seconds"]:.1f}s = {results["facts_per_s"]:,.0f} facts/s   [target >= 100,000 events/s]
swap: {results["swap_seconds"] * 1000:.0f} ms; raw aiokafka decode+aggregate of the same topic: {c["facts_per_s"]:,.0f} facts/s (ratio {results["ratio_to_ceiling"]:.1%})
results: {out}""")


if __name__ == "__main__":
    main()
