"""Given events / when command / then events for a person's objective portfolio."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.event_chain import Stamped
from domain.kernel import Conflict, Invalid, NotAllowed, NotFound
from domain.key_result.state import KeyResultState
from domain.objectives import (
    AlignObjective,
    CloseObjective,
    Contribution,
    DefineObjective,
    KeyResultWeightsSet,
    ObjectiveAligned,
    ObjectiveClosed,
    ObjectiveDefined,
    ObjectiveState,
    PortfolioContext,
    PortfolioState,
    SetKeyResultWeights,
    decide,
    evolve,
    hints,
)
from tests.unit.test_key_result_decider import AUDITOR, CITY_MANAGER, HQ, ORG, OTHER_REP, REP

AT = datetime(2026, 11, 27, tzinfo=UTC)
CYCLES = frozenset({"2026-Q4"})
TO_NORTH_STAR = (Contribution(parent_id="north-star", weight=Decimal(40)),)
DAYS = {
    "2026-Q4": (date(2026, 10, 1), date(2026, 12, 31)),
    "2026-11": (date(2026, 11, 1), date(2026, 11, 30)),
    "2027-Q1": (date(2027, 1, 1), date(2027, 3, 31)),
}
# o-city (Q4) -> o-region (Q4) -> the north star; o-next in 2027-Q1; o-below (Q4) -> o-1
TO_REGION = (Contribution(parent_id="o-region", weight=Decimal(50)),)
CHAIN = {
    "o-city": ObjectiveState("o-city", "city-1", cycle_id="2026-Q4", contributes_to=TO_REGION),
    "o-region": ObjectiveState("o-region", "region-1", cycle_id="2026-Q4",
                               contributes_to=TO_NORTH_STAR),
    "o-next": ObjectiveState("o-next", "city-1", cycle_id="2027-Q1"),
    "o-below": ObjectiveState("o-below", "rep-1", cycle_id="2026-Q4",
                              contributes_to=(Contribution(parent_id="o-1", weight=Decimal(100)),)),
}  # fmt: skip
KRS = {  # kr-a and kr-b are the rep's; kr-hz is Hangzhou's, outside the rep's unit
    kr_id: KeyResultState(defined=True, owner_person_id=owner, owner_unit_id=unit)
    for kr_id, owner, unit in (("kr-a", "p-rep", "rep-1"), ("kr-b", "p-rep", "rep-1"),
                               ("kr-hz", "p-hz", "hz"))
}  # fmt: skip
BLOCK = PortfolioContext(ORG, frozenset(DAYS), cycle_days=DAYS, chain=CHAIN, key_results=KRS)


def fold(events) -> PortfolioState:
    state = PortfolioState()
    for event in events:
        state = evolve(state, Stamped(event, "p-rep", AT))
    return state


def cmd(cls, actor=REP, **fields):
    return cls(
        command_id=uuid.uuid4(),
        owner_person_id="p-rep",
        cycle_id="2026-Q4",
        actor=actor,
        at=AT,
        **fields,
    )


def defined(n: int) -> ObjectiveDefined:
    return ObjectiveDefined(
        objective_id=f"o-{n}",
        title=f"Objective {n}",
        owner_person_id="p-rep",
        owner_unit_id="rep-1",
        cycle_id="2026-Q4",
        contributes_to=(),
    )


def define(n: int, actor=REP, **overrides):
    fields = dict(objective_id=f"o-{n}", title=f"Objective {n}", owner_unit_id="rep-1")
    return cmd(DefineObjective, actor, **{**fields, **overrides})


def test_define_aligned_to_the_north_star():
    command = define(1, contributes_to=TO_NORTH_STAR)
    assert decide(fold([]), command, BLOCK) == (
        defined(1).model_copy(update={"contributes_to": TO_NORTH_STAR}),
    )
    assert hints(fold([]), command, BLOCK) == ()


def test_a_fourth_active_objective_is_blocked_by_default():
    with pytest.raises(
        Conflict, match="already has 3 objectives in force in 2026-Q4: o-1 \\(2026-Q4\\), o-2"
    ):
        decide(fold([defined(1), defined(2), defined(3)]), define(4), BLOCK)


def test_under_the_warn_policy_it_is_recorded_with_a_hint():
    state = fold([defined(1), defined(2), defined(3)])
    assert decide(state, define(4), PortfolioContext(ORG, CYCLES, focus="warn")) == (defined(4),)
    assert [h.code for h in hints(state, define(4), BLOCK)] == ["too_many_objectives"]


def test_closed_objectives_do_not_count():
    closed = ObjectiveClosed(objective_id="o-1", outcome="dropped")
    state = fold([defined(1), defined(2), defined(3), closed])
    assert decide(state, define(4), BLOCK) == (defined(4),)
    assert hints(state, define(4), BLOCK) == ()


def test_weights_totalling_100():
    when = cmd(
        SetKeyResultWeights,
        CITY_MANAGER,
        objective_id="o-1",
        weights={"kr-a": Decimal(60), "kr-b": Decimal(40)},
    )
    assert decide(fold([defined(1)]), when, BLOCK) == (
        KeyResultWeightsSet(objective_id="o-1", weights={"kr-a": Decimal(60), "kr-b": Decimal(40)}),
    )


def test_a_weight_change_says_what_the_weights_were():
    earlier = KeyResultWeightsSet(objective_id="o-1", weights={"kr-a": Decimal(100)})
    when = cmd(
        SetKeyResultWeights,
        CITY_MANAGER,
        objective_id="o-1",
        weights={"kr-a": Decimal(70), "kr-b": Decimal(30)},
    )
    (changed,) = decide(fold([defined(1), earlier]), when, BLOCK)
    assert changed.previous == {"kr-a": Decimal(100)}
    assert changed.weights == {"kr-a": Decimal(70), "kr-b": Decimal(30)}


def to(parent_id: str) -> tuple[Contribution, ...]:
    return (Contribution(parent_id=parent_id, weight=Decimal(100)),)


def test_a_parent_is_an_existing_objective_of_the_same_or_an_enclosing_cycle():
    assert decide(fold([]), define(1, contributes_to=to("o-city")), BLOCK)
    in_november = define(1, contributes_to=to("o-city")).model_copy(update={"cycle_id": "2026-11"})
    assert decide(fold([]), in_november, BLOCK)  # a month inside the parent's quarter
    with pytest.raises(Invalid, match="contributes_to: objective 'o-nowhere' does not exist"):
        decide(fold([]), define(1, contributes_to=to("o-nowhere")), BLOCK)
    with pytest.raises(
        Invalid, match="objective 'o-next' is in cycle '2027-Q1', which does not contain '2026-Q4'"
    ):
        decide(fold([]), define(1, contributes_to=to("o-next")), BLOCK)
    next_quarter = define(1, contributes_to=to("o-city")).model_copy(update={"cycle_id": "2027-Q1"})
    with pytest.raises(Invalid, match="is in cycle '2026-Q4', which does not contain '2027-Q1'"):
        decide(fold([]), next_quarter, BLOCK)


def test_alignment_never_forms_a_loop():
    realign = cmd(AlignObjective, objective_id="o-1", contributes_to=to("o-below"))
    with pytest.raises(Invalid, match="o-1 -> o-below -> o-1 would be a loop"):
        decide(fold([defined(1)]), realign, BLOCK)
    up_the_chain = cmd(AlignObjective, objective_id="o-1", contributes_to=to("o-city"))
    assert decide(fold([defined(1)]), up_the_chain, BLOCK)


def test_weighted_krs_exist_and_belong_to_the_objectives_unit():
    def weigh(**weights):
        named = {k.replace("_", "-"): Decimal(w) for k, w in weights.items()}
        return cmd(SetKeyResultWeights, CITY_MANAGER, objective_id="o-1", weights=named)

    assert decide(fold([defined(1)]), weigh(kr_a=50, kr_b=50), BLOCK)
    with pytest.raises(Invalid, match="weights: key result 'kr-nowhere' does not exist"):
        decide(fold([defined(1)]), weigh(kr_a=50, kr_nowhere=50), BLOCK)
    with pytest.raises(
        Invalid, match="key result 'kr-hz' is owned in 'hz', outside 'rep-1' where objective 'o-1'"
    ):
        decide(fold([defined(1)]), weigh(kr_a=50, kr_hz=50), BLOCK)


def test_an_objective_needs_a_defined_cycle():
    with pytest.raises(Invalid, match="no cycle '2026-Q9' is defined"):
        decide(fold([]), define(1).model_copy(update={"cycle_id": "2026-Q9"}), BLOCK)


def test_align_and_close():
    parents = (Contribution(parent_id="o-city", weight=Decimal(50)),)
    assert decide(
        fold([defined(1)]),
        cmd(AlignObjective, objective_id="o-1", contributes_to=parents),
        BLOCK,
    ) == (ObjectiveAligned(objective_id="o-1", contributes_to=parents),)
    assert decide(
        fold([defined(1)]),
        cmd(CloseObjective, HQ, objective_id="o-1", outcome="achieved"),
        BLOCK,
    ) == (ObjectiveClosed(objective_id="o-1", outcome="achieved"),)


REFUSALS = [
    (
        "weights not totalling 100",
        [defined(1)],
        cmd(
            SetKeyResultWeights,
            objective_id="o-1",
            weights={"kr-a": Decimal(60), "kr-b": Decimal(30)},
        ),
        Invalid,
        "add up to 90",
    ),
    (
        "a zero weight",
        [defined(1)],
        cmd(
            SetKeyResultWeights,
            objective_id="o-1",
            weights={"kr-a": Decimal(100), "kr-b": Decimal(0)},
        ),
        Invalid,
        "above 0",
    ),
    ("define twice", [defined(1)], define(1), Conflict, "already exists"),
    ("define for an unknown unit", [], define(1, owner_unit_id="mars"), Invalid, "unknown org"),
    ("another rep defines for me", [], define(1, actor=OTHER_REP), NotAllowed, "their owner"),
    ("an auditor defines", [], define(1, actor=AUDITOR), NotAllowed, "their owner"),
    (
        "contribute to itself",
        [],
        define(1, contributes_to=(Contribution(parent_id="o-1", weight=Decimal(10)),)),
        Invalid,
        "itself",
    ),
    ("the same parent twice", [], define(1, contributes_to=TO_NORTH_STAR * 2), Invalid, "once"),
    (
        "align a missing objective",
        [],
        cmd(AlignObjective, objective_id="o-9", contributes_to=TO_NORTH_STAR),
        NotFound,
        "o-9",
    ),
    (
        "change a closed objective",
        [defined(1), ObjectiveClosed(objective_id="o-1", outcome="achieved")],
        cmd(AlignObjective, objective_id="o-1", contributes_to=TO_NORTH_STAR),
        Conflict,
        "closed",
    ),
]


@pytest.mark.parametrize(
    ("history", "when", "error", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals(history, when, error, message):
    with pytest.raises(error, match=message):
        decide(fold(history), when, BLOCK)


def test_a_weight_above_100_is_refused_at_the_edge():
    with pytest.raises(ValueError, match="less than or equal to 100"):
        Contribution(parent_id="x", weight=Decimal(120))
