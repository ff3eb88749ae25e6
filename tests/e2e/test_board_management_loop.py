"""The management loop on the board, in Chromium against the real stack: a city manager runs a
calibration meeting for a rep's unit — the agenda under the meeting's questions, a blocker
escalated, the rep's objective's KR weights changed, decisions — reads the minutes, and answers
the escalation from his inbox; the rep then sees the changed weight on her KR and the
activity-verb hint while typing "完成5场客户拜访" into the check-in's goal description and into a
new objective. Checked against the tables, not against what the page was given."""

from __future__ import annotations

import json
from decimal import Decimal

import asyncpg
import httpx
from playwright.async_api import expect

from infra.postgres.accounts import create_client
from tests.browser import add_board_users, board_sessions, screenshot
from tests.stack import ARTIFACTS, eventually, live_okr_company, run_cli, start_api

PASSWORD = "board-loop-password-1"
PEOPLE = {
    "rita": ("rep", "p-rep-shanghai-01", "rep-shanghai-01"),
    "mike": ("manager", "p-mgr-shanghai", "shanghai"),
}
REP_KR = "kr-rep-shanghai-01-premium-revenue"
BLOCKER = "缺少冷柜，两家大客户无法上架"


async def test_a_manager_runs_a_calibration_meeting_and_the_rep_sees_it(env, tmp_path):
    await live_okr_company(env, tmp_path, adjustments=0)
    await add_board_users(env, PEOPLE, PASSWORD)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        rep_token = await create_client(conn, "rita-tool", *PEOPLE["rita"])
        objective_id = await conn.fetchval(
            "SELECT objective_id FROM okr_kr_weight WHERE kr_id = $1", REP_KR
        )
        before = {
            r["kr_id"]: r["weight"]
            for r in await conn.fetch(
                "SELECT kr_id, weight FROM okr_kr_weight WHERE objective_id = $1", objective_id
            )
        }
    finally:
        await conn.close()
    assert len(before) >= 2, before
    # the meeting moves 10 points from another KR of the objective to the rep's KR
    other = max((k for k in before if k != REP_KR), key=lambda k: before[k])
    moved = min(Decimal(10), before[other] - 1)
    wanted = {**before, REP_KR: before[REP_KR] + moved, other: before[other] - moved}
    base = await start_api(env)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        blocked = await http.post(
            f"/v1/okr/key-results/{REP_KR}/check-ins",
            json={"summary": "本周新增 2 个高端客户，冷柜不足", "progress_value": "100",
                  "blocker": BLOCKER},
            headers={"Authorization": f"Bearer {rep_token}"},
        )  # fmt: skip
        assert blocked.status_code == 201, blocked.text

    async with board_sessions(base, PASSWORD) as board:
        manager = await board.log_in("mike")
        await manager.select_option("#calibration-unit", "rep-shanghai-01")
        blockers = manager.locator("#agenda [data-question=which_blockers_need_support]")
        await expect(blockers.locator(f'li[data-kr-id="{REP_KR}"]').first).to_be_visible()
        assert "哪些阻碍需要跨层级支持" in await blockers.locator("h3").inner_text()
        assert await manager.locator("#agenda [data-question=is_progress_healthy] h3").count() == 1
        # outcomes: escalate the blocker, change the weights, write a decision
        choice = manager.locator(f'.escalation-choice[data-kr-id="{REP_KR}"]')
        await choice.locator("input[name=escalate]").check()
        assert await choice.locator("input[name=escalate_to]").input_value() == "shanghai"
        await choice.locator("input[name=escalate_note]").fill("请城市经理协调冷柜")
        weights = manager.locator(f'fieldset.weights[data-objective-id="{objective_id}"]')
        for kr_id, weight in wanted.items():
            await weights.locator(f'input[data-kr-id="{kr_id}"]').fill(str(weight))
        await manager.locator("#outcomes-form textarea[name=decisions]").fill(
            "冷柜到位前先做品鉴会"
        )
        await screenshot(manager, "loop-mike-meeting")
        await manager.locator("#outcomes-form button[type=submit]").click()
        await expect(manager.locator("#notice")).to_have_text("会议结论已保存")
        minutes = manager.locator("#minutes")
        await expect(minutes.locator("li.decision")).to_have_text("冷柜到位前先做品鉴会")
        await expect(minutes.locator(f'li.escalated[data-kr-id="{REP_KR}"]')).to_have_count(1)
        await expect(minutes.locator(f'li.change[data-subject="{objective_id}"]')).to_have_count(1)
        await screenshot(manager, "loop-mike-minutes")

        # the escalation waits in the manager's inbox (he manages Shanghai); he resolves it
        item = manager.locator(f'.escalation[data-kr-id="{REP_KR}"]')

        async def in_inbox() -> bool:
            await manager.reload()
            await manager.wait_for_selector("#board:not([hidden]) article.kr")
            return await item.count() == 1

        await eventually(in_inbox, 60, "the escalation in the manager's inbox")
        await item.locator("input[name=note]").fill("已从杭州仓调拨两台冷柜")
        await item.locator("button.resolve").click()
        await expect(manager.locator("#notice")).to_have_text("已解决")

        # the rep sees the new weight on her KR and the activity hints as she types
        rep = await board.log_in("rita")
        weight = rep.locator(
            f'article.kr[data-kr-id="{REP_KR}"] .weight[data-objective-id="{objective_id}"]'
        ).first

        async def new_weight_shown() -> bool:
            await rep.reload()
            await rep.wait_for_selector("#board:not([hidden]) article.kr")
            shown = await weight.get_attribute("data-weight") if await weight.count() else None
            return shown is not None and Decimal(shown) == wanted[REP_KR]

        await eventually(new_weight_shown, 60, "the new weight on the rep's KR")
        # her scorecard counts her KR cards by colour
        card = rep.locator('.scorecard[data-subject="p-rep-shanghai-01"]')
        await expect(card).to_be_visible()
        for colour in ("green", "amber", "red"):
            cards = await rep.locator(f'#my-krs article.kr[data-health="{colour}"]').count()
            badge = card.locator(f'.badge[data-health="{colour}"]')
            assert await badge.get_attribute("data-count") == str(cards), colour
        await card.screenshot(path=str(ARTIFACTS / "board" / "loop-rita-scorecard.png"))
        await rep.locator(f'article.kr[data-kr-id="{REP_KR}"] button.check-in').click()
        dialog = rep.locator("#check-in-dialog")
        assert "目标描述" in await dialog.locator("label").first.inner_text()
        await dialog.locator("textarea[name=summary]").press_sequentially("完成5场客户拜访")
        await expect(dialog.locator("li[data-code=check_in_is_activity]")).to_be_visible()
        await screenshot(rep, "loop-rita-check-in-activity-hint")
        await dialog.locator("button.cancel").click()
        title = rep.locator("#objective-form input[name=objective_title]")
        await title.press_sequentially("完成5场客户拜访")
        hint = rep.locator("#objective-form li[data-code=kr_is_activity]")
        await expect(hint).to_be_visible()
        assert "完成" in await hint.inner_text()
        # she shares what worked, with its evidence as a metric's figure and a tag
        await rep.locator("#publish-practice summary").click()
        practice = rep.locator("#practice-form")
        await practice.locator("select[name=kr_id]").select_option(REP_KR)
        await practice.locator("input[name=practice_title]").fill("校园场景品鉴会")
        await practice.locator("textarea[name=description]").fill(
            "在大学城便利店周末做品鉴，现场扫码下单"
        )
        await practice.locator("input[name=evidence]").fill("crm://campaign/campus-7")
        await practice.locator("select[name=metric]").select_option("first_order_conversion")
        await practice.locator("input[name=figure]").fill("27")
        await practice.locator("input[name=tags]").fill("#校园 #品鉴")
        await practice.locator("button[type=submit]").click()
        await expect(rep.locator("#notice")).to_have_text("经验已发布")
        assert board.errors == []

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        after = {
            r["kr_id"]: r["weight"]
            for r in await conn.fetch(
                "SELECT kr_id, weight FROM okr_kr_weight WHERE objective_id = $1", objective_id
            )
        }
        shared = await conn.fetchrow(
            "SELECT kr_id, unit_id, metric, figure, tags FROM okr_practice WHERE title = $1",
            "校园场景品鉴会",
        )
        escalation = await conn.fetchrow(
            "SELECT to_unit_id, resolved_by, resolution FROM okr_escalation WHERE kr_id = $1",
            REP_KR,
        )
    finally:
        await conn.close()
    assert after == wanted
    assert (shared["kr_id"], shared["unit_id"], shared["metric"], shared["figure"]) == (
        REP_KR,
        "rep-shanghai-01",
        "first_order_conversion",
        Decimal(27),
    )
    assert sorted(json.loads(shared["tags"])) == sorted(["校园", "品鉴"])
    assert dict(escalation) == {
        "to_unit_id": "shanghai",
        "resolved_by": "p-mgr-shanghai",
        "resolution": "已从杭州仓调拨两台冷柜",
    }
    history = await run_cli(env, "audit", "history", "--weights", "--format", "json")
    assert history.returncode == 0, history.stderr
    assert objective_id in history.stdout


async def test_an_hrbp_proposes_on_the_board_and_hq_approves_it(env, tmp_path):
    """The demo's south region is centralised: its HRBP proposes a KR for a city on her board
    (hinted while she types), and HQ approves it on his; the KR is then defined, as HQ's."""
    await live_okr_company(env, tmp_path, adjustments=0)
    people = {
        "holly": ("hrbp", "p-hrbp-south", "south"),
        "hana": ("hq_admin", "p-mgr-hq", "hq"),
    }
    await add_board_users(env, people, PASSWORD)
    base = await start_api(env)
    async with board_sessions(base, PASSWORD) as board:
        hrbp = await board.log_in("holly")
        form = hrbp.locator("#proposal-form")
        await form.locator("select[name=owner_unit_id]").select_option("shenzhen")
        assert await form.locator("input[name=owner_person_id]").input_value() == "p-mgr-shenzhen"
        await form.locator("input[name=kr_title]").press_sequentially("深圳：完成5场校园品鉴")
        await expect(form.locator("li[data-code=kr_is_activity]")).to_be_visible()
        await form.locator("input[name=kr_title]").fill("深圳：校园首单转化率从 12% 提升到 20%")
        await form.locator("input[name=kr_start]").fill("12")
        await form.locator("input[name=kr_target]").fill("20")
        await form.locator("button[type=submit]").click()
        await expect(hrbp.locator("#notice")).to_have_text("提案已提交，等待总部审批")
        await screenshot(hrbp, "loop-holly-proposal")

        hq = await board.log_in("hana")
        proposal = hq.locator(".proposal", has_text="深圳：校园首单转化率")

        async def waiting() -> bool:
            await hq.reload()
            await hq.wait_for_selector("#board:not([hidden]) article.kr")
            return await proposal.count() == 1

        await eventually(waiting, 60, "the proposal on HQ's board")
        assert await hq.locator(".proposal").count() == 2  # the demo's own one waits too
        await proposal.locator("input[name=note]").fill("同意，纳入华南校园计划")
        await proposal.locator("button.approve").click()
        await expect(hq.locator("#notice")).to_have_text("提案已批准，目标已生效")
        # HQ's operations figures come from the API's /metrics
        await expect(hq.locator("#ops dd[data-metric=ops_parked]")).to_have_text("0")
        await expect(hq.locator("#ops dd[data-metric=ops_lag]")).to_have_text("0")
        await expect(hq.locator("#ops dd[data-metric=ops_freshness]")).to_have_count(1)
        # the field notes' figures, measured from events, before and after
        await expect(hq.locator("#field-figures tr[data-figure]")).to_have_count(4)
        await hq.locator("#charts").screenshot(
            path=str(ARTIFACTS / "board" / "loop-hana-figures.png")
        )
        assert board.errors == []

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        defined = await conn.fetchrow(
            "SELECT actor, payload FROM event_store WHERE event_type = 'okr.kr.defined'"
            " AND payload->>'title' = $1",
            "深圳：校园首单转化率从 12% 提升到 20%",
        )
    finally:
        await conn.close()
    payload = json.loads(defined["payload"])
    assert defined["actor"] == "p-mgr-hq"
    assert (payload["owner_unit_id"], payload["owner_person_id"]) == ("shenzhen", "p-mgr-shenzhen")
    assert (Decimal(payload["start"]), Decimal(payload["target"])) == (12, 20)
