"""What the certificates ask of people today: a trainee's grade and certificate, the classes
whose completion waits to be verified, and each branch school's certificates and rates.

Every function reads in a fixed number of queries, whatever the number of trainees.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, joinedload

from courses.models import Enrolment, EnrolmentStatus, ReadingReport, ReportStatus, TrainingClass
from courses.study.services import hours_by_enrolment
from exams.class_grades import ClassGrade, class_grade
from exams.models import Attempt, AttemptStatus, Exam
from partyschool.access import scope_to_user
from partyschool.accounts.models import User
from partyschool.certificates import completion
from partyschool.certificates.models import Certificate, CertificateStatus


def trainee_grade(session: Session, enrolment: Enrolment | None) -> ClassGrade | None:
    """The class grade of the trainee's current class, when it has any exam result."""
    if enrolment is None:
        return None
    return class_grade(session, enrolment)


def own_certificates(session: Session, candidate_id: int) -> list[Certificate]:
    """The trainee's valid and revoked certificates, newest first."""
    return list(
        session.scalars(
            select(Certificate)
            .options(joinedload(Certificate.training_class))
            .where(
                Certificate.candidate_id == candidate_id,
                Certificate.status != CertificateStatus.SUPERSEDED,
            )
            .order_by(Certificate.issued_at.desc())
        )
    )


@dataclass(frozen=True)
class ToVerify:
    """An ended class whose admitted trainees do not all hold a certificate yet."""

    training_class: TrainingClass
    admitted: int
    without: int


def classes_to_verify(session: Session, user: User, today: date) -> list[ToVerify]:
    """Ended classes of the user's scope with admitted trainees still without a certificate."""
    held = (
        select(Certificate.id)
        .where(
            Certificate.enrolment_id == Enrolment.id,
            Certificate.status.in_((CertificateStatus.VALID, CertificateStatus.REVOKED)),
        )
        .exists()
    )
    stmt = scope_to_user(
        select(
            TrainingClass,
            func.count(Enrolment.id),
            func.sum(case((~held, 1), else_=0)),
        )
        .join(
            Enrolment,
            and_(
                Enrolment.class_id == TrainingClass.id,
                Enrolment.status == EnrolmentStatus.APPROVED,
            ),
        )
        .where(TrainingClass.ends_on < today)
        .group_by(TrainingClass.id)
        .order_by(TrainingClass.ends_on.desc()),
        TrainingClass.party_school_id,
        user,
    )
    rows = [ToVerify(c, int(n), int(w or 0)) for c, n, w in session.execute(stmt.limit(50))]
    return [row for row in rows if row.without][:10]


def completion_of(session: Session, classes: Sequence[TrainingClass]) -> list[completion.Summary]:
    """How far the admitted trainees of these classes are, counted in a fixed number of
    queries: hours complete, an exam passed, the report passed, a certificate held. (The
    record's veto and dormitory gates are left to the class's own completion page.)"""
    classes = list(classes)
    ids = [c.id for c in classes]
    if not ids:
        return []
    admitted = session.execute(
        select(Enrolment.id, Enrolment.class_id).where(
            Enrolment.class_id.in_(ids), Enrolment.status == EnrolmentStatus.APPROVED
        )
    ).all()
    hours = hours_by_enrolment(session, [enrolment_id for enrolment_id, _ in admitted])
    passed_exam = set(
        session.scalars(
            select(Attempt.enrolment_id)
            .join(Exam, Attempt.exam_id == Exam.id)
            .where(
                Exam.class_id.in_(ids),
                Attempt.status == AttemptStatus.SUBMITTED,
                Attempt.score >= Exam.pass_mark,
            )
        )
    )
    passed_report = set(
        session.scalars(
            select(ReadingReport.enrolment_id)
            .join(Enrolment, ReadingReport.enrolment_id == Enrolment.id)
            .where(Enrolment.class_id.in_(ids), ReadingReport.status == ReportStatus.PASSED)
        )
    )
    certified = set(
        session.scalars(
            select(Certificate.enrolment_id).where(
                Certificate.class_id.in_(ids), Certificate.status == CertificateStatus.VALID
            )
        )
    )
    by_class: dict[int, list[int]] = {class_id: [] for class_id in ids}
    for enrolment_id, class_id in admitted:
        by_class[class_id].append(enrolment_id)
    return [
        completion.Summary(
            training_class=c,
            enrolled=len(by_class[c.id]),
            hours_complete=sum(hours[e].is_complete for e in by_class[c.id]),
            exam_passed=sum(e in passed_exam for e in by_class[c.id]),
            report_passed=sum(e in passed_report or not c.report_min_chars for e in by_class[c.id]),
            issued=sum(e in certified for e in by_class[c.id]),
            blocked=0,
        )
        for c in classes
    ]


def certificates_by_school(session: Session) -> dict[int, dict[str, int]]:
    """Certificates issued (valid) and revoked per party school, by school id."""
    rows = session.execute(
        select(Certificate.party_school_id, Certificate.status, func.count()).group_by(
            Certificate.party_school_id, Certificate.status
        )
    )
    table: dict[int, dict[str, int]] = {}
    for school_id, status, count in rows:
        table.setdefault(school_id, {"valid": 0, "revoked": 0, "superseded": 0})[status] = count
    return table


def completion_by_school(session: Session, today: date) -> dict[int, tuple[int, int]]:
    """(admitted trainees of ended classes, of them holding a valid certificate) per school."""
    valid = (
        select(Certificate.id)
        .where(
            Certificate.enrolment_id == Enrolment.id,
            Certificate.status == CertificateStatus.VALID,
        )
        .exists()
    )
    rows = session.execute(
        select(
            TrainingClass.party_school_id,
            func.count(Enrolment.id),
            func.sum(case((valid, 1), else_=0)),
        )
        .join(Enrolment, Enrolment.class_id == TrainingClass.id)
        .where(TrainingClass.ends_on < today, Enrolment.status == EnrolmentStatus.APPROVED)
        .group_by(TrainingClass.party_school_id)
    )
    return {school: (int(n), int(done or 0)) for school, n, done in rows}
