"""Helpers for tests that run against the real Kafka and PostgreSQL the suite starts."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from domain.catalog import CatalogPerson, CompanyCatalog
from domain.kernel import Actor
from domain.org_tree import OrgUnit
from domain.sales import SaleFact
from infra.settings import REPO_ROOT, Settings
from simulator.company import window_kr
from simulator.sales import SalesSimulator
from tests import expected
from tests.isolation import drop_isolated, environ_for, isolated_settings

ARTIFACTS = REPO_ROOT / "test-artifacts"
QUARTER = (date(2026, 10, 1), date(2026, 12, 31))
SALE_DAY = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


@dataclass
class TestEnv:
    """One test's private database, topics and consumer group on the shared services."""

    __test__ = False  # a helper, not a test class

    settings: Settings
    name: str
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    environ_extra: dict[str, str] = field(default_factory=dict)

    @property
    def environ(self) -> dict[str, str]:
        return {
            **os.environ,
            **environ_for(self.settings),
            "NORTHSTAR_LOG_LEVEL": "info",
            **self.environ_extra,
        }

    def spawn(
        self, label: str, *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        folder = ARTIFACTS / self.name
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{label}.log", "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "northstar_cli.main", *args],
                env={**self.environ, **(extra_env or {})},
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


SCRIPTED_AHEAD_S = 366 * 86400


async def create_env(base: Settings, name: str) -> TestEnv:
    """A test's private environment; its log folder starts empty (a rerun never reads an
    earlier run's lines)."""
    shutil.rmtree(ARTIFACTS / name, ignore_errors=True)
    # The worker's wall-clock evaluation timer is off: tests script business time themselves
    # (`northstar evaluate --at`) or turn the timer on (see test_time_driven_evaluation). Their
    # scripted sales fall in 2026-Q4, which may be ahead of the day the suite runs: facts may be
    # dated up to a year after they arrive, except where a test sets the documented default
    # (test_future_dated.py).
    settings = await isolated_settings(
        base,
        "test",
        broker_session_timeout_s=4.0,
        api_port=free_port(),
        evaluation_interval_s=0.0,
        sales_future_tolerance_s=SCRIPTED_AHEAD_S,
    )
    return TestEnv(settings, name)


async def drop_env(base: Settings, env: TestEnv) -> None:
    await drop_isolated(base, env.settings)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def metrics_ports() -> int:
    """A base port for NORTHSTAR_METRICS_PORT whose whole block (the worker's agents + 0..2,
    relay + 3, webhooks + 4) is free now, below the kernel's ephemeral range, where no client
    connection takes a port meanwhile."""
    import random
    import socket

    for _ in range(200):
        base = random.randrange(20_000, 32_000)
        try:
            for offset in range(5):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of 5 free ports between 20000 and 32000")


def small_company() -> CompanyCatalog:
    """HQ -> 2 regions -> 2 cities each -> 3 reps each, with KRs at every level."""
    units = [OrgUnit(id="hq", name="HQ", level="hq")]
    krs = [
        window_kr("kr-hq-revenue", "HQ revenue", "hq", "revenue", 5_000_000, QUARTER),
        window_kr(
            "kr-hq-premium", "HQ premium share", "hq", "premium_share", 35, QUARTER, start=20
        ),
        window_kr(
            "kr-hq-collection", "HQ collection rate", "hq", "collection_rate", 95, QUARTER, start=80
        ),
        window_kr(
            "kr-hq-repeat", "HQ monthly repeat buyers", "hq", "monthly_repeat_buyers", 500, QUARTER
        ),
        window_kr(
            "kr-hq-premium-repeat",
            "Premium monthly repeat buyers",
            "hq",
            "premium_monthly_repeat_buyers",
            120,
            QUARTER,
        ),
        window_kr(
            "kr-east-customers",
            "East distinct customers",
            "east",
            "distinct_customers",
            400,
            QUARTER,
        ),
    ]
    for region in ("east", "west"):
        units.append(OrgUnit(id=region, name=region, level="region", parent_id="hq"))
        krs.append(
            window_kr(f"kr-{region}-units", f"{region} units", region, "units", 100_000, QUARTER)
        )
        for c in (1, 2):
            city = f"{region}-city{c}"
            units.append(OrgUnit(id=city, name=city, level="city", parent_id=region))
            krs.append(
                window_kr(
                    f"kr-{city}-tea-units",
                    f"{city} tea units",
                    city,
                    "units",
                    20_000,
                    QUARTER,
                    category="tea",
                )
            )
            for r in (1, 2, 3):
                rep = f"rep-{city}-{r}"
                units.append(OrgUnit(id=rep, name=rep, level="rep", parent_id=city))
                krs.append(
                    window_kr(
                        f"kr-{rep}-revenue", f"{rep} revenue", rep, "revenue", 500_000, QUARTER
                    )
                )
    return CompanyCatalog(units=tuple(units), people=heads_of(units), key_results=tuple(krs))


def heads_of(units: Iterable[OrgUnit]) -> tuple[CatalogPerson, ...]:
    """One person heading each unit: HQ's admin `p-hq`, a manager `p-mgr-<unit>` of each region
    and city, and each rep `p-<rep>`."""
    people = []
    for unit in units:
        if unit.level == "hq":
            person_id, role = "p-hq", "hq_admin"
        elif unit.level == "rep":
            person_id, role = f"p-{unit.id}", "rep"
        else:
            person_id, role = f"p-mgr-{unit.id}", "manager"
        people.append(
            CatalogPerson(person_id=person_id, name=person_id, role=role, unit_id=unit.id)
        )
    return tuple(people)


def simulated_facts(company: CompanyCatalog, sales: int, seed: int) -> list[SaleFact]:
    simulator = SalesSimulator(company, seed=seed, source=f"pos-{seed}")
    return list(simulator.stream(SALE_DAY, sales, timedelta(seconds=7)))


def expected_unit_totals(company: CompanyCatalog, facts: Iterable[SaleFact]) -> dict[str, dict]:
    """Totals per org unit computed the plain way, independent of the projection's code."""
    return expected.unit_totals(company, facts)


def expected_kr_actuals(company: CompanyCatalog, facts: Iterable[SaleFact]) -> dict[str, Decimal]:
    """Each KR's value from the facts credited to its unit, computed plainly."""
    return expected.kr_actuals(company, facts)


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
    """Until both stages of the projection cover every record now in the sales topic."""
    from projections.sales.kr_progress import applied_through

    ends = await end_offsets(settings)

    async def caught_up() -> bool:
        conn = await asyncpg.connect(settings.dsn)
        try:
            done = await applied_through(conn, settings.sales_topic)
        finally:
            await conn.close()
        return all(done.get(p, 0) >= end for p, end in ends.items() if end > 0)

    await eventually(caught_up, timeout, f"projection to reach {ends}")


async def projected_state(settings: Settings) -> tuple[dict[str, dict], dict[str, Decimal]]:
    from projections.reads.progress_reads import kr_progress, unit_totals

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
    """The company's plan imported as `northstar catalog load` does (HQ's commands), its events
    applied at once (`load_plan_now`): the tests run sales at once, with or without a worker."""
    from handlers.catalog_import import load_plan_now

    if not company.people:  # a test's own catalog: one head per unit (`heads_of`)
        company = company.model_copy(update={"people": heads_of(company.units)})
    conn = await asyncpg.connect(settings.dsn)
    try:
        await load_plan_now(settings, conn, company)
    finally:
        await conn.close()


async def define_quarter(
    settings: Settings, cycle_id: str = "2026-Q4", days: tuple[date, date] = QUARTER
) -> None:
    """HQ defines the tests' quarter, as goals and meetings need a defined cycle."""
    from northstar_cli.okr_admin import define_cycle

    await define_cycle(settings, cycle_id, "quarter", *days)


async def hq_token(settings: Settings) -> str:
    """A bearer token for an HQ admin (person p-hq), as the new OKR tests act."""
    from infra.postgres.accounts import create_client

    conn = await asyncpg.connect(settings.dsn)
    try:
        return await create_client(conn, "hq", "hq_admin", "p-hq", "hq")
    finally:
        await conn.close()


async def produce_raw(settings: Settings, value: bytes) -> None:
    """One record of any bytes on the sales topic, as a broken producer might send it."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(settings.sales_topic, value)
    finally:
        await producer.stop()


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


async def stream_slowly(
    settings: Settings, facts: list[SaleFact], seconds: float, chunks: int = 60
) -> None:
    """Produce `facts` in `chunks` spread over about `seconds`."""
    size = max(1, len(facts) // chunks)
    for start in range(0, len(facts), size):
        await produce_singles(settings, facts[start : start + size])
        await asyncio.sleep(seconds / chunks)


async def assert_projection_exact(
    settings: Settings, company: CompanyCatalog, facts: list[SaleFact]
) -> None:
    await wait_caught_up(settings)
    units, krs = await projected_state(settings)
    want_units, want_krs = expected_unit_totals(company, facts), expected_kr_actuals(company, facts)
    assert units == want_units, {
        u: (units.get(u), want_units.get(u))
        for u in sorted(set(units) | set(want_units))
        if units.get(u) != want_units.get(u)
    }
    assert krs == want_krs, {
        k: (krs.get(k), want_krs.get(k))
        for k in sorted(set(krs) | set(want_krs))
        if krs.get(k) != want_krs.get(k)
    }


async def run_cli(
    env: TestEnv, *args: str, timeout: float = 300, input: str | None = None
) -> subprocess.CompletedProcess:
    """Run `northstar ARGS` as an operator would, without blocking the test's event loop. A
    command that runs out of time leaves what it had written in the test's artifacts."""
    try:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "northstar_cli.main", *args],
            env=env.environ,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )
    except subprocess.TimeoutExpired as late:
        folder = ARTIFACTS / env.name
        folder.mkdir(parents=True, exist_ok=True)
        written = [part if isinstance(part, str) else (part or b"").decode(errors="replace")
                   for part in (late.stdout, late.stderr)]  # fmt: skip
        (folder / f"cli-{args[0]}-timed-out.log").write_text("\n".join(written))
        raise


async def start_api(env: TestEnv) -> str:
    """Start `northstar api` for this test and return its base URL once it listens."""
    from infra.procs import port_open

    env.spawn("api", "api")
    await eventually(
        lambda: asyncio.to_thread(port_open, "127.0.0.1", env.settings.api_port), 30, "API port"
    )
    return f"http://127.0.0.1:{env.settings.api_port}"


async def topic_values(settings: Settings, topic: str) -> list[bytes]:
    """Every committed record's value on a topic, read from the beginning to its current end."""
    from streams.outbox_relay import lagging

    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
    await consumer.start()
    found = []
    try:
        partitions = [TopicPartition(topic, p) for p in range(settings.topic_partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while await lagging(consumer, ends):
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(m.value for m in messages)
    finally:
        await consumer.stop()
    return found


async def published_alerts(settings: Settings) -> list[dict]:
    """Every alert on the alerts topic, read by a plain consumer that knows only the published
    contract: each one is validated against the JSON Schema of its type."""
    import json

    import jsonschema

    from infra.kafka.contracts import CONTRACTS_ROOT

    found = []
    for value in await topic_values(settings, settings.alerts_topic):
        alert = json.loads(value)
        schema = CONTRACTS_ROOT / "alerts" / f"{alert['type']}.v1.schema.json"
        jsonschema.validate(alert, json.loads(schema.read_text()))
        found.append(alert)
    return found


async def seed_simulated_quarter(
    env: TestEnv, folder: Path, adjustments: int = 120
) -> tuple[CompanyCatalog, list[dict]]:
    """The demo company, its OKR tree and `adjustments` target-adjustment requests seeded
    through the command path; returns the company and the simulator's log of what it did."""
    import json

    import yaml

    from simulator.company import company_catalog

    company = company_catalog(datetime.now(UTC).date())
    company_file = folder / "company.yaml"
    company_file.write_text(yaml.safe_dump(company.model_dump(mode="json"), allow_unicode=True))
    log_file = folder / "okr-log.json"
    seeded = await run_cli(
        env,
        *("simulate", "okrs", "--company", str(company_file)),
        *("--adjustments", str(adjustments), "--log", str(log_file)),
    )
    assert seeded.returncode == 0, seeded.stderr
    await project_recorded(env.settings)
    return company, json.loads(log_file.read_text())


async def project_recorded(settings: Settings) -> None:
    """The recorded events the read models lack, applied as the OKR agent would."""
    from zoneinfo import ZoneInfo

    from projections.okr.okr_topic import apply_recorded

    conn = await asyncpg.connect(settings.dsn)
    try:
        await apply_recorded(conn, ZoneInfo(settings.company_timezone), settings.alerts_topic)
    finally:
        await conn.close()


async def live_okr_company(env: TestEnv, folder: Path, adjustments: int) -> None:
    """`seed_simulated_quarter`, then the relay and a worker running until the OKR read
    models hold every stored event."""
    await seed_simulated_quarter(env, folder, adjustments=adjustments)
    env.spawn("relay", "relay")
    env.worker()
    await okr_read_models_caught_up(env.settings)


async def okr_read_models_caught_up(settings: Settings, timeout: float = 120) -> None:
    """Until the OKR read models hold every stored event."""
    from projections.reads.pipeline_state import okr_events_not_applied

    conn = await asyncpg.connect(settings.dsn)
    try:

        async def projected() -> bool:
            return not await okr_events_not_applied(conn)

        await eventually(projected, timeout, "the OKR read models")
    finally:
        await conn.close()


async def dead_letters(settings: Settings, count: int, timeout: float = 60) -> list:
    """The dead letters on the topic, by their id, once `count` are there (or at the timeout)."""
    consumer = AIOKafkaConsumer(
        settings.dead_letter_topic,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        fetch_max_bytes=32 * 1024 * 1024,
        max_partition_fetch_bytes=32 * 1024 * 1024,
    )
    await consumer.start()
    records: dict[str, object] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(records) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for m in messages:
                    records[dict(m.headers)["northstar.dead_letter_id"].decode()] = m
    finally:
        await consumer.stop()
    return list(records.values())


async def read_sse(response, want: int, timeout: float, quiet_s: float = 0.0) -> list[dict]:
    """Server-sent events from a streaming response until `want` have come (or the timeout),
    then whatever else arrives within `quiet_s` (to see that nothing more comes). May be
    called again on the same response for the events that follow."""
    import json

    if not hasattr(response, "sse_queue"):
        queue: asyncio.Queue[dict] = asyncio.Queue()

        async def pump() -> None:
            import httpx

            current: dict = {}
            try:
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        current["data"] = json.loads(line[6:])
                    elif line.startswith("id: "):
                        current["id"] = line[4:]
                    elif line.startswith("event: "):
                        current["event"] = line[7:]
                    elif line == "" and "data" in current:
                        queue.put_nowait(dict(current))
                        current.clear()
            except (httpx.HTTPError, httpx.StreamError):
                return  # the test closed the stream

        response.sse_queue = queue
        response.sse_pump = asyncio.create_task(pump())
    events: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(events) < want and time.monotonic() < deadline:
        try:
            events.append(
                await asyncio.wait_for(response.sse_queue.get(), deadline - time.monotonic())
            )
        except TimeoutError:
            break
    quiet_until = time.monotonic() + quiet_s
    while time.monotonic() < quiet_until:
        try:
            events.append(
                await asyncio.wait_for(response.sse_queue.get(), quiet_until - time.monotonic())
            )
        except TimeoutError:
            break
    return events


async def evaluate_at(env, when: str) -> dict:
    """`northstar evaluate --at WHEN --json`: its counts, read as numbers."""
    done = await run_cli(env, "evaluate", "--at", when, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def the_alert_on_the_topic(env, alert_id) -> dict:
    """The one alert with this id, once the relay has published it (read as a plain consumer
    that validates every alert against its published schema)."""

    async def found() -> list[dict]:
        return [a for a in await published_alerts(env.settings) if a["alert_id"] == str(alert_id)]

    async def published() -> bool:
        return bool(await found())

    await eventually(published, 60, f"alert {alert_id} on the topic")
    (alert,) = await found()
    return alert


# People of the small company the OKR tests act as: name -> (role, person id, unit id).
SMALL_COMPANY_PEOPLE = {
    "hq": ("hq_admin", "p-hq", "hq"),
    "region": ("manager", "p-east", "east"),
    "city": ("manager", "p-city", "east-city1"),
    "city2": ("manager", "p-c2", "east-city2"),
    "west": ("manager", "p-w1", "west-city1"),
    "rep": ("rep", "p-rep", "rep-east-city1-1"),
    "hrbp": ("hrbp", "p-hrbp", "east"),
}


async def people_tokens(settings: Settings, *names: str) -> dict[str, str]:
    """A bearer token for each named person of SMALL_COMPANY_PEOPLE."""
    from infra.postgres.accounts import create_client

    conn = await asyncpg.connect(settings.dsn)
    try:
        return {
            name: await create_client(conn, name, *SMALL_COMPANY_PEOPLE[name]) for name in names
        }
    finally:
        await conn.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register_company_people(
    handlers: Any, conn: asyncpg.Connection, company: CompanyCatalog, at: datetime
) -> None:
    """The company's units and one person per unit (the demo's people: a manager, or the
    rep), registered through the org commands as HQ does."""
    from domain.organisation import ORGANISATION
    from handlers.recording import AggregateCommands, no_context
    from simulator.company import person_for
    from simulator.people import register_people

    krs = handlers.key_results
    org = AggregateCommands(krs.store, krs.org, krs.clock, ORGANISATION, no_context)
    people = [person_for(u.id, u.level) for u in company.units]
    await register_people(conn, org, company, people, at)


async def define_goal(
    handlers: Any,
    conn: asyncpg.Connection,
    author: Actor,
    owner: Actor,
    objective_id: str,
    weights: dict[str, int],
    at: datetime,
    cycle_id: str = "2026-Q4",
) -> None:
    """An objective of `owner` in the cycle with manual KRs from 0 to 100 % (`weights`: KR id
    -> weight, out of 100), defined by `author` at `at` through the command path."""
    from domain.key_result.commands import DefineKeyResult
    from domain.objectives import DefineObjective, SetKeyResultWeights

    envelope = {"actor": author, "at": at, "owner_person_id": owner.person_id, "cycle_id": cycle_id}
    await handlers.objectives.handle(
        conn,
        DefineObjective(
            command_id=uuid.uuid4(), **envelope, objective_id=objective_id,
            title=f"Grow {owner.unit_id}", owner_unit_id=owner.unit_id,
        ),
    )  # fmt: skip
    for kr_id in weights:
        await handlers.key_results.handle(
            conn,
            DefineKeyResult(
                command_id=uuid.uuid4(), kr_id=kr_id, actor=author, at=at, title=f"KR {kr_id}",
                owner_person_id=owner.person_id, owner_unit_id=owner.unit_id, kind="increase",
                unit="%", start=Decimal(0), target=Decimal(100),
            ),
        )  # fmt: skip
    if not weights:  # an objective measured by its contributors
        return
    await handlers.objectives.handle(
        conn,
        SetKeyResultWeights(
            command_id=uuid.uuid4(), **envelope, objective_id=objective_id,
            weights={k: Decimal(w) for k, w in weights.items()},
        ),
    )  # fmt: skip


async def group_assignment(settings: Settings, member: str) -> list[set[int]]:
    """What Kafka's group coordinator says each member of the pipeline's consumer group
    `member` (sales, okr, webhooks) owns now: one set of topic partitions per member."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

    from infra.kafka.topics import consumer_group

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([consumer_group(settings, member)])
    finally:
        await admin.close()
    (group,) = response.to_object()["groups"]
    owned = []
    for m in group["members"]:
        raw = m["member_assignment"]
        assignment = ConsumerProtocolMemberAssignment.decode(raw) if raw else None
        owned.append({tp.partition for tp in assignment.partitions()} if assignment else set())
    return owned


async def alerts_seen_on_sse(base: str, token: str, kind: str, quiet_s: float = 3.0) -> set[str]:
    """The ids of the `kind` alerts (event name, e.g. `region.lagging`) a client with `token`
    is sent on `GET /v1/alerts/stream`, replayed from the beginning of time."""
    import httpx

    async with (
        httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30, read=None)) as http,
        http.stream(
            "GET", "/v1/alerts/stream", params={"since": "1970-01-01T00:00:00+00:00"},
            headers={"Authorization": f"Bearer {token}"},
        ) as stream,
    ):  # fmt: skip
        assert stream.status_code == 200, await stream.aread()
        events = await read_sse(stream, want=100_000, timeout=quiet_s)
        stream.sse_pump.cancel()
    return {e["id"] for e in events if e.get("event") == kind}


async def rep_check_in_krs(
    http: Any, hq: str, rep: str, objective_id: str, settings: Settings, *kr_ids: str
) -> None:
    """Over the API (`http` based at /v1/okr): HQ defines 0-100 % KRs for p-rep (unit
    rep-east-city1-1), the rep puts them, equally weighted, under an objective of 2026-Q4 (their
    pacing line), and the read models catch up."""

    async def call(token: str, method: str, path: str, body: dict) -> None:
        answer = await http.request(method, path, json=body, headers=bearer(token))
        assert answer.status_code in (200, 201), answer.text

    for kr_id in kr_ids:
        await call(hq, "POST", "/key-results", {
            "kr_id": kr_id, "title": f"{kr_id}, % of plan", "owner_person_id": "p-rep",
            "owner_unit_id": "rep-east-city1-1", "kind": "increase", "unit": "%",
            "start": "0", "target": "100",
        })  # fmt: skip
    portfolio = {"owner_person_id": "p-rep", "cycle_id": "2026-Q4"}
    await call(rep, "POST", "/objectives", {
        **portfolio, "objective_id": objective_id, "title": "Campuses",
        "owner_unit_id": "rep-east-city1-1",
    })  # fmt: skip
    weights = {**portfolio, "weights": {kr_id: str(Decimal(100) / len(kr_ids)) for kr_id in kr_ids}}
    await call(rep, "PUT", f"/objectives/{objective_id}/kr-weights", weights)
    await okr_read_models_caught_up(settings)
