"""The company's plan as one validated document: org units and people, cycles, objectives and
their KRs (metric-bound or manual), HQ's strategic projects and product launches. Imported by
`handlers/catalog_import.py` as the org and OKR commands people use; nothing in it reaches a
table any other way (ADR 0023)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from domain.kernel import Identifier, Message, Role
from domain.key_result.metrics import KrKind, MetricKeyResult, Weight
from domain.objectives import NORTH_STAR_PARENT
from domain.org_tree import OrgTree, OrgUnit

# A unit's head: who owns its KRs unless a KR names its owner.
HEAD_ROLES: tuple[Role, ...] = ("hq_admin", "manager", "rep")


class StrategicProject(Message):
    project_id: Identifier
    title: str = Field(min_length=1, max_length=200)


class ProductLaunch(Message):
    """A product the company launched, and the revenue it planned for its first month (the
    launch day and the month after it, to the day before the same date a month later)."""

    sku: Identifier
    launched_on: date
    first_month_plan_minor: int = Field(gt=0, le=10**15, description="CNY in fen")


class CatalogPerson(Message):
    person_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    role: Role
    unit_id: Identifier


class CatalogCycle(Message):
    cycle_id: Identifier
    kind: Literal["quarter", "month"] = "quarter"
    starts_on: date
    ends_on: date


class ManualKeyResult(Message):
    """A KR its owner checks in (no sales metric)."""

    id: Identifier
    title: str = Field(min_length=1, max_length=300)
    owner_unit_id: Identifier
    owner_person_id: Identifier | None = None
    kind: KrKind = "increase"
    unit: str = Field(min_length=1, max_length=40)
    start: Decimal
    target: Decimal


class CatalogObjective(Message):
    """An objective of a cycle, its owner, the objective it contributes to (`north-star` for
    HQ's top objectives) and the weights of its KRs (ids of this file's KRs)."""

    objective_id: Identifier
    cycle_id: Identifier
    title: str = Field(min_length=1, max_length=300)
    owner_person_id: Identifier
    parent_id: Identifier = NORTH_STAR_PARENT
    weights: dict[Identifier, Weight] = Field(default_factory=dict)


class CompanyCatalog(Message):
    """The whole plan. Loading it twice changes nothing; a changed KR target is recorded as
    HQ's redefinition with `reason`."""

    timezone: str = "Asia/Shanghai"
    reason: str = Field(default="company plan updated", min_length=3, max_length=2000)
    units: tuple[OrgUnit, ...]
    people: tuple[CatalogPerson, ...] = ()
    cycles: tuple[CatalogCycle, ...] = ()
    key_results: tuple[MetricKeyResult, ...] = ()  # bound to a sales metric
    manual_key_results: tuple[ManualKeyResult, ...] = ()
    objectives: tuple[CatalogObjective, ...] = ()
    # HQ's strategic projects, which a certification recommends people for
    strategic_projects: tuple[StrategicProject, ...] = ()
    launches: tuple[ProductLaunch, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> CompanyCatalog:
        tree = OrgTree(self.units)
        people = {p.person_id: p for p in self.people}
        if len(people) != len(self.people):
            raise ValueError("a person is listed twice")
        for person in self.people:
            if person.unit_id not in tree.units:
                raise ValueError(
                    f"person {person.person_id!r} names unknown unit {person.unit_id!r}"
                )
        seen: set[str] = set()
        for kr in self.all_key_results():
            if kr.id in seen:
                raise ValueError(f"key result {kr.id!r} is defined twice")
            seen.add(kr.id)
            if kr.owner_unit_id not in tree.units:
                raise ValueError(f"key result {kr.id!r} names unknown unit {kr.owner_unit_id!r}")
            if kr.owner_person_id is not None and kr.owner_person_id not in people:
                raise ValueError(
                    f"key result {kr.id!r}: owner_person_id {kr.owner_person_id!r} is not listed"
                    " in people"
                )
        objective_ids = {o.objective_id for o in self.objectives}
        if len(objective_ids) != len(self.objectives):
            raise ValueError("an objective is listed twice")
        for objective in self.objectives:
            if objective.owner_person_id not in people:
                raise ValueError(
                    f"objective {objective.objective_id!r}: owner_person_id"
                    f" {objective.owner_person_id!r} is not listed in people"
                )
            unknown = sorted(set(objective.weights) - seen)
            if unknown:
                raise ValueError(
                    f"objective {objective.objective_id!r}: weights name unknown key results"
                    f" {', '.join(unknown)}"
                )
        return self

    def tree(self) -> OrgTree:
        return OrgTree(self.units)

    def all_key_results(self) -> list[MetricKeyResult | ManualKeyResult]:
        return [*self.key_results, *self.manual_key_results]

    def owner_of(self, kr: MetricKeyResult | ManualKeyResult) -> str | None:
        """The KR's owner: the person it names, else the first person heading its unit."""
        if kr.owner_person_id is not None:
            return kr.owner_person_id
        heads = [
            p.person_id
            for p in self.people
            if p.unit_id == kr.owner_unit_id and p.role in HEAD_ROLES
        ]
        return heads[0] if heads else None
