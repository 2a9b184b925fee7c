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


# --- which processes serve a URL (Linux /proc/net/tcp) ---------------------------------------------
LISTEN, ESTABLISHED = "0A", "01"


def _tcp_sockets() -> list[tuple[int, int, str, int]]:
    """(local port, remote port, state, inode) of every TCP socket on this machine (IPv4 and IPv6)."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            out.append((int(f[1].rsplit(":", 1)[1], 16), int(f[2].rsplit(":", 1)[1], 16), f[3], int(f[9])))
    return out


def _socket_owners() -> dict[int, set[int]]:
    """socket inode -> the pids holding it (from /proc/*/fd)."""
    owners: dict[int, set[int]] = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            for fd in (p / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    owners.setdefault(int(link[8:-1]), set()).add(int(p.name))
        except OSError:
            pass
    return owners


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def server_processes(port: int, is_app=lambda cmd: "streamlit" in cmd or "server.py" in cmd) -> tuple[list[int], str]:
    """The app processes behind a local TCP port, and how they were found: the process listening on
    it when it is an app process (`is_app(command line)`); otherwise (a load balancer) the app
    processes listening on the local ports that the balancer has connections open to — so call it
    while clients are connected through the balancer."""
    socks, owners = _tcp_sockets(), _socket_owners()
    listeners = {pid for lp, _, st, ino in socks if st == LISTEN and lp == port for pid in owners.get(ino, ())}
    apps = sorted(p for p in listeners if is_app(cmdline(p)))
    if apps:
        return apps, f"the app process listening on port {port}"
    mine = {ino for ino, pids in owners.items() if pids & listeners}
    backend_ports = {rp for lp, rp, st, ino in socks if st == ESTABLISHED and ino in mine}
    by_port = {lp: owners.get(ino, set()) for lp, _, st, ino in socks if st == LISTEN}
    apps = sorted({p for bp in backend_ports for p in by_port.get(bp, ()) if is_app(cmdline(p))})
    names = sorted({cmdline(p).split(" ")[0].rsplit("/", 1)[-1] for p in listeners}) or ["nothing"]
    return apps, (f"{len(apps)} app process(es) that {'/'.join(names)} on port {port} is connected to "
                  f"(ports {sorted(bp for bp in backend_ports if by_port.get(bp, set()) & set(apps))})")


def rss_snapshot() -> dict[int, float]:
    """RSS (MB) of every process now, by pid."""
    out = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                out[int(p.name)] = rss_mb(int(p.name))
            except OSError:
                pass
    return out
