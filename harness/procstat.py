"""CPU time and memory of processes, read from /proc (Linux)."""
from __future__ import annotations

import os
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def descendants(root: int) -> list[int]:
    """Every process below `root` (from the parent ids in /proc/*/stat)."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def total_cpu_seconds(pids) -> float:
    """CPU seconds of several processes (those that have gone count nothing)."""
    total = 0.0
    for p in pids:
        try:
            total += cpu_seconds(p)
        except OSError:
            pass
    return total


def matching_cpu_seconds(match) -> float:
    """CPU seconds of the processes whose (pid, command line) satisfies `match`."""
    total = 0.0
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if match(p.name, (p / "cmdline").read_bytes().decode(errors="ignore")):
                    total += cpu_seconds(int(p.name))
            except OSError:
                pass
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)
