"""Exam papers: picking questions with points, drawing rules, and no change once given."""

import pytest
from sqlalchemy import select

from exams.errors import ManageError
from exams.models import (
    Paper,
)
from exams.papers.services import (
    copy_paper,
    update_items,
)
from tests.exams.samples import ALL, MULTIPLE, SINGLE, TRUE_FALSE, D, page, take, trainee
from tests.factories import (
    make_bank,
    make_exam,
    make_paper,
    reread,
)


def test_a_fixed_paper_is_built_by_picking_questions_with_points(client, session, teacher):
    bank = make_bank(session, teacher.party_school, ALL)
    session.commit()
    client.login("teacher_a")
    response = client.post(
        "/exam-admin/papers/new",
        data={"title": "第一期结业试卷", "mode": "fixed", "shuffle_questions": "y"},
    )
    paper = reread(session).scalar(select(Paper))
    assert response.status_code == 302 and paper.shuffle_questions and not paper.shuffle_options
    first, second = bank.questions[0].id, bank.questions[4].id
    client.post(
        f"/exam-admin/papers/{paper.id}/pick",
        data={"question_ids": [first, second], f"points-{first}": "40", f"points-{second}": "60"},
    )
    shown = page(client.get(f"/exam-admin/papers/{paper.id}"))
    assert "<strong>100</strong> 分" in shown
    client.post(f"/exam-admin/papers/{paper.id}/items", data={"points-0": "30", "remove-1": "1"})
    paper = reread(session).get(Paper, paper.id)
    assert paper.items == [{"question_id": first, "points": "30"}]


def test_a_drawing_rule_needs_enough_questions_in_the_bank(client, session, teacher):
    bank = make_bank(session, teacher.party_school, (SINGLE, MULTIPLE, TRUE_FALSE))
    session.commit()
    client.login("teacher_a")
    client.post("/exam-admin/papers/new", data={"title": "随机卷", "mode": "drawn"})
    paper = reread(session).scalar(select(Paper))
    rule = {"bank_id": bank.id, "kind": "single", "category": "", "points": "5"}
    response = client.post(
        f"/exam-admin/papers/{paper.id}/rules", data=rule | {"count": "2"}, follow_redirects=True
    )
    assert "单选题只有 1 道，不足 2 道" in page(response)
    assert reread(session).get(Paper, paper.id).items == []
    client.post(f"/exam-admin/papers/{paper.id}/rules", data=rule | {"count": "1"})
    overlap = rule | {"count": "1", "category": "党章"}
    response = client.post(
        f"/exam-admin/papers/{paper.id}/rules", data=overlap, follow_redirects=True
    )
    assert "重叠" in page(response)
    rule = rule | {"kind": "true_false", "count": "1", "points": "2.5"}
    client.post(f"/exam-admin/papers/{paper.id}/rules", data=rule)
    paper = reread(session).get(Paper, paper.id)
    assert len(paper.items) == 2 and paper.total_points == D("7.5")


def test_a_paper_given_to_a_trainee_can_no_longer_change(session, teacher, klass):
    bank = make_bank(session, teacher.party_school, ALL)
    paper = make_paper(session, teacher.party_school, bank.questions[:2])
    take(session, make_exam(session, klass, paper), trainee(session, klass), {})
    with pytest.raises(ManageError, match="复制为新试卷"):
        update_items(session, paper, {}, {0})
    copy = copy_paper(session, paper, teacher)
    assert copy.party_school_id == paper.party_school_id
    update_items(session, copy, {}, {0})
    assert len(copy.items) == 1 and len(paper.items) == 2
