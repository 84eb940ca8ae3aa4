"""Who may see and change what on the staff pages of the exams."""

from sqlalchemy import select

from exams.models import (
    Answer,
    Exam,
    Paper,
    PaperMode,
    Question,
)
from exams.papers.services import (
    add_fixed_questions,
    copy_paper,
    new_paper,
)
from partyschool.accounts.models import Role
from tests.exams.samples import ALL, exam_form, page, take, trainee
from tests.factories import (
    make_bank,
    make_exam,
    make_paper,
    make_user,
    reread,
    school_level,
)


def test_another_branch_can_neither_see_nor_change_banks_papers_exams_or_results(
    client, session, teacher, outsider, klass
):
    bank = make_bank(session, teacher.party_school, ALL, name="甲校题库")
    paper = make_paper(session, teacher.party_school, bank.questions)
    exam = make_exam(session, klass, paper)
    attempt = take(session, exam, trainee(session, klass), {"essay": "答案"})
    answer = next(a for a in attempt.answers if a.question_id == bank.questions[4].id)
    session.commit()
    client.login("teacher_b")
    assert "甲校题库" not in page(client.get("/exam-admin/"))
    for url in (
        f"/exam-admin/banks/{bank.id}",
        f"/exam-admin/banks/{bank.id}/export?format=xlsx",
        f"/exam-admin/questions/{bank.questions[0].id}/edit",
        f"/exam-admin/papers/{paper.id}",
        f"/exam-admin/classes/{klass.id}/exams",
        f"/exam-admin/classes/{klass.id}/scores",
        f"/exam-admin/exams/{exam.id}/edit",
        f"/exam-admin/exams/{exam.id}/grading",
        f"/exam-admin/exams/{exam.id}/results",
        f"/exam-admin/exams/{exam.id}/results.xlsx",
        f"/exam-admin/attempts/{attempt.id}",
        f"/exam-admin/answers/{answer.id}/grade",
    ):
        assert client.get(url).status_code == 404, url
    posts = {
        f"/exam-admin/questions/{bank.questions[0].id}/retire": {},
        f"/exam-admin/papers/{paper.id}/items": {"remove-0": "1"},
        f"/exam-admin/answers/{answer.id}/grade": {"score": "1"},
        f"/exam-admin/exams/{exam.id}/edit": exam_form(paper, title="改"),
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 404, url
    reread(session)
    assert not session.get(Question, bank.questions[0].id).is_retired
    assert len(session.get(Paper, paper.id).items) == 5
    assert session.get(Answer, answer.id).graded_by_id is None
    assert session.get(Exam, exam.id).title == "结业考试"


def test_school_level_banks_serve_every_branch_read_only(client, session, teacher):
    library = make_bank(session, school_level(session), ALL, name="校党校题库")
    session.commit()
    client.login("teacher_a")
    assert "校党校题库" in page(client.get("/exam-admin/"))
    assert "不能修改" in page(client.get(f"/exam-admin/banks/{library.id}"))
    assert client.get(f"/exam-admin/questions/{library.questions[0].id}/edit").status_code == 403
    assert client.get(f"/exam-admin/banks/{library.id}/import").status_code == 403
    # …but its questions may go into the branch's own papers.
    paper = new_paper(
        session,
        teacher.party_school,
        title="卷",
        mode=PaperMode.FIXED,
        shuffle_questions=True,
        shuffle_options=True,
    )
    add_fixed_questions(session, paper, [(library.questions[0].id, "10")])
    assert paper.items == [{"question_id": library.questions[0].id, "points": "10"}]
    # A school-level paper is usable and copied into the branch, never edited in place.
    school_paper = make_paper(session, school_level(session), library.questions[:2])
    session.commit()
    assert client.get(f"/exam-admin/papers/{school_paper.id}/edit").status_code == 403
    response = client.post(f"/exam-admin/papers/{school_paper.id}/copy")
    assert response.status_code == 302
    copy = reread(session).scalar(select(Paper).order_by(Paper.id.desc()))
    assert copy.id != school_paper.id and copy.party_school_id == teacher.party_school_id


def test_school_admins_copy_a_branch_paper_within_its_branch(session, teacher):
    admin = make_user(session, Role.SCHOOL_ADMIN, school_level(session))
    bank = make_bank(session, teacher.party_school, ALL)
    paper = make_paper(session, teacher.party_school, bank.questions)
    assert copy_paper(session, paper, admin).party_school_id == teacher.party_school_id


def test_organizers_and_trainees_are_kept_out(client, session, school):
    make_user(session, Role.ORGANIZER, school, username="organizer_a")
    session.commit()
    client.login("organizer_a")
    assert client.get("/exam-admin/").status_code == 403
