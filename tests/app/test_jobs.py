"""The periodic jobs: due jobs run, a lease keeps two servers from running one job at once,
a dead holder's lease expires, and `flask jobs run --once` does the work."""

import threading
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool.app import jobs
from partyschool.extensions import db, utcnow
from tests.factories import reread


def slow_job(counter: list, lock: threading.Lock) -> jobs.Job:
    def run(session, now):
        with lock:
            counter.append(now)
        time.sleep(0.3)  # long enough for the other server to try meanwhile
        return "done"

    return jobs.Job("test-job", timedelta(minutes=1), timedelta(minutes=5), run)


def test_two_servers_waking_together_run_the_job_once(app):
    with app.app_context():
        engine = db.engine
    counter, lock = [], threading.Lock()
    job = slow_job(counter, lock)
    start = threading.Barrier(4)
    ran = []

    def server(index):
        with Session(engine) as session:
            start.wait()
            ran.extend(jobs.run_due(session, f"server-{index}", jobs=(job,)))

    threads = [threading.Thread(target=server, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(counter) == 1 and ran == ["test-job"]

    # Not due again before its period, whoever asks.
    with Session(engine) as session:
        assert jobs.run_due(session, "server-9", jobs=(job,)) == []
        lease = session.get(jobs.JobLease, "test-job")
        assert lease.last_result == "done" and lease.lease_until is None


def test_a_dead_holders_lease_expires(app, session):
    job = jobs.Job("orphan", timedelta(minutes=1), timedelta(minutes=5), lambda s, n: "ok")
    long_ago = utcnow() - timedelta(minutes=30)
    session.add(
        jobs.JobLease(
            name="orphan",
            holder="dead:1",
            lease_until=utcnow() + timedelta(minutes=4),
            last_started_at=long_ago,
        )
    )
    session.commit()
    assert not jobs.claim(session, job, "alive:2", utcnow())  # still held
    assert jobs.claim(session, job, "alive:2", utcnow() + timedelta(minutes=5))  # expired


def test_a_failing_job_is_recorded_and_the_others_still_run(app, session):
    def boom(session, now):
        raise RuntimeError("disk full")

    failing = jobs.Job("failing", timedelta(minutes=1), timedelta(minutes=5), boom)
    fine = jobs.Job("fine", timedelta(minutes=1), timedelta(minutes=5), lambda s, n: "ok")
    with app.app_context():
        assert jobs.run_due(session, "me:1", jobs=(failing, fine)) == ["failing", "fine"]
    results = {
        lease.name: lease.last_result for lease in reread(session).scalars(select(jobs.JobLease))
    }
    assert results["failing"].startswith("failed: RuntimeError") and results["fine"] == "ok"


def test_jobs_run_once_runs_the_site_jobs(app, demo_data, session):
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0, result.output
    leases = {lease.name: lease for lease in reread(session).scalars(select(jobs.JobLease))}
    assert set(leases) == {"finalize-overdue", "refresh-eligibility"}
    assert leases["finalize-overdue"].last_result.startswith("finalized")
    assert leases["refresh-eligibility"].last_result.startswith("re-evaluated")
    status = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert "finalize-overdue: started" in status.output
