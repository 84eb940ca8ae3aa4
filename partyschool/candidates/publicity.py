"""公示 lists: who is publicized for a step on a date, grouped by the place of posting."""

from dataclasses import dataclass
from datetime import date

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload
from werkzeug.datastructures import MultiDict

from partyschool.access import scope_to_user
from partyschool.accounts.models import User
from partyschool.candidates.models import Candidate, PublicityNotice
from partyschool.candidates.rules import STEP_LABELS, Step
from partyschool.pdf import render_pdf as html_to_pdf

PUBLICIZED_STEPS = (Step.BECOME_PROBATIONARY, Step.CONFIRM)


@dataclass(frozen=True)
class PublicityQuery:
    """Which 公示: the step publicized and a date within the period."""

    step: Step
    on: date

    @classmethod
    def from_args(cls, args: MultiDict, today: date) -> "PublicityQuery":
        """Read the step and date from the query string; defaults: development, today."""
        step = args.get("step")
        try:
            on = date.fromisoformat(args.get("on", ""))
        except ValueError:
            on = today
        return cls(Step(step) if step in PUBLICIZED_STEPS else Step.BECOME_PROBATIONARY, on)

    @property
    def title(self) -> str:
        """The heading of the notice."""
        return f"关于{STEP_LABELS[self.step]}人选的公示"


@dataclass(frozen=True)
class PlaceList:
    """The people publicized in one place, with their notices."""

    place: str
    rows: list[tuple[Candidate, PublicityNotice]]


def lists(session: Session, user: User, query: PublicityQuery) -> list[PlaceList]:
    """One list per place where a notice for the step runs on the date, in the user's scope."""
    stmt = scope_to_user(
        select(PublicityNotice, Candidate)
        .join(Candidate, Candidate.id == PublicityNotice.candidate_id)
        .options(joinedload(Candidate.college), selectinload(Candidate.probation_decisions))
        .where(
            PublicityNotice.step == query.step,
            PublicityNotice.starts_on <= query.on,
            PublicityNotice.ends_on >= query.on,
        )
        .order_by(Candidate.student_no),
        Candidate.party_school_id,
        user,
    )
    by_place: dict[str, list] = {}
    for notice, candidate in session.execute(stmt):
        for place in notice.places:
            by_place.setdefault(place, []).append((candidate, notice))
    return [PlaceList(place, rows) for place, rows in sorted(by_place.items())]


def render_pdf(query: PublicityQuery, place_lists: list[PlaceList]) -> bytes:
    """The printable lists as a PDF."""
    html = render_template("candidates/publicity_print.html", notice=query, lists=place_lists)
    return html_to_pdf(html)
