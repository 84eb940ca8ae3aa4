"""What the classes ask of people today: a trainee's class and progress, the classes they may
join, an instructor's classes, lectures and reports, and a branch admin's enrolment queue.

Every function reads in a fixed number of queries, whatever the number of classes or trainees.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from courses import services
from courses.models import (
    Enrolment,
    EnrolmentStatus,
    Lecture,
    Lesson,
    LessonProgress,
    ReadingReport,
    TrainingClass,
    class_instructors,
)
from courses.reports import services as reports
from courses.study import services as study
from partyschool.access import scope_to_user
from partyschool.accounts.models import User
from partyschool.candidates import services as candidates
from partyschool.candidates.models import Candidate
from partyschool.extensions import BEIJING

QUEUE_SIZE = 50


# --- The trainee --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassProgress:
    """A trainee's current class: hours, lessons left, the next lecture, the report's state."""

    enrolment: Enrolment
    hours: study.StudyHours
    lessons_total: int
    lessons_done: int
    next_lecture: Lecture | None
    report: ReadingReport | None

    @property
    def training_class(self) -> TrainingClass:
        """The class."""
        return self.enrolment.training_class

    @property
    def lessons_left(self) -> int:
        """Lessons not yet studied to their required time."""
        return max(self.lessons_total - self.lessons_done, 0)

    @property
    def report_label(self) -> str:
        """Where the reading report stands, in Chinese."""
        if not reports.is_report_required(self.training_class):
            return "本班不要求学习心得"
        if self.report is None:
            return "尚未提交"
        return reports.STATUS_LABELS[self.report.status]


def current_class(session: Session, user: User, now: datetime) -> ClassProgress | None:
    """The trainee's newest admitted class with their progress in it, or None."""
    enrolment = session.scalar(
        services.approved_enrolments(user)
        .join(TrainingClass, Enrolment.class_id == TrainingClass.id)
        .options(
            contains_eager(Enrolment.training_class).joinedload(TrainingClass.course),
        )
        .order_by(TrainingClass.starts_on.desc(), TrainingClass.id.desc())
        .limit(1)
    )
    if enrolment is None:
        return None
    training_class = enrolment.training_class
    hours = study.hours_by_enrolment(session, [enrolment.id])[enrolment.id]
    lessons_total, lessons_done = session.execute(
        select(
            func.count(Lesson.id),
            func.count(LessonProgress.id),
        )
        .select_from(Lesson)
        .outerjoin(
            LessonProgress,
            (LessonProgress.lesson_id == Lesson.id)
            & (LessonProgress.enrolment_id == enrolment.id)
            & (LessonProgress.seconds >= Lesson.required_minutes * 60),
        )
        .where(Lesson.course_id == training_class.course_id)
    ).one()
    next_lecture = session.scalar(
        select(Lecture)
        .where(Lecture.class_id == training_class.id, Lecture.starts_at >= now - timedelta(hours=2))
        .order_by(Lecture.starts_at)
        .limit(1)
    )
    report = session.scalar(
        select(ReadingReport)
        .where(ReadingReport.enrolment_id == enrolment.id)
        .order_by(ReadingReport.id.desc())
        .limit(1)
    )
    return ClassProgress(enrolment, hours, lessons_total, lessons_done, next_lecture, report)


def applications(session: Session, candidate: Candidate) -> list[Enrolment]:
    """The candidate's applications still waiting, or decided in the last weeks."""
    return list(
        session.scalars(
            select(Enrolment)
            .options(joinedload(Enrolment.training_class))
            .where(
                Enrolment.candidate_id == candidate.id,
                Enrolment.status.in_(
                    (EnrolmentStatus.PENDING, EnrolmentStatus.WAITLISTED, EnrolmentStatus.REJECTED)
                ),
            )
            .order_by(Enrolment.applied_at.desc())
            .limit(5)
        )
    )


def open_classes(
    session: Session, user: User, candidate: Candidate, today: date
) -> list[tuple[TrainingClass, services.Openness]]:
    """Classes taking applications now that the candidate may see, each with whether they may
    apply and why not: the engine is asked once per step, not once per class."""
    classes = [
        c
        for c in session.scalars(
            services.visible_classes(user)
            .options(joinedload(TrainingClass.party_school))
            .where(TrainingClass.enrol_opens_on <= today, TrainingClass.enrol_closes_on >= today)
        ).unique()
    ]
    if not classes:
        return []
    live = {
        e.class_id: e
        for e in session.scalars(
            select(Enrolment).where(
                Enrolment.candidate_id == candidate.id,
                Enrolment.class_id.in_([c.id for c in classes]),
                Enrolment.status.in_(services.LIVE),
            )
        )
    }
    steps = {services.ENROL_STEPS.get(c.course.target_stage) for c in classes} - {None}
    loaded = candidates.load(session, select(Candidate).where(Candidate.id == candidate.id))
    decisions = {
        step: candidates.decide_step_for(session, loaded, step, today)[candidate.id]
        for step in sorted(steps)
    }
    rows = []
    for c in classes:
        problems = []
        school = c.party_school
        if not school.is_school_level and candidate.party_school_id != school.id:
            problems.append(f"本班只招收{school.name}的学员")
        if existing := live.get(c.id):
            problems.append(f"已报名本班（{existing.status.label}）")
        decision = decisions.get(services.ENROL_STEPS.get(c.course.target_stage))
        rows.append((c, services.Openness(True, tuple(problems), decision)))
    return rows


# --- The instructor -----------------------------------------------------------------------------


def taught_classes(session: Session, user: User, today: date) -> list[TrainingClass]:
    """Classes the user heads or teaches that have not ended more than a month ago."""
    teaches = select(class_instructors.c.class_id).where(class_instructors.c.user_id == user.id)
    return list(
        session.scalars(
            select(TrainingClass)
            .options(joinedload(TrainingClass.course))
            .where(
                or_(TrainingClass.head_teacher_id == user.id, TrainingClass.id.in_(teaches)),
                TrainingClass.ends_on >= today - timedelta(days=30),
            )
            .order_by(TrainingClass.starts_on.desc())
        )
    )


def lectures_on(session: Session, classes: Sequence[TrainingClass], day: date) -> list[Lecture]:
    """The lectures of these classes on a day (Beijing time), earliest first."""
    start = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    return list(
        session.scalars(
            select(Lecture)
            .where(
                Lecture.class_id.in_([c.id for c in classes]),
                Lecture.starts_at >= start,
                Lecture.starts_at < start + timedelta(days=1),
            )
            .order_by(Lecture.starts_at)
        )
    )


def reports_waiting(session: Session, classes: Sequence[TrainingClass]) -> dict[int, int]:
    """How many reading reports wait for review in each class, by class id."""
    return reports.pending_counts(session, classes)


def admitted_counts(session: Session, classes: Sequence[TrainingClass]) -> dict[int, int]:
    """How many trainees each class admitted, by class id."""
    return _status_counts(session, classes)["approved"]


def _status_counts(session: Session, classes: Sequence[TrainingClass]) -> dict[str, dict[int, int]]:
    ids = [c.id for c in classes]
    counts: dict[str, dict[int, int]] = {
        key: dict.fromkeys(ids, 0) for key in ("approved", "waitlisted", "pending")
    }
    if ids:
        rows = session.execute(
            select(
                Enrolment.class_id,
                func.sum(case((Enrolment.status == EnrolmentStatus.APPROVED, 1), else_=0)),
                func.sum(case((Enrolment.status == EnrolmentStatus.WAITLISTED, 1), else_=0)),
                func.sum(case((Enrolment.status == EnrolmentStatus.PENDING, 1), else_=0)),
            )
            .where(Enrolment.class_id.in_(ids))
            .group_by(Enrolment.class_id)
        )
        for class_id, approved, waitlisted, pending in rows:
            counts["approved"][class_id] = int(approved or 0)
            counts["waitlisted"][class_id] = int(waitlisted or 0)
            counts["pending"][class_id] = int(pending or 0)
    return counts


# --- The branch admin ---------------------------------------------------------------------------


def waiting_applications(session: Session, user: User) -> tuple[int, list[Enrolment]]:
    """Applications waiting for a decision in every class of the admin's scope: how many, and
    the first ones in the order places are given."""
    stmt = scope_to_user(
        select(Enrolment)
        .join(TrainingClass, Enrolment.class_id == TrainingClass.id)
        .join(Candidate, Enrolment.candidate_id == Candidate.id)
        .where(Enrolment.status.in_((EnrolmentStatus.PENDING, EnrolmentStatus.WAITLISTED))),
        TrainingClass.party_school_id,
        user,
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(
        stmt.options(contains_eager(Enrolment.training_class), contains_eager(Enrolment.candidate))
        .order_by(
            TrainingClass.starts_on,
            Enrolment.status,
            Enrolment.priority.desc(),
            Enrolment.applied_at,
            Enrolment.id,
        )
        .limit(QUEUE_SIZE)
    ).all()
    return total or 0, list(rows)


@dataclass(frozen=True)
class ClassLoad:
    """A running or open class with its places taken, waiting list and applications."""

    training_class: TrainingClass
    approved: int
    waitlisted: int
    pending: int

    @property
    def free(self) -> int:
        """Places still free."""
        return max(self.training_class.capacity - self.approved, 0)


def running_classes(session: Session, user: User, today: date) -> list[ClassLoad]:
    """Classes of the user's scope open for applications or under way, with their load."""
    classes = session.scalars(
        scope_to_user(
            select(TrainingClass).options(joinedload(TrainingClass.party_school)),
            TrainingClass.party_school_id,
            user,
        )
        .where(
            TrainingClass.ends_on >= today,
            or_(TrainingClass.enrol_opens_on <= today, TrainingClass.starts_on <= today),
        )
        .order_by(TrainingClass.starts_on)
    ).all()
    counts = _status_counts(session, classes)
    return [
        ClassLoad(c, counts["approved"][c.id], counts["waitlisted"][c.id], counts["pending"][c.id])
        for c in classes
    ]


def ending_soon(session: Session, user: User, today: date, days: int = 14) -> list[TrainingClass]:
    """Classes of the user's scope that end within `days` or ended in the last `days`."""
    return list(
        session.scalars(
            scope_to_user(
                select(TrainingClass).options(
                    joinedload(TrainingClass.party_school), joinedload(TrainingClass.course)
                ),
                TrainingClass.party_school_id,
                user,
            )
            .where(
                TrainingClass.ends_on >= today - timedelta(days=days),
                TrainingClass.ends_on <= today + timedelta(days=days),
            )
            .order_by(TrainingClass.ends_on)
            .limit(10)
        )
    )


def running_by_school(session: Session, today: date) -> dict[int, int]:
    """How many classes each party school runs today, by school id."""
    rows = session.execute(
        select(TrainingClass.party_school_id, func.count())
        .where(TrainingClass.starts_on <= today, TrainingClass.ends_on >= today)
        .group_by(TrainingClass.party_school_id)
    )
    return dict(rows.all())
