"""What the exams ask of people today: a trainee's exam window, an instructor's open exams with
live counts, essays waiting to be graded and score distributions.

Every function reads in a fixed number of queries, whatever the number of exams or takers.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from courses.models import Enrolment, TrainingClass
from exams.attempts import services as attempts
from exams.marking import services as marking
from exams.models import Attempt, AttemptStatus, Exam

BANDS = 10  # score distribution in bands of 10 percent


@dataclass(frozen=True)
class ExamWindow:
    """The trainee's next exam: when it opens and closes, what stands in the way, attempts."""

    exam: Exam
    problems: list[str]
    attempts: list[Attempt]
    now: datetime

    @property
    def is_open(self) -> bool:
        """True while the window is open."""
        return self.exam.opens_at <= self.now < self.exam.closes_at

    @property
    def open_attempt(self) -> Attempt | None:
        """An attempt under way, to continue."""
        return next((a for a in self.attempts if a.status is AttemptStatus.IN_PROGRESS), None)

    @property
    def may_start(self) -> bool:
        """True when the start (or continue) button leads somewhere."""
        return self.open_attempt is not None or not self.problems

    @property
    def seconds_left(self) -> int:
        """Seconds until the window opens (before) or closes (while open)."""
        target = self.exam.closes_at if self.is_open else self.exam.opens_at
        return max(int((target - self.now).total_seconds()), 0)


def next_exam(session: Session, enrolment: Enrolment | None, now: datetime) -> ExamWindow | None:
    """The enrolment's exam open now, or else the next one to open, with the trainee's view."""
    if enrolment is None:
        return None
    exam = session.scalar(
        select(Exam)
        .options(joinedload(Exam.training_class))
        .where(Exam.class_id == enrolment.class_id, Exam.closes_at > now)
        .order_by(Exam.opens_at, Exam.id)
        .limit(1)
    )
    if exam is None:
        return None
    return ExamWindow(
        exam,
        attempts.problems(session, exam, enrolment, now),
        attempts.attempts_of(session, exam, enrolment),
        now,
    )


@dataclass(frozen=True)
class LiveExam:
    """An exam open now with its live counts."""

    exam: Exam
    started: int
    submitted: int
    finalized: int
    essays_waiting: int


def open_exams(session: Session, classes: Sequence[TrainingClass], now: datetime) -> list[LiveExam]:
    """Exams of these classes open now (or closed in the last day), with attempts started,
    submitted and fully graded, and essays waiting."""
    exams = session.scalars(
        select(Exam)
        .options(joinedload(Exam.training_class))
        .where(
            Exam.class_id.in_([c.id for c in classes]),
            Exam.opens_at <= now,
            Exam.closes_at > now - timedelta(days=1),
        )
        .order_by(Exam.closes_at)
    ).all()
    if not exams:
        return []
    counts = {
        exam_id: (started, submitted, finalized)
        for exam_id, started, submitted, finalized in session.execute(
            select(
                Attempt.exam_id,
                func.count(Attempt.id),
                func.sum(case((Attempt.status == AttemptStatus.SUBMITTED, 1), else_=0)),
                func.sum(
                    case(
                        (
                            (Attempt.status == AttemptStatus.SUBMITTED)
                            & Attempt.is_fully_graded.is_(True),
                            1,
                        ),
                        else_=0,
                    )
                ),
            )
            .where(Attempt.exam_id.in_([e.id for e in exams]))
            .group_by(Attempt.exam_id)
        )
    }
    waiting = marking.pending_counts(session, exams)
    return [
        LiveExam(
            exam,
            int(counts.get(exam.id, (0, 0, 0))[0] or 0),
            int(counts.get(exam.id, (0, 0, 0))[1] or 0),
            int(counts.get(exam.id, (0, 0, 0))[2] or 0),
            waiting.get(exam.id, 0),
        )
        for exam in exams
    ]


def essays_waiting(session: Session, classes: Sequence[TrainingClass]) -> list[tuple[Exam, int]]:
    """Exams of these classes with essay answers waiting to be graded, and how many."""
    exams = session.scalars(
        select(Exam)
        .options(joinedload(Exam.training_class))
        .where(Exam.class_id.in_([c.id for c in classes]))
    ).all()
    if not exams:
        return []
    counts = marking.pending_counts(session, exams)
    return [(exam, counts[exam.id]) for exam in exams if counts.get(exam.id)]


def score_bands(session: Session, classes: Sequence[TrainingClass]) -> list[int]:
    """How many submitted attempts of these classes' exams scored in each 10% band (0-9%, ...,
    90-100%)."""
    ids = [c.id for c in classes]
    bands = [0] * BANDS
    if not ids:
        return bands
    percent = Attempt.score * 100 / func.nullif(Attempt.max_score, 0)
    rows = session.execute(
        select(percent)
        .join(Exam, Attempt.exam_id == Exam.id)
        .where(
            Exam.class_id.in_(ids),
            Attempt.status == AttemptStatus.SUBMITTED,
            Attempt.score.is_not(None),
        )
    )
    for (value,) in rows:
        if value is not None:
            bands[min(int(value) // 10, BANDS - 1)] += 1
    return bands


def pass_rates_by_school(session: Session) -> dict[int, tuple[int, int]]:
    """(submitted attempts, passed) of every party school's exams, by school id."""
    rows = session.execute(
        select(
            TrainingClass.party_school_id,
            func.count(Attempt.id),
            func.sum(case((Attempt.score >= Exam.pass_mark, 1), else_=0)),
        )
        .join(Exam, Attempt.exam_id == Exam.id)
        .join(TrainingClass, Exam.class_id == TrainingClass.id)
        .where(Attempt.status == AttemptStatus.SUBMITTED, Attempt.score.is_not(None))
        .group_by(TrainingClass.party_school_id)
    )
    return {school: (int(total), int(passed or 0)) for school, total, passed in rows}
