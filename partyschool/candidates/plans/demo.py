"""Demo data: the graduate branch's plan for this year, set through the plan's service."""

from datetime import date

from sqlalchemy.orm import Session

from partyschool.accounts.models import User
from partyschool.audit import acting_as
from partyschool.candidates.plans import services
from partyschool.candidates.rules import Stage
from partyschool.organization.models import PartySchool


def seed(session: Session, schools: dict[str, PartySchool], users: dict[str, User], on: date):
    """The graduate branch's plan for this year (skipped when it has one)."""
    school, organizer = schools["graduate"], users["grad_organizer"]
    if services.plan_of(session, school.id, on.year) is not None:
        return
    targets = {Stage.ACTIVIST: 6, Stage.CANDIDATE: 4, Stage.PROBATIONARY: 3}
    with acting_as(organizer.id):
        services.set_plan(
            session, school, on.year, targets, None, "依据学院党委年度工作要点", None, organizer, on
        )
