"""Helpers for tests that run against the real Kafka and PostgreSQL the suite starts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from domain.catalog import CompanyCatalog
from domain.key_results import MetricKeyResult
from domain.org import OrgUnit
from domain.sales import SaleFact, SaleRecorded, SaleRefunded
from infra.isolation import drop_isolated, environ_for, isolated_settings
from infra.settings import REPO_ROOT, Settings
from simulator.sales import SalesSimulator

ARTIFACTS = REPO_ROOT / "test-artifacts"
QUARTER = (date(2026, 10, 1), date(2026, 12, 31))
SALE_DAY = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


@dataclass
class TestEnv:
    """One test's private database, topics and consumer group on the shared services."""

    settings: Settings
    name: str
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def environ(self) -> dict[str, str]:
        return {**os.environ, **environ_for(self.settings), "NORTHSTAR_LOG_LEVEL": "info"}

    def spawn(self, label: str, *args: str) -> subprocess.Popen[bytes]:
        folder = ARTIFACTS / self.name
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{label}.log", "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "northstar_cli.main", *args],
                env=self.environ,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=REPO_ROOT,
            )
        self.children.append(proc)
        return proc

    def worker(self, label: str = "worker") -> subprocess.Popen[bytes]:
        return self.spawn(label, "worker")

    def stop_all(self) -> None:
        for proc in self.children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.children:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def kill9(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


async def create_env(base: Settings, name: str) -> TestEnv:
    settings = await isolated_settings(
        base, "test", broker_session_timeout_s=4.0, api_port=free_port()
    )
    return TestEnv(settings, name)


async def drop_env(base: Settings, env: TestEnv) -> None:
    await drop_isolated(base, env.settings)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def small_company() -> CompanyCatalog:
    """HQ -> 2 regions -> 2 cities each -> 3 reps each, with KRs at every level."""
    start, end = QUARTER
    units = [OrgUnit(id="hq", name="HQ", level="hq")]
    krs = [
        MetricKeyResult(
            id="kr-hq-revenue",
            title="HQ revenue",
            owner_unit_id="hq",
            metric="revenue",
            start=Decimal(0),
            target=Decimal(5_000_000),
            window_start=start,
            window_end=end,
        ),
        MetricKeyResult(
            id="kr-hq-premium",
            title="HQ premium share",
            owner_unit_id="hq",
            metric="premium_share",
            start=Decimal(20),
            target=Decimal(35),
            window_start=start,
            window_end=end,
        ),
    ]
    for region in ("east", "west"):
        units.append(OrgUnit(id=region, name=region, level="region", parent_id="hq"))
        krs.append(
            MetricKeyResult(
                id=f"kr-{region}-units",
                title=f"{region} units",
                owner_unit_id=region,
                metric="units",
                start=Decimal(0),
                target=Decimal(100_000),
                window_start=start,
                window_end=end,
            )
        )
        for c in (1, 2):
            city = f"{region}-city{c}"
            units.append(OrgUnit(id=city, name=city, level="city", parent_id=region))
            krs.append(
                MetricKeyResult(
                    id=f"kr-{city}-tea-units",
                    title=f"{city} tea units",
                    owner_unit_id=city,
                    metric="units",
                    category="tea",
                    start=Decimal(0),
                    target=Decimal(20_000),
                    window_start=start,
                    window_end=end,
                )
            )
            for r in (1, 2, 3):
                rep = f"rep-{city}-{r}"
                units.append(OrgUnit(id=rep, name=rep, level="rep", parent_id=city))
                krs.append(
                    MetricKeyResult(
                        id=f"kr-{rep}-revenue",
                        title=f"{rep} revenue",
                        owner_unit_id=rep,
                        metric="revenue",
                        start=Decimal(0),
                        target=Decimal(500_000),
                        window_start=start,
                        window_end=end,
                    )
                )
    return CompanyCatalog(units=tuple(units), key_results=tuple(krs))


def simulated_facts(company: CompanyCatalog, sales: int, seed: int) -> list[SaleFact]:
    simulator = SalesSimulator(company, seed=seed, source=f"pos-{seed}")
    return list(simulator.stream(SALE_DAY, sales, timedelta(seconds=7)))


def expected_unit_totals(company: CompanyCatalog, facts: Iterable[SaleFact]) -> dict[str, dict]:
    """Totals per org unit computed the plain way, independent of the projection's code."""
    parent = {u.id: u.parent_id for u in company.units}
    seen: set[tuple[str, str, str]] = set()
    totals: dict[str, dict[str, int]] = defaultdict(
        lambda: {"revenue_minor": 0, "units": 0, "premium_revenue_minor": 0}
    )
    for fact in facts:
        identity = (fact.type, fact.source_system, fact.source_id)
        if identity in seen or not isinstance(fact, SaleRecorded | SaleRefunded):
            continue
        seen.add(identity)
        sign = 1 if isinstance(fact, SaleRecorded) else -1
        unit: str | None = fact.rep_id
        while unit is not None:
            totals[unit]["revenue_minor"] += sign * fact.amount_minor
            totals[unit]["units"] += sign * fact.quantity
            totals[unit]["premium_revenue_minor"] += sign * fact.amount_minor * fact.premium
            unit = parent[unit]
    return dict(totals)


def expected_kr_actuals(company: CompanyCatalog, facts: Iterable[SaleFact]) -> dict[str, Decimal]:
    facts = list(facts)
    units = expected_unit_totals(company, facts)
    parent = {u.id: u.parent_id for u in company.units}
    out: dict[str, Decimal] = {}
    for kr in company.key_results:
        t = units.get(
            kr.owner_unit_id, {"revenue_minor": 0, "units": 0, "premium_revenue_minor": 0}
        )
        if kr.metric == "revenue":
            out[kr.id] = Decimal(t["revenue_minor"]) / 100
        elif kr.metric == "premium_share":
            share = Decimal(t["premium_revenue_minor"]) * 100 / Decimal(t["revenue_minor"])
            out[kr.id] = share.quantize(Decimal("0.0001"))
        else:
            units_in_category = 0
            seen: set[tuple[str, str, str]] = set()
            for f in facts:
                identity = (f.type, f.source_system, f.source_id)
                if identity in seen or not isinstance(f, SaleRecorded | SaleRefunded):
                    continue
                seen.add(identity)
                if kr.category and f.category != kr.category:
                    continue
                chain, unit = [], f.rep_id
                while unit is not None:
                    chain.append(unit)
                    unit = parent[unit]
                if kr.owner_unit_id in chain:
                    units_in_category += f.quantity if isinstance(f, SaleRecorded) else -f.quantity
            out[kr.id] = Decimal(units_in_category)
    return out


async def end_offsets(settings: Settings) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(settings.sales_topic, p)
            for p in sorted(
                consumer.partitions_for_topic(settings.sales_topic)
                or await _partitions(consumer, settings.sales_topic)
            )
        ]
        ends = await consumer.end_offsets(partitions)
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


async def wait_caught_up(settings: Settings, timeout: float = 90.0) -> None:
    """Until the projection's checkpoint covers every record now in the sales topic."""
    ends = await end_offsets(settings)

    async def caught_up() -> bool:
        conn = await asyncpg.connect(settings.dsn)
        try:
            rows = await conn.fetch(
                "SELECT partition, next_offset FROM projection_checkpoint WHERE topic = $1",
                settings.sales_topic,
            )
        finally:
            await conn.close()
        done = {r["partition"]: r["next_offset"] for r in rows}
        return all(done.get(p, 0) >= end for p, end in ends.items() if end > 0)

    await eventually(caught_up, timeout, f"projection to reach {ends}")


async def projected_state(settings: Settings) -> tuple[dict[str, dict], dict[str, Decimal]]:
    from projections.queries import kr_progress, unit_totals

    conn = await asyncpg.connect(settings.dsn)
    try:
        units = await unit_totals(conn)
        krs = {r["id"]: r["actual"] for r in await kr_progress(conn)}
    finally:
        await conn.close()
    return units, krs


def write_jsonl(path: Path, facts: Iterable[SaleFact]) -> Path:
    path.write_bytes(b"".join(f.model_dump_json().encode() + b"\n" for f in facts))
    return path


async def load_company(settings: Settings, company: CompanyCatalog) -> None:
    from projections.catalog import load_catalog

    conn = await asyncpg.connect(settings.dsn)
    try:
        await load_catalog(conn, company)
    finally:
        await conn.close()


async def produce_singles(settings: Settings, facts: Iterable[SaleFact]) -> None:
    """Publish facts the way an outside producer following the topic contract would."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", max_request_size=16 * 1024 * 1024
    )
    await producer.start()
    try:
        for fact in facts:
            await producer.send(
                settings.sales_topic,
                value=fact.model_dump_json().encode(),
                key=fact.customer_id.encode(),
            )
        await producer.flush()
    finally:
        await producer.stop()


async def assert_projection_exact(
    settings: Settings, company: CompanyCatalog, facts: list[SaleFact]
) -> None:
    await wait_caught_up(settings)
    units, krs = await projected_state(settings)
    assert units == expected_unit_totals(company, facts)
    assert krs == expected_kr_actuals(company, facts)


async def run_cli(env: TestEnv, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `northstar ARGS` as an operator would, without blocking the test's event loop."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "northstar_cli.main", *args],
        env=env.environ,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
