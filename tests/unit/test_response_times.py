from hypothesis import given
from hypothesis import strategies as st

from domain.response_times import (
    Summary,
    Survival,
    Waited,
    change_ratio,
    percentile,
    still_waiting_curve,
    summarize,
    survival,
)


def test_summary_of_known_values():
    assert summarize([]) == Summary(0, None, None, None)
    assert summarize([5.0]) == Summary(1, 5.0, 5.0, 5.0)
    assert summarize([4.0, 1.0, 3.0, 2.0]) == Summary(4, 2.5, 2.5, 4.0)
    ten = [float(n) for n in range(1, 11)]
    assert summarize(ten) == Summary(10, 5.5, 5.5, 9.0)


def test_nearest_rank_percentile():
    assert percentile([1.0, 2.0, 3.0], 0.9) == 3.0
    assert percentile([float(n) for n in range(1, 101)], 0.9) == 90.0


@given(st.lists(st.floats(min_value=0, max_value=10_000, allow_nan=False), min_size=1))
def test_median_and_p90_lie_within_the_values(values):
    s = summarize(values)
    assert round(min(values), 2) <= s.median <= round(max(values), 2)
    assert s.median <= s.p90 + 0.01
    assert s.count == len(values)


def test_change_ratio():
    assert change_ratio(7.2 * 24, 1.3 * 24) == -0.819
    assert change_ratio(None, 3.0) is None
    assert change_ratio(0.0, 3.0) is None


def test_kaplan_meier_by_hand():
    # done at 1, open at 2, done at 3 and 4: S = 3/4 after 1, 3/4 * 1/2 after 3, 0 after 4
    observations = [Waited(1, True), Waited(2, False), Waited(3, True), Waited(4, True)]
    assert still_waiting_curve(observations) == [(1, 0.75), (3, 0.375), (4, 0.0)]
    assert survival(observations) == Survival(4, 3, 1, median=3, p90=4, mean_of_done=2.67)


def test_without_open_requests_the_quantiles_are_nearest_rank():
    hours = [4.0, 1.0, 3.0, 2.0, 9.0, 7.0, 5.0, 6.0, 8.0, 10.0]
    got = survival([Waited(h, True) for h in hours])
    ordered = sorted(hours)
    assert (got.median, got.p90) == (percentile(ordered, 0.5), percentile(ordered, 0.9))
    assert got.still_open == 0 and got.mean_of_done == 5.5


def test_open_requests_are_not_left_out():
    # three answered within an hour, three still open after 100 h: leaving them out would say
    # "p90 = 1 h"; counted, half are answered by 1 h and the p90 is not known yet
    observations = [Waited(1, True)] * 3 + [Waited(100, False)] * 3
    assert survival(observations) == Survival(6, 3, 3, median=1, p90=None, mean_of_done=1)
    assert survival([Waited(5, False)]) == Survival(1, 0, 1, None, None, None)
    assert survival([]) == Survival(0, 0, 0, None, None, None)


def test_a_step_and_an_open_request_at_the_same_time():
    # the step counts before the open one leaves the risk set: 1 - 1/2
    assert still_waiting_curve([Waited(2, True), Waited(2, False)]) == [(2, 0.5)]


@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=1_000, allow_nan=False), st.booleans()),
        min_size=1,
    )
)
def test_the_still_waiting_share_only_falls(pairs):
    curve = still_waiting_curve([Waited(h, d) for h, d in pairs])
    shares = [share for _, share in curve]
    assert all(0 <= b <= a <= 1 for a, b in zip([1.0, *shares], shares, strict=False))
    assert len(curve) == len({h for h, d in pairs if d})
