"""Issuing certificates on the trainee's whole record, numbering them, revoking and
re-issuing them, the training completions they write into the record, and the organizers'
completion view.

The one door: certificates and the training completions of the record are created, revoked
and re-issued only here. Each function checks the rules, the dates and the actor's
permission, and its changes are audited in the actor's name. Functions take the session
first and only flush; the request (or command) commits once.
"""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, undefer

from courses.models import Enrolment, EnrolmentStatus, TrainingClass
from courses.reports.services import report_passed, reports_passed
from courses.study.services import class_hours, class_hours_for_class
from exams.class_grades import class_grade, class_grades
from partyschool.access import can_see_school
from partyschool.accounts.models import ADMINS, ORGANIZERS, User
from partyschool.accounts.notifications import notify
from partyschool.audit import acting_as, set_reason
from partyschool.candidates import services as candidates
from partyschool.candidates.models import Candidate, TrainingRecord
from partyschool.candidates.rules import Decision, Step
from partyschool.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificateTemplate,
    SerialCounter,
)
from partyschool.certificates.render import (
    CertificateContext,
    LayoutError,
    render_certificates,
)
from partyschool.extensions import BEIJING


class CertificateError(ValueError):
    """Issuing, revoking or re-issuing was refused; the message is shown to the user."""


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
    today: date
    # A revocation sticks: only an admin's explicit re-issue replaces a revoked certificate.
    revoked: Certificate | None = None

    @property
    def gates(self) -> list[Gate]:
        """Each condition of issuing with what was found; all must be met."""
        hours, grade = self.hours, self.grade
        ends_on = self.enrolment.training_class.ends_on
        return [
            Gate(
                "approved",
                "已录取",
                self.enrolment.status is EnrolmentStatus.APPROVED,
                self.enrolment.status.label,
            ),
            Gate(
                "ended",
                "培训班已结业",
                ends_on < self.today,
                f"培训班 {ends_on} 结束"
                + ("" if ends_on < self.today else "，结束后（次日起）方可颁发证书"),
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
    def unmet(self) -> list[str]:
        """The gates not met, each with what was found."""
        return [f"{g.label}：{g.detail}" for g in self.gates if not g.is_met]

    @property
    def may_issue(self) -> bool:
        """True when every gate is met and the enrolment holds no certificate, valid or
        revoked."""
        return self.certificate is None and self.revoked is None and not self.unmet

    @property
    def reasons(self) -> list[str]:
        """Why the certificate cannot be issued (empty when it can)."""
        found = self.unmet
        if self.certificate is not None:
            found.append(f"已颁发证书 {self.certificate.serial}")
        if self.revoked is not None:
            found.append(f"证书 {self.revoked.serial} 已撤销，只能由管理员重新颁发")
        return found


def _held_certificates(
    session: Session, enrolment_ids: Sequence[int]
) -> tuple[dict[int, Certificate], dict[int, Certificate]]:
    """The valid and the (latest) revoked certificate of each enrolment."""
    valid: dict[int, Certificate] = {}
    revoked: dict[int, Certificate] = {}
    rows = session.scalars(
        select(Certificate)
        .where(
            Certificate.enrolment_id.in_(enrolment_ids),
            Certificate.status.in_([CertificateStatus.VALID, CertificateStatus.REVOKED]),
        )
        .order_by(Certificate.issued_at, Certificate.id)
    )
    for c in rows:
        (valid if c.status is CertificateStatus.VALID else revoked)[c.enrolment_id] = c
    return valid, revoked


def standing(session: Session, enrolment: Enrolment, today: date) -> Standing:
    """The gates of one trainee's certificate."""
    valid, revoked = _held_certificates(session, [enrolment.id])
    return Standing(
        enrolment=enrolment,
        hours=class_hours(session, enrolment),
        grade=class_grade(session, enrolment),
        report_ok=report_passed(session, enrolment),
        record=candidates.decide_step(session, enrolment.candidate, Step.COMPLETE_TRAINING, today),
        certificate=valid.get(enrolment.id),
        today=today,
        revoked=revoked.get(enrolment.id),
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
    valid, revoked = _held_certificates(session, ids)
    return [
        Standing(
            e,
            hours[e.id],
            grades[e.id],
            reports.get(e.id, False),
            records[e.candidate_id],
            valid.get(e.id),
            today,
            revoked.get(e.id),
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
    """The next printed serial: year, branch school, class number, and the number drawn from
    the school's series of that year (locked until the transaction ends, so unique)."""
    key = {"party_school_id": training_class.party_school_id, "year": year}
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


def may_issue_for(actor: User, party_school_id: int) -> bool:
    """True when the user may issue certificates of this party school's classes: its
    organizers and admins, or the school level's."""
    return actor.role in ORGANIZERS and can_see_school(actor, party_school_id)


def may_revoke(actor: User, certificate: Certificate) -> bool:
    """True when the user may revoke or re-issue the certificate: an admin of its party
    school or of the school level."""
    return actor.role in ADMINS and can_see_school(actor, certificate.party_school_id)


def _require_issuer(actor: User, training_class: TrainingClass) -> None:
    if not may_issue_for(actor, training_class.party_school_id):
        raise CertificateError(
            f"{actor.display_name}（{actor.role.label}）无权为“{training_class.title}”颁发证书："
            "只有该班所属分党校或校党校的组织员、管理员可以颁发"
        )


def _require_admin(actor: User, certificate: Certificate, doing: str) -> None:
    if not may_revoke(actor, certificate):
        raise CertificateError(f"只有该证书所属分党校或校党校的管理员可以{doing}证书")


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
    for training_class in {s.enrolment.training_class for s in standings}:
        _require_issuer(actor, training_class)
    with acting_as(actor.id):
        issued = []
        for found in standings:
            if not found.may_issue:
                raise CertificateError("；".join(found.reasons))
            issued.append(_create(session, found, actor, now))
        _render_and_record(session, issued, now, render)
    return issued


def _create(
    session: Session, found: Standing, actor: User, now: datetime, reason: str | None = None
) -> Certificate:
    """The certificate's row and the completion in the record, without the PDF yet; the
    reason, when given, goes with its audit entry."""
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
    session.flush()  # the series' number, so that the reason goes with the certificate
    if reason:
        set_reason(session, reason)
    try:
        with session.begin_nested():
            session.add(certificate)
            session.flush()
    except IntegrityError:
        # The partial unique index: another request issued this enrolment's certificate.
        existing = _held_certificates(session, [enrolment.id])[0].get(enrolment.id)
        if existing is None:
            raise
        raise CertificateError(f"已颁发证书 {existing.serial}，不能重复颁发") from None
    candidate.trainings.append(
        TrainingRecord(
            target_stage=training_class.course.target_stage,
            class_name=training_class.title,
            completed_on=local.date(),
            certificate_serial=certificate.serial,
            recorded_by_id=actor.id,
        )
    )
    notify(
        session, candidate.user_id, f"结业证书已颁发：{certificate.serial}", "/certificates/mine"
    )
    session.flush()
    return certificate


def _render_and_record(
    session: Session, issued: Sequence[Certificate], now: datetime, render: Renderer
) -> None:
    """Render the new certificates' PDFs and refresh their candidates' standing."""
    templates = {c.party_school_id: template_for(session, c.party_school_id) for c in issued}
    try:
        pdfs = render([(c, templates[c.party_school_id]) for c in issued])
    except LayoutError as error:
        raise CertificateError(str(error)) from None
    for certificate, pdf in zip(issued, pdfs, strict=True):
        certificate.pdf = pdf
    session.flush()
    candidates.refresh(
        session, [c.enrolment.candidate for c in issued], now.astimezone(BEIJING).date()
    )
    session.flush()


def _drop_completion(session: Session, certificate: Certificate) -> None:
    """The certificate no longer stands: its completion leaves the candidate's record."""
    record = session.scalar(
        select(TrainingRecord).where(TrainingRecord.certificate_serial == certificate.serial)
    )
    if record is not None:
        session.delete(record)


def _required_reason(reason: str | None, doing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(f"请填写{doing}理由")
    return reason


def revoke(
    session: Session, certificate: Certificate, actor: User, reason: str, now: datetime
) -> Certificate:
    """Revoke a certificate with a written reason (audited); its completion leaves the record."""
    _require_admin(actor, certificate, "撤销")
    reason = _required_reason(reason, "撤销")
    if certificate.status is not CertificateStatus.VALID:
        raise CertificateError(f"该证书当前为“{certificate.status.label}”，不能撤销")
    with acting_as(actor.id):
        set_reason(session, reason)
        certificate.status = CertificateStatus.REVOKED
        certificate.revoked_reason, certificate.revoked_at = reason, now
        _drop_completion(session, certificate)
        session.flush()
        candidate = session.get(Candidate, certificate.candidate_id)
        notify(
            session,
            candidate.user_id,
            f"证书 {certificate.serial} 已撤销：{reason}",
            "/certificates/mine",
        )
        candidates.refresh(session, [candidate], now.astimezone(BEIJING).date())
        session.flush()
    return certificate


def reissue(
    session: Session,
    old: Certificate,
    actor: User,
    reason: str,
    now: datetime,
    render: Renderer,
) -> Certificate:
    """An admin's explicit re-issue: a new certificate on the trainee's current record, the
    old one (valid or revoked) marked superseded by it. Audited with the reason."""
    _require_admin(actor, old, "重新颁发")
    reason = _required_reason(reason, "重新颁发")
    if old.status is CertificateStatus.SUPERSEDED:
        newer = session.get(Certificate, old.superseded_by_id)
        raise CertificateError(
            f"该证书已被新证书 {newer.serial if newer else ''} 取代，请对新证书操作"
        )
    found = standing(session, old.enrolment, now.astimezone(BEIJING).date())
    if unmet := found.unmet:
        raise CertificateError("；".join(unmet))
    with acting_as(actor.id):
        set_reason(session, reason)
        old.status = CertificateStatus.SUPERSEDED
        _drop_completion(session, old)
        session.flush()  # the index admits the new valid certificate only now
        new = _create(session, found, actor, now, reason)
        set_reason(session, reason)
        old.superseded_by_id = new.id
        _render_and_record(session, [new], now, render)
    return new


def supersedes(session: Session, certificate: Certificate) -> Certificate | None:
    """The certificate this one replaced by re-issue, if any."""
    return session.scalar(select(Certificate).where(Certificate.superseded_by_id == certificate.id))


def issue_batch(
    session: Session,
    training_class: TrainingClass,
    actor: User,
    now: datetime,
    render: Renderer,
    size: int,
) -> dict:
    """Issue up to `size` more certificates of a class: what a progress bar needs to know.
    Revoked enrolments are skipped: re-issuing them is an admin's explicit act."""
    _require_issuer(actor, training_class)
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


def public_url(endpoint: str, **values) -> str:
    """An absolute URL at the configured public address (PUBLIC_BASE_URL), never at the
    host a request or a command happened to use."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def verify_url(certificate: Certificate) -> str:
    """The public verification page of a certificate, as its QR code encodes it."""
    return public_url("verify.page", serial=certificate.serial, code=certificate.verification_code)


def renderer() -> Renderer:
    """Render certificates with QR codes at the configured public address."""

    def context(certificate: Certificate, template: CertificateTemplate) -> CertificateContext:
        return CertificateContext.from_snapshot(
            certificate.snapshot,
            template,
            serial=certificate.serial,
            verify_url=verify_url(certificate),
        )

    def render(pairs: Sequence[tuple[Certificate, CertificateTemplate]]) -> list[bytes]:
        return render_certificates([context(c, t) for c, t in pairs])

    return render
