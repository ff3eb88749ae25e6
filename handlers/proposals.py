"""Command handling for HRBP proposals: an approval defines the proposed goal as the approver,
in the same transaction (a refused definition records nothing)."""

from __future__ import annotations

import uuid

import asyncpg

from domain.event_chain import derive_event_id
from domain.key_result.commands import DefineKeyResult
from domain.key_result.decide import KEY_RESULT
from domain.objectives import OBJECTIVES, DefineObjective
from domain.okr_governance import GoalContext
from domain.okr_proposals import (
    PROPOSAL,
    ApproveProposal,
    ProposalCommand,
    ProposalState,
    ProposeKeyResult,
    ProposeObjective,
)
from handlers.recording import StreamCommands
from infra.postgres.event_store import AppendResult


class ProposalCommandHandler(StreamCommands):
    async def handle(
        self, conn: asyncpg.Connection, command: ProposalCommand, idempotency_key: str | None = None
    ) -> AppendResult:
        async with conn.transaction():
            proposing = isinstance(command, ProposeKeyResult | ProposeObjective)
            governance = await self.governance(conn, proposing)
            result, state = await self.run(
                conn, PROPOSAL, command, lambda org: GoalContext(org, governance), idempotency_key
            )
            if state is not None and isinstance(command, ApproveProposal):
                await self._define(conn, command, state)
        return result

    async def _define(
        self,
        conn: asyncpg.Connection,
        approval: ApproveProposal,
        proposal: ProposalState,
    ) -> None:
        envelope = {
            "command_id": uuid.uuid5(approval.command_id, "definition"),
            "actor": approval.actor,
            "at": approval.at,
        }
        definition = dict(proposal.definition)
        cause = derive_event_id(approval.command_id, 0)  # the approval event
        if proposal.goal == "key_result":
            define_kr = DefineKeyResult.model_validate({**definition, **envelope})
            await self.run(conn, KEY_RESULT, define_kr, GoalContext, None, cause)
        else:
            define_objective = DefineObjective.model_validate({**definition, **envelope})
            context = await self.portfolio_context(conn, define_objective)
            await self.run(conn, OBJECTIVES, define_objective, context, None, cause)
