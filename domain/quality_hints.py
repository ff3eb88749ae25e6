"""Hints that keep OKRs measurable: outcome wording, a number, focus, and weights that add up."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from domain.focus import MAX_ACTIVE_OBJECTIVES
from domain.kernel import Message

ACTIVITY_VERBS_ZH = ("完成", "发布", "举办", "拜访", "开展", "组织", "提交", "上线")
ACTIVITY_VERBS_EN = ("complete", "publish", "launch", "hold", "visit", "attend", "submit")
_EN_VERB = re.compile(r"\b(" + "|".join(ACTIVITY_VERBS_EN) + r")(?:s|d|ed|ing)?\b", re.IGNORECASE)
# A verb followed by one of these names a measure of outcomes (完成率: completion rate), not an
# activity.
_ZH_MEASURE_SUFFIXES = ("率", "度")
_NUMBER = re.compile(r"\d|[零一二三四五六七八九十百千万亿两]")


class Hint(Message):
    """One quality hint: a stable code, the message in Chinese and English, and a rewrite."""

    code: str
    message_zh: str
    message_en: str
    suggestion: str


def activity_verb(text: str) -> str | None:
    """The first activity verb anywhere in the text (本季度完成5场客户拜访, 'we will complete 5
    visits'), if any; a Chinese verb naming a rate (完成率) does not count."""
    found: list[tuple[int, str]] = []
    for verb in ACTIVITY_VERBS_ZH:
        start = text.find(verb)
        while start >= 0:
            if text[start + len(verb) : start + len(verb) + 1] not in _ZH_MEASURE_SUFFIXES:
                found.append((start, verb))
                break
            start = text.find(verb, start + 1)
    match = _EN_VERB.search(text)
    if match:
        found.append((match.start(), match.group(1).lower()))
    return min(found)[1] if found else None


def key_result_hints(title: str) -> tuple[Hint, ...]:
    """Hints for one KR's wording."""
    hints: list[Hint] = []
    verb = activity_verb(title)
    if verb:
        hints.append(
            Hint(
                code="kr_is_activity",
                message_zh=f"“{verb}”描述的是活动而非结果：关键结果应衡量活动带来的变化。",
                message_en=f"'{verb}' describes an activity, not an outcome: "
                "measure what it changes.",
                suggestion="<指标> 从 <起点> 提升到 <目标> / "
                "raise <metric> from <start> to <target>",
            )
        )
    if not _NUMBER.search(title):
        hints.append(
            Hint(
                code="kr_without_number",
                message_zh="关键结果没有数字：无法判断是否达成。",
                message_en="The key result has no number: nobody can tell when it is achieved.",
                suggestion="<指标> 达到 <数值><单位> / <metric> reaches <value> <unit>",
            )
        )
    return tuple(hints)


def focus_hint(active_objectives: int) -> Hint | None:
    """More than three objectives in force for one owner (`domain.focus`) dilutes focus."""
    if active_objectives <= MAX_ACTIVE_OBJECTIVES:
        return None
    return Hint(
        code="too_many_objectives",
        message_zh=f"本季度将有 {active_objectives} 个进行中的目标，"
        f"超过 {MAX_ACTIVE_OBJECTIVES} 个。",
        message_en=(
            f"{active_objectives} objectives in force this quarter; keep at most "
            f"{MAX_ACTIVE_OBJECTIVES}."
        ),
        suggestion="关闭上周期目标，合并或暂停次要目标 / close past cycles' objectives, merge or"
        " park the least important one",
    )


def weights_hint(weights: Iterable[Decimal]) -> Hint | None:
    """KR weights inside an objective must add up to 100."""
    total = sum(weights, Decimal(0))
    if total == 100:
        return None
    return Hint(
        code="weights_not_100",
        message_zh=f"关键结果权重合计为 {total}，应为 100。",
        message_en=f"Key-result weights add up to {total}; they must add up to 100.",
        suggestion="按贡献调整权重使合计为 100 / rebalance the weights to total 100",
    )


MIN_CHECK_IN_SUMMARY = 20
NO_BLOCKER = ("none", "无", "没有")


def check_in_hints(
    summary: str, progress_value: Decimal | None, blocker: str, start: Decimal, target: Decimal
) -> tuple[Hint, ...]:
    """Hints for the three-field check-in while it is typed: a goal description that says what
    changed (an outcome, with a figure, not only an activity), a number inside the KR's range,
    and a blocker named or declared absent."""
    hints: list[Hint] = []
    text = summary.strip()
    verb = activity_verb(text)
    if verb:
        hints.append(
            Hint(
                code="check_in_is_activity",
                message_zh=f"“{verb}”描述的是活动：写出它带来的结果（例如新客 12 → 18）。",
                message_en=f"'{verb}' describes an activity: say what it changed "
                "(e.g. new customers 12 -> 18).",
                suggestion="<活动> 带来 <指标> 从 <值> 到 <值> / "
                "<activity> moved <metric> from <value> to <value>",
            )
        )
    if len(text) < MIN_CHECK_IN_SUMMARY:
        hints.append(
            Hint(
                code="check_in_summary_short",
                message_zh=f"小结不足 {MIN_CHECK_IN_SUMMARY} 个字：写清本周发生了什么、为什么。",
                message_en=f"The summary is under {MIN_CHECK_IN_SUMMARY} characters: "
                "say what happened this week and why.",
                suggestion="本周 <做了什么>，<指标> 从 <值> 到 <值> / "
                "this week <what>, <metric> moved from <value> to <value>",
            )
        )
    if text and not _NUMBER.search(text):
        hints.append(
            Hint(
                code="check_in_without_number",
                message_zh="小结里没有数字：写出进展对应的数据。",
                message_en="The summary has no number: quote the figure behind the progress.",
                suggestion="例如：新客 12 → 18 / e.g. new customers 12 -> 18",
            )
        )
    if progress_value is not None and _implausible(progress_value, start, target):
        hints.append(
            Hint(
                code="check_in_value_implausible",
                message_zh=f"进展值 {progress_value} 落后于起点 {start} 或超过目标 {target} 的两倍"
                "路程：请核对。",
                message_en=f"The value {progress_value} is behind the start {start} or more than "
                f"twice the way to the target {target}: check it.",
                suggestion="核对单位与口径 / check the unit and the definition",
            )
        )
    if not blocker.strip():
        hints.append(
            Hint(
                code="check_in_blocker_missing",
                message_zh="请填写阻碍；没有阻碍就写“none”。",
                message_en='Name what blocks you, or write "none".',
                suggestion="none",
            )
        )
    return tuple(hints)


def _implausible(value: Decimal, start: Decimal, target: Decimal) -> bool:
    span = target - start
    if span == 0:
        return False
    way = (value - start) / span  # 0 at the start, 1 at the target, whichever the direction
    return way < 0 or way > 2
