"""Question banks: adding, retiring, importing and exporting questions; a corrected key regrades."""

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from exams import formats
from exams.attempts import services as attempts
from exams.banks.services import update_question
from exams.errors import ManageError
from exams.models import (
    Attempt,
    Question,
    QuestionBank,
)
from exams.questions import QuestionData, QuestionType
from partyschool.extensions import utcnow
from tests.exams.samples import (
    ALL,
    ESSAY,
    FILL,
    MULTIPLE,
    SINGLE,
    TRUE_FALSE,
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
    bank = make_bank(session, teacher.party_school, ())
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
    bank = make_bank(session, teacher.party_school, ALL)
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
    bank = make_bank(session, teacher.party_school, ())
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
    assert "导入 2 题，跳过 0 题" in page(response)
    kinds = sorted(q.kind for q in reread(session).get(QuestionBank, bank.id).questions)
    assert kinds == ["multiple", "single"]


def test_gift_and_aiken_files_import_too(client, session, teacher):
    bank = make_bank(session, teacher.party_school, ())
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
        assert "跳过 0 题" in page(response)
    assert reread(session).scalar(select(func.count(Question.id))) == 3


def test_the_import_says_what_was_imported_and_every_question_skipped(client, session, teacher):
    bank = make_bank(session, teacher.party_school, ())
    session.commit()
    client.login("teacher_a")
    numeric = "".join(f"::n{i}:: 第{i}个数值题{{#{i}}}\n\n" for i in range(25))
    gift = "::q1:: 预备期为一年。{T}\n\n::q2:: 预备期为一年。{T}\n\n" + numeric
    response = client.post(
        f"/exam-admin/banks/{bank.id}/import",
        data={"file": (io.BytesIO(gift.encode()), "bank.gift")},
        content_type="multipart/form-data",
    )
    shown = page(response)
    assert "导入 1 题，跳过 26 题" in shown
    assert "与第 1 题（第 1 行）重复，未重复导入" in shown
    assert shown.count("数值题（{#…}）不受支持") == 25  # every one, not the first 20
    assert reread(session).scalar(select(func.count(Question.id))) == 1


def test_a_bank_exports_as_files_that_import_again(client, session, teacher):
    bank = make_bank(session, teacher.party_school, ALL)
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


def test_correcting_a_key_regrades_the_attempts_that_were_given_it(client, session, teacher, klass):
    wrong_key = QuestionData(**{**SINGLE.__dict__, "answer": 1})  # the bank said 集体领导
    bank = make_bank(session, teacher.party_school, (wrong_key, TRUE_FALSE))
    single, true_false = bank.questions
    exam = make_exam(
        session, klass, make_paper(session, teacher.party_school, bank.questions, points=50)
    )
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
    bank = make_bank(session, teacher.party_school, (wrong_key,))
    exam = make_exam(session, klass, make_paper(session, teacher.party_school, bank.questions))
    enrolment = trainee(session, klass)
    attempt = attempts.start(session, exam, enrolment, utcnow())
    attempts.save(session, attempt, bank.questions[0].id, 0, utcnow())
    update = update_question(session, bank.questions[0], SINGLE)
    assert update.key_changed and update.regraded == 0
    attempts.submit(session, attempt, utcnow())
    assert attempt.score == D(25)


def test_a_used_question_keeps_its_type_and_number_of_options_and_blanks(session, teacher, klass):
    """Answers given and exam pages open expect the question's form: a server that remembers
    it (exams/attempts/asked.py) would otherwise take answers of the old form."""
    bank = make_bank(session, teacher.party_school, (SINGLE, FILL))
    exam = make_exam(session, klass, make_paper(session, teacher.party_school, bank.questions))
    take(session, exam, trainee(session, klass), {"single": 0})
    fewer = QuestionData(**{**SINGLE.__dict__, "options": SINGLE.options[:3]})
    with pytest.raises(ManageError, match="不能增减选项或填空"):
        update_question(session, bank.questions[0], fewer)
    stem, answer = "党的最高理想是____，最终目标是____。", (("共产主义",), ("共产主义",))
    two_blanks = QuestionData(**{**FILL.__dict__, "stem": stem, "answer": answer})
    with pytest.raises(ManageError, match="不能增减选项或填空"):
        update_question(session, bank.questions[1], two_blanks)
    # A reworded stem is no key change: a new revision, nobody regraded.
    reworded = QuestionData(**{**SINGLE.__dict__, "stem": "党的根本组织原则是（ ）。"})
    update = update_question(session, bank.questions[0], reworded)
    assert (update.changed, update.key_changed, update.regraded) == (True, False, 0)
    assert bank.questions[0].revision == 2
