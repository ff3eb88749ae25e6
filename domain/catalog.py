"""The company's org tree and metric-bound KRs as one validated document."""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from domain.kernel import Identifier, Message
from domain.key_result.metrics import MetricKeyResult
from domain.org_tree import OrgTree, OrgUnit


class StrategicProject(Message):
    project_id: Identifier
    title: str = Field(min_length=1, max_length=200)


class ProductLaunch(Message):
    """A product the company launched, and the revenue it planned for its first month (the
    launch day and the month after it, to the day before the same date a month later)."""

    sku: Identifier
    launched_on: date
    first_month_plan_minor: int = Field(gt=0, le=10**15, description="CNY in fen")


class CompanyCatalog(Message):
    """Org units and the KRs that measure them (YAML-loaded until OKRs are event-sourced)."""

    timezone: str = "Asia/Shanghai"
    units: tuple[OrgUnit, ...]
    key_results: tuple[MetricKeyResult, ...] = ()
    # HQ's strategic projects, which a certification recommends people for
    strategic_projects: tuple[StrategicProject, ...] = ()
    launches: tuple[ProductLaunch, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> CompanyCatalog:
        tree = OrgTree(self.units)
        seen: set[str] = set()
        for kr in self.key_results:
            if kr.id in seen:
                raise ValueError(f"key result {kr.id!r} is defined twice")
            seen.add(kr.id)
            if kr.owner_unit_id not in tree.units:
                raise ValueError(f"key result {kr.id!r} names unknown unit {kr.owner_unit_id!r}")
        return self

    def tree(self) -> OrgTree:
        return OrgTree(self.units)
