"""Results: best scores, distribution, item statistics, and a class's scores sheet."""

import io

import openpyxl
import pytest

from exams.models import (
    ExamKind,
)
from exams.results.services import exam_results
from exams.results.statistics import Response, distribution, group_size, item_statistics
from tests.exams.samples import (
    FILL,
    MULTIPLE,
    RIGHT,
    SINGLE,
    TRUE_FALSE,
    WRONG,
    D,
    page,
    take,
    trainee,
)
from tests.factories import (
    make_bank,
    make_exam,
    make_paper,
    reread,
)


def test_item_statistics_on_a_hand_computed_example():
    # Eight examinees by total; q2 (2 points) was not drawn for the last one.
    table = [
        (95, 4, 2),
        (90, 4, 0),
        (70, 2, 2),
        (60, 4, 1),
        (50, 0, 2),
        (40, 2, 0),
        (20, 0, 2),
        (10, 0, None),
    ]
    responses = [
        Response(
            D(total),
            {1: (D(q1), D(4))} | ({2: (D(q2), D(2))} if q2 is not None else {}),
        )
        for total, q1, q2 in table
    ]
    assert group_size(8) == 2  # 27% of 8 is 2.16
    q1, q2 = item_statistics(responses, [1, 2])
    # q1: mean 16/8 = 2 of 4; upper (95, 90) scored 4/4 and 4/4, lower (20, 10) 0 and 0.
    assert (q1.answered, q1.mean, q1.difficulty, q1.discrimination) == (8, D(2), 0.5, 1.0)
    # q2: 9 points over 7 examinees of 2; upper 2/2 and 0/2 → 0.5, lower only (20): 2/2 → 1.
    assert q2.answered == 7 and q2.mean == D("1.29")
    assert q2.difficulty == pytest.approx(9 / 14)
    assert q2.discrimination == pytest.approx(-0.5)

    bands = distribution(D(t) for t, _, _ in table)
    assert [b.count for b in bands] == [0, 1, 1, 0, 1, 1, 1, 1, 0, 2]
    assert bands[-1].label == "90–100" and bands[0].label == "0–9"
    assert distribution([D(100)])[-1].count == 1


def test_group_sizes_follow_the_27_percent_rule():
    assert [group_size(n) for n in (0, 1, 2, 3, 4, 10, 100)] == [0, 0, 1, 1, 1, 3, 27]


def test_the_results_page_shows_best_scores_distribution_and_item_statistics(
    client, session, teacher, klass
):
    bank = make_bank(session, teacher.party_school, (SINGLE, MULTIPLE, TRUE_FALSE, FILL))
    exam = make_exam(
        session, klass, make_paper(session, teacher.party_school, bank.questions), max_attempts=2
    )
    best = trainee(session, klass, name="=HYPERLINK(1)")
    take(session, exam, best, WRONG)
    take(session, exam, best, RIGHT)  # the second attempt counts: 100
    half = {**WRONG, "single": 0, "true_false": True}
    take(session, exam, trainee(session, klass, name="李四"), half)  # 50
    take(session, exam, trainee(session, klass, name="王五"), WRONG)  # 0
    trainee(session, klass, name="缺考者")
    session.commit()

    results = exam_results(session, exam)
    assert [b.count for b in results.bands] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    stats = {info.type: stat for info, stat in results.items}
    # single: 25, 25, 0 of 25 → 0.67; the upper (100) got it, the lower (0) did not.
    assert stats["single"].difficulty == pytest.approx(2 / 3)
    assert stats["single"].discrimination == 1.0
    assert stats["multiple"].difficulty == pytest.approx(1 / 3)
    assert results.passed_count == 1 and len(results.taken) == 3

    client.login("teacher_a")
    shown = page(client.get(f"/exam-admin/exams/{exam.id}/results"))
    assert "缺考者" in shown and "未参加" in shown
    assert '<td class="difficulty">0.67</td>' in shown
    assert "<svg" in shown and "90–100：1 人" in shown

    export = client.get(f"/exam-admin/exams/{exam.id}/results.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(export.data)).active.values)
    assert rows[0][:4] == ("学号", "姓名", "交卷次数", "最高分")
    by_name = {row[1]: row for row in rows[1:]}
    assert "'=HYPERLINK(1)" in by_name  # written as text, never as a formula
    assert by_name["'=HYPERLINK(1)"][2:4] == (2, 100) and by_name["李四"][6] == "不及格"
    items = client.get(f"/exam-admin/exams/{exam.id}/items.xlsx")
    item_rows = list(openpyxl.load_workbook(io.BytesIO(items.data)).active.values)
    assert len(item_rows) == 5 and item_rows[1][7] == pytest.approx(0.667)


def test_usual_and_practice_scores_are_entered_and_validated(client, session, teacher, klass):
    bank = make_bank(session, teacher.party_school, (SINGLE, MULTIPLE, TRUE_FALSE, FILL))
    formal = make_exam(session, klass, make_paper(session, teacher.party_school, bank.questions))
    enrolment = trainee(session, klass, name="赵六")
    take(session, formal, enrolment, {**WRONG, "single": 0})  # 25: failed
    makeup = make_exam(
        session,
        klass,
        formal.paper,
        kind=ExamKind.MAKEUP,
        title="补考",
    )
    take(session, makeup, enrolment, RIGHT)  # 100, counted as the pass mark 60
    session.commit()
    client.login("teacher_a")
    url = f"/exam-admin/classes/{klass.id}/scores"
    data = {f"usual-{enrolment.id}": "101", f"practice-{enrolment.id}": "80"}
    assert "应在 0 到 100 之间" in page(client.post(url, data=data))
    assert reread(session).get(type(enrolment), enrolment.id).practice_score is None

    data[f"usual-{enrolment.id}"] = "90"
    assert client.post(url, data=data).status_code == 302
    shown = page(client.get(url))
    # 20% × 90 + 20% × 80 + 60% × 60 (the makeup passed: counted as the pass mark)
    assert '<td class="total">70.0</td>' in shown and "补考" in shown and "合格" in shown
