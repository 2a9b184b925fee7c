"""The class store's database: where it lives, its tables, and its schema version.

SQLAlchemy Core over SQLite (one file, shared by the app processes of one machine) or PostgreSQL
(shared by several machines). `mnist37.classroom` holds the rules; this module only opens the
database and makes sure it has the tables this version of mnist37 expects.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

SCHEMA_VERSION = 1
SQLITE_BUSY_MS = 10_000  # how long a SQLite writer waits for another process's write to end

metadata = sa.MetaData()

meta = sa.Table(
    "mnist37_meta", metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(64), nullable=False),
)

classes = sa.Table(
    "mnist37_classes", metadata,
    sa.Column("code", sa.String(8), primary_key=True),
    sa.Column("key_hash", sa.String(64), nullable=False),  # sha256 of the teacher key, hex
    sa.Column("created", sa.Double, nullable=False, index=True),  # Unix time, seconds
    sa.Column("closed", sa.Double),  # when the teacher closed it; NULL while open
    sa.Column("revision", sa.Integer, nullable=False, default=0),  # +1 on every write to the class
    sa.Column("n_joined", sa.Integer, nullable=False, default=0),  # students who ever joined
    sa.Column("push_id", sa.Integer, nullable=False, default=0),  # 0: nothing pushed yet
    sa.Column("push_settings", sa.JSON(none_as_null=True)),
)

students = sa.Table(
    "mnist37_students", metadata,
    sa.Column("id", sa.String(16), primary_key=True),  # a random token, not a counter
    sa.Column("class_code", sa.ForeignKey(classes.c.code, ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("number", sa.Integer, nullable=False),  # N of "student N": the order of joining
    sa.Column("nickname", sa.String(24), nullable=False),
    sa.Column("joined", sa.Double, nullable=False),
    sa.Column("removed", sa.Boolean, nullable=False, default=False),
)

runs = sa.Table(
    "mnist37_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_code", sa.ForeignKey(classes.c.code, ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("student_id", sa.ForeignKey(students.c.id, ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created", sa.Double, nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),  # TrainConfig fields as strings
    sa.Column("valid_accuracy", sa.JSON, nullable=False),  # one float per epoch
    sa.Column("final_accuracy", sa.Double, nullable=False),
    sa.Column("weights", sa.LargeBinary, nullable=False),  # 784 float32, little-endian
    sa.Column("bias", sa.Double, nullable=False),
)

drawings = sa.Table(
    "mnist37_drawings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_code", sa.ForeignKey(classes.c.code, ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("student_id", sa.ForeignKey(students.c.id, ondelete="CASCADE"), nullable=False),
    sa.Column("canvas_key", sa.String(64), nullable=False),
    sa.Column("created", sa.Double, nullable=False),
    sa.Column("updated", sa.Double, nullable=False),
    sa.Column("pixels", sa.LargeBinary, nullable=False),  # 28*28 float32, little-endian; empty once removed
    sa.Column("logit", sa.Double, nullable=False),
    sa.Column("decision", sa.SmallInteger, nullable=False),
    sa.Column("positive", sa.SmallInteger, nullable=False),
    sa.Column("meant", sa.SmallInteger),  # what the student says it is; NULL: not said
    sa.Column("removed", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("student_id", "canvas_key"),
)


class StoreError(RuntimeError):
    """The class database cannot be used (bad URL, unreachable, other schema); one sentence."""


def default_url(env=os.environ) -> str:
    """A SQLite file in the user's cache folder: $XDG_CACHE_HOME or ~/.cache, mnist37/classes.sqlite3."""
    cache = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return f"sqlite:///{Path(cache) / 'mnist37' / 'classes.sqlite3'}"


def engine_for(url: str) -> sa.Engine:
    """An engine for a sqlite:///PATH or postgresql://... URL (plain postgresql means psycopg 3)."""
    try:
        u = make_url(url)
    except sa.exc.ArgumentError:
        raise StoreError("The class database URL must look like sqlite:///PATH or "
                         "postgresql://USER@HOST/DB.") from None
    if u.get_backend_name() in ("postgresql", "postgres"):
        return sa.create_engine(u.set(drivername="postgresql+psycopg"))
    if u.get_backend_name() != "sqlite":
        raise StoreError(f"The class database must be SQLite or PostgreSQL, not {u.get_backend_name()}.")
    if not u.database or u.database == ":memory:" or u.database.startswith("file:"):
        raise StoreError("A SQLite class database needs a file path (sqlite:///PATH), so that every "
                         "app process shares it.")
    try:
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"Cannot create the folder for the class database: {e.strerror or e}.") from None
    engine = sa.create_engine(u.set(database=str(Path(u.database).expanduser())))

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # sqlite3's own transaction handling is off: `_on_begin` says BEGIN, so reads are
        # transactions too and writers can take the write lock first (BEGIN IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        cur.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
        cur.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent; a power cut may lose the last writes
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A writer that only asked for the lock at its first write could find that another
        # process wrote since its first read, and fail at once instead of waiting.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def describe(engine: sa.Engine) -> str:
    """The engine's URL without its password, for messages."""
    return engine.url.render_as_string(hide_password=True)


@contextmanager
def transaction(engine: sa.Engine, write: bool = False):
    """A connection in one transaction (committed at the end, rolled back on an error); a
    database that cannot be reached becomes a StoreError."""
    try:
        with engine.connect().execution_options(write=write) as conn, conn.begin():
            yield conn
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as e:
        reason = str(e.orig).strip().splitlines()[0] if e.orig else "unknown error"
        raise StoreError(f"The class database ({describe(engine)}) cannot be used: {reason}.") from None


def create_schema(engine: sa.Engine) -> None:
    """Create the tables if they are missing (idempotent, safe when several processes start at
    once); a database holding another schema version is refused with a StoreError."""
    with transaction(engine, write=True) as conn:
        if conn.dialect.name == "postgresql":  # one creator at a time (SQLite: BEGIN IMMEDIATE)
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(370037)"))
        meta.create(conn, checkfirst=True)
        found = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        if found is None:
            metadata.create_all(conn, checkfirst=True)
            conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
        elif found != str(SCHEMA_VERSION):
            raise StoreError(f"The class database ({describe(engine)}) has schema version {found}, but this "
                             f"mnist37 needs version {SCHEMA_VERSION}: point MNIST37_DB at another database.")
