"""Group commit: small writes of many requests share one transaction and one disk sync.

An acknowledged exam answer must survive a power cut, so its commit waits for the disk
(SQLite `synchronous=FULL`, PostgreSQL `synchronous_commit=on`). A sync costs milliseconds
and SQLite admits one writer at a time: committing each answer alone caps a server at a few
hundred answers a second. Here the requests of one process that want to write while a commit
is under way queue up; when it ends, one of them (the leader) writes everything queued in one
transaction and wakes the others with their results. No thread of its own: under light load
each write is its own transaction, as before; under heavy load a sync carries many writes.

On SQLite the leaders of several server processes also take turns through a lock file
(`flock`): a waiting leader sleeps in the kernel until the other's commit ends, where SQLite's
own busy handler would poll with growing sleeps (1, 2, 5, 10 ms, ...), and the writes queued
behind it meanwhile join its batch.

Each write is one statement whose row count says whether it applied (a guarded statement
returns 0 when its guard no longer holds). A batch that fails is retried one write at a time,
so one bad write cannot take the others down with it.

PostgreSQL needs none of this: it shares a disk sync among concurrent commits itself (a
commit's WAL flush carries every commit written before it), and it takes many writers at
once. There `durably` commits each write alone, as a statement of its own, on a connection of
the engine's autocommit twin (`_autocommitting`).
"""

import contextlib
import fcntl
import os
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Engine, Executable, Row, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from partyschool.extensions import db, writing

# Enough for any burst two cores can produce, small enough to keep one transaction short.
MAX_BATCH = 256


@dataclass(frozen=True)
class Written:
    """What a write did: how many rows, and the rows it returned (INSERT ... RETURNING)."""

    rowcount: int
    rows: list[Row]


@dataclass(eq=False)
class _Write:
    statement: Executable
    params: dict[str, Any]
    written: Written | None = None
    error: BaseException | None = None
    leads: bool = False  # its caller commits the next batch
    ready: threading.Event = field(default_factory=threading.Event)  # done, or leads


class GroupCommit:
    """Commits the writes of concurrent callers together; `transactions` counts commits."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.transactions = 0
        self._pending: list[_Write] = []
        self._leading = False
        self._lock = threading.Lock()
        self._turns: tuple[int, int] | None = None  # (process id, open lock file)

    def execute(self, statement: Executable, params: dict[str, Any]) -> Written:
        """Run the statement, committed and synced: what it did."""
        write = _Write(statement, params)
        with self._lock:
            self._pending.append(write)
            write.leads, self._leading = not self._leading, True
        if not write.leads:
            write.ready.wait()  # each waiter wakes once: its write is done, or it leads next
        if write.leads:
            self._lead()
        if write.error is not None:
            raise write.error
        if write.written is None:
            raise RuntimeError("the write's transaction was interrupted")
        return write.written

    def _lead(self) -> None:
        """Commit what is queued (the leader's own write first among it), then wake its
        writers and hand the lead to the first write queued meanwhile."""
        with self._lock:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        try:
            self._commit(batch)
        finally:
            with self._lock:
                if self._pending:
                    self._pending[0].leads = True
                    self._pending[0].ready.set()
                else:
                    self._leading = False
            for write in batch:
                write.ready.set()

    def _commit(self, batch: list[_Write]) -> None:
        try:
            self._transaction(batch)
        except Exception as error:
            if len(batch) == 1:
                batch[0].error = error
                return
            for write in batch:  # one at a time: a bad write fails alone
                try:
                    self._transaction([write])
                except Exception as alone:  # noqa: BLE001 - raised again in its caller
                    write.error = alone

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """SQLite: this process's turn among the processes writing the same file."""
        path = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not path or path == ":memory:":
            yield
            return
        if self._turns is None or self._turns[0] != os.getpid():  # a lock of our own
            self._turns = (os.getpid(), os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT))
        fcntl.flock(self._turns[1], fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._turns[1], fcntl.LOCK_UN)

    def _transaction(self, batch: list[_Write]) -> None:
        with self._turn(), writing(), self.engine.begin() as connection:
            results = [connection.execute(w.statement, w.params) for w in batch]
            written = [Written(r.rowcount, r.all() if r.returns_rows else []) for r in results]
        self.transactions += 1
        for write, each in zip(batch, written, strict=True):
            write.written = each


def durably(session: Session, statement: Executable, params: dict[str, Any]) -> Written:
    """Run one write (one statement) and commit it, synced, sharing the sync with concurrent
    requests: on SQLite through the process's group commit, on PostgreSQL on its own.
    The session lets go of its connection (and its snapshot) first: call it with nothing
    written in the session. The statement must be safe to send twice (an upsert, an insert
    a unique constraint refuses): on PostgreSQL it is sent again when the connection turns
    out broken, which may be after the server committed it."""
    session.rollback()
    engine = session.get_bind()
    if engine.dialect.name == "sqlite":
        return of_app().execute(statement, params)
    try:
        return _autocommitted(engine, statement, params)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    return _autocommitted(engine, statement, params)  # on a fresh connection


def _autocommitted(engine: Engine, statement: Executable, params: dict[str, Any]) -> Written:
    with _autocommitting(engine).connect() as connection:
        result = connection.execute(statement, params)
        return Written(result.rowcount, result.all() if result.returns_rows else [])


_twins: "weakref.WeakKeyDictionary[Engine, Engine]" = weakref.WeakKeyDictionary()
_twins_lock = threading.Lock()


def _autocommitting(engine: Engine) -> Engine:
    """The engine's twin whose connections stay in autocommit: one statement is its own
    transaction, with no BEGIN and COMMIT to wait for and no isolation level to switch on
    every call. It does not ping a connection before lending it (a round trip per write):
    `durably` sends the statement again on a fresh connection when the server has gone away.
    Disposed with its engine."""
    twin = _twins.get(engine)
    if twin is not None:
        return twin
    with _twins_lock:
        twin = _twins.get(engine)
        if twin is None:
            options = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
            twin = create_engine(
                engine.url, **{**options, "pool_pre_ping": False, "isolation_level": "AUTOCOMMIT"}
            )
            event.listen(engine, "engine_disposed", lambda _engine: twin.dispose())
            _twins[engine] = twin
    return twin


def of_app() -> GroupCommit:
    """The current app's group commit: one per process and database."""
    extensions = current_app.extensions
    found = extensions.get("group_commit")
    if found is None:
        found = extensions.setdefault("group_commit", GroupCommit(db.engine))
    return found
