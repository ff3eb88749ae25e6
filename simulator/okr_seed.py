"""The beverage company's OKR tree, created through the same commands people use, plus a few
weeks of realistic target-adjustment requests and decisions."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from domain.catalog import CompanyCatalog
from domain.cycles import SetNorthStar
from domain.kernel import Actor, DomainError
from domain.key_result.commands import (
    ApplyTargetAdjustment,
    ApproveTargetAdjustment,
    KrCommand,
    RecordCheckIn,
    RejectTargetAdjustment,
    RequestTargetAdjustment,
)
from domain.objectives import (
    portfolio_stream,
)
from handlers.bootstrap import CommandHandlers
from handlers.catalog_import import CatalogImport
from handlers.key_results import KeyResultCommandHandler
from handlers.objectives import ObjectiveCommandHandler
from infra.settings import Settings
from simulator.company import NORTH_STAR_KR, cycle_id_of, person_for
from simulator.pace import NORTH_STAR_REPEAT_BUYERS, quarter_of


@dataclass
class SeedReport:
    people: int = 0
    objectives: int = 0
    key_results: int = 0
    requests: int = 0
    decisions: int = 0
    applied: int = 0
    # what the seeder did, as it did it: one entry per target-adjustment request
    log: list[dict[str, object]] = field(default_factory=list)
    behaviour: Any = None  # simulator.behaviour.BehaviourReport, when people's behaviour ran


class OkrSeeder:
    def __init__(
        self,
        krs: KeyResultCommandHandler,
        objectives: ObjectiveCommandHandler,
        conn: asyncpg.Connection,
        start: datetime,
        seed: int = 11,
        until: datetime | None = None,
    ) -> None:
        self.krs, self.objectives, self.conn = krs, objectives, conn
        self.now = start
        self.until = until or datetime.max.replace(tzinfo=start.tzinfo)  # nothing after it
        self.rng = random.Random(seed)
        self.report = SeedReport()

    def tick(self, minutes: float) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now

    async def adjustments(self, company: CompanyCatalog, count: int, days: float = 80) -> None:
        """Reps ask for target changes, spread over `days`; their city managers answer. In the
        first half (before the board is adopted) an answer takes 2.4-12 days (mean 7.2), in the
        second half 0.3-2.3 days (mean 1.3). Nothing is dated after `until` (the real now): a
        request whose answer would come later is still waiting. A KR gets a new request only
        after its previous one was settled, so each stream stays in time order."""
        reps = [u for u in company.units if u.level == "rep"]
        begin = self.now
        busy_until: dict[str, datetime] = {}
        for n in range(count):
            requested_at = begin + timedelta(days=days * n / max(1, count))
            if requested_at > self.until:
                break
            free = [u for u in reps if busy_until.get(u.id, begin) < requested_at]
            if not free:
                continue
            unit = self.rng.choice(free)
            rep, city = person_for(unit.id, "rep"), person_for(unit.parent_id or "", "city")
            kr_id = f"kr-{unit.id}-premium-revenue"
            request_id = f"adj-{n}"
            adopted = n >= count // 2
            wait = timedelta(
                days=self.rng.uniform(0.3, 2.3) if adopted else self.rng.uniform(2.4, 12.0)
            )
            entry: dict[str, object] = {
                "kr_id": kr_id,
                "request_id": request_id,
                "requested_at": requested_at,
                "requested_by": rep.person_id,
            }
            try:
                await self._kr_at(
                    RequestTargetAdjustment,
                    rep,
                    kr_id,
                    requested_at,
                    request_id=request_id,
                    proposed_target=Decimal(self.rng.randrange(40, 80) * 10_000),
                    reason=self.rng.choice(
                        [
                            "a competitor opened next to our two largest stores",
                            "distributor stock-out for three weeks",
                            "new campus accounts beat the plan",
                        ]
                    ),
                    evidence=(f"crm://report/{self.rng.randrange(10_000)}",),
                )
            except DomainError:
                continue  # e.g. the proposed target is the current one
            self.report.requests += 1
            self.report.log.append(entry)
            decided_at = requested_at + wait
            if decided_at > self.until:
                busy_until[unit.id] = self.until  # still waiting for an answer
                continue
            approve = self.rng.random() < 0.75
            applied_at = decided_at + timedelta(minutes=self.rng.uniform(5, 120))
            if approve:
                await self._kr_at(
                    ApproveTargetAdjustment,
                    city,
                    kr_id,
                    decided_at,
                    request_id=request_id,
                    note="agreed in calibration",
                )
                if applied_at > self.until:  # agreed, the new target not applied yet
                    entry.update(
                        decision="approved", decided_at=decided_at, decided_by=city.person_id
                    )
                    self.report.decisions += 1
                    busy_until[unit.id] = self.until
                    continue
                await self._kr_at(
                    ApplyTargetAdjustment, city, kr_id, applied_at, request_id=request_id
                )
                entry.update(
                    decision="approved",
                    decided_at=decided_at,
                    decided_by=city.person_id,
                    applied_at=applied_at,
                )
                self.report.applied += 1
                settled = applied_at
            else:
                await self._kr_at(
                    RejectTargetAdjustment,
                    city,
                    kr_id,
                    decided_at,
                    request_id=request_id,
                    reason="keep the target; we will send support",
                )
                entry.update(decision="rejected", decided_at=decided_at, decided_by=city.person_id)
                settled = decided_at
            self.report.decisions += 1
            check_in_at = settled + timedelta(hours=self.rng.uniform(1, 48))
            busy_until[unit.id] = check_in_at
            if check_in_at > self.until:
                continue
            await self._kr_at(
                RecordCheckIn,
                rep,
                kr_id,
                check_in_at,
                summary="weekly check-in",
                progress_value=Decimal(self.rng.randrange(0, 600_000)),
                blocker=self.rng.choice(["none", "none", "price war nearby"]),
            )
            busy_until[unit.id] = check_in_at

    async def _kr_at(
        self,
        command_type: type[KrCommand],
        actor: Actor,
        kr_id: str,
        at: datetime,
        **fields: object,
    ) -> None:
        await self.krs.handle(
            self.conn,
            command_type(command_id=uuid.uuid4(), kr_id=kr_id, actor=actor, at=at, **fields),
        )


async def seed_company_okrs(
    conn: asyncpg.Connection,
    handlers: CommandHandlers,
    company: CompanyCatalog,
    start: datetime,
    adjustments: int,
    progress: Callable[[str], None] = lambda _: None,
    days: float = 80,
    until: datetime | None = None,
) -> SeedReport:
    """The company's plan imported as HQ at `start` (people, the quarter, the OKR tree, as
    `northstar catalog load` does), the north star, and `adjustments` requests over the `days`
    after it, none after `until`."""
    seeder = OkrSeeder(handlers.key_results, handlers.objectives, conn, start, until=until)
    hq = person_for("hq", "hq")
    imported = await CatalogImport(handlers, hq, lambda: seeder.tick(1)).run(conn, company)
    seeder.report.people = imported.recorded["people"]
    seeder.report.objectives = imported.recorded["objectives"]
    seeder.report.key_results = imported.recorded["key results"]
    await handlers.hq.set_north_star(
        conn,
        SetNorthStar(
            command_id=uuid.uuid4(),
            actor=hq,
            at=seeder.tick(1),
            metric="高端产品月复购客户数 premium-product monthly repeat buyers",
            target=Decimal(NORTH_STAR_REPEAT_BUYERS),
            unit="customers",
            owner_person_id=hq.person_id,
            measured_by=NORTH_STAR_KR,
        ),
    )
    progress(f"{seeder.report.objectives} objectives, {seeder.report.key_results} KRs")
    await seeder.adjustments(company, adjustments, days)
    return seeder.report


async def company_behaviour(
    handlers: Any,
    conn: asyncpg.Connection,
    company: CompanyCatalog,
    now: datetime,
    weeks: int,
    zone: ZoneInfo,
) -> Any:
    """The seeded company's people behaving over `weeks` up to now: each owner's goal in the
    running quarter is their objective's first manual-friendly KR (a rep's new customers, a
    manager's premium share), a rep's requests go to their city's manager."""
    from simulator.behaviour import Goal, simulate_behaviour

    units = {u.id: u for u in company.units}
    running = quarter_of(now.astimezone(zone).date())
    owners, managers, goals = [], {}, {}
    for unit in company.units:
        owner = person_for(unit.id, unit.level)
        owners.append(owner)
        if unit.level == "rep":
            goals[owner.person_id] = Goal(
                f"kr-{unit.id}-new-customers", Decimal(0), Decimal(12), running
            )
            parent = units[unit.parent_id or ""]
            managers[owner.person_id] = person_for(parent.id, parent.level)
        elif unit.level == "hq":
            goals[owner.person_id] = Goal(
                "kr-hq-premium-share-35", Decimal(28), Decimal(35), running
            )
        else:
            goals[owner.person_id] = Goal(
                f"kr-{unit.id}-premium-share", Decimal(28), Decimal(35), running
            )
    return await simulate_behaviour(handlers, conn, owners, managers, goals, now, weeks, zone)


async def seed_with_handlers(
    settings: Settings,
    company: CompanyCatalog,
    adjustments: int,
    days: float = 80,
    behaviour_weeks: int = 0,
) -> SeedReport | None:
    """Seed once per database (None when the north-star objective already exists): the
    quarter running today, its goals set `days` (and a day) ago, the requests since, and
    `behaviour_weeks` of people's behaviour up to now (simulator/behaviour.py); nothing dated
    after now."""
    from datetime import UTC

    from handlers.bootstrap import configured_handlers
    from infra.postgres.db import connect
    from simulator.governance_seed import seed_governance

    handlers = configured_handlers(settings)
    store = handlers.store
    conn = await connect(settings.dsn)
    try:
        now = datetime.now(UTC)
        start, _ = quarter_of(now.date())
        cycle_id = cycle_id_of(start)
        hq = person_for("hq", "hq")
        if await store.load(conn, portfolio_stream(hq.person_id, cycle_id)):
            return None
        days = max(days, 7 * behaviour_weeks)
        goals_set = now - timedelta(days=days + 1)
        report = await seed_company_okrs(
            conn,
            handlers,
            company,
            goals_set,
            adjustments,
            days=days,
            until=now,
        )
        await seed_governance(conn, handlers, hq, goals_set + timedelta(days=1))
        if behaviour_weeks:
            report.behaviour = await company_behaviour(
                handlers, conn, company, now, behaviour_weeks, ZoneInfo(settings.company_timezone)
            )
        return report
    finally:
        await conn.close()
