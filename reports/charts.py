"""A small SVG bar chart (no plotting library): groups on the x axis, one bar per series."""

from __future__ import annotations

from html import escape
from typing import Any

COLOURS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5")


def bar_chart(
    title: str, labels: list[str], series: dict[str, list[float | None]], unit: str
) -> str:
    """An SVG document; missing values leave a gap."""
    width, height, left, bottom, top = max(480, 90 * len(labels) + 120), 360, 70, 60, 50
    plot_w, plot_h = width - left - 20, height - top - bottom
    peak = max((v for values in series.values() for v in values if v is not None), default=1.0)
    peak = peak or 1.0
    group_w = plot_w / max(1, len(labels))
    bar_w = group_w * 0.8 / max(1, len(series))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' font-family="sans-serif" font-size="12">',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"'
        ' stroke="#444"/>',
    ]
    for step in range(5):
        value = peak * step / 4
        y = top + plot_h - plot_h * step / 4
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.1f}</text>'
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
        )
    parts.append(
        f'<text x="16" y="{top + plot_h / 2}" transform="rotate(-90 16 {top + plot_h / 2})"'
        f' text-anchor="middle">{escape(unit)}</text>'
    )
    for g, label in enumerate(labels):
        x0 = left + g * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series.items()):
            value = values[g]
            if value is None:
                continue
            bar_h = plot_h * value / peak
            x = x0 + s * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w * 0.95:.1f}"'
                f' height="{bar_h:.1f}" fill="{COLOURS[s % len(COLOURS)]}">'
                f"<title>{escape(name)} {escape(label)}: {value:.2f} {escape(unit)}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for s, name in enumerate(series):
        x = left + s * 170
        parts.append(
            f'<rect x="{x}" y="{height - 22}" width="12" height="12"'
            f' fill="{COLOURS[s % len(COLOURS)]}"/>'
            f'<text x="{x + 18}" y="{height - 12}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def response_time_chart(title: str, rows: list[dict[str, Any]]) -> str:
    """Response times in days per group (rows of `reports.response_times` documents): the
    Kaplan-Meier median and p90 (open requests counted)."""
    labels = [row["group"] for row in rows]
    series = {
        "median, request -> decision": [_days(r["hours_to_decision"]["median"]) for r in rows],
        "p90, request -> decision": [_days(r["hours_to_decision"]["p90"]) for r in rows],
        "median, request -> applied": [_days(r["hours_to_applied"]["median"]) for r in rows],
    }
    return bar_chart(title, labels, series, "days")


FIELD_FIGURES = {
    # figure -> (title, unit, how to read it from an adoption report's period)
    "check_in_usage": ("Check-in usage", "%", lambda p: _pct(p["check_in_usage"]["all"]["value"])),
    "views": ("Goal views per person per week", "views",
              lambda p: p["views_per_person_per_week"]["all"]["value"]),
}  # fmt: skip


def field_figure_chart(figure: str, report: dict[str, Any]) -> str:
    """One of the field notes' figures before and after (an adoption report with `before` and
    `after`): check-in usage, goal views per person-week, or days to answer an adjustment."""
    if figure == "response_days":
        title, unit = "Target-adjustment answered in (median)", "days"
        values = [_days(report["response_times"][s]["hours_to_decision"]["median"])
                  for s in ("before", "after")]  # fmt: skip
    else:
        title, unit, read = FIELD_FIGURES[figure]
        values = [read(report[s]) for s in ("before", "after")]
    labels = [
        f"{s} ({report[s]['from'][:10]}..{report[s]['to'][:10]})" for s in ("before", "after")
    ]
    return bar_chart(title, labels, {title: values}, unit)


def _pct(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def goal_view_chart(rows: list[dict[str, Any]], per: str) -> str:
    """Goal views per person, one bar per role, per week or month (`reports.goal_views` rows)."""
    periods = sorted({r["period"] for r in rows})
    roles = sorted({r["role"] for r in rows})
    by_key = {(r["period"], r["role"]): r["views_per_person"] for r in rows}
    series = {role: [by_key.get((p, role)) for p in periods] for role in roles}
    return bar_chart(f"Goal views per person per {per}", periods, series, "views")


def _days(hours: float | None) -> float | None:
    return None if hours is None else round(hours / 24, 2)
