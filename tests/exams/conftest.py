"""Fixtures of the exams tests: a branch school, its instructor and class, an outsider."""

import pytest

from partyschool.accounts.models import Role
from tests.factories import make_branch_school, make_class, make_course, make_user


@pytest.fixture
def teacher(session, school):
    return make_user(session, Role.INSTRUCTOR, school, username="teacher_a")


@pytest.fixture
def outsider(session):
    """An instructor of another branch school."""
    return make_user(session, Role.INSTRUCTOR, make_branch_school(session), username="teacher_b")


@pytest.fixture
def klass(session, school):
    return make_class(session, make_course(session, school), requires_study_hours=False)
