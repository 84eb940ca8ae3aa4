"""Commands that span every package, such as loading the demo data."""

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from courses import demo as course_demo
from exams import demo as exam_demo
from partyschool.accounts.models import User
from partyschool.app import demo
from partyschool.certificates import demo as certificate_demo
from partyschool.extensions import db, today, utcnow


def seed_everything(session: Session) -> None:
    """The demo data of every package, the core's first."""
    schools, users = demo.seed(session)
    course_demo.seed(session, schools, users, today())
    exam_demo.seed(session, schools, utcnow())
    certificate_demo.seed(session, schools, users, utcnow(), today())


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
@with_appcontext
def seed_demo(if_empty: bool):
    """Load the demo data (idempotent): organization, accounts, and each feature's examples."""
    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("database already has data; demo data not loaded")
        return
    seed_everything(db.session)
    db.session.commit()
    click.echo(f"demo data loaded; every demo account's password is {demo.DEMO_PASSWORD}")


commands = (seed_demo,)
