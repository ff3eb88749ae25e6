"""The three-field KR form of the design notes: a description, a sales metric (or none: the KR
is checked in by hand), and a target. Everything else is defaulted: the proposer owns it in their
unit, it rises from 0 over the current quarter, in the metric's unit (or %)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from domain.kernel import Actor, Identifier, Message
from domain.key_result.commands import DefineKeyResult
from domain.key_result.metrics import METRIC_UNITS, Metric, MetricScope

MANUAL_UNIT = "%"


class ThreeFieldKeyResult(Message):
    """What a person fills in to propose a KR."""

    description: str = Field(min_length=1, max_length=300, description="目标描述 / the outcome")
    metric: Metric | None = Field(
        default=None, description="the sales metric that feeds it; none: checked in by hand"
    )
    target: Decimal
    objective_id: Identifier | None = Field(
        default=None,
        description="one of the proposer's objectives to attach it to (it joins at an equal"
        " share of the weights, the others keeping their proportions)",
    )


def defined_from(
    form: ThreeFieldKeyResult,
    command_id: uuid.UUID,
    actor: Actor,
    at: datetime,
    quarter: tuple[date, date],
) -> DefineKeyResult:
    """The full definition the form stands for; its id derives from the command's, so a
    retried proposal defines the same KR."""
    binding = (
        None
        if form.metric is None
        else MetricScope(metric=form.metric, window_start=quarter[0], window_end=quarter[1])
    )
    return DefineKeyResult(
        command_id=command_id,
        kr_id=f"kr-{command_id.hex[:12]}",
        actor=actor,
        at=at,
        title=form.description,
        owner_person_id=actor.person_id,
        owner_unit_id=actor.unit_id,
        kind="increase",
        unit=MANUAL_UNIT if form.metric is None else METRIC_UNITS[form.metric],
        start=Decimal(0),
        target=form.target,
        binding=binding,
    )
