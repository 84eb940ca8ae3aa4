"""Reading reports (学习心得): submitting, comparing with earlier reports, reviewing.

Functions take the session first and only flush; the request (or command) commits once.

A new report is compared with every report of its party school whose class starts on or
before its own class (this class and every earlier one, whatever course they ran), except the
trainee's own reports: a resubmission after a return is meant to resemble the first draft.
The comparison stays within the party school because its reviewers may open only its records,
and a pointer to a report they cannot see would help nobody. It spans courses because a
branch school's course is often a copy of a library course, and last year's reports are the
ones most worth copying.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, contains_eager

from courses.models import (
    Enrolment,
    EnrolmentStatus,
    ReadingReport,
    ReportDraft,
    ReportStatus,
    TrainingClass,
)
from courses.reports import similarity
from courses.services import is_admitted_to
from partyschool.accounts.models import User
from partyschool.accounts.notifications import notify
from partyschool.candidates.models import Candidate

# From this estimate on, a report is shown as suspiciously similar in the review queue.
SIMILAR_THRESHOLD = 0.5

STATUS_LABELS = {
    ReportStatus.SUBMITTED: "待审阅",
    ReportStatus.PASSED: "已通过",
    ReportStatus.RETURNED: "已退回",
}


class ReportError(ValueError):
    """A submission or review was refused; the message is shown to the user."""


def char_count(text: str) -> int:
    """How many characters a report counts: every character except whitespace."""
    return sum(1 for char in text if not char.isspace())


def is_report_required(training_class: TrainingClass) -> bool:
    """True when the class asks its trainees for a reading report."""
    return training_class.report_min_chars > 0


def history(session: Session, enrolment: Enrolment) -> list[ReadingReport]:
    """Every report of an enrolment, newest first."""
    return list(
        session.scalars(
            select(ReadingReport)
            .where(ReadingReport.enrolment_id == enrolment.id)
            .order_by(ReadingReport.id.desc())
        )
    )


def latest(session: Session, enrolment: Enrolment) -> ReadingReport | None:
    """The enrolment's newest report, the one that counts, or None."""
    reports = history(session, enrolment)
    return reports[0] if reports else None


def refusal(session: Session, enrolment: Enrolment) -> str | None:
    """Why the trainee may not submit a report now, or None when they may."""
    if enrolment.status is not EnrolmentStatus.APPROVED:
        return "录取后才能提交学习心得"
    if not is_report_required(enrolment.training_class):
        return "本班不要求提交学习心得"
    current = latest(session, enrolment)
    if current is not None and current.status is ReportStatus.SUBMITTED:
        return "学习心得已提交，正在等待审阅"
    if current is not None and current.status is ReportStatus.PASSED:
        return "学习心得已通过审阅，无需再次提交"
    return None


def _comparable_signatures(session: Session, enrolment: Enrolment) -> dict[int, list[int]]:
    """Signatures of the reports a new report of this enrolment is compared with."""
    training_class = enrolment.training_class
    rows = session.execute(
        select(ReadingReport.id, ReadingReport.signature)
        .join(Enrolment, ReadingReport.enrolment_id == Enrolment.id)
        .join(TrainingClass, Enrolment.class_id == TrainingClass.id)
        .where(
            TrainingClass.party_school_id == training_class.party_school_id,
            TrainingClass.starts_on <= training_class.starts_on,
            Enrolment.candidate_id != enrolment.candidate_id,
        )
    )
    return {report_id: sig for report_id, sig in rows}


def submit(session: Session, enrolment: Enrolment, text: str, now: datetime) -> ReadingReport:
    """Submit a report for review, with its similarity to the closest earlier report."""
    # Lock the enrolment (PostgreSQL; SQLite requests already write one at a time), so two
    # submissions sent at once cannot both find no pending report.
    session.scalar(select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update())
    reason = refusal(session, enrolment)
    if reason:
        raise ReportError(reason)
    text = text.strip()
    minimum, count = enrolment.training_class.report_min_chars, char_count(text)
    if count < minimum:
        raise ReportError(f"心得不少于 {minimum} 字，当前 {count} 字")
    sig = similarity.signature(text)
    score, similar_to_id = similarity.most_similar(sig, _comparable_signatures(session, enrolment))
    report = ReadingReport(
        enrolment=enrolment,
        text=text,
        signature=sig,
        similarity=score,
        similar_to_id=similar_to_id,
        status=ReportStatus.SUBMITTED,
        submitted_at=now,
    )
    session.add(report)
    session.execute(delete(ReportDraft).where(ReportDraft.enrolment_id == enrolment.id))
    session.flush()
    return report


def draft_of(session: Session, enrolment: Enrolment) -> ReportDraft | None:
    """The trainee's draft kept on the server, if they saved one."""
    return session.scalar(select(ReportDraft).where(ReportDraft.enrolment_id == enrolment.id))


def save_draft(session: Session, enrolment: Enrolment, text: str, now: datetime) -> ReportDraft:
    """Keep the report being written on the server (the last saved text wins)."""
    if refusal(session, enrolment):
        raise ReportError("当前不能修改学习心得，草稿未保存")
    if not text.strip():
        raise ReportError("草稿是空的，未保存")
    draft = draft_of(session, enrolment)
    if draft is None:
        draft = ReportDraft(enrolment_id=enrolment.id, text="")
        session.add(draft)
    draft.text, draft.saved_at = text, now
    session.flush()
    return draft


def review(
    session: Session, report: ReadingReport, reviewer: User, passed: bool, comment: str
) -> ReadingReport:
    """Pass a submitted report, or return it to the trainee with a comment saying why."""
    # Read the status under a row lock: two reviewers at once must not both decide.
    status = session.scalar(
        select(ReadingReport.status).where(ReadingReport.id == report.id).with_for_update()
    )
    if status is not ReportStatus.SUBMITTED:
        raise ReportError(f"该学习心得{STATUS_LABELS[status]}，不能重复审阅")
    comment = (comment or "").strip()
    if not passed and not comment:
        raise ReportError("退回时请填写评语，说明需要修改之处")
    report.status = ReportStatus.PASSED if passed else ReportStatus.RETURNED
    report.comment = comment
    report.reviewed_by_id = reviewer.id
    notify(
        session,
        report.enrolment.candidate.user_id,
        f"学习心得{STATUS_LABELS[report.status]}：{comment or '无评语'}",
        "/my/reports",
    )
    session.flush()
    return report


def report_passed(session: Session, enrolment: Enrolment) -> bool:
    """True when the enrolment's report has passed review, or the class requires none."""
    if not is_report_required(enrolment.training_class):
        return True
    passed = session.scalar(
        select(func.count(ReadingReport.id)).where(
            ReadingReport.enrolment_id == enrolment.id,
            ReadingReport.status == ReportStatus.PASSED,
        )
    )
    return bool(passed)


def reports_passed(session: Session, training_class: TrainingClass) -> dict[int, bool]:
    """`report_passed` for every enrolment of a class, by enrolment id, in two queries."""
    enrolment_ids = session.scalars(
        select(Enrolment.id).where(Enrolment.class_id == training_class.id)
    )
    if not is_report_required(training_class):
        return dict.fromkeys(enrolment_ids, True)
    passed = set(
        session.scalars(
            select(ReadingReport.enrolment_id)
            .join(Enrolment, ReadingReport.enrolment_id == Enrolment.id)
            .where(
                Enrolment.class_id == training_class.id,
                ReadingReport.status == ReportStatus.PASSED,
            )
        )
    )
    return {enrolment_id: enrolment_id in passed for enrolment_id in enrolment_ids}


def queue(session: Session, training_class: TrainingClass) -> list[ReadingReport]:
    """The newest report of each trainee of a class: pending ones first, oldest first."""
    newest = (
        select(func.max(ReadingReport.id))
        .join(Enrolment, ReadingReport.enrolment_id == Enrolment.id)
        .where(Enrolment.class_id == training_class.id)
        .group_by(ReadingReport.enrolment_id)
    )
    reports = session.scalars(
        select(ReadingReport)
        .join(ReadingReport.enrolment)
        .join(Enrolment.candidate)
        .options(contains_eager(ReadingReport.enrolment).contains_eager(Enrolment.candidate))
        .where(ReadingReport.id.in_(newest))
    )
    return sorted(
        reports,
        key=lambda r: (r.status is not ReportStatus.SUBMITTED, r.submitted_at, r.id),
    )


def missing(session: Session, training_class: TrainingClass) -> list[Candidate]:
    """Admitted trainees of a class who have not submitted any report yet."""
    return list(
        session.scalars(
            select(Candidate)
            .join(Enrolment, Enrolment.candidate_id == Candidate.id)
            .where(
                is_admitted_to(training_class),
                ~select(ReadingReport.id)
                .where(ReadingReport.enrolment_id == Enrolment.id)
                .exists(),
            )
            .order_by(Candidate.student_no)
        )
    )


def similar_later(session: Session, report: ReadingReport) -> list[ReadingReport]:
    """Later reports whose closest match is this one, at or above the threshold."""
    return list(
        session.scalars(
            select(ReadingReport)
            .where(
                ReadingReport.similar_to_id == report.id,
                ReadingReport.similarity >= SIMILAR_THRESHOLD,
            )
            .order_by(ReadingReport.similarity.desc(), ReadingReport.id)
        )
    )


def pending_counts(session: Session, classes: Iterable[TrainingClass]) -> dict[int, int]:
    """How many reports await review in each class, by class id."""
    ids = [c.id for c in classes]
    rows = session.execute(
        select(Enrolment.class_id, func.count(ReadingReport.id))
        .join(ReadingReport, ReadingReport.enrolment_id == Enrolment.id)
        .where(Enrolment.class_id.in_(ids), ReadingReport.status == ReportStatus.SUBMITTED)
        .group_by(Enrolment.class_id)
    )
    return {class_id: 0 for class_id in ids} | dict(rows.all())


def authors(session: Session, report_ids: Iterable[int]) -> dict[int, str]:
    """Who wrote each report and in which class, as people read it, by report id."""
    rows = session.execute(
        select(ReadingReport.id, Candidate.name, TrainingClass.number, TrainingClass.name)
        .join(Enrolment, ReadingReport.enrolment_id == Enrolment.id)
        .join(Candidate, Enrolment.candidate_id == Candidate.id)
        .join(TrainingClass, Enrolment.class_id == TrainingClass.id)
        .where(ReadingReport.id.in_(set(report_ids)))
    )
    return {report_id: f"{name}（第{number}期{klass}）" for report_id, name, number, klass in rows}
