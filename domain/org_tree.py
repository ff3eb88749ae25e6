"""The sales organisation: HQ -> region -> city -> rep."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from domain.kernel import DomainError, Identifier, Message

Level = Literal["hq", "region", "city", "rep"]
LEVEL_ORDER: dict[str, int] = {"hq": 0, "region": 1, "city": 2, "rep": 3}


class OrgUnit(Message):
    """One node of the org tree; reps are the leaves that sales are credited to."""

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    level: Level
    parent_id: Identifier | None = None


class OrgTree:
    """A validated org tree answering 'which units does a sale at this rep roll up to?'."""

    def __init__(self, units: Iterable[OrgUnit]) -> None:
        self.units: dict[str, OrgUnit] = {}
        for unit in units:
            if unit.id in self.units:
                raise DomainError(f"org unit {unit.id!r} is defined twice")
            self.units[unit.id] = unit
        roots = [u for u in self.units.values() if u.parent_id is None]
        if len(roots) != 1 or roots[0].level != "hq":
            raise DomainError("the org tree needs exactly one root, at level 'hq'")
        self.hq_id = roots[0].id
        for unit in self.units.values():
            if unit.parent_id is None:
                continue
            parent = self.units.get(unit.parent_id)
            if parent is None:
                raise DomainError(f"org unit {unit.id!r} names unknown parent {unit.parent_id!r}")
            if LEVEL_ORDER[parent.level] != LEVEL_ORDER[unit.level] - 1:
                raise DomainError(
                    f"org unit {unit.id!r} ({unit.level}) cannot sit under "
                    f"{parent.id!r} ({parent.level})"
                )
        self._chains = {unit_id: self._chain(unit_id) for unit_id in self.units}

    def _chain(self, unit_id: str) -> tuple[str, ...]:
        chain: list[str] = []
        current: str | None = unit_id
        while current is not None:
            chain.append(current)
            current = self.units[current].parent_id
        return tuple(chain)

    def ancestors_and_self(self, unit_id: str) -> tuple[str, ...]:
        """The unit itself, then each parent up to HQ."""
        return self._chains[unit_id]

    def is_rep(self, unit_id: str) -> bool:
        unit = self.units.get(unit_id)
        return unit is not None and unit.level == "rep"

    def subtree(self, unit_id: str) -> frozenset[str]:
        """Every unit whose chain passes through `unit_id`."""
        return frozenset(u for u, chain in self._chains.items() if unit_id in chain)
