"""Debian's Chromium, driven by Playwright for the board's browser tests and benchmark: the
system browser (`make test` installs it), never one downloaded at run time."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

# Headless as root on a machine with a closed network: no sandbox (root), and none of the
# background connections Chromium would otherwise try at every start.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


async def launch_chromium() -> tuple[Any, Any]:
    """(playwright, browser); stop both when done: `await browser.close(); await pw.stop()`."""
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    playwright = await async_playwright().start()
    browser = await playwright.chromium.launch(
        executable_path=executable, headless=True, args=list(CHROMIUM_FLAGS)
    )
    return playwright, browser


async def add_board_users(env: Any, people: dict[str, tuple[str, str, str]], password: str) -> None:
    """Board logins (`northstar users add`) for `people`: username -> (role, person, unit)."""
    from tests.stack import run_cli

    for username, (role, person, unit) in people.items():
        added = await run_cli(
            env,
            *("users", "add", username, "--role", role, "--person", person, "--unit", unit),
            "--password-stdin",
            input=password + "\n",
        )
        assert added.returncode == 0, added.stderr


async def log_in(
    browser: Any, base: str, username: str, password: str, **context_options: Any
) -> tuple[Any, Any, list[str]]:
    """(context, page, page errors) of a person logged in through the board's form."""
    context = await browser.new_context(**context_options)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{base}/board")
    await page.fill("#login-form input[name=username]", username)
    await page.fill("#login-form input[name=password]", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#board:not([hidden]) article.kr")
    return context, page, errors


async def screenshot(page: Any, name: str, full_page: bool = True) -> None:
    """A screenshot in test-artifacts/board/."""
    from tests.stack import ARTIFACTS

    folder = ARTIFACTS / "board"
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


class BoardSessions:
    """People logged in to one board in one browser; their pages' errors are collected."""

    def __init__(self, browser: Any, base: str, password: str) -> None:
        self.browser, self.base, self.password = browser, base, password
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    async def log_in(self, username: str, **context_options: Any) -> Any:
        """The board's page of `username`, logged in through the form."""
        context, page, errors = await log_in(
            self.browser, self.base, username, self.password, **context_options
        )
        self.contexts.append(context)
        page.on("pageerror", lambda exc: self.errors.append(f"{username}: {exc}"))
        self.errors.extend(errors)
        return page


@asynccontextmanager
async def board_sessions(base: str, password: str) -> AsyncIterator[BoardSessions]:
    """Chromium for the length of the block, every context and the browser closed after."""
    playwright, browser = await launch_chromium()
    sessions = BoardSessions(browser, base, password)
    try:
        yield sessions
    finally:
        for context in sessions.contexts:
            await context.close()
        await browser.close()
        await playwright.stop()
