"""The class grade (结业成绩): usual, practice and exam components weighted as the class says.

Components are on a 0-100 scale and the class's weights are percentages, so the total is
`(usual * usual_weight + practice * practice_weight + exam * exam_weight) / 100`. A missing
component counts 0. The exam component is the trainee's best formal attempt, as a percentage
of its paper. The makeup rule (补考): when no formal attempt passed and a makeup attempt passed,
the exam component is the makeup's percentage capped at that makeup exam's pass mark (as a
percentage of its paper) — 补考合格记为及格, the common practice: a makeup proves the trainee
passes, never that they excelled. A failed makeup changes nothing. The class is passed when
the total reaches the class's pass mark and the exam component itself was passed.

`combine` is a pure function; `class_grade` and `class_grades` load what it needs.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.models import Enrolment, TrainingClass
from courses.services import is_admitted_to
from exams.attempts.services import finalize_overdue
from exams.models import Attempt, AttemptStatus, Exam, ExamKind
from partyschool.candidates.models import Candidate
from partyschool.extensions import utcnow

HUNDRED = Decimal(100)
TENTH = Decimal("0.1")
SCORE_RANGE = (Decimal(0), HUNDRED)


class ExamSource(StrEnum):
    """Which exam the exam component comes from."""

    FORMAL = "formal"
    MAKEUP = "makeup"
    NONE = "none"

    @property
    def label(self) -> str:
        """The Chinese name of the source."""
        return {"formal": "正式考试", "makeup": "补考", "none": "未参加考试"}[self]


@dataclass(frozen=True)
class ExamOutcome:
    """One submitted attempt, reduced to what the class grade needs."""

    kind: ExamKind
    percent: Decimal  # the score on a 0-100 scale
    pass_percent: Decimal  # the exam's pass mark on the same scale
    passed: bool
    is_fully_graded: bool = True


@dataclass(frozen=True)
class ClassGrade:
    """A trainee's weighted class grade and whether it passes."""

    usual: Decimal
    practice: Decimal
    exam: Decimal
    total: Decimal
    passed: bool
    exam_source: ExamSource
    exam_passed: bool = False
    # An attempt counted here still has answers waiting for an instructor (essays).
    is_provisional: bool = False


class GradeError(ValueError):
    """Scores that cannot be recorded; the message is shown to the user."""


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def outcome(kind: ExamKind, score, max_score, pass_mark) -> ExamOutcome:
    """An attempt's score and its exam's pass mark, on the 0-100 scale."""
    score, max_score, pass_mark = (Decimal(score or 0), Decimal(max_score), Decimal(pass_mark))
    scale = HUNDRED / max_score if max_score > 0 else Decimal(0)
    return ExamOutcome(
        kind=kind,
        percent=_tenth(score * scale),
        pass_percent=_tenth(pass_mark * scale),
        passed=score >= pass_mark,
    )


def exam_component(outcomes: Iterable[ExamOutcome]) -> tuple[Decimal, bool, ExamSource]:
    """The exam component, whether it is passed, and where it comes from (the makeup rule)."""
    outcomes = list(outcomes)
    formal = [o for o in outcomes if o.kind is ExamKind.FORMAL]
    best_formal = max(formal, key=lambda o: o.percent, default=None)
    if any(o.passed for o in formal):
        return best_formal.percent, True, ExamSource.FORMAL
    makeups = [o for o in outcomes if o.kind is ExamKind.MAKEUP and o.passed]
    if makeups:
        best = max(makeups, key=lambda o: o.percent)
        return min(best.percent, best.pass_percent), True, ExamSource.MAKEUP
    if best_formal is not None:
        return best_formal.percent, False, ExamSource.FORMAL
    return Decimal(0), False, ExamSource.NONE


def combine(
    training_class: TrainingClass,
    usual: Decimal | None,
    practice: Decimal | None,
    outcomes: Iterable[ExamOutcome],
) -> ClassGrade:
    """The class grade from its components; pure, no database."""
    outcomes = list(outcomes)
    usual, practice = Decimal(usual or 0), Decimal(practice or 0)
    exam, exam_passed, source = exam_component(outcomes)
    total = _tenth(
        (
            usual * training_class.usual_weight
            + practice * training_class.practice_weight
            + exam * training_class.exam_weight
        )
        / HUNDRED
    )
    return ClassGrade(
        usual=usual,
        practice=practice,
        exam=exam,
        total=total,
        passed=exam_passed and total >= training_class.pass_mark,
        exam_source=source,
        exam_passed=exam_passed,
        is_provisional=any(not o.is_fully_graded for o in outcomes),
    )


def _outcomes_query():
    return (
        select(
            Attempt.enrolment_id,
            Exam.kind,
            Attempt.score,
            Attempt.max_score,
            Exam.pass_mark,
            Attempt.is_fully_graded,
        )
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(Attempt.status == AttemptStatus.SUBMITTED)
    )


def _outcome(row) -> ExamOutcome:
    _, kind, score, max_score, pass_mark, is_fully_graded = row
    found = outcome(kind, score, max_score, pass_mark)
    return ExamOutcome(
        found.kind, found.percent, found.pass_percent, found.passed, bool(is_fully_graded)
    )


def class_grade(session: Session, enrolment: Enrolment) -> ClassGrade:
    """One trainee's class grade, from their submitted attempts at the class's exams (an
    abandoned attempt past its deadline is submitted first)."""
    finalize_overdue(session, utcnow(), enrolment_ids=[enrolment.id])
    rows = session.execute(
        _outcomes_query().where(
            Attempt.enrolment_id == enrolment.id, Exam.class_id == enrolment.class_id
        )
    )
    return combine(
        enrolment.training_class,
        enrolment.usual_score,
        enrolment.practice_score,
        [_outcome(row) for row in rows],
    )


def class_grades(session: Session, training_class: TrainingClass) -> dict[int, ClassGrade]:
    """Every admitted trainee's class grade, by enrolment id, in two queries (after
    submitting the class's abandoned attempts past their deadline)."""
    finalize_overdue(session, utcnow(), class_id=training_class.id)
    enrolments = session.scalars(select(Enrolment).where(is_admitted_to(training_class))).all()
    by_enrolment: dict[int, list[ExamOutcome]] = {}
    for row in session.execute(_outcomes_query().where(Exam.class_id == training_class.id)):
        by_enrolment.setdefault(row[0], []).append(_outcome(row))
    return {
        e.id: combine(training_class, e.usual_score, e.practice_score, by_enrolment.get(e.id, []))
        for e in enrolments
    }


def admitted(session: Session, training_class: TrainingClass) -> list[Enrolment]:
    """The class's admitted trainees, by student number."""
    return list(
        session.scalars(
            select(Enrolment)
            .join(Enrolment.candidate)
            .where(is_admitted_to(training_class))
            .order_by(Candidate.student_no)
        )
    )


def record_scores(
    session: Session,
    training_class: TrainingClass,
    scores: Mapping[int, tuple[Decimal | None, Decimal | None]],
) -> int:
    """Record usual and practice scores (0-100, None: not given) by enrolment id; returns how
    many trainees changed. Refused as a whole when a score is out of range or not in the class."""
    enrolments = {e.id: e for e in admitted(session, training_class)}
    problems = []
    for enrolment_id, pair in scores.items():
        enrolment = enrolments.get(enrolment_id)
        if enrolment is None:
            problems.append(f"学员 #{enrolment_id} 不在本班")
            continue
        for label, value in zip(("平时成绩", "实践成绩"), pair, strict=True):
            if value is not None and not SCORE_RANGE[0] <= value <= SCORE_RANGE[1]:
                problems.append(f"{enrolment.candidate.name}的{label}应在 0 到 100 之间")
    if problems:
        raise GradeError("；".join(problems))
    changed = 0
    for enrolment_id, (usual, practice) in scores.items():
        enrolment = enrolments[enrolment_id]
        usual = None if usual is None else _tenth(usual)
        practice = None if practice is None else _tenth(practice)
        if (enrolment.usual_score, enrolment.practice_score) != (usual, practice):
            enrolment.usual_score, enrolment.practice_score = usual, practice
            changed += 1
    session.flush()
    return changed
