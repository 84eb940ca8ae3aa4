"""Staff pages of the exams: banks and imports, key corrections, papers, exams, essay grading,
results and item statistics, the scores sheet, and who may see what."""

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from exams import formats
from exams.attempts import services as attempts
from exams.banks.services import update_question
from exams.errors import ManageError
from exams.models import (
    Answer,
    Attempt,
    Exam,
    ExamKind,
    Paper,
    PaperMode,
    Question,
    QuestionBank,
    ReviewPolicy,
)
from exams.papers.services import (
    add_fixed_questions,
    copy_paper,
    new_paper,
    paper_total,
    update_items,
)
from exams.questions import QuestionData, QuestionType, to_json
from exams.results.services import exam_results
from exams.results.statistics import Response, distribution, group_size, item_statistics
from exams.schedule.services import ExamValues, save_exam
from partyschool.accounts.models import Role
from partyschool.extensions import BEIJING, utcnow
from tests.factories import (
    make_branch_school,
    make_candidate,
    make_class,
    make_course,
    make_enrolment,
    make_user,
    reread,
    school_level,
)

D = Decimal
SINGLE = QuestionData(
    type=QuestionType.SINGLE,
    stem="党的根本组织原则是（  ）",
    options=("民主集中制", "集体领导", "个人分工负责", "少数服从多数"),
    answer=0,
    category="党章",
)
MULTIPLE = QuestionData(
    type=QuestionType.MULTIPLE,
    stem="“三个经历”包括（  ）",
    options=("志愿服务", "暑期社会实践", "带动班级学风建设", "出国交流"),
    answer=(0, 1, 2),
    category="发展党员",
)
TRUE_FALSE = QuestionData(
    type=QuestionType.TRUE_FALSE, stem="预备党员的预备期为一年。", answer=True, category="党章"
)
FILL = QuestionData(
    type=QuestionType.FILL,
    stem="党的最高理想和最终目标是实现____。",
    answer=(("共产主义",),),
    category="党章",
)
ESSAY = QuestionData(
    type=QuestionType.ESSAY, stem="谈谈你的入党动机。", answer="端正动机", category="党性修养"
)
RIGHT = {"single": 0, "multiple": [0, 1, 2], "true_false": True, "fill": ["共产主义"]}
WRONG = {"single": 3, "multiple": [3], "true_false": False, "fill": ["社会主义"]}


@pytest.fixture
def school(session):
    return make_branch_school(session, code="a", name="甲分党校")


@pytest.fixture
def teacher(session, school):
    return make_user(session, Role.INSTRUCTOR, school, username="teacher_a")


@pytest.fixture
def outsider(session):
    """An instructor of another branch school."""
    return make_user(session, Role.INSTRUCTOR, make_branch_school(session), username="teacher_b")


def make_bank(session, school, questions=(SINGLE, MULTIPLE, TRUE_FALSE, FILL, ESSAY), name="题库"):
    bank = QuestionBank(party_school=school, name=name)
    for data in questions:
        bank.questions.append(Question(kind=data.type, category=data.category, data=to_json(data)))
    session.add(bank)
    session.flush()
    return bank


def make_paper(session, school, questions, points=25) -> Paper:
    paper = Paper(
        party_school_id=school.id,
        title="结业试卷",
        mode=PaperMode.FIXED,
        items=[{"question_id": q.id, "points": str(points)} for q in questions],
        shuffle_questions=False,
        shuffle_options=False,
    )
    session.add(paper)
    session.flush()
    return paper


def make_exam(session, klass, paper, **overrides) -> Exam:
    now = utcnow()
    values = {
        "title": "结业考试",
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(hours=2),
        "time_limit_minutes": 60,
        "pass_mark": D(60),
        "review_policy": ReviewPolicy.SCORE,
    }
    exam = Exam(training_class=klass, paper=paper, **(values | overrides))
    session.add(exam)
    session.flush()
    return exam


@pytest.fixture
def klass(session, school):
    return make_class(session, make_course(session, school), requires_study_hours=False)


def trainee(session, klass, name=None):
    candidate = make_candidate(session, klass.party_school, **({"name": name} if name else {}))
    return make_enrolment(session, klass, candidate)


def take(session, exam, enrolment, responses: dict) -> Attempt:
    """Start, answer (by question type) and submit an attempt."""
    now = utcnow()
    attempt = attempts.start(session, exam, enrolment, now)
    for item in attempt.items:
        kind = item["data"]["type"]
        if kind in responses:
            attempts.save(session, attempt, item["question_id"], responses[kind], now)
    attempts.submit(session, attempt, now)
    session.flush()
    return attempt


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- question banks --------------------------------------------------------------------------


def test_an_instructor_creates_a_bank_and_adds_a_question_of_each_type(client, session, teacher):
    session.commit()
    client.login("teacher_a")
    response = client.post("/exam-admin/banks/new", data={"name": "党章题库"})
    bank = session.scalar(select(QuestionBank).where(QuestionBank.name == "党章题库"))
    assert response.status_code == 302 and bank.party_school_id == teacher.party_school_id
    url = f"/exam-admin/banks/{bank.id}/questions/new"
    common = {"category": "党章", "points": "2", "explanation": ""}
    forms = {
        "single": {"stem": "党的根本组织原则是", "options-0": "民主集中制", "options-1": "集体领导"}
        | {"correct": "A"},
        "multiple": {"stem": "下列属于三个经历的是", "options-0": "志愿服务"}
        | {"options-1": "社会实践", "options-2": "出国", "correct": ["A", "B"]},
        "true_false": {"stem": "预备期为一年。", "correct": "true"},
        "fill": {"stem": "党的全国代表大会每____年举行一次。", "blanks": "五/5"},
        "essay": {"stem": "谈谈入党动机。", "reference": "要点"},
    }
    for kind, fields in forms.items():
        response = client.post(f"{url}?type={kind}", data=common | fields)
        assert response.status_code == 302, (kind, response.get_data(as_text=True))
    saved = {q.kind: q.data for q in reread(session).get(QuestionBank, bank.id).questions}
    assert saved["single"]["answer"] == 0
    assert saved["multiple"]["answer"] == [0, 1]
    assert saved["true_false"]["answer"] is True
    assert saved["fill"]["answer"] == [["五", "5"]]
    assert saved["essay"]["answer"] == "要点" and saved["essay"]["points"] == "2"

    shown = page(client.get(f"/exam-admin/banks/{bank.id}?kind=fill"))
    assert "每____年" in shown and "预备期为一年" not in shown


def test_an_invalid_question_is_refused_with_its_problems(client, session, teacher):
    bank = make_bank(session, teacher.party_school, questions=())
    session.commit()
    client.login("teacher_a")
    data = {"stem": "题干", "options-0": "甲", "options-1": "甲", "correct": "A", "points": "1"}
    shown = page(client.post(f"/exam-admin/banks/{bank.id}/questions/new?type=single", data=data))
    assert "选项B与选项A重复" in shown
    data = {"stem": "第____空和第____空", "blanks": "一", "points": "1"}
    shown = page(client.post(f"/exam-admin/banks/{bank.id}/questions/new?type=fill", data=data))
    assert "题干有 2 个空，但给出了 1 个空的答案" in shown
    assert reread(session).scalar(select(func.count(Question.id))) == 0


def test_a_retired_question_is_hidden_and_can_be_restored(client, session, teacher):
    bank = make_bank(session, teacher.party_school)
    question = bank.questions[0]
    session.commit()
    client.login("teacher_a")
    client.post(f"/exam-admin/questions/{question.id}/retire")
    assert reread(session).get(Question, question.id).is_retired
    assert "党的根本组织原则" not in page(client.get(f"/exam-admin/banks/{bank.id}"))
    assert "党的根本组织原则" in page(client.get(f"/exam-admin/banks/{bank.id}?retired=1"))
    client.post(f"/exam-admin/questions/{question.id}/retire", data={"retired": "0"})
    assert not reread(session).get(Question, question.id).is_retired


def xlsx_upload(rows, name="题库.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["题型", "题干", "选项A", "选项B", "选项C", "答案", "分值", "知识点", "解析"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return (io.BytesIO(buffer.getvalue()), name)


def test_an_import_with_a_bad_question_imports_nothing_and_lists_every_problem(
    client, session, teacher
):
    bank = make_bank(session, teacher.party_school, questions=())
    session.commit()
    client.login("teacher_a")
    rows = [
        ["单选", "党的根本组织原则是", "民主集中制", "集体领导", "", "A", 2, "党章", ""],
        ["单选", "党的宗旨是", "为人民服务", "发展经济", "", "D", 2, "党章", ""],
        ["判断", "预备期为一年。", "", "", "", "也许", 1, "党章", ""],
        ["多选", "三个经历包括", "志愿服务", "社会实践", "出国", "AB", 2, "发展党员", ""],
    ]
    response = client.post(
        f"/exam-admin/banks/{bank.id}/import",
        data={"file": xlsx_upload(rows)},
        content_type="multipart/form-data",
    )
    shown = page(response)
    assert "未导入任何题目" in shown
    assert "第 3 行" in shown and "超出选项范围" in shown
    assert "第 4 行" in shown and "也许" in shown
    assert reread(session).scalar(select(func.count(Question.id))) == 0

    del rows[1:3]
    response = client.post(
        f"/exam-admin/banks/{bank.id}/import",
        data={"file": xlsx_upload(rows)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    kinds = sorted(q.kind for q in reread(session).get(QuestionBank, bank.id).questions)
    assert kinds == ["multiple", "single"]


def test_gift_and_aiken_files_import_too(client, session, teacher):
    bank = make_bank(session, teacher.party_school, questions=())
    session.commit()
    client.login("teacher_a")
    gift = (
        "::q1:: 预备党员的预备期为一年。{T}\n\n::q2:: 党的根本组织原则是{=民主集中制 ~集体领导}\n"
    )
    aiken = "党的最高理想是\nA. 共产主义\nB. 小康社会\nANSWER: A\n"
    for content, name in ((gift, "bank.gift"), (aiken, "aiken.txt")):
        response = client.post(
            f"/exam-admin/banks/{bank.id}/import",
            data={"file": (io.BytesIO(content.encode()), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    assert reread(session).scalar(select(func.count(Question.id))) == 3


def test_a_bank_exports_as_files_that_import_again(client, session, teacher):
    bank = make_bank(session, teacher.party_school)
    bank.questions[0].is_retired = True
    session.commit()
    client.login("teacher_a")
    for fmt in ("xlsx", "gift", "moodle"):
        response = client.get(f"/exam-admin/banks/{bank.id}/export?format={fmt}")
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        if fmt == "xlsx":
            parsed = formats.parse(response.data, "export.xlsx")
            assert parsed.ok and len(parsed.questions) == 4  # the retired one is left out
            assert {q.stem for q in parsed.questions} == {
                MULTIPLE.stem,
                TRUE_FALSE.stem,
                FILL.stem,
                ESSAY.stem,
            }
    template = client.get("/exam-admin/template.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(template.data)).active
    assert [c.value for c in sheet[1]][:2] == ["题型", "题干"]
    # One example row of each question type, which imports as it stands.
    example = formats.parse(template.data, "题库导入模板.xlsx")
    assert example.ok and {q.type for q in example.questions} == set(QuestionType)


# --- correcting a key regrades ---------------------------------------------------------------


def test_correcting_a_key_regrades_the_attempts_that_were_given_it(client, session, teacher, klass):
    wrong_key = QuestionData(**{**SINGLE.__dict__, "answer": 1})  # the bank said 集体领导
    bank = make_bank(session, teacher.party_school, questions=(wrong_key, TRUE_FALSE))
    single, true_false = bank.questions
    exam = make_exam(session, klass, make_paper(session, teacher.party_school, bank.questions, 50))
    right = take(session, exam, trainee(session, klass), {"single": 0, "true_false": True})
    chose_b = take(session, exam, trainee(session, klass), {"single": 1, "true_false": True})
    assert (right.score, chose_b.score) == (D(50), D(100))
    session.commit()

    client.login("teacher_a")
    assert "本题已出现在 2 份答卷中" in page(client.get(f"/exam-admin/questions/{single.id}/edit"))
    form = {
        "stem": SINGLE.stem,
        **{f"options-{i}": text for i, text in enumerate(SINGLE.options)},
        "correct": "A",
        "category": "党章",
        "points": "1",
    }
    response = client.post(
        f"/exam-admin/questions/{single.id}/edit", data=form, follow_redirects=True
    )
    assert "重新评分 2 份已交答卷" in page(response)
    reread(session)
    assert session.get(Attempt, right.id).score == D(100)
    assert session.get(Attempt, chose_b.id).score == D(50)
    corrected = session.get(Question, single.id)
    assert corrected.revision == 2 and corrected.data["answer"] == 0
    assert session.get(Attempt, right.id).items[0]["revision"] == 2


def test_an_attempt_in_progress_gets_the_corrected_key(session, teacher, klass):
    wrong_key = QuestionData(**{**SINGLE.__dict__, "answer": 1})
    bank = make_bank(session, teacher.party_school, questions=(wrong_key,))
    exam = make_exam(session, klass, make_paper(session, teacher.party_school, bank.questions))
    enrolment = trainee(session, klass)
    attempt = attempts.start(session, exam, enrolment, utcnow())
    attempts.save(session, attempt, bank.questions[0].id, 0, utcnow())
    update = update_question(session, bank.questions[0], SINGLE)
    assert update.key_changed and update.regraded == 0
    attempts.submit(session, attempt, utcnow())
    assert attempt.score == D(25)


def test_a_used_question_keeps_its_type_and_number_of_options(session, teacher, klass):
    bank = make_bank(session, teacher.party_school, questions=(SINGLE,))
    exam = make_exam(session, klass, make_paper(session, teacher.party_school, bank.questions))
    take(session, exam, trainee(session, klass), {"single": 0})
    fewer = QuestionData(**{**SINGLE.__dict__, "options": SINGLE.options[:3]})
    with pytest.raises(ManageError, match="不能增减选项"):
        update_question(session, bank.questions[0], fewer)
    # A reworded stem is no key change: a new revision, nobody regraded.
    reworded = QuestionData(**{**SINGLE.__dict__, "stem": "党的根本组织原则是（ ）。"})
    update = update_question(session, bank.questions[0], reworded)
    assert (update.changed, update.key_changed, update.regraded) == (True, False, 0)
    assert bank.questions[0].revision == 2


# --- papers ----------------------------------------------------------------------------------


def test_a_fixed_paper_is_built_by_picking_questions_with_points(client, session, teacher):
    bank = make_bank(session, teacher.party_school)
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
    bank = make_bank(session, teacher.party_school, questions=(SINGLE, MULTIPLE, TRUE_FALSE))
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
    assert len(paper.items) == 2 and paper_total(paper) == D("7.5")


def test_a_paper_given_to_a_trainee_can_no_longer_change(session, teacher, klass):
    bank = make_bank(session, teacher.party_school)
    paper = make_paper(session, teacher.party_school, bank.questions[:2])
    take(session, make_exam(session, klass, paper), trainee(session, klass), {})
    with pytest.raises(ManageError, match="复制为新试卷"):
        update_items(session, paper, {}, {0})
    copy = copy_paper(session, paper, teacher)
    assert copy.party_school_id == paper.party_school_id
    update_items(session, copy, {}, {0})
    assert len(copy.items) == 1 and len(paper.items) == 2


# --- exams -----------------------------------------------------------------------------------


def exam_form(paper, **overrides):
    opens = utcnow().astimezone(BEIJING).replace(tzinfo=None, second=0, microsecond=0)
    values = {
        "title": "结业考试",
        "paper_id": str(paper.id),
        "kind": "formal",
        "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (opens + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "time_limit_minutes": "90",
        "max_attempts": "2",
        "pass_mark": "60",
        "review_policy": "answers_after_close",
    }
    return values | overrides


def test_an_exam_is_set_for_a_class_with_a_usable_paper(client, session, teacher, klass):
    bank = make_bank(session, teacher.party_school)
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
    bank = make_bank(session, teacher.party_school, questions=(MULTIPLE,))
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


# --- grading essays --------------------------------------------------------------------------


def test_grading_an_essay_makes_it_final_and_updates_the_total(client, session, teacher, klass):
    bank = make_bank(session, teacher.party_school, questions=(SINGLE, ESSAY))
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


# --- results and statistics ------------------------------------------------------------------


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
    bank = make_bank(session, teacher.party_school, questions=(SINGLE, MULTIPLE, TRUE_FALSE, FILL))
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


# --- the scores sheet ------------------------------------------------------------------------


def test_usual_and_practice_scores_are_entered_and_validated(client, session, teacher, klass):
    bank = make_bank(session, teacher.party_school, questions=(SINGLE, MULTIPLE, TRUE_FALSE, FILL))
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


# --- who may see what ------------------------------------------------------------------------


def test_another_branch_can_neither_see_nor_change_banks_papers_exams_or_results(
    client, session, teacher, outsider, klass
):
    bank = make_bank(session, teacher.party_school, name="甲校题库")
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
    library = make_bank(session, school_level(session), name="校党校题库")
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
    bank = make_bank(session, teacher.party_school)
    paper = make_paper(session, teacher.party_school, bank.questions)
    assert copy_paper(session, paper, admin).party_school_id == teacher.party_school_id


def test_organizers_and_trainees_are_kept_out(client, session, school):
    make_user(session, Role.ORGANIZER, school, username="organizer_a")
    session.commit()
    client.login("organizer_a")
    assert client.get("/exam-admin/").status_code == 403
