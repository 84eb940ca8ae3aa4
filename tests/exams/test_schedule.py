"""The exams of a class: set with a usable paper; partial credit turned on regrades."""

from datetime import timedelta

from sqlalchemy import select

from exams.models import (
    Exam,
    ExamKind,
    ReviewPolicy,
)
from exams.schedule.services import ExamValues, save_exam
from tests.exams.samples import ALL, MULTIPLE, D, exam_form, page, take, trainee
from tests.factories import (
    make_bank,
    make_exam,
    make_paper,
    reread,
)


def test_an_exam_is_set_for_a_class_with_a_usable_paper(client, session, teacher, klass):
    bank = make_bank(session, teacher.party_school, ALL)
    paper = make_paper(session, teacher.party_school, bank.questions[:4])  # 100 points
    session.commit()
    client.login("teacher_a")
    url = f"/exam-admin/classes/{klass.id}/exams/new"
    shown = page(client.post(url, data=exam_form(paper, pass_mark="120")))
    assert "及格分应大于 0 且不超过试卷总分 100" in shown
    response = client.post(url, data=exam_form(paper, kind="makeup"))
    assert response.status_code == 302
    exam = reread(session).scalar(select(Exam))
    assert exam.kind is ExamKind.MAKEUP and exam.max_attempts == 2
    assert exam.closes_at - exam.opens_at == timedelta(days=1)
    assert exam.review_policy is ReviewPolicy.ANSWERS_AFTER_CLOSE
    assert "结业考试" in page(client.get(f"/exam-admin/classes/{klass.id}/exams"))


def test_turning_on_partial_credit_regrades_submitted_attempts(session, teacher, klass):
    bank = make_bank(session, teacher.party_school, (MULTIPLE,))
    paper = make_paper(session, teacher.party_school, bank.questions, points=30)
    exam = make_exam(session, klass, paper, pass_mark=D(18))
    attempt = take(session, exam, trainee(session, klass), {"multiple": [0, 1]})
    assert attempt.score == 0
    values = ExamValues(
        **{
            name: getattr(exam, name)
            for name in ExamValues.__dataclass_fields__
            if name != "multiple_partial_credit"
        },
        multiple_partial_credit=True,
    )
    _, regraded = save_exam(session, klass, exam, values)
    assert regraded == 1 and attempt.score == D(20)  # two of three right
