"""`flask candidates ...`: keep stored eligibility current."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from partyschool.candidates import services
from partyschool.candidates.models import Candidate
from partyschool.extensions import db, today


@click.group("candidates")
def candidates_group():
    """Candidates' development records."""


@candidates_group.command("refresh-eligibility")
@with_appcontext
def refresh_eligibility():
    """Re-evaluate every candidate (run daily: waiting periods end with the calendar)."""
    count = services.refresh_where(db.session, select(Candidate), today())
    db.session.commit()
    click.echo(f"re-evaluated {count} candidates")


commands = (candidates_group,)
