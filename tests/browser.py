"""Debian's Chromium, driven by Playwright for the board's browser tests and benchmark: the
system browser (`make test` installs it), never one downloaded at run time."""

from __future__ import annotations

import shutil
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
