"""Shared fixtures: the repo root, a live streamlit server, and Debian's Chromium via Playwright."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from harness.browser import CHROMIUM, CHROMIUM_ARGS
from harness.server import StreamlitServer

# The class store of every app the tests start (AppTest and live servers): a SQLite file of the
# suite's own, never the user's ~/.cache/mnist37.
_DB_DIR = tempfile.mkdtemp(prefix="mnist37-test-db-")
atexit.register(shutil.rmtree, _DB_DIR, True)
os.environ.setdefault("MNIST37_DB", f"sqlite:///{_DB_DIR}/classes.sqlite3")


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
