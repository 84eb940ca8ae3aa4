"""The site's periodic jobs and the loop that runs them: `flask jobs run`.

Every server may run the loop. A job runs when its lease row says it is due and free: one
UPDATE claims it, so of two servers waking together only one runs it, and a server that dies
holding a lease loses it when the lease expires.
"""

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import String, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from exams.attempts import services as attempts
from partyschool.candidates import services as candidates
from partyschool.candidates.models import Candidate
from partyschool.extensions import db, today, utcnow, writing


class JobLease(db.Model):
    """When a periodic job last ran, and which process holds it now, if any."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_result: Mapped[str | None] = mapped_column(String(200))


@dataclass(frozen=True)
class Job:
    """A periodic job: how often, how long a run may take, and what it does."""

    name: str
    every: timedelta
    lease: timedelta
    run: Callable[[Session, datetime], str]


def _finalize_overdue(session: Session, now: datetime) -> str:
    return f"finalized {attempts.finalize_overdue(session, now)} overdue attempts"


def _refresh_eligibility(session: Session, now: datetime) -> str:
    return f"re-evaluated {candidates.refresh_where(session, select(Candidate), today())}"


JOBS = (
    Job("finalize-overdue", timedelta(minutes=1), timedelta(minutes=10), _finalize_overdue),
    Job("refresh-eligibility", timedelta(days=1), timedelta(hours=2), _refresh_eligibility),
)


def holder_name() -> str:
    """This process, as the lease rows name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(session: Session, job: Job, holder: str, now: datetime) -> bool:
    """Take the job's lease when it is due and nobody holds it; commits. True when taken."""
    if session.get(JobLease, job.name) is None:
        try:
            with session.begin_nested():
                session.add(JobLease(name=job.name))
        except IntegrityError:
            pass  # another server made the row first
    taken = session.execute(
        update(JobLease)
        .where(
            JobLease.name == job.name,
            or_(JobLease.lease_until.is_(None), JobLease.lease_until < now),
            or_(JobLease.last_started_at.is_(None), JobLease.last_started_at <= now - job.every),
        )
        .values(holder=holder, lease_until=now + job.lease, last_started_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return taken == 1


def _release(session: Session, job: Job, holder: str, result: str) -> None:
    session.execute(
        update(JobLease)
        .where(JobLease.name == job.name, JobLease.holder == holder)
        .values(lease_until=None, last_finished_at=utcnow(), last_result=result[:200])
        .execution_options(synchronize_session=False)
    )
    session.commit()


def run_due(session: Session, holder: str, jobs=JOBS) -> list[str]:
    """Run every job that is due and free; returns the names of those this process ran."""
    ran = []
    with writing():  # on SQLite, each transaction waits for the write lock up front
        for job in jobs:
            if not claim(session, job, holder, utcnow()):
                continue
            try:
                result = job.run(session, utcnow())
                session.commit()
            except Exception as error:  # noqa: BLE001 - one failed job must not stop the loop
                session.rollback()
                current_app.logger.exception("job %s failed", job.name)
                result = f"failed: {error!r}"
            _release(session, job, holder, result)
            ran.append(job.name)
    return ran


@click.group("jobs")
def jobs_group():
    """The periodic jobs (finalize overdue exam attempts, refresh stored standings)."""


@jobs_group.command("run")
@click.option("--once", is_flag=True, help="Run what is due once, then exit.")
@click.option("--tick", default=15.0, show_default=True, help="Seconds between checks.")
@with_appcontext
def run_command(once: bool, tick: float):
    """Run the periodic jobs when due, forever (safe on several servers at once)."""
    holder = holder_name()
    click.echo(f"jobs: running as {holder}", err=True)
    while True:
        for name in run_due(db.session, holder):
            click.echo(f"jobs: ran {name}", err=True)
        db.session.remove()
        if once:
            return
        time.sleep(tick)


@jobs_group.command("status")
@with_appcontext
def status_command():
    """When each job last ran and with what result."""
    for lease in db.session.scalars(select(JobLease).order_by(JobLease.name)):
        held = f", held by {lease.holder}" if lease.lease_until else ""
        click.echo(
            f"{lease.name}: started {lease.last_started_at}, finished {lease.last_finished_at},"
            f" {lease.last_result or '—'}{held}"
        )


commands = (jobs_group,)
