"""Shared fixtures: the repo root, a live streamlit server, and Debian's Chromium via Playwright."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run streamlit_app.py` (or another script, from another folder) on a free port,
    for browser tests and benchmarks."""

    def __init__(self, port: int | None = None, env: dict | None = None,
                 script: str = "streamlit_app.py", cwd: Path = ROOT):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The server's log goes to a file, not a pipe: nobody reads a pipe while tests run, and a
        # server whose pipe filled up would block on its next log line.
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1"],
            cwd=cwd, stdout=subprocess.DEVNULL, stderr=self.log,
            env={**os.environ, "MNIST37_DATA": str(ROOT / ".pytest_cache" / "no-mnist"), **(env or {})})
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=1)
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.output()[-2000:])
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("streamlit did not become healthy in 60 s")

    def output(self) -> str:
        """What the server has logged so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


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


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until streamlit has finished a run: the app root says its script is not running (the
    attribute Streamlit's own browser tests wait on; the 'running' status widget shows only after a
    delay, so its absence alone can come before the run's last elements) and no status widget shows."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state')
                 === 'notRunning' && !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=timeout)


def metric_value(page, label: str) -> str:
    """The text of the st.metric whose label is `label`."""
    loc = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return loc.first.locator('[data-testid="stMetricValue"]').inner_text()
