"""The rules an outside producer relies on to recompute a KR (docs/reference/sales-metrics.md,
"Every rule an outside producer needs"), fed to the real projection and checked against the
independent oracle (`tests/expected.py`): a `sales.batch` record with one bad event (rule 1: that
event alone is dead-lettered, `#<index>`), refunds under fields of their own — another rep, SKU,
category, channel and premium flag than their sale's (rule 6), refunds whose sale never comes (rule
7), and refunds that stay partial or add up to the whole sale."""

from __future__ import annotations

import json
import random
from datetime import timedelta

from domain.sales import SaleRecorded, SaleRefunded
from infra.kafka.codec import encode_batch_raw
from tests import expected
from tests.stack import (
    assert_projection_exact,
    dead_letters,
    load_company,
    produce_raw,
    produce_singles,
    simulated_facts,
    small_company,
)


def refund(sale: SaleRecorded, n: int, quantity: int, **own: object) -> SaleRefunded:
    """A refund of `quantity` of `sale` a day later, with the sale's fields unless `own`
    names others."""
    fields = {
        "sku": sale.sku, "category": sale.category, "premium": sale.premium,
        "channel": sale.channel, "rep_id": sale.rep_id,
        "amount_minor": sale.amount_minor * quantity // sale.quantity, **own,
    }  # fmt: skip
    return SaleRefunded(
        source_system=sale.source_system,
        source_id=f"refund-{n}",
        sale_source_id=sale.source_id,
        occurred_at=sale.occurred_at + timedelta(days=1),
        customer_id=sale.customer_id,
        quantity=quantity,
        **fields,  # type: ignore[arg-type]
    )


def crafted_refunds(sales: list[SaleRecorded], reps: list[str]) -> dict[str, list[SaleRefunded]]:
    rng = random.Random(24)
    several = [s for s in sales if s.quantity >= 2]
    rule_6 = []
    for n, sale in enumerate(sales[:12]):
        # another rep (in the other region), another product, channel and premium flag
        other = next(s for s in reversed(sales) if s.category != sale.category)
        rep = next(r for r in reps if r.split("-")[1] != sale.rep_id.split("-")[1])
        rule_6.append(
            refund(
                sale, n, sale.quantity if n % 2 else 1, rep_id=rep, sku=other.sku,
                category=other.category, premium=not sale.premium,
                channel="horeca" if sale.channel != "horeca" else "retail",
            )
        )  # fmt: skip
    partial = [refund(s, 100 + n, s.quantity - 1) for n, s in enumerate(several[12:20])]
    adding_up = []
    for n, sale in enumerate(several[20:26]):
        first = rng.randint(1, sale.quantity - 1)
        adding_up += [refund(sale, 200 + n, first), refund(sale, 300 + n, sale.quantity - first)]
    never_sold = [
        refund(sale.model_copy(update={"source_id": f"never-sent-{n}"}), 400 + n, 1)
        for n, sale in enumerate(sales[30:36])
    ]
    return {"rule_6": rule_6, "partial": partial, "adding_up": adding_up, "rule_7": never_sold}


async def test_batch_refund_and_orphan_rules_match_the_oracle(env):
    company = small_company()
    await load_company(env.settings, company)
    env.worker()
    facts = simulated_facts(company, 600, seed=24)
    sales = [f for f in facts if isinstance(f, SaleRecorded)]
    reps = sorted(u.id for u in company.units if u.level == "rep")
    refunds = crafted_refunds(sales, reps)
    crafted = [r for group in refunds.values() for r in group]
    # the crafted cases really differ from their sale where rule 6 says they may
    by_id = {s.source_id: s for s in sales}
    for r in refunds["rule_6"]:
        sale = by_id[r.sale_source_id]
        assert (r.rep_id, r.sku, r.category, r.channel, r.premium) != (
            sale.rep_id, sale.sku, sale.category, sale.channel, sale.premium
        )  # fmt: skip
        assert r.rep_id.split("-")[1] != sale.rep_id.split("-")[1]
    assert not {r.sale_source_id for r in refunds["rule_7"]} & set(by_id)

    await produce_singles(env.settings, facts)
    # Rule 1: the crafted refunds travel in batch records, one of which holds a bad event.
    bad = json.loads(crafted[0].model_dump_json()) | {"quantity": 0, "source_id": "bad-one"}
    encoded = [r.model_dump_json().encode() for r in crafted]
    bad_index = 5
    await produce_raw(
        env.settings,
        encode_batch_raw([*encoded[:bad_index], json.dumps(bad).encode(), *encoded[bad_index:20]]),
    )
    await produce_raw(env.settings, encode_batch_raw(encoded[20:]))

    everything = facts + crafted
    await assert_projection_exact(env.settings, company, everything)
    (letter,) = await dead_letters(env.settings, 1)
    assert dict(letter.headers)["northstar.dead_letter_id"].decode().endswith(f"#{bad_index}")
    assert letter.value and b"bad-one" in letter.value

    # The cases moved the answers: without them the oracle gives other figures.
    assert expected.unit_totals(company, facts) != expected.unit_totals(company, everything)
    # and rule 6 matters: counted under their sales' fields, the same refunds give others
    rule_6 = refunds["rule_6"]
    under_sale = [
        refund(by_id[r.sale_source_id], 900 + n, r.quantity) for n, r in enumerate(rule_6)
    ]
    assert expected.kr_actuals(company, facts + under_sale) != expected.kr_actuals(
        company, facts + rule_6
    )
