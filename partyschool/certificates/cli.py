"""`flask certificates ...`: check a saved verification JSON offline."""

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from partyschool.certificates import signing


@click.group("certificates")
def certificates_group():
    """Completion certificates."""


@certificates_group.command("verify")
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file of the signer's public key (default: this installation's key).",
)
@with_appcontext
def verify_command(document: Path, public_key_file: Path | None):
    """Check the signature of a JSON saved from /api/v1/certificates/<serial>."""
    try:
        answer = json.loads(document.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"{document} is not a JSON document: {error}") from None
    if not isinstance(answer, dict) or "signature" not in answer:
        raise click.ClickException(f"{document} is not a signed certificate verification")
    pem = public_key_file.read_bytes() if public_key_file else signing.public_key_pem()
    try:
        is_valid = signing.verify(answer, pem)
    except ValueError as error:
        raise click.ClickException(f"unusable public key: {error}") from None
    if not is_valid:
        raise click.ClickException(
            "INVALID signature: the document was altered after signing, "
            "or was not signed with this key"
        )
    click.echo("valid signature")
    click.echo(f"serial: {answer.get('serial')}")
    click.echo(f"status: {answer.get('status')} ({answer.get('status_label')})")
    if answer.get("status") == "revoked":
        click.echo(f"revoked reason: {answer.get('revoked_reason')}")
    if answer.get("superseded_by"):
        click.echo(f"superseded by: {answer.get('superseded_by')}")
    if answer.get("supersedes"):
        click.echo(f"re-issued in place of: {answer.get('supersedes')}")
    click.echo(f"as of: {answer.get('checked_on')} (ask the live page for the current status)")


commands = (certificates_group,)
