"""A simulated student: what one browser tab of a Streamlit 1.67 app does to the server, without
the browser, so that dozens of them fit in one asyncio process beside the server.

A tab's whole conversation with the server is one websocket at `<base>/_stcore/stream` carrying
protobufs (the ones the installed streamlit ships): the tab sends `BackMsg`s (`rerun_script` with
a `ClientState`), the server answers with `ForwardMsg`s (`new_session`, `delta`s, `auto_rerun`,
`script_finished`, ...). A `Student` does what the frontend (static/js/index.*.js) does with them:

- it opens the page over HTTP first (cookies: Streamlit's XSRF cookie, a load balancer's sticky
  cookie) and makes the frontend's two start-up requests, then opens the websocket with the same
  subprotocols, cookies and Origin as the browser, and asks for the first run of the page;
- it keeps the element tree from the deltas (enough to find widgets by label and read metrics),
  the widgets' values as the frontend's widget manager keeps them (all of them go with every
  rerun), and the forward-message cache (it names the big messages it holds, the server then
  sends only their hashes);
- it presses buttons and moves widgets as a user would, and runs each fragment's `run_every`
  timer as the frontend does: a plain `setInterval` that sends a rerun every interval whether or
  not the previous run has finished (the server merges requests that arrive during a run);
- it records every finished run (a `Redraw`), with the value of one watched metric.
"""
from __future__ import annotations

import asyncio
import http.cookiejar
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

FINISHED = ForwardMsg.ScriptFinishedStatus
# The widgets whose value the frontend keeps and sends with every rerun (see _value); buttons only
# send a trigger when pressed, and the app's custom components send nothing back.
VALUED = {"checkbox", "slider", "number_input", "radio", "selectbox"}
SUCCESS = (FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
# What the frontend puts in every rerun request's ContextInfo (Chromium here: UTC, en-US).
CONTEXT = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US", "is_embedded": False,
           "color_scheme": "light"}


@dataclass(slots=True)
class Node:
    """One element or block of the page, at its delta path (0 = main area, 1 = sidebar, ...)."""

    kind: str  # the Element's type ("button", "slider", "metric", ...) or "block"
    proto: object  # the Element (or Block) message
    run: str  # the script run that last wrote it
    fragment: str  # the fragment it belongs to ("" = none)

    @property
    def widget(self):
        """The element's own message (e.g. the Slider), or None for a block."""
        return None if self.kind == "block" else getattr(self.proto, self.kind)


@dataclass
class Redraw:
    """A run of the script (or of fragments) that finished."""

    t: float  # time.monotonic() when its script_finished arrived
    fragments: tuple  # ids of the fragments it ran; () for a full run of the page
    status: int  # ForwardMsg.ScriptFinishedStatus
    watched: str | None  # the watched metric's value after it (e.g. the Step count)
    changed: bool  # the watched value differs from the one after the previous finished run


@dataclass
class _Timer:
    interval: float
    task: asyncio.Task


class Student:
    """One browser tab on `url + path`, e.g. Student("http://127.0.0.1:8501", "/train?seed=3");
    `watch` names the st.metric whose value each Redraw records."""

    def __init__(self, url: str, path: str = "/", watch: str = "Step"):
        self.base = url.rstrip("/")
        self.path, _, self.query = path.lstrip("/").partition("?")
        self.watch = watch
        self.nodes: dict[tuple, Node] = {}
        self.widget_states: dict[str, WidgetState] = {}  # by widget id, in the order they appeared
        self.redraws: list[Redraw] = []
        self.page_script_hash = ""
        self.running = False  # the server says a run is in progress
        self.errors: list[str] = []  # exceptions the app showed, a lost connection
        self._cache: dict[str, list] = {}  # hash -> [raw ForwardMsg bytes, run count when last used, fragment]
        self._runs_finished = 0
        self._max_cache_age = 2
        self._run_id = ""
        self._timers: dict[str, _Timer] = {}
        self._waiters: list[tuple] = []  # (predicate, future) of wait_for calls
        self._ws = None
        self._reader = None
        self._closing = False
        self.jar = http.cookiejar.CookieJar()
        self.sent = 0  # rerun requests sent
        self.cache_hits = 0  # messages the server sent as a reference to one this student holds

    # --- opening the page ---------------------------------------------------------------------
    async def open(self, timeout: float = 120.0) -> None:
        """Load the page as a browser does, connect, and wait for the first run to finish."""
        await asyncio.to_thread(self._http_start)
        parts = urllib.parse.urlsplit(self.base)
        ws_url = urllib.parse.urlunsplit(("wss" if parts.scheme == "https" else "ws", parts.netloc,
                                          parts.path + "/_stcore/stream", "", ""))
        # The XSRF cookie's value goes in the subprotocol list, as the frontend sends it (the server
        # checks it against the cookie before it reads an auth cookie); a placeholder without one.
        xsrf = next((c.value for c in self.jar if c.name == "_streamlit_xsrf"), None)
        headers = {"Cookie": cookie} if (cookie := self._cookie_header(ws_url)) else {}
        self._ws = await connect(ws_url, subprotocols=["streamlit", xsrf or "PLACEHOLDER_AUTH_TOKEN"],
                                 origin=f"{parts.scheme}://{parts.netloc}", additional_headers=headers,
                                 max_size=None, ping_interval=None, open_timeout=timeout)
        self.upgrade_headers = self._ws.response.headers  # e.g. which replica a balancer chose
        self._reader = asyncio.create_task(self._read())
        await self._rerun(first=True)
        await self.wait_for(lambda s: any(r.status == FINISHED.FINISHED_SUCCESSFULLY for r in s.redraws), timeout)

    def _http_start(self) -> None:
        """GET the page (the server's XSRF cookie and a balancer's sticky cookie come with it), then
        the two requests the frontend makes before every websocket connection: health and host-config."""
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = f"{self.base}/{self.path}" + (f"?{self.query}" if self.query else "")
        for url in (page, self.base + "/_stcore/health", self.base + "/_stcore/host-config"):
            with opener.open(url, timeout=60) as r:
                r.read()

    def _cookie_header(self, ws_url: str) -> str | None:
        """The Cookie header a browser sends with the websocket upgrade: this jar's cookies for the URL."""
        req = urllib.request.Request(ws_url.replace("ws", "http", 1))
        self.jar.add_cookie_header(req)
        return req.get_header("Cookie")

    async def close(self) -> None:
        self._closing = True
        for t in self._timers.values():
            t.task.cancel()
        self._timers.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    # --- what a user does ----------------------------------------------------------------------
    def find(self, label: str, kind: str | None = None) -> Node:
        """The element whose label is `label` (a widget or a metric); the first drawn if several."""
        found = [n for n in self.nodes.values() if n.kind != "block" and (kind is None or n.kind == kind)
                 and getattr(n.widget, "label", None) == label]
        if not found:
            raise LookupError(f"no {kind or 'element'} labelled {label!r} on the page")
        return found[0]

    def metric(self, label: str) -> str | None:
        """The shown value of the st.metric labelled `label`, or None when there is none."""
        try:
            return self.find(label, "metric").widget.body
        except LookupError:
            return None

    async def click(self, label: str) -> None:
        """Press a button: its trigger goes with one rerun (of its fragment, if it is in one), then
        it is forgotten, as the frontend does."""
        node = self.find(label, "button")
        wid = node.widget.id
        self.widget_states[wid] = WidgetState(id=wid, trigger_value=True)
        await self._rerun(fragment=node.fragment)
        self.widget_states.pop(wid, None)

    async def set_value(self, label: str, value) -> None:
        """Move a widget to `value` and send the rerun the frontend sends: a slider takes a number,
        a select_slider, radio or selectbox one of its shown option labels, a checkbox or toggle a
        bool, a number_input a number."""
        node = self.find(label)
        w = node.widget
        state = WidgetState(id=w.id)
        if node.kind == "slider" and w.type == Slider.SELECT_SLIDER:
            if str(value) not in w.options:
                raise ValueError(f"{value!r} is not one of {label!r}'s options {list(w.options)}")
            state.string_array_value.data.append(str(value))
        elif node.kind == "slider":
            state.double_array_value.data.append(float(value))
        elif node.kind in ("radio", "selectbox"):
            if str(value) not in w.options:
                raise ValueError(f"{value!r} is not one of {label!r}'s options {list(w.options)}")
            state.string_value = str(value)
        elif node.kind == "checkbox":
            state.bool_value = bool(value)
        elif node.kind == "number_input" and w.data_type == NumberInput.INT:
            state.int_value = int(value)
        elif node.kind == "number_input":
            state.double_value = float(value)
        else:
            raise TypeError(f"cannot set a {node.kind}")
        self.widget_states[w.id] = state
        await self._rerun(fragment=node.fragment)

    async def wait_for(self, predicate, timeout: float = 60.0) -> None:
        """Wait until `predicate(self)` holds (checked after every message from the server); raise
        TimeoutError after `timeout` seconds, ConnectionError if the server closes the websocket."""
        if predicate(self):
            return
        waiter = (predicate, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter[1], timeout)
        finally:
            self._waiters.remove(waiter)

    def redraw_rate(self, t0: float, t1: float) -> float:
        """Redraws per second between two time.monotonic() readings: finished runs that changed the
        watched metric (what a person sees move)."""
        return sum(t0 <= r.t <= t1 and r.changed for r in self.redraws) / (t1 - t0)

    # --- to the server ---------------------------------------------------------------------------
    async def _rerun(self, fragment: str = "", auto: bool = False, first: bool = False) -> None:
        """A rerun_script request as the frontend builds it: the query string, every widget's state,
        the page (by name on the first request, by script hash after), the fragment to rerun, the
        hashes of the cached messages, and the browser's context."""
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.widget_states.widgets.extend(self.widget_states.values())
        if first:
            cs.page_name = self.path
        else:
            cs.page_script_hash = self.page_script_hash
        cs.fragment_id = fragment
        cs.is_auto_rerun = auto
        cs.cached_message_hashes.extend(self._cache)
        cs.context_info.url = f"{self.base}/{self.path}"
        for k, v in CONTEXT.items():
            setattr(cs.context_info, k, v)
        self.sent += 1
        await self._ws.send(msg.SerializeToString())

    async def _auto_rerun(self, fragment: str, interval: float) -> None:
        """The frontend's setInterval for a fragment's run_every: a rerun of the fragment every
        interval, not waiting for the last one to finish; ticks missed while busy are dropped."""
        loop = asyncio.get_running_loop()
        due = loop.time() + interval
        while not self._ws.close_code:
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                await self._rerun(fragment=fragment, auto=True)
            except ConnectionClosed:
                return
            due = max(due + interval, loop.time())

    # --- from the server -----------------------------------------------------------------------
    async def _read(self) -> None:
        """Handle every message from the server in order; wake the waiters it satisfies."""
        try:
            async for raw in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(self._through_cache(msg, raw))
                for predicate, fut in self._waiters:
                    if not fut.done() and predicate(self):
                        fut.set_result(None)
            if not self._closing:
                self.errors.append("the server closed the websocket")
        except Exception as e:  # noqa: BLE001  (kept for the caller, like the frontend's error dialog)
            if not self._closing:
                self.errors.append(f"{type(e).__name__}: {e}")
        for _, fut in self._waiters:
            if not fut.done():
                fut.set_exception(ConnectionError(self.errors[-1] if self.errors else "closed"))

    def _through_cache(self, msg: ForwardMsg, raw: bytes) -> ForwardMsg:
        """The forward-message cache: keep big (cacheable) messages by hash; a `ref_hash` message
        stands for the cached one (with the reference's metadata, e.g. its delta path)."""
        if msg.ref_hash:
            entry = self._cache[msg.ref_hash]  # a miss is a protocol error, as in the frontend
            entry[1] = self._runs_finished
            self.cache_hits += 1
            full = ForwardMsg()
            full.ParseFromString(entry[0])
            full.metadata.CopyFrom(msg.metadata)
            return full
        if msg.metadata.cacheable and msg.hash and msg.hash not in self._cache:
            self._cache[msg.hash] = [raw, self._runs_finished, msg.delta.fragment_id]
        return msg

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self._new_run(msg)
        elif kind == "delta":
            self._apply_delta(msg)
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string  # the app rewrote the address bar
        elif kind == "navigation":
            self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "session_status_changed":
            self.running = msg.session_status_changed.script_is_running
        elif kind == "auto_rerun":
            self._start_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for f in msg.stop_auto_rerun.fragment_ids:
                self._stop_timer(f)
        elif kind == "script_finished":
            self._finished(msg)

    def _new_run(self, msg: ForwardMsg) -> None:
        """A run starts. A full run clears every fragment timer (the page's run re-sends the ones
        that still apply); a new page clears the tree."""
        ns = msg.new_session
        self._run_id = msg.metadata.run.script_run_id
        self._max_cache_age = ns.config.max_cached_message_age
        if not msg.metadata.run.fragment_ids:
            for f in list(self._timers):
                self._stop_timer(f)
        if ns.page_script_hash != self.page_script_hash:
            self.nodes.clear()
            self.page_script_hash = ns.page_script_hash

    def _apply_delta(self, msg: ForwardMsg) -> None:
        d = msg.delta
        path = tuple(msg.metadata.delta_path)
        if d.WhichOneof("type") == "new_element":
            node = Node(d.new_element.WhichOneof("type"), d.new_element, self._run_id, d.fragment_id)
            if self.nodes.get(path, node).kind == "block":  # an element replaces a block and its children
                self._drop_below(path)
            self.nodes[path] = node
            self._mount_widget(node)
        elif d.WhichOneof("type") == "add_block":
            self.nodes[path] = Node("block", d.add_block, self._run_id, d.fragment_id)

    def _mount_widget(self, node: Node) -> None:
        """The value a widget takes when the frontend draws it: the one it already holds, or its
        default; the value the script set (`set_value`) wins over both. Buttons hold no value."""
        if node.kind not in VALUED:
            return
        w = node.widget
        if w.id in self.widget_states and not w.set_value:
            return
        state = _value(node.kind, w, current=w.set_value)
        if state is not None:
            self.widget_states[w.id] = state

    def _finished(self, msg: ForwardMsg) -> None:
        """A run ended: drop the elements it did not redraw (within its fragments, for a fragment
        run) and the state of widgets no longer drawn; age the cache; record the redraw."""
        status = msg.script_finished
        run = msg.metadata.run if msg.metadata.HasField("run") else None
        fragments = tuple(run.fragment_ids) if run else ()
        if run and status in SUCCESS and (fragments or run.script_run_id == self._run_id):
            stale = [p for p, n in self.nodes.items()
                     if n.run != run.script_run_id and (not fragments or n.fragment in fragments)]
            for p in stale:
                self.nodes.pop(p, None)
            drawn = {n.widget.id for n in self.nodes.values() if n.kind in VALUED}
            for wid in [w for w in self.widget_states if w not in drawn]:
                del self.widget_states[wid]
        if run and status != FINISHED.FINISHED_EARLY_FOR_RERUN:
            self._runs_finished += 1
            for h, (_, used, frag) in list(self._cache.items()):
                if (not fragments or frag in fragments) and self._runs_finished - used > self._max_cache_age:
                    del self._cache[h]
        if status == FINISHED.FINISHED_WITH_COMPILE_ERROR:
            self.errors.append("the script did not compile")
        self.errors += [n.widget.message for n in self.nodes.values() if n.kind == "exception"
                        and n.widget.message not in self.errors]
        watched = self.metric(self.watch)
        before = self.redraws[-1].watched if self.redraws else None
        self.redraws.append(Redraw(time.monotonic(), fragments, status, watched, watched != before))

    def _drop_below(self, path: tuple) -> None:
        for p in [p for p in self.nodes if len(p) > len(path) and p[:len(path)] == path]:
            del self.nodes[p]

    def _start_timer(self, fragment: str, interval: float) -> None:
        """As the frontend: the same interval again keeps the running timer; another replaces it."""
        if not fragment or (fragment in self._timers and self._timers[fragment].interval == interval):
            return
        self._stop_timer(fragment)
        self._timers[fragment] = _Timer(interval, asyncio.create_task(self._auto_rerun(fragment, interval)))

    def _stop_timer(self, fragment: str) -> None:
        t = self._timers.pop(fragment, None)
        if t is not None:
            t.task.cancel()

    @property
    def auto_rerun_interval(self) -> float | None:
        """The live fragment's timer interval while one runs (seconds), else None."""
        return next((t.interval for t in self._timers.values()), None)


def _value(kind: str, w, current: bool) -> WidgetState | None:
    """A widget's state from its proto, as the frontend's widget for `kind` computes it: the
    script's value (`current`) or the default. None for widgets this student does not know."""
    s = WidgetState(id=w.id)
    if kind == "checkbox":
        s.bool_value = w.value if current else w.default
    elif kind == "slider" and w.type == Slider.SELECT_SLIDER:
        shown = list(w.raw_value) if current and w.raw_value else [w.options[int(i)] for i in w.default]
        s.string_array_value.data.extend(shown)
    elif kind == "slider":
        s.double_array_value.data.extend(w.value if current else w.default)
    elif kind == "number_input":
        v = w.value if current and w.HasField("value") else (w.default if w.HasField("default") else None)
        if v is None:
            return None
        if w.data_type == NumberInput.INT:
            s.int_value = int(v)
        else:
            s.double_value = v
    else:  # radio, selectbox
        if current and w.HasField("raw_value"):
            s.string_value = w.raw_value
        elif w.HasField("default") and w.options:
            s.string_value = w.options[w.default]
        else:
            return None
    return s


def run_alone(coro, timeout: float):
    """Run `coro` to its end on a thread of its own: the caller's thread may already run an event
    loop (Playwright's sync API keeps one for the whole test session)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, timeout)).result()
