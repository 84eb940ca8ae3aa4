"""How the record's pages end a change made through its door: commit it and say so, or roll
it back and say why it was refused."""

from collections.abc import Callable
from typing import TypeVar

from flask import flash

from partyschool.candidates.services import RecordError
from partyschool.extensions import db

T = TypeVar("T")


def committed(change: Callable[[], T], done: str | Callable[[T], str], refused: str = "") -> bool:
    """Make the change: commit it and flash `done` (a text, or one made from the change's
    result); on a refusal flash why (after `refused`), roll back and return False."""
    try:
        result = change()
    except RecordError as error:
        db.session.rollback()
        flash(f"{refused}{error}", "error")
        return False
    db.session.commit()
    flash(done(result) if callable(done) else done, "info")
    return True
