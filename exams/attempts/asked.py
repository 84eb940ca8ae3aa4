"""Which questions an attempt asks, and the form of their answers, remembered by each server
process.

An attempt's questions never change once drawn (a regrade corrects their keys, not which they
are or how many options and blanks they have), so the save's hot path need not read and parse
the attempt's items on every answer:
the first save of an attempt in a process reads them, the next ones look them up here. The
entry carries the attempt's seed, and the save's statement writes only where the row still
has that seed: an entry left from another database (tests reuse ids) writes nothing and is
dropped, never a wrong answer.
"""

import threading
from collections import OrderedDict
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from exams.models import Attempt
from exams.question_types import public_fields
from exams.questions import from_json


class Shape(NamedTuple):
    """What an answer to a question must look like: its type, options and blanks."""

    type: str
    options: int
    blanks: int


class Drawn(NamedTuple):
    """An attempt's seed and the shape of each question it asks, by question id."""

    seed: str
    questions: dict[int, Shape]


def shape_of(item: dict) -> Shape:
    """The shape of an attempt item's question."""
    fields = public_fields(from_json(item["data"]))
    return Shape(fields["type"], len(fields["options"]), fields["blanks"])


# Enough for a whole university's exam at once; a few KB each.
CAPACITY = 20_000


class Asked:
    """A bounded, least-recently-used map of attempt id to what it drew."""

    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self._entries: OrderedDict[int, Drawn] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, session: Session, attempt_id: int) -> Drawn | None:
        """What the attempt drew; None when there is no such attempt."""
        with self._lock:
            found = self._entries.get(attempt_id)
            if found is not None:
                self._entries.move_to_end(attempt_id)
                return found
        row = session.execute(
            select(Attempt.seed, Attempt.items).where(Attempt.id == attempt_id)
        ).first()
        return None if row is None else self.remember(attempt_id, row.seed, row.items)

    def remember(self, attempt_id: int, seed: str, items: list[dict]) -> Drawn:
        """Keep what a (new) attempt drew."""
        found = Drawn(seed, {item["question_id"]: shape_of(item) for item in items})
        with self._lock:
            self._entries[attempt_id] = found
            if len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return found

    def forget(self, attempt_id: int) -> None:
        """Drop what is remembered of the attempt (its row did not match)."""
        with self._lock:
            self._entries.pop(attempt_id, None)


asked = Asked()
