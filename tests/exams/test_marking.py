"""Marking essays: an instructor's grade is final and the attempt's total follows."""

from sqlalchemy import select

from exams.models import (
    Answer,
    Attempt,
)
from partyschool.audit import AuditEvent, describe
from tests.exams.samples import ESSAY, SINGLE, D, page, take, trainee
from tests.factories import (
    make_bank,
    make_exam,
    make_paper,
    reread,
)


def test_grading_an_essay_makes_it_final_and_updates_the_total(client, session, teacher, klass):
    bank = make_bank(session, teacher.party_school, (SINGLE, ESSAY))
    paper = make_paper(session, teacher.party_school, bank.questions, points=20)
    exam = make_exam(session, klass, paper)
    enrolment = trainee(session, klass, name="王小明")
    attempt = take(session, exam, enrolment, {"single": 0, "essay": "为人民服务，追求进步。"})
    assert attempt.score == D(20) and not attempt.is_fully_graded
    session.commit()

    client.login("teacher_a")
    queue = page(client.get(f"/exam-admin/exams/{exam.id}/grading"))
    assert "王小明" in queue and "谈谈你的入党动机" in queue
    answer = session.scalar(select(Answer).where(Answer.question_id == bank.questions[1].id))
    url = f"/exam-admin/answers/{answer.id}/grade"
    assert "为人民服务，追求进步。" in page(client.get(url))
    assert "得分必须在 0 到 20 之间" in page(client.post(url, data={"score": "25"}))
    assert reread(session).get(Answer, answer.id).score == 0

    response = client.post(url, data={"score": "15.5", "comment": "结合实际不够"})
    assert response.status_code == 302
    reread(session)
    graded = session.get(Answer, answer.id)
    assert (graded.score, graded.is_final, graded.graded_by_id) == (D("15.5"), True, teacher.id)
    assert graded.grader_comment == "结合实际不够"
    total = session.get(Attempt, attempt.id)
    assert total.score == D("35.5") and total.is_fully_graded
    assert "没有待评阅的答案" in page(client.get(f"/exam-admin/exams/{exam.id}/grading"))

    # The grade is in the audit trail, in words; saving the answer was not.
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.table_name == "answers").order_by(AuditEvent.id)
    ).all()
    assert [(e.row_id, e.action, e.actor_id) for e in events] == [(answer.id, "update", teacher.id)]
    changes = {c.label: c.after for c in describe(events[0]).changes}
    assert changes == {"得分": "15.5", "评语": "结合实际不够", "已评定": "是"}
