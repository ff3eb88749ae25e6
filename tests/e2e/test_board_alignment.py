"""Alignment on the board, in Chromium against the real stack: a city manager creates an
objective under a parent he chooses from his chain, attaches a new three-field KR to it, sees
both in his alignment chain, then re-aligns the objective to another parent. Each step goes
through the commands; checked against the OKR read models' tables, not what the page was given."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
from playwright.async_api import expect

from tests.browser import add_board_users, board_sessions, screenshot
from tests.stack import eventually, live_okr_company, start_api

PASSWORD = "board-align-password-1"
PEOPLE = {"mike": ("manager", "p-mgr-shanghai", "shanghai")}
TITLE = "校园渠道：上海高校覆盖 Campus accounts in Shanghai"
KR = "30 campus accounts place a first order"


async def test_a_manager_aligns_a_new_objective_and_kr_and_realigns_it(env, tmp_path):
    await live_okr_company(env, tmp_path, adjustments=0)
    await add_board_users(env, PEOPLE, PASSWORD)
    base = await start_api(env)
    conn = await asyncpg.connect(env.settings.dsn)

    async def objective_of(title: str) -> asyncpg.Record | None:
        return await conn.fetchrow(
            "SELECT objective_id, owner_person_id, cycle_id FROM okr_objective WHERE title = $1",
            title,
        )

    async def parents_of(objective_id: str) -> list[str]:
        rows = await conn.fetch(
            "SELECT parent_id FROM okr_alignment WHERE child_id = $1 ORDER BY parent_id",
            objective_id,
        )
        return [r[0] for r in rows]

    try:
        async with board_sessions(base, PASSWORD) as board:
            page = await board.log_in("mike")
            form = page.locator("#objective-form")
            await form.locator("input[name=objective_title]").fill(TITLE)
            await form.locator("select[name=parent]").select_option("o-east")
            await form.locator("button[type=submit]").click()

            async def defined() -> bool:
                return await objective_of(TITLE) is not None

            await eventually(defined, 60, "the new objective in the read models")
            objective = await objective_of(TITLE)
            assert objective["owner_person_id"] == "p-mgr-shanghai"
            new_id = objective["objective_id"]
            assert await parents_of(new_id) == ["o-east"]

            await page.reload()  # the board as it reads once the read models hold the objective
            kr_form = page.locator("#kr-form")
            await kr_form.locator("input[name=kr_description]").fill(KR)
            await kr_form.locator("input[name=kr_target]").fill("30")
            option = kr_form.locator(f'select[name=kr_objective] option[value="{new_id}"]')
            await expect(option).to_have_count(1, timeout=30_000)
            await kr_form.locator("select[name=kr_objective]").select_option(new_id)
            await kr_form.locator("button[type=submit]").click()

            async def weighted() -> bool:
                return bool(
                    await conn.fetchval(
                        "SELECT count(*) FROM okr_kr_weight w JOIN okr_key_result k USING (kr_id)"
                        " WHERE w.objective_id = $1 AND k.title = $2",
                        new_id,
                        KR,
                    )
                )

            await eventually(weighted, 60, "the new KR weighted under the new objective")
            kr = await conn.fetchrow(
                "SELECT kr_id, owner_person_id, target_value FROM okr_key_result WHERE title = $1",
                KR,
            )
            assert (kr["owner_person_id"], kr["target_value"]) == ("p-mgr-shanghai", 30)
            weights = dict(
                await conn.fetch(
                    "SELECT kr_id, weight FROM okr_kr_weight WHERE objective_id = $1", new_id
                )
            )
            assert weights == {kr["kr_id"]: 100}  # the first KR of the objective holds it all

            # the chain shows the new objective under o-east, up to the north star
            await page.reload()
            chain = page.locator(f'#chain-list li[data-objective-id="{new_id}"]')
            await expect(chain).to_have_count(1, timeout=30_000)
            await expect(chain.locator('li[data-objective-id="o-east"]')).to_have_count(1)
            await expect(chain.locator('li[data-objective-id="o-hq"]')).to_have_count(1)
            # and the KR's card shows it counting 100 % towards the new objective
            card = page.locator(f'#my-krs article.kr[data-kr-id="{kr["kr_id"]}"]')
            weight = card.locator(f'.weight[data-objective-id="{new_id}"]')
            await expect(weight).to_have_count(1, timeout=30_000)
            assert Decimal(await weight.get_attribute("data-weight") or "") == 100
            await screenshot(page, "align-mike-chain")

            align = page.locator("#align-form")
            await align.locator("select[name=objective]").select_option(new_id)
            await align.locator("select[name=parent]").select_option("o-hq")
            await align.locator("button[type=submit]").click()

            async def realigned() -> bool:
                return await parents_of(new_id) == ["o-hq"]

            await eventually(realigned, 60, "the objective re-aligned to o-hq")
            await page.reload()
            chain = page.locator(f'#chain-list li[data-objective-id="{new_id}"]')
            await expect(chain.locator('li[data-objective-id="o-hq"]')).to_have_count(1)
            await expect(chain.locator('li[data-objective-id="o-east"]')).to_have_count(0)
    finally:
        await conn.close()


async def test_a_kr_attached_to_an_unknown_or_anothers_objective_is_refused_whole(env, tmp_path):
    """The three-field KR and its attachment are one transaction: a refused attachment (no such
    objective: 404; someone else's: 403, each naming `objective_id`) records no KR either."""
    import httpx

    from infra.postgres.accounts import create_client

    await live_okr_company(env, tmp_path, adjustments=0)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        token = await create_client(conn, "mike-tool", *PEOPLE["mike"])
        recorded = await conn.fetchval("SELECT count(*) FROM event_store")
        base = await start_api(env)
        async with httpx.AsyncClient(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            form = {"description": KR, "target": "30"}
            unknown = await http.post(
                "/v1/okr/key-results/three-fields", json={**form, "objective_id": "o-nope"}
            )
            theirs = await http.post(
                "/v1/okr/key-results/three-fields", json={**form, "objective_id": "o-east"}
            )
        assert (unknown.status_code, theirs.status_code) == (404, 403), (unknown.text, theirs.text)
        assert "objective_id" in unknown.json()["detail"] and "o-nope" in unknown.json()["detail"]
        assert "objective_id" in theirs.json()["detail"] and "o-east" in theirs.json()["detail"]
        assert await conn.fetchval("SELECT count(*) FROM event_store") == recorded
    finally:
        await conn.close()
