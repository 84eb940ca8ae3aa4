"""`flask exams ...`: finalize abandoned attempts."""

import click
from flask.cli import with_appcontext

from exams.attempts import services
from partyschool.extensions import db, utcnow


@click.group("exams")
def exams_group():
    """Online exams."""


@exams_group.command("finalize-overdue")
@with_appcontext
def finalize_overdue():
    """Submit and grade every attempt whose deadline has passed (run every minute or so)."""
    count = services.finalize_overdue(db.session, utcnow())
    db.session.commit()
    click.echo(f"finalized {count} overdue attempts")


commands = (exams_group,)
