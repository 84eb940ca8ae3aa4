"""Questions validate, survive JSON and shuffling; every response, however malformed, grades
within [0, points] and the same whatever order the options were shown in."""

import json
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from exams import question_grading as grading
from exams.question_grading import (
    Grade,
    GradingPolicy,
    PartialCredit,
    fill_matches,
    manual_grade,
    normalize_fill,
)
from exams.question_types import (
    QUESTION_TYPES,
    BaseQuestionType,
    grade,
    key_text,
    public_fields,
    register,
    response_text,
    type_of,
)
from exams.questions import (
    QuestionData,
    QuestionType,
    blank_count,
    expected_blanks,
    from_json,
    permute,
    to_json,
    validate,
)

SINGLE = QuestionData(
    type=QuestionType.SINGLE,
    stem="党的根本组织原则是（  ）。",
    options=("民主集中制", "集体领导", "个人分工负责", "党员个人服从党的组织"),
    answer=0,
    category="党章",
    points=Decimal(2),
    explanation="党是根据自己的纲领和章程，按照民主集中制组织起来的统一整体。",
)
MULTIPLE = QuestionData(
    type=QuestionType.MULTIPLE,
    stem="党员必须增强的“四个意识”是（  ）。",
    options=("政治意识", "大局意识", "核心意识", "看齐意识", "忧患意识"),
    answer=(0, 1, 2, 3),
    category="党的理论",
    points=Decimal(4),
)
TRUE_FALSE = QuestionData(
    type=QuestionType.TRUE_FALSE,
    stem="预备党员的预备期为一年。",
    answer=True,
    category="党章",
)
FILL = QuestionData(
    type=QuestionType.FILL,
    stem="党的根本组织原则是____；党的全国代表大会每（  ）年举行一次。",
    answer=(("民主集中制",), ("五", "5")),
    category="党章",
    points=Decimal(2),
)
FILL_LATIN = QuestionData(
    type=QuestionType.FILL,
    stem="中国共产党以____作为自己的行动指南之一（可用英文作答）。",
    answer=(("马克思列宁主义", "Marxism-Leninism"),),
)
ESSAY = QuestionData(
    type=QuestionType.ESSAY,
    stem="结合自身实际，谈谈你的入党动机。",
    answer="要点：对党的认识；端正入党动机；今后的努力方向。",
    points=Decimal(20),
)
EXAMPLES = [SINGLE, MULTIPLE, TRUE_FALSE, FILL, FILL_LATIN, ESSAY]

STRICT = GradingPolicy()
PROPORTIONAL = GradingPolicy(multiple_partial_credit=True)
NO_WRONG = GradingPolicy(multiple_partial_credit=True, multiple_partial_mode=PartialCredit.NO_WRONG)
HALF = GradingPolicy(multiple_partial_credit=True, multiple_partial_mode=PartialCredit.HALF)


def _score(question: QuestionData, response, policy: GradingPolicy = STRICT) -> Decimal:
    return grade(question, response, question.points, policy).score


# --- questions -----------------------------------------------------------------------------


@pytest.mark.parametrize("question", EXAMPLES, ids=lambda q: q.type)
def test_realistic_questions_are_valid(question):
    assert validate(question) == []


def _with(question: QuestionData, **changes) -> QuestionData:
    return QuestionData(**{**to_json_fields(question), **changes})


def to_json_fields(question: QuestionData) -> dict:
    return {name: getattr(question, name) for name in question.__dataclass_fields__}


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        (_with(SINGLE, stem="  "), "题干不能为空"),
        (_with(SINGLE, options=("民主集中制",)), "选项至少需要 2 个"),
        (_with(SINGLE, options=tuple(f"选项{i}" for i in range(11))), "选项最多 10 个"),
        (_with(SINGLE, answer=4), "答案超出选项范围"),
        (_with(SINGLE, answer=-1), "答案超出选项范围"),
        (_with(SINGLE, answer=True), "单选题的答案必须是一个选项"),
        (_with(SINGLE, answer="A"), "单选题的答案必须是一个选项"),
        (_with(SINGLE, options=("民主集中制", "集体领导", "民主集中制 ")), "选项C与选项A重复"),
        (_with(SINGLE, options=("民主集中制", "", "集体领导")), "选项B为空"),
        (_with(MULTIPLE, answer=()), "多选题至少需要 1 个正确答案"),
        (_with(MULTIPLE, answer=(0, 5)), "答案超出选项范围"),
        (_with(MULTIPLE, answer=(1, 1)), "答案中有重复的选项"),
        (_with(MULTIPLE, answer=(2, 1)), "多选题的答案应按选项顺序排列"),
        (_with(MULTIPLE, answer=[0, 1]), "多选题的答案必须是若干选项"),
        (_with(TRUE_FALSE, answer="对"), "判断题的答案必须是“正确”或“错误”"),
        (_with(TRUE_FALSE, options=("对", "错")), "判断题不应有选项"),
        (_with(FILL, answer=(("民主集中制",),)), "题干有 2 个空，但给出了 1 个空的答案"),
        (_with(FILL, answer=(("民主集中制",), ())), "第 2 空的答案不能为空"),
        (_with(FILL, answer=(("民主集中制",), (" ",))), "第 2 空的答案不能为空"),
        (_with(FILL, answer="民主集中制"), "填空题的答案格式无效"),
        (_with(ESSAY, answer=None), "论述题的参考答案必须是文本"),
        (_with(SINGLE, points=Decimal(0)), "分值必须大于 0"),
        (_with(SINGLE, points=Decimal(-2)), "分值必须大于 0"),
        (_with(SINGLE, points=Decimal("NaN")), "分值必须大于 0"),
        (_with(SINGLE, points=Decimal("1.234")), "分值最多保留两位小数"),
        (_with(SINGLE, points=Decimal(101)), "分值不能超过 100"),
        (_with(SINGLE, points=1.5), "分值必须是数字"),
        (_with(SINGLE, stem="党的根本\x07组织原则"), "题干含有不可见的控制字符"),
        (_with(SINGLE, category="党章\n总纲"), "知识点不能换行"),
        (_with(SINGLE, type="matching"), "未知的题型“matching”"),
    ],
)
def test_validate_names_each_problem_in_chinese(question, problem):
    assert problem in validate(question)


def test_blank_markers_are_counted():
    assert blank_count("党的根本组织原则是____，最高领导机关是（  ）和（）。") == 3
    assert blank_count("入党誓词共有( )句") == 1
    assert blank_count("党员的权利__有八项") == 0
    assert expected_blanks("党的根本组织原则是什么？") == 1


@pytest.mark.parametrize("question", EXAMPLES, ids=lambda q: q.type)
def test_json_round_trip(question):
    data = json.loads(json.dumps(to_json(question)))
    assert from_json(data) == question


@pytest.mark.parametrize("question", EXAMPLES, ids=lambda q: q.type)
def test_public_fields_carry_no_key(question):
    public = public_fields(question)
    assert set(public) == {"type", "stem", "options", "blanks"}
    assert public["options"] == list(question.options)
    assert public["blanks"] == (len(question.answer) if question.type is QuestionType.FILL else 0)


@pytest.mark.parametrize(
    ("question", "key", "response", "shown"),
    [
        (SINGLE, "A", 2, "C"),
        (MULTIPLE, "ABCD", [3, 0], "AD"),
        (TRUE_FALSE, "正确", False, "错误"),
        (FILL, "民主集中制；五/5", ["民主集中制", "六"], "民主集中制；六"),
        (ESSAY, ESSAY.answer, "为人民服务", "为人民服务"),
    ],
    ids=lambda v: v.type if isinstance(v, QuestionData) else "",
)
def test_keys_and_responses_read_as_people_write_them(question, key, response, shown):
    assert key_text(question) == key
    assert response_text(question, response) == shown
    assert response_text(question, None) == response_text(question, []) == ""


@pytest.mark.parametrize("question", EXAMPLES, ids=lambda q: q.type)
def test_the_template_answer_cell_reads_back_as_the_key(question):
    kind = type_of(question.type)
    assert kind.answer_from_cell(kind.answer_cell(question), len(question.options)) == (
        question.answer
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"type": "single"},
        {"type": "matching", "stem": "x", "answer": 0},
        {"type": "single", "stem": "x", "options": ["a", "b"], "answer": "0"},
        {"type": "single", "stem": "x", "options": ["a", "b"], "answer": True},
        {"type": "multiple", "stem": "x", "options": ["a", "b"], "answer": 0},
        {"type": "true_false", "stem": "x", "answer": 1},
        {"type": "fill", "stem": "x", "answer": ["a"]},
        {"type": "essay", "stem": "x", "answer": None},
        {"type": "essay", "stem": "x", "answer": "", "points": "two"},
        {"type": "essay", "stem": 3, "answer": ""},
        {"type": "single", "stem": "x", "options": "ab", "answer": 0},
    ],
)
def test_from_json_refuses_malformed_shapes(data):
    with pytest.raises(ValueError):
        from_json(data)


def test_permute_moves_options_and_key_together():
    shown, to_original = permute(SINGLE, [2, 0, 3, 1])
    assert shown.options == ("个人分工负责", "民主集中制", "党员个人服从党的组织", "集体领导")
    assert shown.options[shown.answer] == "民主集中制"
    assert to_original == (2, 0, 3, 1)

    shown, to_original = permute(MULTIPLE, [4, 3, 2, 1, 0])
    assert shown.answer == (1, 2, 3, 4)


def test_permute_leaves_questions_without_options_alone():
    assert permute(FILL, []) == (FILL, ())


@pytest.mark.parametrize("order", [[0, 1, 2], [0, 1, 2, 2], [0, 1, 2, 4], [0, 1, 2, True]])
def test_permute_refuses_an_order_that_is_not_a_permutation(order):
    with pytest.raises(ValueError):
        permute(SINGLE, order)


# --- graders, table-driven -----------------------------------------------------------------

MALFORMED = grading.MALFORMED
UNANSWERED = grading.UNANSWERED


@pytest.mark.parametrize(
    ("question", "response", "policy", "score", "feedback"),
    [
        # single
        (SINGLE, 0, STRICT, "2", grading.CORRECT),
        (SINGLE, 1, STRICT, "0", grading.WRONG),
        (SINGLE, None, STRICT, "0", UNANSWERED),
        (SINGLE, "0", STRICT, "0", MALFORMED),
        (SINGLE, True, STRICT, "0", MALFORMED),
        (SINGLE, False, STRICT, "0", MALFORMED),
        (SINGLE, 0.0, STRICT, "0", MALFORMED),
        (SINGLE, 4, STRICT, "0", MALFORMED),
        (SINGLE, -4, STRICT, "0", MALFORMED),
        (SINGLE, [0], STRICT, "0", MALFORMED),
        (SINGLE, {"0": 0}, STRICT, "0", MALFORMED),
        (SINGLE, 10**100, STRICT, "0", MALFORMED),
        # multiple, all or nothing
        (MULTIPLE, [0, 1, 2, 3], STRICT, "4", grading.CORRECT),
        (MULTIPLE, [3, 1, 2, 0], STRICT, "4", grading.CORRECT),
        (MULTIPLE, (0, 1, 2, 3), STRICT, "4", grading.CORRECT),
        (MULTIPLE, [0, 1, 2], STRICT, "0", grading.WRONG),
        (MULTIPLE, [0, 1, 2, 3, 4], STRICT, "0", grading.WRONG),
        (MULTIPLE, [], STRICT, "0", UNANSWERED),
        (MULTIPLE, None, STRICT, "0", UNANSWERED),
        (MULTIPLE, [0, 0, 1, 2, 3], STRICT, "0", MALFORMED),
        (MULTIPLE, [0, 1, 2, "3"], STRICT, "0", MALFORMED),
        (MULTIPLE, [0, 1, 2, True], STRICT, "0", MALFORMED),
        (MULTIPLE, [0, 1, 2, 3, 5], STRICT, "0", MALFORMED),
        (MULTIPLE, [0, 1, 2, None], STRICT, "0", MALFORMED),
        (MULTIPLE, "0123", STRICT, "0", MALFORMED),
        (MULTIPLE, 0, STRICT, "0", MALFORMED),
        (MULTIPLE, {"0": True}, STRICT, "0", MALFORMED),
        # multiple, proportional: (right − wrong) / 4, never below 0
        (MULTIPLE, [0, 1, 2], PROPORTIONAL, "3.00", None),
        (MULTIPLE, [0], PROPORTIONAL, "1.00", None),
        (MULTIPLE, [0, 1, 2, 4], PROPORTIONAL, "2.00", None),
        (MULTIPLE, [0, 4], PROPORTIONAL, "0", grading.WRONG),
        (MULTIPLE, [4], PROPORTIONAL, "0", grading.WRONG),
        (MULTIPLE, [0, 1, 2, 3], PROPORTIONAL, "4", grading.CORRECT),
        (MULTIPLE, [0, 0], PROPORTIONAL, "0", MALFORMED),
        # multiple, any wrong pick scores 0
        (MULTIPLE, [0, 1, 2], NO_WRONG, "3.00", None),
        (MULTIPLE, [0, 1, 2, 4], NO_WRONG, "0", grading.WRONG),
        (MULTIPLE, [1], NO_WRONG, "1.00", None),
        # multiple, half for some right and none wrong (少选得一半分)
        (MULTIPLE, [0, 1, 2], HALF, "2.00", None),
        (MULTIPLE, [3], HALF, "2.00", None),
        (MULTIPLE, [3, 4], HALF, "0", grading.WRONG),
        (MULTIPLE, [0, 1, 2, 3], HALF, "4", grading.CORRECT),
        # true/false
        (TRUE_FALSE, True, STRICT, "1", grading.CORRECT),
        (TRUE_FALSE, False, STRICT, "0", grading.WRONG),
        (TRUE_FALSE, None, STRICT, "0", UNANSWERED),
        (TRUE_FALSE, "true", STRICT, "0", MALFORMED),
        (TRUE_FALSE, 1, STRICT, "0", MALFORMED),
        (TRUE_FALSE, [True], STRICT, "0", MALFORMED),
        # fill: per-blank credit, normalised comparison
        (FILL, ["民主集中制", "五"], STRICT, "2", grading.CORRECT),
        (FILL, ["民主集中制", "5"], STRICT, "2", grading.CORRECT),
        (FILL, [" 民主 集中制。", "５"], STRICT, "2", grading.CORRECT),
        (FILL, ("民主集中制", "五"), STRICT, "2", grading.CORRECT),
        (FILL, ["民主集中制", "六"], STRICT, "1.00", "部分正确（答对 1/2 空）"),
        (FILL, ["民主集中", "五"], STRICT, "1.00", "部分正确（答对 1/2 空）"),
        (FILL, [None, "五"], STRICT, "1.00", "部分正确（答对 1/2 空）"),
        (FILL, ["民主集中制", "六"], GradingPolicy(fill_partial_credit=False), "0", grading.WRONG),
        (FILL, ["五", "民主集中制"], STRICT, "0", grading.WRONG),
        (FILL, ["", " "], STRICT, "0", UNANSWERED),
        (FILL, None, STRICT, "0", UNANSWERED),
        (FILL, "民主集中制", STRICT, "0", MALFORMED),
        (FILL, ["民主集中制"], STRICT, "0", MALFORMED),
        (FILL, ["民主集中制", "五", "多余"], STRICT, "0", MALFORMED),
        (FILL, [1, 5], STRICT, "0", UNANSWERED),
        (FILL, {"0": "民主集中制"}, STRICT, "0", MALFORMED),
        (FILL_LATIN, ["marxism－leninism"], STRICT, "1", grading.CORRECT),
        (FILL_LATIN, ["Marxism — Leninism"], STRICT, "0", grading.WRONG),
        (FILL_LATIN, ["MARXISM-LENINISM"], GradingPolicy(fill_case_sensitive=True), "0", None),
        (FILL_LATIN, ["Marxism-Leninism"], GradingPolicy(fill_case_sensitive=True), "1", None),
        # essay: waits for an instructor unless there is nothing to read
        (ESSAY, "我志愿加入中国共产党，是因为……", STRICT, "0", grading.AWAITING_MANUAL),
        (ESSAY, "", STRICT, "0", UNANSWERED),
        (ESSAY, "  \n ", STRICT, "0", UNANSWERED),
        (ESSAY, None, STRICT, "0", UNANSWERED),
        (ESSAY, 42, STRICT, "0", MALFORMED),
        (ESSAY, ["我志愿"], STRICT, "0", MALFORMED),
    ],
)
def test_grade(question, response, policy, score, feedback):
    result = grade(question, response, question.points, policy)
    assert result.score == Decimal(score)
    assert str(result.score) == score
    assert result.max_score == question.points
    if feedback is not None:
        assert result.feedback == feedback
    awaiting = question.type is QuestionType.ESSAY and feedback == grading.AWAITING_MANUAL
    assert result.is_final is not awaiting


def test_partial_scores_round_to_hundredths():
    question = _with(MULTIPLE, answer=(0, 1, 2), points=Decimal(1))
    assert _score(question, [0], PROPORTIONAL) == Decimal("0.33")
    assert _score(question, [0, 1], PROPORTIONAL) == Decimal("0.67")
    three_blanks = QuestionData(
        type=QuestionType.FILL,
        stem="“三会一课”指支部党员大会、____、____和____。",
        answer=(("支部委员会",), ("党小组会",), ("党课",)),
    )
    assert _score(three_blanks, ["支部委员会", "党小组会", "团课"]) == Decimal("0.67")


def test_grade_uses_the_paper_points_not_the_bank_points():
    assert grade(SINGLE, 0, Decimal("5.5"), STRICT).score == Decimal("5.5")
    assert grade(SINGLE, 0).score == SINGLE.points
    assert grade(SINGLE, 0, 3).max_score == Decimal(3)


@pytest.mark.parametrize("points", [Decimal(-1), Decimal("NaN"), Decimal("Infinity"), 1.5, True])
def test_grade_refuses_impossible_points(points):
    with pytest.raises(ValueError):
        grade(SINGLE, 0, points, STRICT)


def test_every_question_type_has_one_class():
    assert set(QUESTION_TYPES) == set(QuestionType)
    assert all(cls.form.type is question_type for question_type, cls in QUESTION_TYPES.items())


def test_registering_a_second_class_for_a_type_is_refused():
    class Again(BaseQuestionType):
        type = QuestionType.SINGLE

    with pytest.raises(ValueError):
        register(Again)


def test_an_unknown_type_is_refused():
    with pytest.raises(ValueError):
        grade(_with(SINGLE, type="matching"), 0, Decimal(1), STRICT)


def test_is_correct_only_for_full_final_scores():
    assert grade(SINGLE, 0).is_correct
    assert not grade(MULTIPLE, [0], None, PROPORTIONAL).is_correct
    assert not grade(ESSAY, "我的理解").is_correct


@pytest.mark.parametrize(
    ("score", "expected"), [("18", "18"), (Decimal("17.5"), "17.5"), (0, "0"), ("20", "20")]
)
def test_manual_grade_of_an_essay(score, expected):
    result = manual_grade(score, Decimal(20), "论述充分，联系实际")
    assert result == Grade(Decimal(expected), Decimal(20), True, "论述充分，联系实际")


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("21", "得分必须在 0 到 20 之间"),
        ("-1", "得分必须在 0 到 20 之间"),
        ("NaN", "得分必须在 0 到 20 之间"),
        ("17.555", "得分最多保留两位小数"),
        ("十八", "得分“十八”不是有效的数字"),
    ],
)
def test_manual_grade_refuses_scores_out_of_range(score, message):
    with pytest.raises(ValueError, match=message):
        manual_grade(score, Decimal(20))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("  中国 共产党  ", "中国共产党"),
        ("（１９２１）", "(1921)"),
        ("“两个确立”", '"两个确立"'),
        ("《共产党宣言》。", "<共产党宣言>"),
        ("Xi  Jinping", "xi jinping"),
        ("马克思、恩格斯", "马克思,恩格斯"),
        ("...", "..."),
    ],
)
def test_fill_normalisation(given, expected):
    assert normalize_fill(given) == expected


def test_fill_matching_compares_normalised_texts():
    assert fill_matches("“两个维护”", ('"两个维护"',))
    assert fill_matches("ＣＰＣ", ("cpc",))
    assert not fill_matches("ＣＰＣ", ("cpc",), case_sensitive=True)
    assert not fill_matches("", ("",))


# --- properties ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 12)
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)
plausible_choices = st.lists(st.integers(-1, 11), max_size=12)
plausible_texts = st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=5)
responses = st.one_of(json_values, plausible_choices, plausible_texts, st.integers(-1, 11))
points = st.decimals(min_value=0, max_value=100, places=2)
printable = st.characters(exclude_categories=("Cc", "Cs"))
policies = st.builds(
    GradingPolicy,
    multiple_partial_credit=st.booleans(),
    multiple_partial_mode=st.sampled_from(PartialCredit),
    fill_case_sensitive=st.booleans(),
    fill_partial_credit=st.booleans(),
)


@st.composite
def choice_questions(draw) -> QuestionData:
    size = draw(st.integers(2, 10))
    options = tuple(f"选项{i}：{draw(st.text(printable, max_size=3))}" for i in range(size))
    if draw(st.booleans()):
        return QuestionData(
            QuestionType.SINGLE, "单选题（  ）", options, draw(st.integers(0, size - 1))
        )
    key = draw(st.sets(st.integers(0, size - 1), min_size=1))
    return QuestionData(QuestionType.MULTIPLE, "多选题（  ）", options, tuple(sorted(key)))


@st.composite
def other_questions(draw) -> QuestionData:
    kind = draw(st.sampled_from([QuestionType.TRUE_FALSE, QuestionType.FILL, QuestionType.ESSAY]))
    if kind is QuestionType.TRUE_FALSE:
        return QuestionData(kind, "判断题", answer=draw(st.booleans()))
    if kind is QuestionType.ESSAY:
        return QuestionData(kind, "论述题", answer=draw(st.text(printable, max_size=10)))
    blanks = draw(st.integers(1, 4))
    accepted = st.lists(
        st.text(printable, min_size=1, max_size=6).filter(str.strip), min_size=1, max_size=3
    )
    answer = tuple(tuple(draw(accepted)) for _ in range(blanks))
    return QuestionData(kind, "填空题" + "____，" * blanks, answer=answer)


questions = st.one_of(choice_questions(), other_questions())


@given(questions)
def test_generated_questions_are_valid(question):
    assert validate(question) == []


@given(questions, responses, points, policies)
def test_score_stays_within_zero_and_points(question, response, points, policy):
    result = grade(question, response, points, policy)
    assert Decimal(0) <= result.score <= points
    assert result.max_score == points
    assert result.is_final or question.type is QuestionType.ESSAY


@given(questions, points, policies)
def test_the_key_itself_scores_full_points(question, points, policy):
    if question.type is QuestionType.ESSAY:
        return
    key = question.answer
    if question.type is QuestionType.MULTIPLE:
        key = list(key)
    elif question.type is QuestionType.FILL:
        key = [blank[0] for blank in key]
    assert grade(question, key, points, policy).score == points


@given(choice_questions(), st.data(), points, policies)
def test_score_does_not_depend_on_the_option_order(question, data, points, policy):
    order = data.draw(st.permutations(range(len(question.options))))
    shown, to_original = permute(question, order)
    assert validate(shown) == []
    assert sorted(shown.options) == sorted(question.options)
    # What the trainee picked on screen scores as the same options picked unshuffled.
    picks = data.draw(st.sets(st.integers(0, len(question.options) - 1), min_size=1))
    if question.type is QuestionType.SINGLE:
        on_screen, original = min(picks), to_original[min(picks)]
    else:
        on_screen, original = sorted(picks), sorted(to_original[i] for i in picks)
    assert grade(shown, on_screen, points, policy) == grade(question, original, points, policy)


@given(questions, points)
def test_json_round_trip_of_generated_questions(question, value):
    question = _with(question, points=value) if value > 0 else question
    assume(validate(question) == [])
    assert from_json(json.loads(json.dumps(to_json(question)))) == question
