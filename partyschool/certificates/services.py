"""Issuing certificates on the trainee's whole record, numbering them, revoking them, and the
organizers' completion view.

Functions take the session first and only flush; the request (or command) commits once.
"""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, has_request_context, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, undefer

from courses.models import Enrolment, EnrolmentStatus, TrainingClass
from courses.reports.services import report_passed, reports_passed
from courses.study.services import class_hours, class_hours_for_class
from exams.class_grades import class_grade, class_grades
from partyschool.accounts.models import User
from partyschool.audit import set_reason
from partyschool.candidates import services as candidates
from partyschool.candidates.models import Candidate, TrainingRecord
from partyschool.candidates.rules import Decision, Step
from partyschool.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificateTemplate,
    SerialCounter,
)
from partyschool.certificates.render import CertificateContext, render_certificates
from partyschool.extensions import BEIJING


class CertificateError(ValueError):
    """Issuing or revoking was refused; the message is shown to the user."""


@dataclass(frozen=True)
class Gate:
    """One condition of issuing: met or not, and what it found."""

    key: str
    label: str
    is_met: bool
    detail: str


@dataclass(frozen=True)
class Standing:
    """Everything that decides a trainee's certificate, gathered for one enrolment."""

    enrolment: Enrolment
    hours: object
    grade: object
    report_ok: bool
    record: Decision
    certificate: Certificate | None

    @property
    def gates(self) -> list[Gate]:
        """Each condition of issuing with what was found; all must be met."""
        hours, grade = self.hours, self.grade
        return [
            Gate(
                "approved",
                "已录取",
                self.enrolment.status is EnrolmentStatus.APPROVED,
                self.enrolment.status.label,
            ),
            Gate(
                "hours",
                "学时达标",
                hours.is_complete,
                f"已完成 {hours.total} / {hours.required} 学时",
            ),
            Gate("grade", "成绩合格", grade.passed, f"总评 {grade.total} 分"),
            Gate(
                "report",
                "学习心得通过",
                self.report_ok,
                "已通过或无需提交" if self.report_ok else "尚未通过审阅",
            ),
            Gate(
                "record",
                "发展档案无阻碍",
                self.record.eligible,
                "；".join(r.message for r in self.record.blocking) or "无",
            ),
        ]

    @property
    def may_issue(self) -> bool:
        """True when every gate is met and no valid certificate exists yet."""
        return self.certificate is None and all(g.is_met for g in self.gates)

    @property
    def reasons(self) -> list[str]:
        """Why the certificate cannot be issued (empty when it can)."""
        found = [f"{g.label}：{g.detail}" for g in self.gates if not g.is_met]
        if self.certificate is not None:
            found.append(f"已颁发证书 {self.certificate.serial}")
        return found


def _valid_certificate(session: Session, enrolment_ids: Sequence[int]) -> dict[int, Certificate]:
    rows = session.scalars(
        select(Certificate).where(
            Certificate.enrolment_id.in_(enrolment_ids),
            Certificate.status == CertificateStatus.VALID,
        )
    )
    return {c.enrolment_id: c for c in rows}


def standing(session: Session, enrolment: Enrolment, today: date) -> Standing:
    """The gates of one trainee's certificate."""
    return Standing(
        enrolment=enrolment,
        hours=class_hours(session, enrolment),
        grade=class_grade(session, enrolment),
        report_ok=report_passed(session, enrolment),
        record=candidates.decide_step(session, enrolment.candidate, Step.COMPLETE_TRAINING, today),
        certificate=_valid_certificate(session, [enrolment.id]).get(enrolment.id),
    )


def class_standings(session: Session, training_class: TrainingClass, today: date) -> list[Standing]:
    """Every approved trainee's gates for a class, in a constant number of queries."""
    enrolments = session.scalars(
        select(Enrolment)
        .where(
            Enrolment.class_id == training_class.id, Enrolment.status == EnrolmentStatus.APPROVED
        )
        .options(selectinload(Enrolment.candidate).options(*candidates.RECORD_OPTIONS))
        .order_by(Enrolment.id)
    ).all()
    ids = [e.id for e in enrolments]
    hours = class_hours_for_class(session, training_class)
    grades = class_grades(session, training_class)
    reports = reports_passed(session, training_class)
    records = candidates.decide_step_for(
        session, [e.candidate for e in enrolments], Step.COMPLETE_TRAINING, today
    )
    issued = _valid_certificate(session, ids)
    return [
        Standing(
            e,
            hours[e.id],
            grades[e.id],
            reports.get(e.id, False),
            records[e.candidate_id],
            issued.get(e.id),
        )
        for e in enrolments
    ]


def template_for(session: Session, school_id: int) -> CertificateTemplate:
    """The party school's certificate template (its defaults until an admin adjusts it)."""
    template = session.scalar(
        select(CertificateTemplate).where(CertificateTemplate.party_school_id == school_id)
    )
    if template is None:
        template = CertificateTemplate(party_school_id=school_id)
        session.add(template)
        session.flush()
    return template


def next_serial(session: Session, training_class: TrainingClass, year: int) -> str:
    """The next printed serial of the class's series: year, branch, class, sequence."""
    key = {
        "party_school_id": training_class.party_school_id,
        "year": year,
        "class_id": training_class.id,
    }
    counter = session.scalar(select(SerialCounter).filter_by(**key).with_for_update())
    if counter is None:
        try:
            with session.begin_nested():
                counter = SerialCounter(**key)
                session.add(counter)
        except IntegrityError:  # another issuer created the series first
            counter = session.scalar(select(SerialCounter).filter_by(**key).with_for_update())
    number = counter.next_number
    counter.next_number += 1
    school = training_class.party_school.code.upper()
    return f"{year}-{school}-{training_class.number:03d}-{number:04d}"


# Renders certificates (with their school's template) to PDFs, in order, in one go.
Renderer = Callable[[Sequence[tuple[Certificate, CertificateTemplate]]], list[bytes]]


def issue(
    session: Session, found: Standing, actor: User, now: datetime, render: Renderer
) -> Certificate:
    """Issue the certificate if every gate is met: number it, snapshot what it rests on,
    render the PDF once, and write the completion into the candidate's record."""
    return issue_many(session, [found], actor, now, render)[0]


def issue_many(
    session: Session, standings: Sequence[Standing], actor: User, now: datetime, render: Renderer
) -> list[Certificate]:
    """Issue several certificates, rendering their PDFs together (in parallel when many)."""
    issued = [_create(session, found, actor, now) for found in standings]
    templates = {c.party_school_id: template_for(session, c.party_school_id) for c in issued}
    pdfs = render([(c, templates[c.party_school_id]) for c in issued])
    for certificate, pdf in zip(issued, pdfs, strict=True):
        certificate.pdf = pdf
    session.flush()
    candidates.refresh(
        session, [c.enrolment.candidate for c in issued], now.astimezone(BEIJING).date()
    )
    return issued


def _create(session: Session, found: Standing, actor: User, now: datetime) -> Certificate:
    """The certificate's row and the completion in the record, without the PDF yet."""
    if not found.may_issue:
        raise CertificateError("；".join(found.reasons))
    enrolment = found.enrolment
    training_class, candidate = enrolment.training_class, enrolment.candidate
    local = now.astimezone(BEIJING)
    ruleset = candidates.ruleset()
    certificate = Certificate(
        serial=next_serial(session, training_class, local.year),
        verification_code=secrets.token_urlsafe(18),
        enrolment=enrolment,
        training_class=training_class,
        candidate_id=candidate.id,
        party_school_id=training_class.party_school_id,
        snapshot={
            "name": candidate.name,
            "student_no": candidate.student_no,
            "class_id": training_class.id,
            "class_title": training_class.title,
            "party_school": training_class.party_school.name,
            "target_stage": training_class.course.target_stage,
            "starts_on": training_class.starts_on.isoformat(),
            "ends_on": training_class.ends_on.isoformat(),
            "hours": str(found.hours.total),
            "required_hours": str(found.hours.required),
            "grade": str(found.grade.total),
            "ruleset": ruleset.id,
            "ruleset_version": ruleset.version,
            "issuer": actor.display_name,
            "issued_on": local.date().isoformat(),
        },
        issued_at=now,
        issued_by_id=actor.id,
        pdf=b"",
    )
    session.add(certificate)
    candidate.trainings.append(
        TrainingRecord(
            target_stage=training_class.course.target_stage,
            class_name=training_class.title,
            completed_on=local.date(),
            certificate_serial=certificate.serial,
            recorded_by_id=actor.id,
        )
    )
    session.flush()
    return certificate


def revoke(
    session: Session, certificate: Certificate, actor: User, reason: str, now: datetime
) -> Certificate:
    """Revoke a certificate with a written reason (audited); its completion leaves the record."""
    reason = reason.strip()
    if not reason:
        raise CertificateError("请填写撤销理由")
    if certificate.status is not CertificateStatus.VALID:
        raise CertificateError(f"该证书当前为“{certificate.status.label}”，不能撤销")
    set_reason(session, reason)
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_reason, certificate.revoked_at = reason, now
    record = session.scalar(
        select(TrainingRecord).where(TrainingRecord.certificate_serial == certificate.serial)
    )
    if record is not None:
        session.delete(record)
    session.flush()
    candidate = session.get(Candidate, certificate.candidate_id)
    candidates.refresh(session, [candidate], now.astimezone(BEIJING).date())
    return certificate


def issue_batch(
    session: Session,
    training_class: TrainingClass,
    actor: User,
    now: datetime,
    render: Renderer,
    size: int,
) -> dict:
    """Issue up to `size` more certificates of a class: what a progress bar needs to know."""
    standings = class_standings(session, training_class, now.astimezone(BEIJING).date())
    ready = [s for s in standings if s.may_issue]
    done = sum(1 for s in standings if s.certificate is not None)
    issue_many(session, ready[:size], actor, now, render)
    issued = min(size, len(ready))
    return {
        "issued": issued,
        "done": done + issued,
        "remaining": len(ready) - issued,
        "total": done + len(ready),
        "blocked": len(standings) - done - len(ready),
    }


def class_certificates(session: Session, training_class: TrainingClass) -> list[Certificate]:
    """The valid certificates of a class, PDFs included, in serial order."""
    return list(
        session.scalars(
            select(Certificate)
            .where(
                Certificate.class_id == training_class.id,
                Certificate.status == CertificateStatus.VALID,
            )
            .options(undefer(Certificate.pdf))
            .order_by(Certificate.serial)
        )
    )


def renderer() -> Renderer:
    """Render certificates with the verification URL of this site (PUBLIC_BASE_URL when set,
    as in commands; else the request's host)."""
    base = current_app.config.get("PUBLIC_BASE_URL") or (
        request.host_url if has_request_context() else "http://127.0.0.1:5000/"
    )

    urls = current_app.url_map.bind("localhost")

    def context(certificate: Certificate, template: CertificateTemplate) -> CertificateContext:
        values = {"serial": certificate.serial, "code": certificate.verification_code}
        return CertificateContext.from_snapshot(
            certificate.snapshot,
            template,
            serial=certificate.serial,
            verify_url=base.rstrip("/") + urls.build("verify.page", values),
        )

    def render(pairs: Sequence[tuple[Certificate, CertificateTemplate]]) -> list[bytes]:
        return render_certificates([context(c, t) for c, t in pairs])

    return render
