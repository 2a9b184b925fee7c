"""`make serve`: app processes behind HAProxy, sticky by cookie. Over plain HTTP and a websocket:
every response names its replica, a new client is balanced, a returning one stays, a dead
replica's clients go to a live one. In Chromium: two students on two replicas train, draw and load
weights; one replica is killed: its student comes back on the other as a fresh session, the other
student goes on undisturbed."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from websockets.sync.client import connect

from deploy.serve import find_haproxy, render
from harness.browser import SEVEN, THREE, draw, wait_for_app
from harness.server import BalancedApp

COOKIE = "MNIST37_REPLICA"
HEADER = "X-Mnist37-Replica"


def need_haproxy() -> str:
    path = find_haproxy()
    if path is None:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            pytest.fail("HAProxy is not installed but can be here: run `make haproxy` (apt-get install haproxy)")
        pytest.skip("no HAProxy here and no way to install it (needs root and apt-get: apt-get install haproxy)")
    return path


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def stop_and_check(app: BalancedApp) -> None:
    """Stop it as a supervisor would (SIGTERM) and check that nothing it started is left."""
    assert app.stop() == 0, app.output()[-2000:]
    left = [pid for pid in app.pids() if not gone(pid)]
    assert not left, f"still running after the launcher stopped: {left}"


@pytest.fixture(scope="module")
def app():
    need_haproxy()
    a = BalancedApp(replicas=2)
    yield a
    stop_and_check(a)


def get(url: str, cookie: str | None = None, method: str = "GET"):
    """(status, headers) of one request, HTTP errors included (they must name their replica too)."""
    req = urllib.request.Request(url, method=method, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


def sets_cookie(headers, name: str) -> bool:
    return f"{COOKIE}={name}; path=/; HttpOnly" in (headers.get_all("Set-Cookie") or [])


def test_the_template_renders_a_configuration_haproxy_accepts(tmp_path):
    cfg = render(8501, [9001, 9002, 9003])
    assert "bind :8501" in cfg and "server r3 127.0.0.1:9003 cookie r3" in cfg
    assert "$" not in cfg.replace("%[srv_name]", "")  # every placeholder filled
    (tmp_path / "haproxy.cfg").write_text(cfg)
    check = subprocess.run([need_haproxy(), "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True)
    assert check.returncode == 0 and "WARNING" not in check.stdout + check.stderr, check.stdout + check.stderr


def test_a_new_client_is_balanced_and_a_returning_one_stays(app):
    seen = []
    for _ in range(6):
        status, h = get(app.url + "/")
        assert status == 200 and h[HEADER] in app.replicas and sets_cookie(h, h[HEADER])
        seen.append(h[HEADER])
    assert set(seen) == set(app.replicas), seen  # both replicas get new clients

    for name in app.replicas:
        # With the cookie, the page, the health check, uploads and media files (here refused or not
        # found: there is no such session or file) all reach that replica, and each answer names it.
        # /app/static/ answers only where the repo's .streamlit/config.toml (enableStaticServing) was read.
        for path, method in (("/", "GET"), ("/train?seed=3", "GET"), ("/_stcore/health", "GET"),
                             ("/app/static/README.md", "GET"),
                             ("/_stcore/host-config", "GET"), ("/_stcore/upload_file/no-session/no-file", "PUT"),
                             ("/media/nothing.png", "GET")):
            status, h = get(app.url + path, cookie=name, method=method)
            assert status < 500 and h[HEADER] == name, (name, path, status)
            assert status == 200 or "/_stcore/upload_file/" in path or "/media/" in path, (name, path, status)
            assert not sets_cookie(h, name), (name, path)  # `indirect`: no new cookie for a client that has one


def test_the_websocket_reaches_the_cookies_replica_and_runs_a_session(app):
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    for name in app.replicas:
        with connect(app.url.replace("http", "ws") + "/_stcore/stream", subprotocols=["streamlit"],
                     additional_headers={"Cookie": f"{COOKIE}={name}"}, open_timeout=30) as ws:
            assert ws.response.status_code == 101 and ws.response.headers[HEADER] == name
            msg = BackMsg()
            msg.rerun_script.query_string = ""
            ws.send(msg.SerializeToString())
            kinds, fwd = set(), ForwardMsg()
            while not (fwd.WhichOneof("type") == "script_finished"
                       and fwd.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY):
                fwd = ForwardMsg()
                fwd.ParseFromString(ws.recv(timeout=60))
                kinds.add(fwd.WhichOneof("type"))
            assert {"new_session", "delta"} <= kinds, kinds  # the Home page, run and drawn


# --- Chromium: two students, two replicas, one replica dies ----------------------------------------
LONG = 120_000  # ms: generous, the machine is shared
METRIC_JS = """(label) => {
  const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
    .find(e => e.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === label);
  return m ? m.querySelector('[data-testid="stMetricValue"]').innerText.trim() : null;
}"""


class Student:
    """A browser context of its own (its own cookies: a student's laptop), the replica named by each
    of its page's responses, and what the student reads and does on the page."""

    def __init__(self, browser, origin: str, path: str):
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.ctx.new_page()
        self.replicas: list[str] = []  # X-Mnist37-Replica of each response from the app, in order
        self.page.on("response", lambda r: r.url.startswith(origin) and self.replicas.append(
            r.headers.get(HEADER.lower()) or f"none: {r.url}"))
        self.page.goto(origin + path)
        wait_for_app(self.page, LONG)

    @property
    def replica(self) -> str:
        return self.replicas[-1]

    def go(self, title: str) -> None:
        """Switch page in the same session, by the sidebar's navigation."""
        self.page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()

    def metric(self, label: str) -> str | None:
        return self.page.evaluate(f"({METRIC_JS})('{label}')")

    def step(self) -> int:
        return int(self.metric("Step"))

    def wait_metric(self, label: str, js_test: str) -> None:
        """Wait until the metric's text `v` passes `js_test`, e.g. "Number(v) >= 10"."""
        js = f"() => {{ const v = ({METRIC_JS})('{label}'); return v !== null && ({js_test}); }}"
        self.page.wait_for_function(js, timeout=LONG, polling=200)

    def click(self, button: str) -> None:
        self.page.get_by_role("button", name=button, exact=True).click()

    def shows_no_error(self) -> bool:
        return self.page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count() == 0

    def load_weights_then_draw(self, weights_file, strokes, want: str) -> None:
        """Load weights on the Model page (where it is), then draw on the Draw page: the loaded model decides."""
        upload = self.page.locator('[data-testid="stFileUploader"] input[type="file"]')
        upload.wait_for(state="attached", timeout=LONG)
        upload.set_input_files(str(weights_file))
        self.page.get_by_text(f"The Draw page and this page use the weights loaded from {weights_file.name}"
                              ).wait_for(timeout=LONG)
        self.go("Draw")
        self.page.wait_for_selector("canvas.upper-canvas", timeout=LONG)
        wait_for_app(self.page, LONG)
        draw(self.page, strokes)
        self.wait_metric("Decision", f"v === '{want}'")


@pytest.mark.browser
def test_students_served_by_two_replicas_are_in_one_teachers_class(app, browser):
    """The class lives in the store every replica shares (one SQLite file here): a teacher on one
    replica sees students served by both."""
    from tests.test_browser_class import draw_meaning, join, start_class

    def replica(person) -> str:
        return next(c["value"] for c in person.ctx.cookies() if c["name"] == "MNIST37_REPLICA")

    teacher, students_link, _ = start_class(browser, app.url)
    people, on = [], {}
    try:
        while len(on) < 2 and len(people) < 6:  # new browsers until one student is on each replica
            people.append(join(browser, students_link, f"student{len(people) + 1}"))
            on.setdefault(replica(people[-1]), people[-1])
        assert set(on) == set(app.replicas), on
        for person, strokes, meant in zip(on.values(), (THREE, SEVEN), (3, 7)):
            person.go("Draw")
            draw_meaning(person, strokes, meant)
        teacher.wait_metrics({"Students": str(len(people)), "Drawings": "2"})
        assert teacher.no_error()
    finally:
        for person in [teacher, *people]:
            person.ctx.close()


@pytest.mark.browser
def test_two_students_on_two_replicas_then_one_replica_dies(app, browser, tmp_path):
    from mnist37.weights import to_bytes

    # Weights that decide the same whatever is drawn: "3" (logit +5) for one student, "7" (-5) for
    # the other, each drawing the other digit, so the decision shows that the loaded model is used.
    says3, says7 = tmp_path / "says3.pt", tmp_path / "says7.pt"
    says3.write_bytes(to_bytes(np.zeros(784, np.float32), 5.0))
    says7.write_bytes(to_bytes(np.zeros(784, np.float32), -5.0))
    settings = "/model?epochs=200&bs=64"  # 5,400 steps: still training when the replica dies
    a = Student(browser, app.url, settings + "&seed=1")
    b = Student(browser, app.url, settings + "&seed=2")  # a's websocket is open: b goes elsewhere
    try:
        assert {a.replica, b.replica} == set(app.replicas), (a.replicas, b.replicas)
        a.load_weights_then_draw(says3, SEVEN, "3")
        b.load_weights_then_draw(says7, THREE, "7")
        for s in (a, b):
            s.go("Train")
            s.wait_metric("Step", "v === '0'")
            s.click("Train")
        for s in (a, b):
            s.wait_metric("Step", "Number(v) >= 15")
            assert s.shows_no_error() and set(s.replicas) == {s.replica}, s.replicas  # one replica throughout

        b_replica, a_seen = b.replica, len(a.replicas)
        os.kill(app.replicas[a.replica]["pid"], signal.SIGKILL)
        b_steps = [b.step()]
        # Streamlit's frontend reconnects a's page by itself, through HAProxy to the live replica, and
        # reruns the page there (its live fragment was running) in a fresh session: Step 0, Train.
        a.page.get_by_role("button", name="Train", exact=True).wait_for(timeout=LONG)
        a.wait_metric("Step", "v === '0'")
        b_steps.append(b.step())
        assert a.shows_no_error() and set(a.replicas[a_seen:]) == {b_replica}, a.replicas[a_seen:]
        a.click("Train")
        a.wait_metric("Step", "Number(v) >= 10")
        b_steps.append(b.step())
        assert a.shows_no_error()
        # b never noticed: the same replica all along, still training, never reset.
        assert b_steps == sorted(b_steps) and b_steps[-1] > b_steps[0], b_steps
        assert set(b.replicas) == {b_replica} and b.shows_no_error()
        assert b.page.get_by_role("button", name="Pause", exact=True).count() == 1
        assert "1 of 2 replicas left" in app.output()
    finally:
        for s in (a, b):
            s.ctx.close()


def test_a_dead_replicas_clients_go_to_a_live_one_and_the_launcher_says_so(app):
    """The module's last test: the browser test above killed one replica; without it, this kills r1."""
    dead = [n for n, r in app.replicas.items() if gone(r["pid"])] or ["r1"]
    victim, = dead
    survivor, = set(app.replicas) - {victim}
    if not gone(app.replicas[victim]["pid"]):
        os.kill(app.replicas[victim]["pid"], signal.SIGKILL)
    # A client of the dead replica keeps its cookie; its next request is served by the live one,
    # which re-cookies it.
    status, h = get(app.url + "/_stcore/health", cookie=victim)
    assert status == 200 and h[HEADER] == survivor and sets_cookie(h, survivor)
    assert {get(app.url + "/")[1][HEADER] for _ in range(4)} == {survivor}  # new clients too
    deadline = time.time() + 10
    while "1 of 2 replicas left" not in app.output() and time.time() < deadline:
        time.sleep(0.2)
    assert f"replica {victim} (pid {app.replicas[victim]['pid']}) was killed by signal 9" in app.output()
    assert "1 of 2 replicas left" in app.output()
