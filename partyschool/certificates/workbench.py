"""What the certificates ask of people today: a trainee's grade and certificate, the classes
whose completion waits to be verified, and each branch school's certificates and rates.

Every function reads in a fixed number of queries (the completion of classes ending soon: a
fixed number per class, for at most `ENDING_SOON` classes).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, joinedload

from courses.models import Enrolment, EnrolmentStatus, TrainingClass
from exams.class_grades import ClassGrade, class_grade
from partyschool.access import scope_to_user
from partyschool.accounts.models import User
from partyschool.certificates import completion
from partyschool.certificates.models import Certificate, CertificateStatus

ENDING_SOON = 5


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


def completion_of(
    session: Session, classes: Sequence[TrainingClass], today: date
) -> list[completion.Summary]:
    """How far the trainees of the first few classes are: hours, exam, report, certificate."""
    return completion.summaries(session, list(classes)[:ENDING_SOON], today)


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
