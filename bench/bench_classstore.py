"""Class store: a joined student's per-run reads and the teacher's view, on SQLite and PostgreSQL.

A class of 30 students, 60 runs and 300 drawings; each call's wall time, this process's CPU and the
database server's CPU, beside a bare `SELECT 1` through the same engine (the floor of any call).
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from harness.postgres import PostgresServer, why_not
from harness.procstat import cpu_seconds, descendants
from mnist37.classroom import ClassStore
from mnist37.classview import reread, runs_table
from mnist37.config import TrainConfig, to_strings

STUDENTS, RUNS_EACH, DRAWINGS_EACH = 30, 2, 10


def timed(fn, n: int, server_pids=lambda: [], rounds: int = 5) -> dict:
    """Per call, in ms: wall time (median over `rounds` of the mean of `n` calls), this process's
    CPU and the database server's CPU (over all the calls)."""
    fn()
    walls = []
    cpu0, db0 = time.process_time(), sum(map(cpu_seconds, server_pids()))
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        walls.append((time.perf_counter() - t0) / n)
    calls = n * rounds
    return {"wall_ms": statistics.median(walls) * 1e3, "cpu_ms": (time.process_time() - cpu0) / calls * 1e3,
            "db_cpu_ms": (sum(map(cpu_seconds, server_pids())) - db0) / calls * 1e3}


def fill(store: ClassStore):
    rng = np.random.default_rng(0)
    cls = store.create_class()
    students = [store.join(cls.code) for _ in range(STUDENTS)]
    for s in students:
        for _ in range(RUNS_EACH):
            lr = round(float(10 ** rng.uniform(-3, 1)), 4)
            store.add_run(cls.code, s.id, to_strings(TrainConfig(lr=lr, epochs=20)), list(rng.uniform(0.5, 1, 20)),
                          float(rng.uniform(0.5, 1)), rng.standard_normal(784), float(rng.standard_normal()))
        for d in range(DRAWINGS_EACH):
            store.put_drawing(cls.code, s.id, f"canvas-{d}", rng.random((28, 28)), float(rng.normal()), 3, 3,
                              meant=int(rng.choice([3, 7])))
    return cls, students


def measure(url: str, server_pids=lambda: []) -> dict:
    store = ClassStore(url)
    try:
        cls, students = fill(store)
        s = students[0]

        def select1():
            with store.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1")).scalar()

        view = store.view(cls.code, cls.teacher_key)
        w = np.random.default_rng(1).standard_normal(784)
        canvas = np.random.default_rng(2).random((28, 28))
        r = {"counts": view.counts}
        for name, fn, n in [
            ("select1", select1, 300),
            ("pushed", lambda: store.pushed(cls.code), 300),
            ("student", lambda: store.student(cls.code, s.id), 300),
            ("revision", lambda: store.revision(cls.code), 300),
            ("view", lambda: store.view(cls.code, cls.teacher_key), 10),
            ("reread_and_table", lambda: (reread(view.drawings, w, 0.0), runs_table(view)), 10),
            ("stroke", lambda: store.put_drawing(cls.code, s.id, "canvas-0", canvas, 0.5, 3, 3), 50),
        ]:
            r[name] = timed(fn, n, server_pids)
        return r
    finally:
        store.dispose()


def run() -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        out["sqlite"] = measure(f"sqlite:///{tmp}/classes.sqlite3")
    reason = why_not()
    if reason:
        out["postgresql"] = {"skipped": reason}
    else:
        with PostgresServer() as pg:
            postmaster = int(Path(pg.data, "postmaster.pid").read_text().split()[0])
            out["postgresql"] = measure(pg.url, lambda: [postmaster, *descendants(postmaster)])
    return out


def summary(r: dict) -> str:
    lines = []
    for kind, m in r.items():
        if "skipped" in m:
            lines.append(f"   {kind}: skipped ({m['skipped']})")
            continue
        lines.append(f"   {kind} ({m['counts']}), per call: wall / app CPU / database server CPU")
        for name in ("select1", "pushed", "student", "revision", "view", "reread_and_table", "stroke"):
            t = m[name]
            lines.append(f"     {name:17s} {t['wall_ms']:7.3f} / {t['cpu_ms']:7.3f} / {t['db_cpu_ms']:7.3f} ms")
    return "\n".join(lines)
