"""Group commit: writes queued while a commit runs share the next one; a bad write fails alone;
what is acknowledged is synced."""

import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partyschool.app.factory import create_app
from partyschool.extensions import db, writing
from partyschool.group_commit import GroupCommit, durably

INSERT = text("INSERT INTO group_commit_probe (id, note) VALUES (:id, :note)")


@pytest.fixture
def engine(app):
    with app.app_context():
        return db.engine


@pytest.fixture
def probe(engine):
    with engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE group_commit_probe (id INTEGER PRIMARY KEY, note TEXT)")
        )
    yield GroupCommit(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE group_commit_probe"))


def held_database(engine):
    """A transaction that keeps every writer of the probe table waiting until it ends."""
    connection = engine.connect()
    with writing():
        connection.begin()  # SQLite: BEGIN IMMEDIATE, the write lock
    if engine.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE group_commit_probe IN EXCLUSIVE MODE")
    return connection


def run_writes(probe, writes):
    """Each write in a thread of its own; the row counts or errors, by id."""
    results = {}

    def write(params):
        try:
            results[params["id"]] = probe.execute(INSERT, params).rowcount
        except Exception as error:  # noqa: BLE001 - the test looks at it
            results[params["id"]] = error

    threads = [threading.Thread(target=write, args=(params,)) for params in writes]
    return threads, results


def wait_for(condition):
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the writers never queued"
        time.sleep(0.01)


def test_writes_queued_during_a_commit_share_the_next(engine, probe):
    holder = held_database(engine)
    threads, results = run_writes(probe, [{"id": i, "note": f"第{i}条"} for i in range(10)])
    threads[0].start()  # the leader: its commit waits for the held database
    wait_for(lambda: probe._leading)
    for thread in threads[1:]:
        thread.start()
    wait_for(lambda: len(probe._pending) == 9)
    holder.rollback()
    holder.close()
    for thread in threads:
        thread.join()
    assert results == dict.fromkeys(range(10), 1)
    assert probe.transactions == 2  # the leader's own, then the nine queued behind it
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM group_commit_probe")).scalar()
    assert stored == 10


def test_a_bad_write_fails_alone(engine, probe):
    with engine.begin() as connection:
        connection.execute(INSERT, {"id": 99, "note": "已有"})
    holder = held_database(engine)
    writes = [{"id": 1, "note": "先"}, {"id": 2, "note": "甲"}, {"id": 99, "note": "重复"}]
    writes.append({"id": 3, "note": "乙"})
    threads, results = run_writes(probe, writes)
    threads[0].start()
    wait_for(lambda: probe._leading)
    for thread in threads[1:]:
        thread.start()
    wait_for(lambda: len(probe._pending) == 3)
    holder.rollback()
    holder.close()
    for thread in threads:
        thread.join()
    assert isinstance(results.pop(99), IntegrityError)
    assert results == {1: 1, 2: 1, 3: 1}
    with engine.connect() as connection:
        notes = connection.execute(text("SELECT note FROM group_commit_probe ORDER BY id"))
        assert notes.scalars().all() == ["先", "甲", "乙", "已有"]


def test_a_lone_write_is_its_own_transaction(probe):
    assert probe.execute(INSERT, {"id": 1, "note": "䶮𠮷㛃𪚥"}).rowcount == 1
    assert probe.transactions == 1


def test_sqlite_commits_are_synced_unless_told_otherwise(tmp_path):
    """FULL: a commit returns once the write-ahead log is on the disk."""
    url = f"sqlite:///{tmp_path / 'site.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32})
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        db.engine.dispose()


def test_a_durable_write_is_committed_and_leaves_its_connection_transactional(app, probe):
    """`durably` commits its one statement (PostgreSQL: on the engine's autocommit twin), and
    the engine's own connections stay transactional: what the next user rolls back is gone."""
    with app.app_context():
        engine = create_engine(db.engine.url, pool_size=1, max_overflow=0)
        try:
            with Session(engine) as session:
                assert durably(session, INSERT, {"id": 1, "note": "存"}).rowcount == 1
            with engine.connect() as connection, writing():
                connection.execute(INSERT, {"id": 2, "note": "弃"})
                connection.rollback()
            with engine.connect() as connection:
                notes = connection.execute(text("SELECT note FROM group_commit_probe"))
                assert notes.scalars().all() == ["存"]
        finally:
            engine.dispose()


def postgresql_only(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connections: SQLite writes through the group commit")


def test_a_durable_write_is_sent_again_when_its_connection_is_broken(app, engine, probe):
    """PostgreSQL lends `durably` its connections without a ping: one the server has dropped
    (a restart, a killed server process) fails, and the write goes again on a fresh one."""
    postgresql_only(engine)
    with app.app_context(), Session(engine) as session:
        backend = durably(session, text("SELECT pg_backend_pid()"), {}).rows[0][0]
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        wait_for(lambda: backend not in server_processes(engine))
        assert durably(session, INSERT, {"id": 1, "note": "重连"}).rowcount == 1
        assert durably(session, text("SELECT pg_backend_pid()"), {}).rows[0][0] != backend
    with engine.connect() as connection:
        notes = connection.execute(text("SELECT note FROM group_commit_probe"))
        assert notes.scalars().all() == ["重连"]


def test_a_server_process_keeps_a_connection_for_each_of_its_threads(app, engine):
    """PostgreSQL: ten writes at a time, again and again, are served by the server processes
    of the first ten: a connection coming back to the pool is kept, not closed to be opened
    again (a new PostgreSQL process) for the next request. A fresh engine with the app's
    options: the shared one may hold connections an earlier test's failure marked stale."""
    postgresql_only(engine)
    fresh = create_engine(engine.url, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    statement = text("SELECT pg_backend_pid() FROM pg_sleep(0.05)")

    def write(ready, backends):
        ready.wait()
        with app.app_context(), Session(fresh) as session:
            backends.add(durably(session, statement, {}).rows[0][0])

    def ten_at_a_time():
        backends, ready = set(), threading.Barrier(10)
        threads = [threading.Thread(target=write, args=(ready, backends)) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return backends

    try:
        assert len(ten_at_a_time()) == 10
        started = server_processes(engine)
        assert ten_at_a_time() | ten_at_a_time() <= started
    finally:
        fresh.dispose()


def server_processes(engine) -> set[int]:
    """The PostgreSQL server processes of client connections now (a transaction of its own:
    within one, PostgreSQL shows the same snapshot of its activity)."""
    with engine.connect() as connection:
        pids = connection.execute(text("SELECT pid FROM pg_stat_activity"))
        return set(pids.scalars())
