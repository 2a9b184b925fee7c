"""A throwaway PostgreSQL server for tests and benchmarks: initdb into a temp folder, start it on a
free local port, make a database, and remove it all at the end.

PostgreSQL refuses to run as root, so as root its commands run as the `postgres` system user
(Debian's package makes it) with the temp folder owned by that user.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .server import free_port

USER = "mnist37"  # the server's superuser, trusted on 127.0.0.1 only
DATABASE = "mnist37"


def bin_dir() -> Path | None:
    """The folder with initdb and pg_ctl (Debian: /usr/lib/postgresql/N/bin), or None."""
    versions = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")]
    if versions:  # the newest
        return max(versions, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def why_not() -> str | None:
    """Why a server cannot be started here, or None when it can."""
    if bin_dir() is None or not (bin_dir() / "initdb").exists():
        return "PostgreSQL is not installed (initdb and pg_ctl not found; `make test` installs Debian's postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no `postgres` user to run PostgreSQL as"
    return None


class PostgresServer:
    """`with PostgresServer() as pg: pg.url` -> a postgresql:// URL to an empty database."""

    def __init__(self):
        reason = why_not()
        if reason:
            raise RuntimeError(reason)
        self.bin = bin_dir()
        root = os.geteuid() == 0
        # As root, a folder the postgres user can reach (a root-only $TMPDIR would not be).
        self.dir = Path(tempfile.mkdtemp(prefix="mnist37-pg-", dir="/tmp" if root else None))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"
        self.started = False
        if root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        else:
            self.prefix = []

    def _run(self, name: str, *args: str) -> None:
        done = subprocess.run([*self.prefix, str(self.bin / name), *args], cwd=self.dir,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed: {(done.stderr or done.stdout).strip()[-2000:]}")

    def start(self) -> "PostgresServer":
        # No fsync: a test database need not survive a power cut, and fsync is most of its cost.
        self._run("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.dir / "log"),
                  "-o", options)
        self.started = True
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, DATABASE)
        return self

    def fresh_url(self, schema: str) -> str:
        """The URL of a new, empty schema in the database (a test's own tables, in milliseconds
        where a new database takes a second)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("CREATE SCHEMA {}").format(psycopg.sql.Identifier(schema)))
        return f"{self.url}?options=-csearch_path%3D{schema}"

    def log(self) -> str:
        try:
            return (self.dir / "log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        try:
            if self.started:
                self._run("pg_ctl", "stop", "-w", "-D", str(self.data), "-m", "immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
