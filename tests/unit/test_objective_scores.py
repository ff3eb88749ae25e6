"""One number per objective (`domain.objective_scores`): own KRs first, else contributors by
contribution weight all the way down, else none; the north star as an objective without KRs."""

from __future__ import annotations

from decimal import Decimal

from domain.health import WeightedKr
from domain.objective_scores import Contributor, objective_scores

D = Decimal


def test_own_krs_measure_an_objective_even_with_contributors():
    scores = objective_scores(
        ["o"],
        {"o": [WeightedKr("k1", D(70), D(50), "amber"), WeightedKr("k2", D(30), D(100), "green")],
         "c": [WeightedKr("k3", D(100), D(10), "red")]},
        {"o": [Contributor("c", D(100))]},
    )  # fmt: skip
    assert (scores["o"].progress, scores["o"].health, scores["o"].basis) == (
        D("65.00"), "amber", "key_results",
    )  # fmt: skip


def test_contributors_all_the_way_down_and_the_star_on_top():
    krs = {
        "east": [WeightedKr("ke", D(100), D(30), "red")],
        "west": [WeightedKr("kw", D(100), D(85), "green")],
    }
    contributors = {
        "north-star": [Contributor("hq", D(100))],
        "hq": [Contributor("region", D(100))],
        "region": [Contributor("east", D(60)), Contributor("west", D(40)),
                   Contributor("empty", D(50))],
    }  # fmt: skip
    scores = objective_scores(["north-star"], krs, contributors)
    # 60 * 30 + 40 * 85 over 100 (the empty contributor has no number and is left out)
    for objective_id in ("region", "hq", "north-star"):
        assert (scores[objective_id].progress, scores[objective_id].health) == (D("52.00"), "red")
        assert scores[objective_id].basis == "contributors"
    assert (scores["empty"].progress, scores["empty"].health, scores["empty"].basis) == (
        D(0), None, "none",
    )  # fmt: skip


def test_a_loop_from_old_data_is_cut():
    contributors = {"a": [Contributor("b", D(100))], "b": [Contributor("a", D(100))]}
    scores = objective_scores(["a"], {}, contributors)
    assert scores["a"].basis == "none" and scores["b"].basis == "none"
