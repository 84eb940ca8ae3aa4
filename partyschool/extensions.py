"""Flask extensions shared by every package, and the SQLite connection policy."""

import contextvars
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store aware datetimes converted to UTC."""
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        """SQLite forgets the zone: give it back."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base of every model."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


def enum_column(enum_class: type[StrEnum]) -> Enum:
    """A portable column type storing a StrEnum by value (no native database enum)."""
    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


BEIJING = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date where the university is (Beijing time): the date every rule counts from."""
    return datetime.now(BEIJING).date()


def _render_migration_type(type_, obj, autogen_context):
    """Migrations spell UTCDateTime as the plain column type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True, render_item=_render_migration_type)
login_manager = LoginManager()
csrf = CSRFProtect()


class _Limiter(Limiter):
    """Flask-Limiter, letting the requests of a view marked `unlimited` through at once."""

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if in_middleware and getattr(
            current_app.view_functions.get(request.endpoint), "unlimited", False
        ):
            return
        super()._check_request_limit(callable_name, in_middleware)


limiter = _Limiter(key_func=get_remote_address, default_limits=[])


def unlimited(view: Callable) -> Callable:
    """Mark a view no rate limit applies to (the exam's hot paths): the limiter would work
    out, for every request, that none applies: about an eighth of the cost of a save."""
    view.unlimited = True
    return view


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """WAL, foreign keys and a busy timeout; the driver must not start transactions itself."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    config = current_app.config if has_app_context() else {}
    timeout = int(config.get("SQLITE_BUSY_TIMEOUT_MS", 30_000))
    synchronous = config.get("SQLITE_SYNCHRONOUS", "FULL")
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL or NORMAL, not {synchronous!r}")
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {timeout}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # FULL: a commit returns once the write-ahead log is on disk, so what the site
    # acknowledged survives a power cut (NORMAL survives only a crash of the process).
    cursor.execute(f"PRAGMA synchronous = {synchronous}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


_writes_outside_requests = contextvars.ContextVar("sqlite_writes", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Work outside a request that writes (a job): SQLite transactions take the write lock
    when they begin, as a writing request's do, so they wait for it instead of failing."""
    token = _writes_outside_requests.set(True)
    try:
        yield
    finally:
        _writes_outside_requests.reset(token)


def commits_apart(view: Callable) -> Callable:
    """Mark a writing view whose own transaction only reads: it writes through a group commit
    or inside `writing()`, so its request must not hold SQLite's write lock meanwhile."""
    view.commits_apart = True
    return view


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn):
    """Take SQLite's write lock up front in requests that write.

    A deferred transaction that reads first and writes later cannot wait for the lock
    (SQLITE_BUSY at once, "database is locked"); BEGIN IMMEDIATE waits for busy_timeout
    instead. Safe requests (GET, HEAD) only read and stay concurrent, and so does work outside
    a request (commands, tests), which must not hold the write lock while it merely reads, and
    a view that `commits_apart` (its writes go through a group commit, or `writing()`).
    """
    if conn.dialect.name != "sqlite":
        return
    is_write = _writes_outside_requests.get() or (
        has_request_context()
        and request.method not in ("GET", "HEAD", "OPTIONS")
        and not getattr(current_app.view_functions.get(request.endpoint), "commits_apart", False)
    )
    conn.exec_driver_sql("BEGIN IMMEDIATE" if is_write else "BEGIN")


# The largest id a key column holds (PostgreSQL's `integer`): a larger number names no row.
MAX_ID = 2**31 - 1


def as_id(text: str | None) -> int | None:
    """A positive id from a form or query string, or None for anything else (letters, a
    number too large for any row)."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ID else None
