"""Fixtures for the end-to-end tier: one live ArtGuard per session and headless Chromium from
Debian's packages. Screenshots of each journey step go to test-artifacts/screenshots/ so a
person can look (CI keeps the folder)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.e2e.livestack import ROOT, start_live_stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory):
    stack = start_live_stack(tmp_path_factory.mktemp("live"))
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (scripts/install_browser.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Journey:
    """A browser page plus numbered screenshots under test-artifacts/screenshots/<name>/."""

    def __init__(self, page, name: str):
        self.page = page
        self.folder = SCREENSHOTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.step = 0

    def shot(self, label: str) -> Path:
        self.step += 1
        path = self.folder / f"{self.step:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def journey(chromium, live_stack, request):
    context = chromium.new_context(base_url=live_stack.base_url, accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Chromium reports what the Content-Security-Policy blocked on the console ("Refused to ...").
    page.on("console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None)
    yield Journey(page, request.node.name)
    context.close()
    assert not errors, f"JavaScript errors or Content-Security-Policy violations on the page: {errors}"
