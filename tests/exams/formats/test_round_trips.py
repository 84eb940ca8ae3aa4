"""Generated questions survive an export and an import in every format that can hold them."""

from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from exams.formats import parse
from exams.formats.gift import export_gift
from exams.formats.moodle_xml import export_moodle_xml
from exams.formats.xlsx import export_xlsx
from exams.questions import BLANK_MARKER, QuestionData, QuestionType, validate

TRICKY_PIECES = list("=~#{}:\\|/%*'-+@<>&;[]_（） \n") + ["->", "%50%", "____", "{1:SA:=x}"]
texts = (
    st.lists(
        st.one_of(
            st.sampled_from(TRICKY_PIECES),
            st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn")),
            st.sampled_from("党的根本组织原则民主集中制"),
        ),
        min_size=1,
        max_size=10,
    )
    .map(lambda pieces: "".join(pieces).strip())
    .filter(bool)
)
categories = st.sampled_from(["", "党章", "党的理论/新时代", "a//b", "$x$", "top"])
points = st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)


@st.composite
def bank_questions(draw, *, gift: bool = False) -> QuestionData:
    kind = draw(st.sampled_from(QuestionType))
    stem = draw(texts)
    options: tuple[str, ...] = ()
    if kind is QuestionType.SINGLE or kind is QuestionType.MULTIPLE:
        options = tuple(draw(st.lists(texts, min_size=2, max_size=10, unique=True)))
    if kind is QuestionType.SINGLE:
        answer = draw(st.integers(0, len(options) - 1))
    elif kind is QuestionType.MULTIPLE:
        answer = tuple(sorted(draw(st.sets(st.integers(0, len(options) - 1), min_size=1))))
    elif kind is QuestionType.TRUE_FALSE:
        answer = draw(st.booleans())
    elif kind is QuestionType.FILL:
        blanks = 1 if gift else draw(st.integers(1, 3))
        stem = stem + "____" * blanks if blanks > 1 else stem
        answer = tuple(
            tuple(draw(st.lists(texts, min_size=1, max_size=3, unique=True))) for _ in range(blanks)
        )
    else:
        answer = "" if gift else draw(st.one_of(st.just(""), texts))
    question = QuestionData(
        type=kind,
        stem=stem,
        options=options,
        answer=answer,
        category=draw(categories),
        points=Decimal(1) if gift else draw(points),
        explanation=draw(st.one_of(st.just(""), texts)),
    )
    assume(validate(question) == [])
    return question


SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# A file's repeat of a question is skipped on import: generated banks hold distinct questions.
def SAME_QUESTION(q):  # noqa: N802
    return (q.type, " ".join(q.stem.split()), q.options)


@SLOW
@given(st.lists(bank_questions(), min_size=1, max_size=4, unique_by=SAME_QUESTION))
def test_xlsx_round_trip_of_generated_questions(questions):
    assert parse(export_xlsx(questions), "a.xlsx").questions == questions


@SLOW
@given(st.lists(bank_questions(), min_size=1, max_size=4, unique_by=SAME_QUESTION))
def test_moodle_round_trip_of_generated_questions(questions):
    for question in questions:
        if question.type is QuestionType.FILL and len(question.answer) > 1:
            # Cloze writes each blank as a code, read back as "____" whatever mark it had,
            # and text that looks like a code ("{1:SA:=x}") would be read as one more blank.
            assume(BLANK_MARKER.sub("____", question.stem) == question.stem)
            assume("{1:SA:" not in question.stem)
    assert parse(export_moodle_xml(questions), "a.xml").questions == questions


@SLOW
@given(st.lists(bank_questions(gift=True), min_size=1, max_size=4, unique_by=SAME_QUESTION))
def test_gift_round_trip_of_generated_questions(questions):
    for question in questions:
        # GIFT reads "->" in an all-"=" answer block as a matching question, as Moodle does.
        assume(not (question.type is QuestionType.FILL and "->" in str(question.answer)))
    assert parse(export_gift(questions).encode(), "a.gift").questions == questions
