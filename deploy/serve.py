"""Serve mnist37 on every core: N app processes (`server.py`, as `make run`) behind HAProxy.

    python deploy/serve.py --replicas 2 --port 8501      (what `make serve` runs)

It renders deploy/haproxy.cfg.in, starts the replicas on free ports of 127.0.0.1 (each with this
environment, from the repo root, so with its .streamlit/config.toml), waits until each answers
/_stcore/health, starts HAProxy in the foreground on --port, prints the address and then watches:
a replica that exits is reported (HAProxy sends its students to the others, as fresh sessions).
Ctrl-C or SIGTERM stops everything it started. Standard library only.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import selectors
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "haproxy.cfg.in"
HEALTH = "/_stcore/health"
INSTALL_HINT = "install it with `apt-get install haproxy` (as root), or run `make serve` as root"


class ServeError(Exception):
    """A problem the user can fix, said in one sentence."""


def find_haproxy() -> str | None:
    """HAProxy's path: on PATH, or in /usr/sbin (not on a normal user's PATH on Debian)."""
    return shutil.which("haproxy") or (shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(port: int, replica_ports: list[int], bind: str = "") -> str:
    """The HAProxy configuration: deploy/haproxy.cfg.in with the ports and one server per replica
    (named r1, r2, ...: the name is also its cookie value and its X-Mnist37-Replica header)."""
    servers = "\n".join(f"    server r{i} 127.0.0.1:{p} cookie r{i}" for i, p in enumerate(replica_ports, 1))
    return string.Template(TEMPLATE.read_text()).substitute(bind=bind, port=port, servers=servers)


def _die_with_parent():
    """Runs in each child before exec: the kernel kills it if this launcher dies, even by SIGKILL,
    so no replica or HAProxy outlives it. SIGKILL, since a graceful stop would fail on writing to
    its output pipe, which nobody reads any more."""
    _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: the child only calls it


class Child:
    """One process this launcher started, its output shown line by line with a [name] prefix."""

    def __init__(self, name: str, cmd: list[str], out: selectors.BaseSelector):
        self.name, self.reported, self._buf, self._out = name, False, b"", out
        # Its own session: a Ctrl-C in the terminal reaches only the launcher, which stops the
        # children in order (HAProxy first) instead of all of them at once.
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        os.set_blocking(self.proc.stdout.fileno(), False)
        out.register(self.proc.stdout, selectors.EVENT_READ, self)

    def pump(self) -> None:
        """Print the complete lines it has written so far."""
        try:
            chunk = self.proc.stdout.read()
        except (OSError, ValueError):
            return
        if chunk == b"" and self.proc.stdout.fileno() in self._out.get_map():
            self._out.unregister(self.proc.stdout)  # end of its output: stop watching the pipe
        if chunk:
            self._buf += chunk
            *lines, self._buf = self._buf.split(b"\n")
            for line in lines:
                print(f"[{self.name}] {line.decode(errors='replace').rstrip()}", flush=True)

    def exit_text(self) -> str:
        code = self.proc.returncode
        return f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"


class Launcher:
    def __init__(self, replicas: int, port: int, bind: str, streamlit_args: list[str], haproxy: str):
        self.replicas, self.port, self.bind = replicas, port, bind
        self.streamlit_args, self.haproxy_bin = streamlit_args, haproxy
        self.out = selectors.DefaultSelector()
        self.children: list[Child] = []
        self.haproxy: Child | None = None
        self.host = "127.0.0.1" if bind in ("", "0.0.0.0", "*") else bind  # where this launcher reaches it
        self.url = f"http://{self.host}:{port}"
        self.tmp = Path(tempfile.mkdtemp(prefix="mnist37-serve-"))

    # --- start ------------------------------------------------------------------------------------
    def start(self) -> None:
        self._check_port_free()
        self.ports = [free_port() for _ in range(self.replicas)]
        cfg = self.tmp / "haproxy.cfg"
        cfg.write_text(render(self.port, self.ports, self.bind))
        check = subprocess.run([self.haproxy_bin, "-c", "-f", str(cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            alerts = [l for l in (check.stdout + check.stderr).splitlines() if "ALERT" in l]
            raise ServeError(f"HAProxy refused its configuration: {' / '.join(alerts[:2])}")
        for i, p in enumerate(self.ports, 1):
            self.children.append(Child(f"r{i}", [
                sys.executable, "server.py", "--server.headless", "true",
                "--server.address", "127.0.0.1", "--server.port", str(p), *self.streamlit_args], self.out))
        print(f"Starting {self.replicas} app processes on 127.0.0.1 ports {', '.join(map(str, self.ports))} ...",
              flush=True)
        for child, p in zip(self.children, self.ports):
            self._wait_healthy(f"http://127.0.0.1:{p}{HEALTH}", child, f"replica {child.name}", 180)
        self.haproxy = Child("haproxy", [self.haproxy_bin, "-db", "-f", str(cfg)], self.out)
        self._wait_healthy(f"http://{self.host}:{self.port}{HEALTH}", self.haproxy, "HAProxy", 30)

    def _check_port_free(self) -> None:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("" if self.bind in ("", "*") else self.bind, self.port))
            except OSError as e:
                raise ServeError(f"cannot listen on port {self.port} ({e.strerror}): "
                                 "choose another, e.g. make serve PORT=8600") from None

    def _wait_healthy(self, url: str, child: Child, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            self.pump(0.3)
            if child.proc.poll() is not None:
                raise ServeError(f"{what} {child.exit_text()} while starting (its output is above)")
        raise ServeError(f"{what} did not answer {url} within {timeout:.0f} s")

    # --- run --------------------------------------------------------------------------------------
    def status(self) -> dict:
        """Where everything runs: the address, HAProxy's pid and each replica's name, pid and port."""
        return {"url": self.url, "port": self.port, "haproxy_pid": self.haproxy.proc.pid,
                "replicas": [{"name": c.name, "pid": c.proc.pid, "port": p, "url": f"http://127.0.0.1:{p}"}
                             for c, p in zip(self.children, self.ports)]}

    def pump(self, timeout: float) -> None:
        for key, _ in self.out.select(timeout):
            key.data.pump()

    def watch(self) -> int:
        """Show the children's output and report any that exits; returns when nothing is left to serve."""
        while True:
            self.pump(0.5)
            for c in self.children:
                if c.proc.poll() is not None and not c.reported:
                    c.pump()
                    c.reported = True
                    alive = sum(x.proc.poll() is None for x in self.children)
                    print(f"mnist37 serve: replica {c.name} (pid {c.proc.pid}) {c.exit_text()}; its students "
                          f"reconnect to the other replicas as fresh sessions. {alive} of {self.replicas} "
                          "replicas left.", file=sys.stderr, flush=True)
                    if not alive:
                        print("mnist37 serve: no replica left; stopping.", file=sys.stderr, flush=True)
                        return 1
            if self.haproxy.proc.poll() is not None:
                self.haproxy.pump()
                print(f"mnist37 serve: HAProxy {self.haproxy.exit_text()}; stopping.", file=sys.stderr, flush=True)
                return 1

    # --- stop -------------------------------------------------------------------------------------
    def stop(self) -> None:
        """HAProxy first (no new requests), then the replicas; SIGKILL what is left after 15 s."""
        procs = [c.proc for c in ([self.haproxy] if self.haproxy else []) + self.children]
        for p in procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 15
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for c in ([self.haproxy] if self.haproxy else []) + self.children:
            c.pump()
            c.proc.stdout.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="deploy/serve.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=2, help="app processes to start (default 2)")
    ap.add_argument("--port", type=int, default=8501, help="HAProxy's port, the one students open (default 8501)")
    ap.add_argument("--address", default="", help="IPv4 address HAProxy listens on (default: all interfaces)")
    ap.add_argument("--status-file", type=Path, help="write the address and every process's pid and port "
                                                     "here as JSON once all are ready")
    ap.add_argument("streamlit_args", nargs="*", help="after --: more options for every app process (options of `streamlit run`)")
    args = ap.parse_args(argv)
    if args.replicas < 1:
        print("mnist37 serve: --replicas must be at least 1.", file=sys.stderr)
        return 2
    haproxy = find_haproxy()
    if haproxy is None:
        print(f"mnist37 serve: HAProxy is not installed: {INSTALL_HINT}.", file=sys.stderr)
        return 2
    # Ctrl-C and SIGTERM stop everything (set for SIGINT too: a shell starting this in the
    # background would have left it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    launcher = Launcher(args.replicas, args.port, args.address, args.streamlit_args, haproxy)
    try:
        launcher.start()
        if args.status_file:
            tmp = args.status_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(launcher.status(), indent=1))
            tmp.replace(args.status_file)
        shown = launcher.url.replace("127.0.0.1", "localhost")
        print(f"\nmnist37: {args.replicas} app processes behind HAProxy. Open {shown}"
              + ("" if args.address else f" (from other machines: this machine's address, port {args.port})")
              + ". Ctrl-C stops it.\n", flush=True)
        return launcher.watch()
    except ServeError as e:
        print(f"mnist37 serve: {e}.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nmnist37 serve: stopping.", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        launcher.stop()


if __name__ == "__main__":
    sys.exit(main())
