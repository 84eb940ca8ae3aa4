"""`flask users ...`: manage accounts from the command line."""

import sys

import click
from flask.cli import with_appcontext

from partyschool.accounts import services
from partyschool.accounts.models import Role
from partyschool.extensions import db
from partyschool.organization.services import school_by_code, school_level


@click.group("users")
def users_group():
    """Manage user accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--branch", "branch_code", help="Code of the branch school; the school level if absent."
)
@click.option("--name", "display_name", help="Display name (姓名).")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from stdin.")
@with_appcontext
def create_user(username, role, branch_code, display_name, password_stdin):
    """Create an account; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\r\n")
    school = school_by_code(db.session, branch_code) if branch_code else school_level(db.session)
    if school is None:
        raise click.ClickException(f"unknown branch school code: {branch_code}")
    try:
        user = services.create_user(
            db.session,
            username=username,
            password=password,
            role=Role(role),
            school=school,
            display_name=display_name,
        )
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"created {user.username} ({user.role.value}) in {school.code}")


commands = (users_group,)
