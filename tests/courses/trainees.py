"""A trainee for the courses tests, built from tests/factories.py: an activist's account and
candidate record in the class's school, enrolled in the class."""

from courses.models import Enrolment, EnrolmentStatus
from partyschool.accounts.models import Role
from tests.factories import make_candidate, make_enrolment, make_user


def make_trainee(
    session, training_class, status: EnrolmentStatus = EnrolmentStatus.APPROVED, **user_overrides
) -> Enrolment:
    """An activist of the class's school with an enrolment in it (approved by default)."""
    school = training_class.party_school
    user = make_user(session, Role.ACTIVIST, school, **user_overrides)
    candidate = make_candidate(session, school, user=user)
    return make_enrolment(session, training_class, candidate, status=status)
