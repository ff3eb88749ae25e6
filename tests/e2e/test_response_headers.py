"""Two promises about every answer (docs/reference/board-and-access.md): the board's page comes with
a Content-Security-Policy under which a browser runs only the board's own scripts — an inline script
put into the page does not run, and the browser reports the violation — and every answer, success or
refusal, page or JSON, carries `Server-Timing: app;dur=<ms>`."""

from __future__ import annotations

import re

import httpx

from tests.browser import launch_chromium
from tests.stack import hq_token, load_company, small_company, start_api

SERVER_TIMING = re.compile(r"app;dur=(\d+(?:\.\d+)?)")


async def test_every_answer_is_timed_and_the_board_runs_only_its_own_scripts(env):
    await load_company(env.settings, small_company())
    token = await hq_token(env.settings)
    base = await start_api(env)
    hq = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        answers = {
            "board page": await http.get("/board"),
            "board script": await http.get("/board/assets/board.js"),
            "health": await http.get("/healthz"),
            "json": await http.get("/v1/okr/cycles", headers=hq),
            "no token": await http.get("/v1/okr/cycles"),
            "unknown object": await http.get("/v1/okr/key-results/kr-none", headers=hq),
            "bad body": await http.post("/v1/okr/key-results", json={}, headers=hq),
        }
    statuses = {name: a.status_code for name, a in answers.items()}
    assert statuses == {"board page": 200, "board script": 200, "health": 200, "json": 200,
                        "no token": 401, "unknown object": 404, "bad body": 422}  # fmt: skip
    for name, answer in answers.items():
        timing = SERVER_TIMING.fullmatch(answer.headers.get("server-timing", ""))
        assert timing and float(timing.group(1)) >= 0, (name, answer.headers)

    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in answers["board page"].headers["content-security-policy"].split(";")
        if directive.strip()
    }
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]

    playwright, browser = await launch_chromium()
    try:
        page = await browser.new_page()
        await page.goto(f"{base}/board")
        await page.wait_for_load_state("load")
        ran = await page.evaluate(
            """() => new Promise(resolve => {
                const seen = [];
                document.addEventListener('securitypolicyviolation',
                    e => seen.push(e.violatedDirective));
                const inline = document.createElement('script');
                inline.textContent = 'window.__inline = 1';
                document.head.appendChild(inline);
                setTimeout(() => resolve({inline: window.__inline ?? null, seen}), 200);
            })"""
        )
        # the board's own script ran: it writes the labels the page's HTML leaves empty
        own = await page.text_content("#lang")
    finally:
        await browser.close()
        await playwright.stop()
    assert ran["inline"] is None, "an inline script ran under the board's policy"
    assert any(d.startswith("script-src") for d in ran["seen"]), ran
    assert own in ("English", "中文"), own
