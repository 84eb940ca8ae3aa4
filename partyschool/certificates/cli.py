"""`flask certificates ...`."""

import click


@click.group("certificates")
def certificates_group():
    """Completion certificates."""


commands = (certificates_group,)
