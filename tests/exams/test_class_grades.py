"""The class grade: weighted components, the makeup (补考) rule, the batch, entering scores."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from courses.models import EnrolmentStatus
from exams.class_grades import (
    ExamSource,
    GradeError,
    class_grade,
    class_grades,
    combine,
    outcome,
    record_scores,
)
from exams.models import AttemptStatus, ExamKind
from partyschool.extensions import utcnow
from tests.factories import (
    make_attempt,
    make_branch_school,
    make_class,
    make_course,
    make_enrolment,
    make_exam,
)

D = Decimal


@pytest.fixture
def klass(session):
    school = make_branch_school(session)
    return make_class(session, make_course(session, school))


def sat(session, exam, enrolment, score, max_score=100, **overrides):
    """A submitted attempt with this score."""
    return make_attempt(
        session, exam, enrolment, score=D(score), max_score=D(max_score), **overrides
    )


def scored(session, klass, usual=None, practice=None):
    enrolment = make_enrolment(session, klass)
    enrolment.usual_score = None if usual is None else D(usual)
    enrolment.practice_score = None if practice is None else D(practice)
    return enrolment


# --- the rule as a pure function ---------------------------------------------------------------


def test_the_total_weights_each_component_in_percent(klass):
    grade = combine(klass, D(80), D(90), [outcome(ExamKind.FORMAL, 75, 100, 60)])
    # 20% × 80 + 20% × 90 + 60% × 75
    assert grade.total == D("79.0")
    assert (grade.usual, grade.practice, grade.exam) == (D(80), D(90), D("75.0"))
    assert grade.passed and grade.exam_passed
    assert grade.exam_source is ExamSource.FORMAL


def test_the_exam_counts_as_a_percentage_of_its_paper(klass):
    grade = combine(klass, D(100), D(100), [outcome(ExamKind.FORMAL, 45, 50, 30)])
    assert grade.exam == D("90.0")
    assert grade.total == D("94.0")


def test_missing_components_count_zero(klass):
    grade = combine(klass, None, None, [outcome(ExamKind.FORMAL, 100, 100, 60)])
    assert (grade.usual, grade.practice, grade.total) == (D(0), D(0), D("60.0"))
    assert grade.passed  # 60 reaches the class's pass mark of 60
    nothing = combine(klass, D(90), D(90), [])
    assert nothing.exam == 0 and nothing.exam_source is ExamSource.NONE
    assert nothing.total == D("36.0") and not nothing.passed


def test_a_passed_makeup_counts_as_its_pass_mark(klass):
    outcomes = [outcome(ExamKind.FORMAL, 40, 100, 60), outcome(ExamKind.MAKEUP, 85, 100, 60)]
    grade = combine(klass, D(80), D(90), outcomes)
    assert grade.exam == D("60.0")  # 补考合格记为及格: 85 is capped at 60
    assert grade.exam_source is ExamSource.MAKEUP
    assert grade.total == D("70.0")
    assert grade.passed


def test_a_makeup_below_the_cap_counts_as_scored(klass):
    # The makeup's pass mark is 30 of 50 points (60%); 32 of 50 is 64%, capped at 60.
    grade = combine(klass, D(0), D(0), [outcome(ExamKind.MAKEUP, 32, 50, 30)])
    assert grade.exam == D("60.0") and grade.exam_source is ExamSource.MAKEUP


def test_a_failed_makeup_changes_nothing_and_a_failed_exam_fails_the_class(klass):
    outcomes = [outcome(ExamKind.FORMAL, 40, 100, 60), outcome(ExamKind.MAKEUP, 50, 100, 60)]
    grade = combine(klass, D(100), D(100), outcomes)
    assert grade.exam == D("40.0") and grade.exam_source is ExamSource.FORMAL
    assert grade.total == D("64.0")  # above the class's pass mark, but the exam failed
    assert not grade.exam_passed and not grade.passed


def test_a_passed_formal_exam_is_never_replaced(klass):
    outcomes = [outcome(ExamKind.FORMAL, 62, 100, 60), outcome(ExamKind.MAKEUP, 95, 100, 60)]
    grade = combine(klass, D(0), D(0), outcomes)
    assert grade.exam == D("62.0") and grade.exam_source is ExamSource.FORMAL


def test_a_high_total_with_a_low_class_pass_mark_still_needs_the_weights(klass):
    klass.pass_mark = 80
    grade = combine(klass, D(60), D(60), [outcome(ExamKind.FORMAL, 90, 100, 60)])
    assert grade.total == D("78.0") and grade.exam_passed and not grade.passed


# --- from the database -------------------------------------------------------------------------


def test_class_grade_takes_the_best_formal_attempt_and_the_makeup_rule(session, klass):
    formal = make_exam(session, klass)
    makeup = make_exam(session, klass, kind=ExamKind.MAKEUP)
    enrolment = scored(session, klass, usual=80, practice=90)
    sat(session, formal, enrolment, 30, number=1)
    sat(session, formal, enrolment, 45, number=2)
    assert class_grade(session, enrolment).exam == D("45.0")

    sat(session, makeup, enrolment, 88, number=1)
    grade = class_grade(session, enrolment)
    assert grade.exam_source is ExamSource.MAKEUP
    assert grade.exam == D("60.0") and grade.total == D("70.0") and grade.passed


def test_attempts_in_progress_and_of_other_classes_do_not_count(session, klass):
    enrolment = scored(session, klass, usual=100, practice=100)
    other_class = make_class(session, make_course(session, klass.party_school))
    other_enrolment = make_enrolment(session, other_class, enrolment.candidate)
    sat(session, make_exam(session, other_class), other_enrolment, 100)
    sat(
        session,
        make_exam(session, klass),
        enrolment,
        99,
        status=AttemptStatus.IN_PROGRESS,
        submitted_at=None,
        deadline_at=utcnow() + timedelta(minutes=30),  # still running: past it, it would count
    )
    grade = class_grade(session, enrolment)
    assert grade.exam_source is ExamSource.NONE and grade.exam == 0


def test_an_attempt_awaiting_essay_grading_is_provisional(session, klass):
    enrolment = scored(session, klass)
    sat(session, make_exam(session, klass), enrolment, 70, is_fully_graded=False)
    assert class_grade(session, enrolment).is_provisional


@contextmanager
def counted_queries(session):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def trainees(session, klass, exams, n):
    enrolments = []
    for i in range(n):
        enrolment = scored(session, klass, usual=60 + i, practice=70)
        for exam in exams:
            sat(session, exam, enrolment, 40 + 5 * i)
        enrolments.append(enrolment)
    return enrolments


def test_class_grades_match_class_grade_in_a_constant_number_of_queries(session, klass):
    formal, makeup = make_exam(session, klass), make_exam(session, klass, kind=ExamKind.MAKEUP)
    few = trainees(session, klass, [formal, makeup], 2)
    make_enrolment(session, klass, status=EnrolmentStatus.PENDING)  # not admitted: not graded
    session.commit()
    with counted_queries(session) as small:
        grades = class_grades(session, klass)
    assert set(grades) == {e.id for e in few}
    for enrolment in few:
        assert grades[enrolment.id] == class_grade(session, enrolment)

    trainees(session, klass, [formal, makeup], 8)
    session.commit()
    with counted_queries(session) as large:
        assert len(class_grades(session, klass)) == 10
    assert len(large) == len(small) <= 4  # with the one finalizing abandoned attempts


# --- entering usual and practice scores --------------------------------------------------------


def test_scores_are_recorded_or_refused_as_a_whole(session, klass):
    first, second = scored(session, klass), scored(session, klass)
    with pytest.raises(GradeError, match="应在 0 到 100 之间"):
        record_scores(session, klass, {first.id: (D(90), D(80)), second.id: (D(101), None)})
    assert first.usual_score is None

    stranger = make_enrolment(session, make_class(session))
    with pytest.raises(GradeError, match="不在本班"):
        record_scores(session, klass, {stranger.id: (D(90), D(90))})

    changed = record_scores(
        session, klass, {first.id: (D("90.25"), D(80)), second.id: (None, None)}
    )
    assert changed == 1
    assert (first.usual_score, first.practice_score) == (D("90.3"), D("80.0"))
