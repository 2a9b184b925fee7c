"""A live `streamlit run` of the app (or of another script) on a free local port; or several,
behind HAProxy, as `make serve` runs them."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(env: dict | None) -> dict:
    """The environment of a launched app: no full MNIST on disk (tests never download), plus `env`."""
    return {**os.environ, "MNIST37_DATA": str(ROOT / ".pytest_cache" / "no-mnist"), **(env or {})}


class _Launched:
    """A child process (`proc`) whose output goes to a temporary file (`log`)."""

    proc: subprocess.Popen
    log: tempfile.TemporaryFile

    def output(self) -> str:
        """What the process has written so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def _terminate(self, wait: float) -> int:
        """SIGTERM, then SIGKILL after `wait` seconds; the exit code."""
        self.proc.terminate()
        try:
            return self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


class StreamlitServer(_Launched):
    """The app (`python server.py`, as `make run` starts it) or another script (`streamlit run`, from
    another folder) on a free port, for browser tests and benchmarks."""

    def __init__(self, port: int | None = None, env: dict | None = None,
                 script: str = "streamlit_app.py", cwd: Path = ROOT, args: tuple = ()):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The log goes to a file, not a pipe that nobody reads (a full pipe would block the server).
        self.log = tempfile.TemporaryFile()
        # The app starts as `make run` starts it (server.py: the shared work done before it listens).
        command = [str(ROOT / "server.py")] if script == "streamlit_app.py" and cwd == ROOT else \
            ["-m", "streamlit", "run", script]
        self.proc = subprocess.Popen(
            [sys.executable, *command, "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", *args],
            cwd=cwd, stdout=subprocess.DEVNULL, stderr=self.log, env=_env(env))
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=1)
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.output()[-2000:])
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("streamlit did not become healthy in 120 s")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        self._terminate(10)
        self.log.close()


class BalancedApp(_Launched):
    """`deploy/serve.py`, what `make serve` runs: `replicas` app processes behind HAProxy on a free
    port of 127.0.0.1, for tests and benchmarks. `replicas` maps each replica's name (r1, r2, ...,
    also its X-Mnist37-Replica header) to its pid and port."""

    def __init__(self, replicas: int = 2, env: dict | None = None, timeout: float = 180):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix="mnist37-balanced-")
        status = Path(self._dir.name) / "status.json"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "deploy" / "serve.py"), "--replicas", str(replicas),
             "--port", str(self.port), "--address", "127.0.0.1", "--status-file", str(status)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=_env(env))
        deadline = time.time() + timeout
        while not status.exists():
            if self.proc.poll() is not None or time.time() > deadline:
                out = self.output()[-3000:]
                self.stop()
                raise RuntimeError(f"deploy/serve.py did not become ready:\n{out}")
            time.sleep(0.2)
        info = json.loads(status.read_text())
        self.haproxy_pid = info["haproxy_pid"]
        self.replicas = {r["name"]: {"pid": r["pid"], "port": r["port"]} for r in info["replicas"]}

    def pids(self) -> list[int]:
        """Every process it started: HAProxy and the replicas."""
        return [self.haproxy_pid, *(r["pid"] for r in self.replicas.values())]

    def stop(self) -> int:
        """SIGTERM, as a supervisor would; returns the launcher's exit code."""
        code = self._terminate(30)
        self._dir.cleanup()
        return code


def baseline_server(source: str) -> StreamlitServer:
    """A one-file app (`source`) with the app's .streamlit settings, on a free port: the baseline
    page a benchmark measures the app against."""
    folder = Path(tempfile.mkdtemp(prefix="mnist37-baseline-"))
    (folder / "app.py").write_text(source)
    shutil.copytree(ROOT / ".streamlit", folder / ".streamlit")
    return StreamlitServer(script="app.py", cwd=folder)
