"""A KR attached to an objective on the board joins at an equal share; the others keep their
proportions; the weights total exactly 100 (hundredths, the remainder to the largest)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.objectives import weights_with

D = Decimal


def test_the_first_kr_takes_everything_and_a_second_halves_it():
    assert weights_with({}, "kr-a") == {"kr-a": D(100)}
    assert weights_with({"kr-a": D(100)}, "kr-b") == {"kr-a": D(50), "kr-b": D(50)}


def test_the_others_keep_their_proportions_and_the_remainder_goes_to_the_largest():
    # a third KR: 33.33 for it; the 66.67 left split 60:40 -> 40.00 and 26.66, the cent left
    # over to the largest
    assert weights_with({"kr-a": D(60), "kr-b": D(40)}, "kr-c") == {
        "kr-a": D("40.01"),
        "kr-b": D("26.66"),
        "kr-c": D("33.33"),
    }


def test_a_kr_already_weighted_changes_nothing():
    weights = {"kr-a": D(70), "kr-b": D(30)}
    assert weights_with(weights, "kr-b") == weights


@given(st.lists(st.integers(min_value=1, max_value=100), min_size=0, max_size=19))
def test_weights_always_total_exactly_100(raw):
    weights = {f"kr-{i}": D(w) for i, w in enumerate(raw)}
    joined = weights_with(weights, "kr-new")
    assert sum(joined.values()) == 100
    assert set(joined) == {*weights, "kr-new"}
    assert all(w >= 0 and w == w.quantize(D("0.01")) for w in joined.values())
    assert joined["kr-new"] >= (D(100) / len(joined)).quantize(D("0.01")) - D("0.01")
