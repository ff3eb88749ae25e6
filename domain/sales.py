"""Sales facts from POS/CRM systems, in Northstar's vocabulary, with their wire contract."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from domain.kernel import AwareDatetime, Identifier, Message

Scenario = Annotated[
    Identifier | None,
    Field(
        description="the selling scenario, e.g. campus, office, family (optional): conversion by"
        " scenario counts the leads and first orders that name one"
    ),
]
MinorUnits = Annotated[int, Field(ge=0, le=10**15, description="money in minor units (fen)")]
Quantity = Annotated[int, Field(gt=0, le=1_000_000)]


class SaleFact(Message):
    """Fields every sales fact carries: who sold, to whom, when, and the source's own id."""

    schema_version: Literal[1] = 1
    source_system: Identifier = Field(description="the POS/CRM system that produced the fact")
    source_id: Identifier = Field(description="the fact's id in its source system")
    occurred_at: AwareDatetime
    rep_id: Identifier = Field(description="the frontline rep (leaf org unit) credited")
    customer_id: Identifier

    @property
    def dedup_key(self) -> str:
        """Natural identity: the same fact sent twice shares this key."""
        return f"{self.type}|{self.source_system}|{self.source_id}"  # type: ignore[attr-defined]


class SaleRecorded(SaleFact):
    """A customer bought `quantity` of one SKU for `amount_minor`."""

    type: Literal["sales.sale_recorded"] = "sales.sale_recorded"
    sku: Identifier
    category: Identifier
    premium: bool = Field(description="the SKU belongs to the premium range")
    channel: Literal["retail", "wholesale", "ecommerce", "horeca"]
    quantity: Quantity
    amount_minor: MinorUnits
    scenario: Scenario = None


class SaleRefunded(SaleFact):
    """Part or all of an earlier sale was given back; it reverses that sale's figures."""

    type: Literal["sales.sale_refunded"] = "sales.sale_refunded"
    sale_source_id: Identifier = Field(description="source_id of the refunded sale")
    sku: Identifier
    category: Identifier
    premium: bool
    channel: Literal["retail", "wholesale", "ecommerce", "horeca"]
    quantity: Quantity
    amount_minor: MinorUnits


class PaymentCollected(SaleFact):
    """Money owed for earlier sales came in (feeds the collection rate, 回款率)."""

    type: Literal["sales.payment_collected"] = "sales.payment_collected"
    amount_minor: MinorUnits


class CustomerFirstOrder(SaleFact):
    """A new customer placed their first order (feeds first-order conversion)."""

    type: Literal["sales.customer_first_order"] = "sales.customer_first_order"
    scenario: Scenario = None


class LeadRegistered(SaleFact):
    """A prospective customer was registered in the CRM for a rep: the denominator of
    new-customer first-order conversion (first orders / new leads in the same window)."""

    type: Literal["sales.lead_registered"] = "sales.lead_registered"
    scenario: Scenario = None


SalesEvent = Annotated[
    SaleRecorded | SaleRefunded | PaymentCollected | CustomerFirstOrder | LeadRegistered,
    Field(discriminator="type"),
]
SALES_EVENT_TYPES: tuple[type[SaleFact], ...] = (
    SaleRecorded,
    SaleRefunded,
    PaymentCollected,
    CustomerFirstOrder,
    LeadRegistered,
)


class SalesBatch(Message):
    """Several facts in one Kafka record: the edge batches to amortise per-message cost."""

    type: Literal["sales.batch"] = "sales.batch"
    schema_version: Literal[1] = 1
    events: tuple[SalesEvent, ...] = Field(min_length=1, max_length=10_000)


sales_event_adapter: TypeAdapter[SalesEvent] = TypeAdapter(SalesEvent)


def future_dated(occurred_at: datetime, arrived_at: datetime, tolerance: timedelta) -> str | None:
    """Why a fact dated after it arrived is refused, or None when it may count. A fact may be
    dated at most `tolerance` after the moment it reached Northstar (the API's clock at the HTTP
    edge, the broker's append time on the sales topic): a POS clock set years ahead would
    otherwise move its partition's business clock, and every KR's "as of", for good."""
    if occurred_at <= arrived_at + tolerance:
        return None
    return (
        f"occurred_at {occurred_at.isoformat()} is more than {_duration(tolerance)} after the"
        f" fact arrived ({arrived_at.isoformat(timespec='seconds')})"
    )


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 60 == 0 and seconds >= 60:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
