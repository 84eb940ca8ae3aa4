"""Plain factories: `make_x(session, **overrides)` builds a valid record and flushes it."""

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool.accounts import services as accounts
from partyschool.accounts.models import Role, User
from partyschool.organization.models import PartySchool, SchoolKind

PASSWORD = "correct-horse-42"
_counter = itertools.count(1)


def school_level(session: Session) -> PartySchool:
    """The school-level party school, created on first use."""
    school = session.scalar(select(PartySchool).where(PartySchool.parent_id.is_(None)))
    if school is None:
        school = PartySchool(code="school", name="校党校", kind=SchoolKind.SCHOOL)
        session.add(school)
        session.flush()
    return school


def make_branch_school(session: Session, **overrides) -> PartySchool:
    """A branch school under the school level."""
    n = next(_counter)
    values = {"code": f"branch{n}", "name": f"第{n}分党校", "kind": SchoolKind.DISTRICT}
    school = PartySchool(parent=school_level(session), **(values | overrides))
    session.add(school)
    session.flush()
    return school


def make_user(
    session: Session, role: Role = Role.ACTIVIST, school: PartySchool | None = None, **overrides
) -> User:
    """A user of the given role; branch roles get a new branch school unless one is given."""
    if school is None:
        is_school_level = role is Role.SCHOOL_ADMIN
        school = school_level(session) if is_school_level else make_branch_school(session)
    values = {
        "username": f"user{next(_counter)}",
        "password": PASSWORD,
        "display_name": None,
    }
    return accounts.create_user(session, role=role, school=school, **(values | overrides))


def make_candidate(session: Session, school: PartySchool | None = None, **overrides):
    """A candidate with a stage history matching its stage (entered `days_in_stage` ago)."""
    from datetime import timedelta

    from partyschool.candidates.models import Candidate, StageChange
    from partyschool.candidates.rules import Level, Stage
    from partyschool.extensions import today

    n = next(_counter)
    days = overrides.pop("days_in_stage", 400)
    values = {
        "student_no": f"S{n:06d}",
        "name": f"学生{n}",
        "level": Level.UNDERGRADUATE,
        "stage": Stage.ACTIVIST,
        "class_name": "计科2301",
    }
    candidate = Candidate(
        party_school=school or make_branch_school(session), **(values | overrides)
    )
    candidate.stage_changes.append(
        StageChange(stage=candidate.stage, entered_on=today() - timedelta(days=days))
    )
    session.add(candidate)
    session.flush()
    return candidate


def reread(session: Session) -> Session:
    """End the test session's read snapshot and forget loaded values, to see what requests
    committed since."""
    session.rollback()
    session.expire_all()
    return session
