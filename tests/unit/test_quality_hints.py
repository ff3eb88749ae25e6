from decimal import Decimal

import pytest

from domain.quality_hints import (
    activity_verb,
    check_in_hints,
    focus_hint,
    key_result_hints,
    weights_hint,
)


@pytest.mark.parametrize(
    ("title", "verb"),
    [
        ("完成5次客户拜访", "完成"),
        ("拜访 20 家新门店", "拜访"),
        ("上线小程序商城", "上线"),
        ("Complete 5 customer visits", "complete"),
        ("Visited 30 stores", "visit"),
        ("launching the premium range in 3 cities", "launch"),
        ("To hold 4 tasting events", "hold"),
        ("高端产品复购客户数达到 12000", None),
        ("Premium share of revenue rises from 28% to 35%", None),
        ("Holdings of premium SKUs reach 40% of shelf", None),  # 'holdings' is not 'hold'
        # anywhere in the text, not only at its start
        ("本季度完成5场客户拜访", "完成"),
        ("华东区本月举办3场品鉴会", "举办"),
        ("We will complete 5 visits a week", "complete"),
        ("Q1: launch the campus range", "launch"),
        # a verb naming a rate or degree is a measure of outcomes
        ("订单完成率从80%提升到95%", None),
        ("门店拜访率达到90%", None),
        ("Site visitors grow from 1,000 to 5,000", None),  # 'visitors' is not 'visit'
    ],
)
def test_activity_verbs_in_chinese_and_english(title, verb):
    assert activity_verb(title) == verb


def test_activity_kr_gets_an_outcome_rewrite():
    (hint,) = key_result_hints("完成5次客户拜访")
    assert hint.code == "kr_is_activity"
    assert "完成" in hint.message_zh and "complete" not in hint.message_en
    assert "from <start> to <target>" in hint.suggestion


@pytest.mark.parametrize("title", ["Improve premium share", "提升高端产品占比"])
def test_kr_without_a_number(title):
    assert [h.code for h in key_result_hints(title)] == ["kr_without_number"]


def test_chinese_numerals_count_as_numbers():
    assert key_result_hints("新客首单转化率提升到百分之三十") == ()


def test_focus_and_weights():
    assert focus_hint(3) is None
    assert focus_hint(4).code == "too_many_objectives"
    assert weights_hint([Decimal(50), Decimal(50)]) is None
    hint = weights_hint([Decimal(40), Decimal(50)])
    assert hint.code == "weights_not_100" and "90" in hint.message_en


def test_check_in_hints_flag_an_activity_as_the_goal_description():
    def codes(summary: str) -> list[str]:
        hints = check_in_hints(summary, Decimal(3), "none", Decimal(0), Decimal(5))
        return [h.code for h in hints]

    assert "check_in_is_activity" in codes("完成5场客户拜访")
    assert "check_in_is_activity" in codes("we completed 5 customer visits this week")
    outcome = "本周新客从 12 提升到 18，复购率回升到 35%"
    assert codes(outcome) == []
    assert codes("") == ["check_in_summary_short"]
