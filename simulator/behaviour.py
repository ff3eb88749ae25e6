"""A behavioural simulation of the company's people over the weeks before now, so that the field
notes' figures *emerge* from what people do and are then measured from the events by the audit
reports (never read back from here). People look at their goals, check in and answer target
requests with probabilities that depend on what the system gives them (ADR 0017):

- `before`: the old way — a check-in form of nine fields, goals kept in a spreadsheet seen at
  the monthly review, no reminders, a target change approved over three hops by e-mail;
- `after`: the board — the three-field form (its field count read from the command the board's
  form sends), goals on the board, reminders, one hop through the board's inbox.

Everything goes through the same commands people use (and goal views through the same
recording as the API's), dated at the simulated moment, and nothing is dated after `now`: a
request whose answer would come later is still waiting. Weeks before the running quarter use
the previous quarter's goals (one objective with one KR per owner, defined with it)."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

import asyncpg

from domain.adoption import form_burden
from domain.cycles import DefineCycle
from domain.kernel import Actor, DomainError
from domain.key_result.commands import (
    ApplyTargetAdjustment,
    ApproveTargetAdjustment,
    DefineKeyResult,
    RecordCheckIn,
    RejectTargetAdjustment,
    RequestTargetAdjustment,
)
from domain.objectives import DefineObjective, SetKeyResultWeights
from handlers.bootstrap import CommandHandlers
from projections.reads.okr_reads import record_goal_view
from reports.periods import week_start
from simulator.company import person_for
from simulator.pace import quarter_of

OLD_FORM_FIELDS = 9  # the spreadsheet-era check-in form the notes describe
WORK_HOURS = (9, 19)


@dataclass(frozen=True)
class Conditions:
    """What the system gives people in a period."""

    check_in_fields: int
    goals_on_board: bool
    reminders: bool
    approval_hops: int
    chance_an_approver_acts_per_day: float


BEFORE = Conditions(OLD_FORM_FIELDS, False, False, 3, 0.35)
AFTER = Conditions(form_burden()["check_in"]["required"], True, True, 1, 0.75)


def weekly_check_in_chance(motivation: float, conditions: Conditions) -> float:
    """Each field beyond three costs willingness (e^(-1/6.5) per field); reminders lift it."""
    burden = math.exp(-(conditions.check_in_fields - 3) / 6.5)
    lift = 1.18 if conditions.reminders else 1.0
    return min(0.97, motivation * burden * lift)


def daily_view_chance(conditions: Conditions) -> float:
    """Goals in a spreadsheet are looked at around the monthly review; on the board, where the
    working day starts, about every other day (more with reminders)."""
    return (0.45 if conditions.goals_on_board else 0.05) + (0.05 if conditions.reminders else 0)


@dataclass
class BehaviourReport:
    weeks: int = 0
    people: int = 0
    reads: int = 0
    check_ins: int = 0
    requests: int = 0
    decisions: int = 0
    applied: int = 0
    still_open: int = 0


@dataclass(frozen=True)
class Goal:
    """The KR a person checks in on and asks to change, in its cycle."""

    kr_id: str
    start: Decimal
    target: Decimal
    cycle: tuple[date, date]


class BehaviourSimulation:
    def __init__(
        self,
        handlers: CommandHandlers,
        conn: asyncpg.Connection,
        owners: list[Actor],
        managers: dict[str, Actor],
        now: datetime,
        weeks: int,
        zone: tzinfo,
        seed: int = 17,
    ) -> None:
        self.handlers, self.conn, self.owners, self.managers = handlers, conn, owners, managers
        self.now, self.zone, self.rng = now, zone, random.Random(seed)
        this_week = week_start(now, zone)
        self.start = this_week - timedelta(weeks=weeks)
        self.middle = this_week - timedelta(weeks=weeks // 2)
        self.report = BehaviourReport(weeks=weeks, people=len(owners))
        self.motivation = {o.person_id: self.rng.uniform(0.65, 0.95) for o in owners}
        self.check_in_day: dict[str, date | None] = {}  # this week's check-in day, if any
        self.planned_week: dict[str, date] = {}  # the Monday of the week planned last
        self.busy_until: dict[str, datetime] = {}  # a KR's request is being settled
        self.last_at: dict[str, datetime] = {}  # each KR's stream stays in time order

    def conditions(self, moment: datetime) -> Conditions:
        return BEFORE if moment < self.middle else AFTER

    async def run(self, goals: dict[str, list[Goal]]) -> BehaviourReport:
        """Day by day (views, requests) and week by week (check-ins) up to now."""
        day = self.start.astimezone(self.zone).date()
        while self._at(day, 0) < self.now:
            for owner in self.owners:
                goal = _goal_on(goals[owner.person_id], day)
                if goal is None:
                    continue
                monday = day - timedelta(days=day.weekday())
                if self.planned_week.get(owner.person_id) != monday:
                    self.planned_week[owner.person_id] = monday
                    self._plan_check_in(owner, monday)
                if self.check_in_day.get(owner.person_id) == day:
                    await self._check_in(owner, goal, day)
                await self._views(owner, goal, day)
                if owner.role == "rep":
                    await self._maybe_request(owner, goal, day)
            day += timedelta(days=1)
        return self.report

    def _at(self, day: date, hour: float) -> datetime:
        return datetime.combine(day, time(0), self.zone) + timedelta(hours=hour)

    def _working_moment(self, day: date) -> datetime:
        return self._at(day, self.rng.uniform(*WORK_HOURS))

    async def _views(self, owner: Actor, goal: Goal, day: date) -> None:
        at = self._working_moment(day)
        if at >= self.now or self.rng.random() >= daily_view_chance(self.conditions(at)):
            return
        # one visit: the board read, and reloads after what they do there
        for minutes in sorted(self.rng.sample(range(1, 25), self.rng.choice([0, 0, 1, 2]))):
            moment = at + timedelta(minutes=minutes)
            if moment < self.now:
                await self._read(owner, goal, moment)
        await self._read(owner, goal, at)

    async def _read(self, owner: Actor, goal: Goal, at: datetime) -> None:
        await record_goal_view(
            self.conn, owner.person_id, owner.role, owner.unit_id, "key_result", goal.kr_id, at
        )
        self.report.reads += 1

    def _plan_check_in(self, owner: Actor, monday: date) -> None:
        """Once a week: whether they will check in this week, and on which working day."""
        moment = self._at(monday, 12)
        chance = weekly_check_in_chance(self.motivation[owner.person_id], self.conditions(moment))
        self.check_in_day[owner.person_id] = (
            monday + timedelta(days=self.rng.randrange(5)) if self.rng.random() < chance else None
        )

    async def _check_in(self, owner: Actor, goal: Goal, day: date) -> None:
        moment = self._working_moment(day)
        if moment >= self.now or not self._free(goal.kr_id, moment):
            return
        try:
            await self._kr(
                RecordCheckIn, owner, goal.kr_id, moment,
                summary=self.rng.choice(["拜访了三家校园客户", "weekly review of my accounts",
                                         "新品试饮活动完成"]),
                progress_value=_between(self.rng, goal.start, goal.target),
                blocker=self.rng.choice(["none", "none", "none", "冷柜不足"]),
            )  # fmt: skip
        except DomainError:
            return
        self.report.check_ins += 1

    def _free(self, kr_id: str, moment: datetime) -> bool:
        """Nothing of the KR is being settled then, and nothing of it comes later already."""
        return (
            self.busy_until.get(kr_id, moment) <= moment
            and self.last_at.get(kr_id, moment) <= moment
        )

    async def _maybe_request(self, rep: Actor, goal: Goal, day: date) -> None:
        """About one request a rep every ten weeks; the approver answers after each hop of
        the chain has been picked up (on a day the person acts), later ones not before now."""
        requested = self._working_moment(day)
        if requested >= self.now or self.rng.random() >= 0.014:
            return
        if not self._free(goal.kr_id, requested):
            return
        conditions = self.conditions(requested)
        manager = self.managers[rep.person_id]
        request_id = f"req-{uuid.uuid4().hex[:12]}"
        try:
            await self._kr(
                RequestTargetAdjustment, rep, goal.kr_id, requested, request_id=request_id,
                proposed_target=(goal.target * Decimal(self.rng.choice(["0.7", "0.8", "0.9"])))
                .quantize(Decimal(1)),
                reason=self.rng.choice(["a competitor opened next to our two largest stores",
                                        "distributor stock-out for three weeks",
                                        "new campus accounts beat the plan"]),
                evidence=(f"crm://report/{self.rng.randrange(10_000)}",),
            )  # fmt: skip
        except DomainError:
            return
        self.report.requests += 1
        decided = requested
        for _ in range(conditions.approval_hops):
            decided = self._picked_up(decided, conditions.chance_an_approver_acts_per_day)
        if decided >= self.now:
            self.report.still_open += 1
            self.busy_until[goal.kr_id] = self.now
            return
        if self.rng.random() < 0.25:
            await self._kr(
                RejectTargetAdjustment, manager, goal.kr_id, decided, request_id=request_id,
                reason="keep the target; we will send support",
            )  # fmt: skip
            self.report.decisions += 1
            self.busy_until[goal.kr_id] = decided
            return
        await self._kr(
            ApproveTargetAdjustment, manager, goal.kr_id, decided, request_id=request_id,
            note="agreed",
        )  # fmt: skip
        self.report.decisions += 1
        applied = decided + timedelta(minutes=self.rng.uniform(5, 120))
        self.busy_until[goal.kr_id] = min(applied, self.now)
        if applied < self.now:
            await self._kr(
                ApplyTargetAdjustment, manager, goal.kr_id, applied, request_id=request_id
            )
            self.report.applied += 1

    def _picked_up(self, since: datetime, chance_per_day: float) -> datetime:
        """The moment the next person in the chain acts on it: each working day they act with
        `chance_per_day`, at a moment of their working hours after it reached them."""
        day = since.astimezone(self.zone).date()
        while True:
            if day.weekday() < 5 and self.rng.random() < chance_per_day:
                moment = self._working_moment(day)
                if moment > since:
                    return moment
            day += timedelta(days=1)

    async def _kr(
        self, command: type, actor: Actor, kr_id: str, at: datetime, **fields: object
    ) -> None:
        await self.handlers.key_results.handle(
            self.conn, command(command_id=uuid.uuid4(), kr_id=kr_id, actor=actor, at=at, **fields)
        )
        self.last_at[kr_id] = at


def _between(rng: random.Random, start: Decimal, target: Decimal) -> Decimal:
    low, high = sorted((start, target))
    return (low + (high - low) * Decimal(rng.randrange(0, 101)) / 100).quantize(Decimal("0.01"))


def _goal_on(goals: list[Goal], day: date) -> Goal | None:
    return next((g for g in goals if g.cycle[0] <= day <= g.cycle[1]), None)


async def previous_quarter_goals(
    handlers: CommandHandlers,
    conn: asyncpg.Connection,
    owners: list[Actor],
    quarter: tuple[date, date],
    at: datetime,
) -> dict[str, Goal]:
    """The previous quarter as a cycle, and for each owner one objective with one KR in it
    (defined at `at`, by HQ), the goals their check-ins and requests of those weeks are about."""
    start, end = quarter
    cycle_id = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    hq = person_for("hq", "hq")
    try:
        await handlers.hq.define_cycle(
            conn,
            DefineCycle(command_id=uuid.uuid4(), actor=hq, at=at, cycle_id=cycle_id,
                        kind="quarter", starts_on=start, ends_on=end),
        )  # fmt: skip
    except DomainError:
        pass  # defined already
    goals = {}
    for owner in owners:
        objective_id, kr_id = f"o-{owner.unit_id}-{cycle_id}", f"kr-{owner.unit_id}-{cycle_id}"
        envelope = {"actor": hq, "at": at, "owner_person_id": owner.person_id, "cycle_id": cycle_id}
        await handlers.objectives.handle(
            conn,
            DefineObjective(command_id=uuid.uuid4(), **envelope, objective_id=objective_id,
                            title=f"{owner.unit_id}: {cycle_id}", owner_unit_id=owner.unit_id),
        )  # fmt: skip
        await handlers.key_results.handle(
            conn,
            DefineKeyResult(command_id=uuid.uuid4(), kr_id=kr_id, actor=hq, at=at,
                            title=f"{cycle_id}: key accounts visited and converted",
                            owner_person_id=owner.person_id, owner_unit_id=owner.unit_id,
                            kind="increase", unit="%", start=Decimal(0), target=Decimal(100)),
        )  # fmt: skip
        await handlers.objectives.handle(
            conn,
            SetKeyResultWeights(command_id=uuid.uuid4(), **envelope, objective_id=objective_id,
                                weights={kr_id: Decimal(100)}),
        )  # fmt: skip
        goals[owner.person_id] = Goal(kr_id, Decimal(0), Decimal(100), quarter)
    return goals


async def simulate_behaviour(
    handlers: CommandHandlers,
    conn: asyncpg.Connection,
    owners: list[Actor],
    managers: dict[str, Actor],
    current: dict[str, Goal],
    now: datetime,
    weeks: int,
    zone: tzinfo,
) -> BehaviourReport:
    """`weeks` whole weeks of behaviour before this week, the first half before the board, the
    second after, and this week up to `now` the board's way.
    `current`: each owner's goal in the running quarter; the previous quarter's are made here
    when the weeks reach back into it (defined a day before the first of them)."""
    first_day = (week_start(now, zone) - timedelta(weeks=weeks)).date()
    running = quarter_of(now.astimezone(zone).date())
    goals: dict[str, list[Goal]] = {o.person_id: [current[o.person_id]] for o in owners}
    if first_day < running[0]:
        previous = quarter_of(running[0] - timedelta(days=1))
        defined = datetime.combine(first_day - timedelta(days=1), time(9), zone).astimezone(UTC)
        for person, goal in (
            await previous_quarter_goals(handlers, conn, owners, previous, defined)
        ).items():
            goals[person].append(goal)
    simulation = BehaviourSimulation(handlers, conn, owners, managers, now, weeks, zone)
    return await simulation.run(goals)
