"""The simulated student (harness.student) against a live server: it opens a page with a query
string, finds widgets by label, presses buttons, moves a select_slider, follows the live
fragment's timer until the server stops it, and speaks the protocol's cache and cookies."""
from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import textwrap
import time

import pytest

from harness.procstat import server_processes
from harness.server import StreamlitServer, free_port
from harness.student import Student, run_alone
from mnist37.pacing import LADDER

LONG = 120.0  # seconds: the machine is shared


def run(coro):
    return run_alone(coro, 4 * LONG)


async def opened(url: str, path: str) -> Student:
    s = Student(url, path)
    await s.open(LONG)
    return s


@pytest.fixture(scope="module")
def url(server):
    """The app's root opened once (a fresh server's first sub-page request is routed specially)."""
    async def root():
        await (await opened(server.url, "/")).close()
    run(root())
    return server.url


def test_a_query_string_reaches_the_session(url):
    async def go():
        s = await opened(url, "/train?seed=3&epochs=200")
        try:
            seed = s.widget_states[s.find("Seed", "number_input").widget.id]
            assert seed.int_value == 3
            assert s.metric("Epoch") == "0 / 200"
            assert "seed=3" in s.query.split("&") and "epochs=200" in s.query.split("&")  # the app's link
            assert not s.errors
        finally:
            await s.close()
    run(go())


def test_train_redraws_on_the_fragment_timer_until_pause(url):
    async def go():
        s = await opened(url, "/train?seed=1&epochs=200")
        try:
            assert s.auto_rerun_interval is None and s.metric("Step") == "0"
            await s.click("Train")
            await s.wait_for(lambda s: s.auto_rerun_interval is not None, LONG)
            assert any(abs(s.auto_rerun_interval - x) < 1e-6 for x in LADDER)  # the pacer's rung (it follows the load)
            start = len(s.redraws)
            await s.wait_for(lambda s: sum(r.changed for r in s.redraws[start:]) >= 5, LONG)
            live = [r for r in s.redraws[start:] if r.fragments]
            steps = [int(r.watched) for r in live]
            assert len(live) >= 4 and steps == sorted(steps) and steps[-1] > steps[0]
            await s.click("Pause")
            await s.wait_for(lambda s: s.auto_rerun_interval is None, LONG)  # the page's run stopped the timer
            await s.wait_for(lambda s: not s.running, LONG)
            step, sent = s.metric("Step"), s.sent
            await asyncio.sleep(0.7)  # three intervals: no more timed reruns, no more steps
            assert (s.metric("Step"), s.sent) == (step, sent)
            assert s.find("Train", "button") and not s.errors
        finally:
            await s.close()
    run(go())


def test_moving_the_learning_rate_select_slider(url):
    async def go():
        s = await opened(url, "/train?seed=2")
        try:
            await s.set_value("Learning rate (lr)", "0.1")
            await s.wait_for(lambda s: "lr=0.1" in s.query.split("&"), LONG)  # the session took it
            lr = s.widget_states[s.find("Learning rate (lr)").widget.id]
            assert list(lr.string_array_value.data) == ["0.1"]
            with pytest.raises(ValueError):
                await s.set_value("Learning rate (lr)", "0.3")  # not on the page's grid
            with pytest.raises(LookupError):
                s.find("Momentum")
        finally:
            await s.close()
    run(go())


def test_big_unchanged_messages_come_back_as_references(url):
    """The live charts (one element, over the cache's 10 kB) are the same after a change of speed (a
    full rerun that trains nothing): the student named them among its cached messages, so the server
    sent only their hash, and the student put the cached message back in its place."""
    async def go():
        s = await opened(url, "/train?seed=4")
        try:
            charts = lambda s: sorted(p for p, n in s.nodes.items() if n.kind == "bidi_component")  # noqa: E731
            before = charts(s)
            runs = len(s.redraws)
            await s.set_value("Speed (steps per redraw)", "10")
            await s.wait_for(lambda s: len(s.redraws) > runs, LONG)
            assert not s.redraws[-1].fragments  # a full run of the page
            assert s.cache_hits >= 1 and charts(s) == before and not s.errors
        finally:
            await s.close()
    run(go())


APP = '''
import streamlit as st
st.metric("xsrf cookie", "yes" if "_streamlit_xsrf" in st.context.cookies else "no")
st.metric("origin", st.context.headers.get("Origin", "none"))
'''


def test_the_websocket_carries_the_pages_cookies_and_origin(tmp_path):
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    server = StreamlitServer(script="app.py", cwd=tmp_path)
    try:
        async def go():
            s = await opened(server.url, "/")
            await s.close()
            return s
        s = run(go())
        assert s.metric("xsrf cookie") == "yes"  # set by the page's GET, sent with the upgrade
        assert s.metric("origin") == server.url
    finally:
        server.stop()


HAPROXY = """
defaults
  mode http
  timeout connect 5s
  timeout client 1h
  timeout server 1h
frontend app
  bind 127.0.0.1:{port}
  default_backend replicas
backend replicas
  balance roundrobin
  cookie REPLICA insert indirect nocache
  http-response set-header X-Replica %[srv_name]
  server a 127.0.0.1:{a} cookie a
  server b 127.0.0.1:{b} cookie b
"""


@pytest.mark.skipif(not shutil.which("haproxy"), reason="no haproxy on this machine (apt-get install haproxy)")
def test_behind_a_balancer_the_websocket_stays_on_the_replica_that_served_the_page(tmp_path):
    """Round robin would send the page's GET, the two start-up requests and the websocket to
    alternate replicas; the balancer's cookie from the GET keeps them on one."""
    app = tmp_path / "app.py"
    app.write_text('import streamlit as st\nst.metric("ok", "yes")\n')
    servers = [StreamlitServer(script="app.py", cwd=tmp_path) for _ in range(2)]
    port = free_port()
    (tmp_path / "haproxy.cfg").write_text(HAPROXY.format(port=port, a=servers[0].port, b=servers[1].port))
    balancer = subprocess.Popen(["haproxy", "-db", "-f", str(tmp_path / "haproxy.cfg")])
    try:
        deadline = time.time() + 30
        while True:  # until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline and balancer.poll() is None, "haproxy did not start"
                time.sleep(0.1)
        async def go():
            got = []
            for _ in range(2):
                s = await opened(f"http://127.0.0.1:{port}", "/")
                got.append(([c.value for c in s.jar if c.name == "REPLICA"], s.upgrade_headers.get("X-Replica")))
                if len(got) == 2:
                    got.append(server_processes(port)[0])
                await s.close()
            return got
        first, second, pids = run(go())
        assert first == (["a"], "a") and second == (["b"], "b")
        assert pids == sorted(s.pid for s in servers)  # the app processes behind the balancer
    finally:
        balancer.terminate()
        balancer.wait(10)
        for s in servers:
            s.stop()
