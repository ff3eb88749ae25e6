"""`northstar catalog load`: the company plan (domain/catalog.py) imported as the commands
people issue, by an HQ admin, through the one set of handlers. What the store already holds is
left alone, so loading the same file again records nothing; a changed KR target is HQ's
redefinition (one `okr.kr.target_redefined` event with the file's reason); a changed parent or
set of weights is a re-alignment or a new weighting; a person's new role or unit is a role
change. A difference no command can make (a unit renamed, a KR's metric changed) is reported and
left as recorded (ADR 0023)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from domain.catalog import CatalogObjective, CatalogPerson, CompanyCatalog, ManualKeyResult
from domain.cycles import DefineCycle
from domain.kernel import Actor, Invalid
from domain.key_result.commands import DefineKeyResult, RedefineTarget
from domain.key_result.decide import KEY_RESULT
from domain.key_result.events import kr_stream
from domain.key_result.metrics import MetricKeyResult
from domain.key_result.state import KeyResultState
from domain.objectives import (
    OBJECTIVES,
    AlignObjective,
    Contribution,
    DefineObjective,
    ObjectiveState,
    SetKeyResultWeights,
)
from domain.org_tree import OrgTree, OrgUnit
from domain.organisation import (
    ORG_STREAM,
    ORGANISATION,
    ChangePersonRole,
    CreateOrgUnit,
    OrgState,
    RegisterPerson,
)
from handlers.bootstrap import CLI_ADMIN, CommandHandlers, configured_handlers, wall_clock
from infra.settings import Settings

FULL_CONTRIBUTION = Decimal(100)


@dataclass
class ImportReport:
    recorded: Counter[str] = field(default_factory=Counter)  # what was recorded, by kind
    left_as_recorded: list[str] = field(default_factory=list)  # differences no command makes

    @property
    def events(self) -> int:
        return sum(self.recorded.values())

    def document(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "recorded": dict(sorted(self.recorded.items())),
            "left_as_recorded": self.left_as_recorded,
        }


class CatalogImport:
    def __init__(
        self,
        handlers: CommandHandlers,
        actor: Actor,
        clock: Callable[[], datetime],
        progress: Callable[[int], None] = lambda _steps: None,
    ) -> None:
        self.handlers, self.actor, self.clock, self.progress = handlers, actor, clock, progress
        self.report = ImportReport()

    def _stamp(self) -> dict[str, Any]:
        return {"command_id": uuid.uuid4(), "actor": self.actor, "at": self.clock()}

    def _differs(self, what: str, field_name: str, recorded: object, in_file: object) -> None:
        if recorded != in_file:
            self.report.left_as_recorded.append(
                f"{what}: {field_name} is {recorded!r} as recorded, {in_file!r} in the file"
            )

    async def run(self, conn: asyncpg.Connection, catalog: CompanyCatalog) -> ImportReport:
        store = self.handlers.store
        org = ORGANISATION.fold(await store.load(conn, ORG_STREAM))
        await self._units(conn, catalog, org)
        await self._people(conn, catalog, org)
        await self._cycles(conn, catalog)
        for kr in catalog.all_key_results():
            await self._key_result(conn, catalog, kr)
            self.progress(1)
        people = {p.person_id: p for p in catalog.people}
        for objective in _parents_first(catalog.objectives):
            await self._objective(conn, objective, people[objective.owner_person_id].unit_id)
            self.progress(1)
        return self.report

    async def _units(
        self, conn: asyncpg.Connection, catalog: CompanyCatalog, org: OrgState
    ) -> None:
        tree = catalog.tree()
        for unit in sorted(catalog.units, key=lambda u: len(tree.ancestors_and_self(u.id))):
            if unit.id in org.units:
                what = f"org unit {unit.id}"
                self._differs(what, "name", org.names[unit.id], unit.name)
                self._differs(
                    what, "level, parent", org.units[unit.id], (unit.level, unit.parent_id)
                )
            else:
                await self.handlers.org_units.handle(
                    conn,
                    CreateOrgUnit(
                        **self._stamp(),
                        unit_id=unit.id,
                        name=unit.name,
                        level=unit.level,
                        parent_id=unit.parent_id,
                    ),
                )
                self.report.recorded["org units"] += 1
            self.progress(1)

    async def _people(
        self, conn: asyncpg.Connection, catalog: CompanyCatalog, org: OrgState
    ) -> None:
        for person in catalog.people:
            placed = org.people.get(person.person_id)
            if placed is None:
                command: RegisterPerson | ChangePersonRole = RegisterPerson(
                    **self._stamp(),
                    person_id=person.person_id,
                    name=person.name,
                    role=person.role,
                    unit_id=person.unit_id,
                )
                self.report.recorded["people"] += 1
            elif placed != (person.role, person.unit_id):
                command = ChangePersonRole(
                    **self._stamp(),
                    person_id=person.person_id,
                    role=person.role,
                    unit_id=person.unit_id,
                )
                self.report.recorded["role changes"] += 1
            else:
                self._differs(
                    f"person {person.person_id}", "name", org.names[person.person_id], person.name
                )
                self.progress(1)
                continue
            await self.handlers.org_units.handle(conn, command)
            self.progress(1)

    async def _cycles(self, conn: asyncpg.Connection, catalog: CompanyCatalog) -> None:
        recorded = await self.handlers.hq.cycle_days(conn)
        for cycle in catalog.cycles:
            days = (cycle.starts_on, cycle.ends_on)
            if cycle.cycle_id in recorded:
                self._differs(f"cycle {cycle.cycle_id}", "days", recorded[cycle.cycle_id], days)
                continue
            await self.handlers.hq.define_cycle(
                conn,
                DefineCycle(
                    **self._stamp(),
                    cycle_id=cycle.cycle_id,
                    kind=cycle.kind,
                    starts_on=cycle.starts_on,
                    ends_on=cycle.ends_on,
                ),
            )
            self.report.recorded["cycles"] += 1

    async def _key_result(
        self,
        conn: asyncpg.Connection,
        catalog: CompanyCatalog,
        kr: MetricKeyResult | ManualKeyResult,
    ) -> None:
        state = KEY_RESULT.fold(await self.handlers.store.load(conn, kr_stream(kr.id)))
        binding = kr.scope() if isinstance(kr, MetricKeyResult) else None
        if not state.defined:
            owner = catalog.owner_of(kr)
            if owner is None:
                raise Invalid(
                    f"key result {kr.id!r}: no owner_person_id, and nobody in people heads unit"
                    f" {kr.owner_unit_id!r}"
                )
            await self.handlers.key_results.handle(
                conn,
                DefineKeyResult(
                    **self._stamp(),
                    kr_id=kr.id,
                    title=kr.title,
                    owner_person_id=owner,
                    owner_unit_id=kr.owner_unit_id,
                    kind=kr.kind,
                    unit=kr.unit,
                    start=kr.start,
                    target=kr.target,
                    binding=binding,
                ),
            )
            self.report.recorded["key results"] += 1
            return
        self._compare_kr(state, kr, binding)
        if state.target != kr.target:
            await self.handlers.key_results.handle(
                conn,
                RedefineTarget(
                    **self._stamp(), kr_id=kr.id, new_target=kr.target, reason=catalog.reason
                ),
            )
            self.report.recorded["target redefinitions"] += 1

    def _compare_kr(
        self, state: KeyResultState, kr: MetricKeyResult | ManualKeyResult, binding: object
    ) -> None:
        what = f"key result {kr.id}"
        self._differs(what, "title", state.title, kr.title)
        self._differs(what, "kind", state.kind, kr.kind)
        self._differs(what, "start", state.start, kr.start)
        self._differs(what, "owner_unit_id", state.owner_unit_id, kr.owner_unit_id)
        if kr.owner_person_id is not None:
            self._differs(what, "owner_person_id", state.owner_person_id, kr.owner_person_id)
        self._differs(what, "binding", state.binding, binding)

    async def _objective(
        self, conn: asyncpg.Connection, objective: CatalogObjective, owner_unit_id: str
    ) -> None:
        portfolio: dict[str, Any] = {
            "owner_person_id": objective.owner_person_id,
            "cycle_id": objective.cycle_id,
            "objective_id": objective.objective_id,
        }
        parents = (Contribution(parent_id=objective.parent_id, weight=FULL_CONTRIBUTION),)
        recorded = await self._recorded_objective(conn, objective.objective_id)
        if recorded is None:
            await self.handlers.objectives.handle(
                conn,
                DefineObjective(
                    **self._stamp(),
                    **portfolio,
                    title=objective.title,
                    owner_unit_id=owner_unit_id,
                    contributes_to=parents,
                ),
            )
            self.report.recorded["objectives"] += 1
            weights: dict[str, Decimal] = {}
        else:
            what = f"objective {objective.objective_id}"
            self._differs(what, "title", recorded.title, objective.title)
            self._differs(
                what,
                "owner, cycle",
                (recorded.owner_person_id, recorded.cycle_id),
                (objective.owner_person_id, objective.cycle_id),
            )
            if [c.parent_id for c in recorded.contributes_to] != [objective.parent_id]:
                await self.handlers.objectives.handle(
                    conn, AlignObjective(**self._stamp(), **portfolio, contributes_to=parents)
                )
                self.report.recorded["re-alignments"] += 1
            weights = dict(recorded.weights)
        if objective.weights and weights != objective.weights:
            await self.handlers.objectives.handle(
                conn, SetKeyResultWeights(**self._stamp(), **portfolio, weights=objective.weights)
            )
            self.report.recorded["weightings"] += 1

    async def _recorded_objective(
        self, conn: asyncpg.Connection, objective_id: str
    ) -> ObjectiveState | None:
        store = self.handlers.store
        holder = await store.claim_holder(conn, "objective", objective_id)
        if holder is None:
            return None
        return OBJECTIVES.fold(await store.load(conn, holder.stream_id)).find(objective_id)


def _parents_first(objectives: tuple[CatalogObjective, ...]) -> list[CatalogObjective]:
    """Each objective after the file's objective it contributes to (a loop is left to the
    objectives' own rule to refuse)."""
    by_id = {o.objective_id: o for o in objectives}
    ordered: list[CatalogObjective] = []
    placed: set[str] = set()

    def place(objective: CatalogObjective, path: frozenset[str]) -> None:
        if objective.objective_id in placed:
            return
        parent = by_id.get(objective.parent_id)
        if parent is not None and parent.objective_id not in path:
            place(parent, path | {objective.objective_id})
        placed.add(objective.objective_id)
        ordered.append(objective)

    for objective in objectives:
        place(objective, frozenset())
    return ordered


def import_steps(catalog: CompanyCatalog) -> int:
    """How many steps `CatalogImport.progress` counts for `catalog` (a progress bar's total)."""
    return (
        len(catalog.units)
        + len(catalog.people)
        + len(catalog.all_key_results())
        + len(catalog.objectives)
    )


def catalog_actor(catalog: CompanyCatalog, person_id: str | None = None) -> Actor:
    """Who loads the plan: the HQ admin named, else the file's first HQ admin, else the CLI's
    HQ admin (`cli-admin`)."""
    admins = [p.person_id for p in catalog.people if p.role == "hq_admin"]
    if person_id is not None and admins and person_id not in admins:
        raise Invalid(f"--as: {person_id!r} is not an HQ admin in the file")
    chosen = person_id or (admins[0] if admins else CLI_ADMIN)
    return Actor(person_id=chosen, role="hq_admin", unit_id=catalog.tree().hq_id)


async def import_catalog(
    settings: Settings,
    conn: asyncpg.Connection,
    catalog: CompanyCatalog,
    actor: Actor,
    progress: Callable[[int], None] = lambda _steps: None,
    clock: Callable[[], datetime] = wall_clock,
) -> ImportReport:
    """Import `catalog` in one transaction (refused as a whole, naming the first refusal)."""
    handlers = configured_handlers(settings, clock=clock)
    async with conn.transaction():
        return await CatalogImport(handlers, actor, clock, progress).run(conn, catalog)


async def load_plan_now(
    settings: Settings, conn: asyncpg.Connection, catalog: CompanyCatalog
) -> ImportReport:
    """`import_catalog` by the file's HQ admin and its reference data, then the recorded events
    applied at once as the OKR agent would (`apply_recorded`): for a process that runs sales
    against the plan without an agent running — the benchmarks and the tests' stacks."""
    from zoneinfo import ZoneInfo

    from projections.okr.okr_topic import apply_recorded
    from projections.reference_data import load_reference_data

    report = await import_catalog(settings, conn, catalog, catalog_actor(catalog))
    await load_reference_data(conn, catalog)
    await apply_recorded(conn, ZoneInfo(settings.company_timezone), settings.alerts_topic)
    return report


async def adopt_unrecorded_rows(
    settings: Settings,
    conn: asyncpg.Connection,
    person_id: str | None = None,
    progress: Callable[[int], None] = lambda _steps: None,
) -> ImportReport:
    """`northstar catalog adopt`: the org units and KRs an earlier loader wrote straight into
    the tables, recorded once as HQ's commands: the rows read as a plan and imported (units the
    org stream lacks, KRs with no stream; a KR's owner is the person heading its unit, else the
    HQ admin adopting it). Run again, it records nothing."""
    from projections.reads.unrecorded_rows import people_rows, unit_rows, unrecorded_key_results

    units, _created = await unit_rows(conn)
    if not units:
        return ImportReport()
    tree_units = tuple(OrgUnit(**u) for u in units)
    hq = OrgTree(tree_units).hq_id
    people = [CatalogPerson(**p) for p in await people_rows(conn)]
    admins = [p.person_id for p in people if p.role == "hq_admin"]
    adopter = person_id or (admins[0] if admins else CLI_ADMIN)
    if adopter not in {p.person_id for p in people}:
        people.append(CatalogPerson(person_id=adopter, name=adopter, role="hq_admin", unit_id=hq))
    plan = CompanyCatalog(
        reason="recorded from the rows an earlier catalog loader wrote",
        units=tree_units,
        people=tuple(people),
        key_results=tuple(_row_kr(row) for row in await unrecorded_key_results(conn)),
    )
    owned = plan.model_copy(
        update={
            "key_results": tuple(
                kr.model_copy(update={"owner_person_id": plan.owner_of(kr) or adopter})
                for kr in plan.key_results
            )
        }
    )
    actor = Actor(person_id=adopter, role="hq_admin", unit_id=hq)
    return await import_catalog(settings, conn, owned, actor, progress)


def _row_kr(row: dict[str, Any]) -> MetricKeyResult:
    return MetricKeyResult(
        id=row["id"],
        title=row["title"],
        owner_unit_id=row["owner_unit_id"],
        metric=row["metric"],
        kind=row["kind"],
        start=row["start_value"],
        target=row["target_value"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        category=row["category"],
        channel=row["channel"],
        window=row["window_kind"],
        rolling_days=row["rolling_days"],
        skus=tuple(row["skus"]) if row["skus"] else None,
        monthly_pacing=tuple(row["monthly_pacing"]) if row["monthly_pacing"] else None,
    )
