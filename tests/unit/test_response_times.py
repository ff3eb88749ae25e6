from hypothesis import given
from hypothesis import strategies as st

from domain.response_times import Summary, change_ratio, percentile, summarize


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
