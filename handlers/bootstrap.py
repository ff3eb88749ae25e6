"""The one place the command side is wired: an event store and every command handler on it,
sharing one org-tree source and one clock. The API, the CLI and the simulator build their
handlers here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from domain.escalations import (
    ESCALATION,
    EscalationCommand,
    EscalationEvent,
    EscalationState,
)
from domain.okr_governance import GOVERNANCE, Governance, GovernanceModeSet, SetGovernanceMode
from domain.org_tree import OrgTree
from domain.organisation import ORGANISATION, OrgCommand, OrgEvent, OrgState
from domain.practices import PRACTICE, PracticeCommand, PracticeEvent, PracticeState
from handlers.calibration import CalibrationCommandHandler
from handlers.certifications import CertificationCommandHandler
from handlers.cycles import HqCommandHandler
from handlers.key_results import KeyResultCommandHandler
from handlers.objectives import ObjectiveCommandHandler
from handlers.proposals import ProposalCommandHandler
from handlers.recording import (
    DEFAULT_RESPONSE_TIME,
    AggregateCommands,
    OrgSource,
    no_context,
    org_context,
)
from infra.postgres.event_store import EventStore
from infra.postgres.org_stream import RecordedOrg
from infra.settings import Settings

Clock = Callable[[], datetime]
# The person HQ's commands from the command line are recorded as, when nobody is named.
CLI_ADMIN = "cli-admin"
# A handler's entry point: (connection, command, idempotency key) -> what it recorded.
Handle = Callable[[Any, Any, str | None], Awaitable[Any]]


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CommandHandlers:
    store: EventStore
    org_units: AggregateCommands[OrgState, OrgCommand, OrgEvent, None]
    hq: HqCommandHandler
    objectives: ObjectiveCommandHandler
    key_results: KeyResultCommandHandler
    practices: AggregateCommands[PracticeState, PracticeCommand, PracticeEvent, OrgTree]
    calibration: CalibrationCommandHandler
    escalations: AggregateCommands[EscalationState, EscalationCommand, EscalationEvent, OrgTree]
    governance: AggregateCommands[Governance, SetGovernanceMode, GovernanceModeSet, OrgTree]
    proposals: ProposalCommandHandler
    certifications: CertificationCommandHandler


def command_handlers(
    events_topic: str,
    org: OrgSource | None = None,
    clock: Clock = wall_clock,
    respond_within: timedelta = DEFAULT_RESPONSE_TIME,
    zone: tzinfo = UTC,
) -> CommandHandlers:
    """Every handler on one store whose outbox publishes to `events_topic`; escalations they
    open are due `respond_within` after they are raised; rules that count days count the days
    of `zone` (the company's). The org tree comes from the store's org stream unless `org`
    names another source."""
    store = EventStore(events_topic)
    org = org or RecordedOrg(store)
    return CommandHandlers(
        store=store,
        org_units=AggregateCommands(store, org, clock, ORGANISATION, no_context),
        hq=HqCommandHandler(store, org, clock),
        objectives=ObjectiveCommandHandler(store, org, clock, zone=zone),
        key_results=KeyResultCommandHandler(store, org, clock, respond_within),
        practices=AggregateCommands(store, org, clock, PRACTICE, org_context),
        calibration=CalibrationCommandHandler(store, org, clock, respond_within, zone),
        escalations=AggregateCommands(store, org, clock, ESCALATION, org_context),
        governance=AggregateCommands(store, org, clock, GOVERNANCE, org_context),
        proposals=ProposalCommandHandler(store, org, clock, zone=zone),
        certifications=CertificationCommandHandler(store, org, clock),
    )


def configured_handlers(
    settings: Settings, org: OrgSource | None = None, clock: Clock = wall_clock
) -> CommandHandlers:
    """`command_handlers` as the settings configure them: the OKR events topic, the agreed
    escalation response time and the company's time zone."""
    from zoneinfo import ZoneInfo

    return command_handlers(
        settings.okr_events_topic,
        org,
        clock,
        timedelta(hours=settings.escalation_response_hours),
        ZoneInfo(settings.company_timezone),
    )
