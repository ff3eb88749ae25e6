"""Alerts for downstream services: the published contract, with deterministic ids."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from domain.health import Health
from domain.messages import Message

_ALERT_NAMESPACE = uuid.UUID("3d0f6a2e-7c1b-4f61-9a8e-5b2c4d6e8f10")


def health_alert_id(kr_id: str, transition: int) -> uuid.UUID:
    """The n-th health transition of a KR always has the same id, however often it is sent."""
    return uuid.uuid5(_ALERT_NAMESPACE, f"kr-health:{kr_id}:{transition}")


class KrHealthChanged(Message):
    """A KR's health colour changed (or was first established: `old_health` is null)."""

    type: Literal["alert.kr.health_changed"] = "alert.kr.health_changed"
    schema_version: Literal[1] = 1
    alert_id: uuid.UUID
    kr_id: str
    owner_unit_id: str
    transition: int
    old_health: Health | None
    new_health: Health
    reasons: tuple[str, ...]
    progress_pct: Decimal
    expected_pct: Decimal
    gap_points: Decimal
    actual: Decimal
    target: Decimal
    occurred_at: datetime
