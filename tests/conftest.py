"""Shared fixtures: the repo root, a live streamlit server, and Debian's Chromium via Playwright."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import CHROMIUM, CHROMIUM_ARGS
from harness.server import StreamlitServer


@pytest.fixture(scope="session")
def server():
    s = StreamlitServer()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium on this machine (make test installs it where it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = ctx.new_page()
    yield pg
    ctx.close()


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of the suite's own (harness.postgres), for the whole session."""
    from harness.postgres import PostgresServer, why_not

    reason = why_not()
    if reason:
        pytest.skip(reason)
    with PostgresServer() as pg:
        yield pg
