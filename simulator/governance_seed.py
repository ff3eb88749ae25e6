"""The demo's governance: the south region's OKRs are set centrally — its HR business partner
(registered through the org stream) proposes, HQ approves — so the board shows a pending
proposal to HQ; every other region stays distributed."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import asyncpg

from domain.kernel import Actor
from domain.okr_governance import SetGovernanceMode
from domain.okr_proposals import ProposeKeyResult
from domain.organisation import RegisterPerson
from handlers.bootstrap import CommandHandlers
from simulator.people import name_for

CENTRALISED_REGION = "south"
HRBP = Actor(person_id=f"p-hrbp-{CENTRALISED_REGION}", role="hrbp", unit_id=CENTRALISED_REGION)


async def seed_governance(
    conn: asyncpg.Connection, handlers: CommandHandlers, hq: Actor, at: datetime
) -> None:
    """The HRBP joins, HQ centralises the region, the HRBP proposes one KR for a city."""
    envelope = {"actor": hq, "at": at}
    await handlers.org_units.handle(
        conn,
        RegisterPerson(
            command_id=uuid.uuid4(),
            **envelope,
            person_id=HRBP.person_id,
            name=name_for(HRBP.person_id),
            role=HRBP.role,
            unit_id=HRBP.unit_id,
        ),
    )
    await handlers.governance.handle(
        conn,
        SetGovernanceMode(
            command_id=uuid.uuid4(),
            **envelope,
            region_id=CENTRALISED_REGION,
            mode="centralised",
            reason="华南区试点：HRBP 主导制定 OKR，总部审批 / HRBP-led OKRs in the south",
        ),
    )
    await handlers.proposals.handle(
        conn,
        ProposeKeyResult(
            command_id=uuid.uuid4(),
            proposal_id="proposal-guangzhou-campus",
            actor=HRBP,
            at=at,
            kr_id="kr-guangzhou-campus-conversion",
            title="广州：校园场景首单转化率从 15% 提升到 22%",
            owner_person_id="p-mgr-guangzhou",
            owner_unit_id="guangzhou",
            kind="increase",
            unit="%",
            start=Decimal(15),
            target=Decimal(22),
        ),
    )
