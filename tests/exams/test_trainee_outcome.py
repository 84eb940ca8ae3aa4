"""The trainee sees their class grade and, as the review policy allows, their paper."""

from datetime import timedelta

import pytest

from exams.models import ExamKind, ReviewPolicy
from partyschool.accounts.models import Role
from partyschool.extensions import utcnow
from tests.exams.samples import ESSAY, SINGLE, TRUE_FALSE, page, take
from tests.factories import (
    make_bank,
    make_candidate,
    make_enrolment,
    make_exam,
    make_paper,
    make_user,
)

EXPLAINED = SINGLE.__class__(**{**SINGLE.__dict__, "explanation": "民主集中制是根本组织原则"})


@pytest.fixture
def sat(session, teacher, klass):
    """A trainee who answered the single choice wrong and the true/false right."""
    bank = make_bank(session, teacher.party_school, (EXPLAINED, TRUE_FALSE, ESSAY))
    paper = make_paper(session, teacher.party_school, bank.questions, points=10)
    exam = make_exam(
        session, klass, paper, pass_mark=20, review_policy=ReviewPolicy.ANSWERS_AFTER_CLOSE
    )
    user = make_user(session, Role.ACTIVIST, klass.party_school, username="stu")
    enrolment = make_enrolment(
        session, klass, make_candidate(session, klass.party_school, user=user)
    )
    enrolment.usual_score, enrolment.practice_score = 90, 80
    attempt = take(
        session, exam, enrolment, {"single": 3, "true_false": True, "essay": "为人民服务"}
    )
    session.commit()
    return attempt


def test_no_key_before_review_is_allowed(client, sat):
    client.login("stu")
    shown = page(client.get(f"/exams/attempts/{sat.id}/review"))
    assert "为人民服务" in shown and "正确" in shown  # their own answers
    assert 'data-testid="key"' not in shown and "民主集中制是根本组织原则" not in shown
    assert "考试结束" in shown and "后可在此查看标准答案与解析" in shown


def test_the_key_and_explanations_after_the_window_closes(client, session, sat):
    sat.exam.opens_at = utcnow() - timedelta(hours=3)
    sat.exam.closes_at = utcnow() - timedelta(minutes=1)
    session.commit()
    client.login("stu")
    shown = page(client.get(f"/exams/attempts/{sat.id}/review"))
    assert 'data-testid="key"' in shown and "民主集中制是根本组织原则" in shown


@pytest.mark.parametrize("policy", [ReviewPolicy.SCORE, ReviewPolicy.NOTHING])
def test_other_policies_never_show_the_key(client, session, sat, policy):
    sat.exam.review_policy = policy
    sat.exam.closes_at = utcnow() - timedelta(minutes=1)
    session.commit()
    client.login("stu")
    shown = page(client.get(f"/exams/attempts/{sat.id}/review"))
    assert 'data-testid="key"' not in shown and "民主集中制是根本组织原则" not in shown
    if policy is ReviewPolicy.NOTHING:
        assert "成绩将由教师公布" in shown and "10.00 / 30.00" not in shown


def test_another_trainee_cannot_open_the_paper(client, session, sat, klass):
    make_user(session, Role.ACTIVIST, klass.party_school, username="other")
    session.commit()
    client.login("other")
    assert client.get(f"/exams/attempts/{sat.id}/review").status_code == 404


def test_the_trainee_sees_their_class_grade_and_the_makeup(client, session, sat, klass):
    makeup = make_exam(session, klass, sat.exam.paper, title="结业补考", kind=ExamKind.MAKEUP)
    session.commit()
    client.login("stu")
    shown = page(client.get("/exams/grades"))
    assert klass.title in shown
    assert "平时成绩（20%）" in shown and "90" in shown and "80" in shown
    assert "主观题待评阅" in shown  # the essay waits for an instructor
    assert makeup.title in shown and "可参加补考" in shown


def test_a_score_the_exam_does_not_publish_stays_hidden(client, session, sat):
    sat.exam.review_policy = ReviewPolicy.NOTHING
    session.commit()
    client.login("stu")
    shown = page(client.get("/exams/grades"))
    assert "考试成绩由教师公布后可见" in shown


def test_the_exam_page_of_a_submitted_attempt_links_to_the_paper(client, sat):
    client.login("stu")
    shown = page(client.get(f"/exams/{sat.exam_id}/take"))
    assert f'href="/exams/attempts/{sat.id}/review"' in shown and "我的成绩" in shown
