"""An attempt abandoned past its deadline shows as taken and graded wherever results, grades
or completion are shown, without anyone running `flask exams finalize-overdue`."""

from datetime import timedelta

import pytest

from exams import class_grades
from exams.attempts import services as attempts
from exams.models import Attempt, AttemptStatus
from partyschool.accounts.models import Role
from partyschool.extensions import utcnow
from tests.exams.samples import TRUE_FALSE, page
from tests.factories import (
    make_bank,
    make_candidate,
    make_enrolment,
    make_exam,
    make_paper,
    make_user,
    reread,
)


@pytest.fixture
def abandoned(session, teacher, klass):
    """A trainee who answered one question right and walked away; the deadline has passed."""
    bank = make_bank(session, teacher.party_school, (TRUE_FALSE,))
    exam = make_exam(session, klass, make_paper(session, teacher.party_school, bank.questions))
    user = make_user(session, Role.ACTIVIST, klass.party_school, username="walker")
    enrolment = make_enrolment(
        session, klass, make_candidate(session, klass.party_school, user=user)
    )
    now = utcnow()
    attempt = attempts.start(session, exam, enrolment, now)
    attempts.save(session, attempt, attempt.items[0]["question_id"], True, now)
    attempt.deadline_at = now - timedelta(minutes=1)
    session.commit()
    return attempt


def submitted(session, attempt) -> bool:
    return reread(session).get(Attempt, attempt.id).status is AttemptStatus.SUBMITTED


@pytest.mark.parametrize(
    "path",
    [
        "/exam-admin/exams/{exam}/results",
        "/exam-admin/exams/{exam}/grading",
        "/exam-admin/classes/{klass}/scores",
        "/exam-admin/classes/{klass}/exams",
        "/exam-admin/attempts/{attempt}",
    ],
)
def test_staff_pages_finalize_first(client, session, abandoned, path):
    client.login("teacher_a")
    url = path.format(exam=abandoned.exam_id, klass=abandoned.exam.class_id, attempt=abandoned.id)
    shown = page(client.get(url))
    assert submitted(session, abandoned)
    if "results" in path:
        assert "未参加" not in shown


def test_the_trainee_pages_finalize_first(client, session, abandoned):
    client.login("walker")
    shown = page(client.get("/exams/mine"))
    assert "作答中" not in shown and "第1次：25.00 / 25.00" in shown
    assert submitted(session, abandoned)


def test_the_exams_api_finalizes_first(client, session, abandoned):
    client.login("walker")
    assert client.get("/api/v1/exams").status_code == 200
    assert submitted(session, abandoned)


def test_class_grades_count_the_abandoned_attempt(session, abandoned):
    training_class = abandoned.exam.training_class
    grade = class_grades.class_grades(session, training_class)[abandoned.enrolment_id]
    assert grade.exam == 100 and grade.exam_source == "formal"
    assert class_grades.class_grade(session, abandoned.enrolment).exam == 100
    assert abandoned.status is AttemptStatus.SUBMITTED  # flushed; the request commits
