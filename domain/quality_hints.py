"""Hints that keep OKRs measurable: outcome wording, a number, focus, and weights that add up."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from domain.messages import Message

ACTIVITY_VERBS_ZH = ("完成", "发布", "举办", "拜访", "开展", "组织", "提交", "上线")
ACTIVITY_VERBS_EN = ("complete", "publish", "launch", "hold", "visit", "attend", "submit")
MAX_ACTIVE_OBJECTIVES = 3
_EN_VERB = re.compile(
    r"^\s*(?:to\s+)?(" + "|".join(ACTIVITY_VERBS_EN) + r")(?:s|d|ed|ing)?\b", re.IGNORECASE
)
_NUMBER = re.compile(r"\d|[零一二三四五六七八九十百千万亿两]")


class Hint(Message):
    """One quality hint: a stable code, the message in Chinese and English, and a rewrite."""

    code: str
    message_zh: str
    message_en: str
    suggestion: str


def activity_verb(title: str) -> str | None:
    """The activity verb a KR title starts with (完成5次拜访, 'Complete 5 visits'), if any."""
    stripped = title.strip()
    for verb in ACTIVITY_VERBS_ZH:
        if stripped.startswith(verb):
            return verb
    match = _EN_VERB.match(stripped)
    return match.group(1).lower() if match else None


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
    """More than three active objectives for one owner in one cycle dilutes focus."""
    if active_objectives <= MAX_ACTIVE_OBJECTIVES:
        return None
    return Hint(
        code="too_many_objectives",
        message_zh=f"本周期已有 {active_objectives} 个进行中的目标，"
        f"超过 {MAX_ACTIVE_OBJECTIVES} 个。",
        message_en=(
            f"{active_objectives} active objectives this cycle; keep at most "
            f"{MAX_ACTIVE_OBJECTIVES}."
        ),
        suggestion="合并或暂停次要目标 / merge or park the least important objective",
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
