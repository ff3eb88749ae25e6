"""The company's org tree and metric-bound KRs as one validated document."""

from __future__ import annotations

from pydantic import model_validator

from domain.kernel import Message
from domain.key_result.metrics import MetricKeyResult
from domain.org_tree import OrgTree, OrgUnit


class CompanyCatalog(Message):
    """Org units and the KRs that measure them (YAML-loaded until OKRs are event-sourced)."""

    timezone: str = "Asia/Shanghai"
    units: tuple[OrgUnit, ...]
    key_results: tuple[MetricKeyResult, ...] = ()

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
