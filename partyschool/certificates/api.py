"""Certificates in the API for their holders and organizers: the list and the PDF."""

import io
from datetime import datetime

from flask import Blueprint, request, send_file
from flask_login import current_user
from pydantic import BaseModel
from sqlalchemy import select

from partyschool.access import can_see_school, scope_to_user, signed_in
from partyschool.accounts.models import ORGANIZERS
from partyschool.api.spec import ApiError, operation
from partyschool.candidates.models import Candidate
from partyschool.certificates.models import Certificate
from partyschool.extensions import as_id, db

bp = Blueprint("certificates_api", __name__, url_prefix="/api/v1/certificates")
PAGE_SIZE = 100


class CertificateOut(BaseModel):
    """A certificate as its holder or an organizer sees it."""

    serial: str
    status: str
    student_no: str
    name: str
    class_title: str
    hours: str
    issued_on: str
    issued_at: datetime
    revoked_reason: str | None


class CertificateList(BaseModel):
    """The caller's own certificates, or those in an organizer's scope."""

    items: list[CertificateOut]
    page: int


def _out(certificate: Certificate) -> CertificateOut:
    snapshot = certificate.snapshot
    return CertificateOut(
        serial=certificate.serial,
        status=certificate.status,
        student_no=snapshot["student_no"],
        name=snapshot["name"],
        class_title=snapshot["class_title"],
        hours=snapshot["hours"],
        issued_on=snapshot["issued_on"],
        issued_at=certificate.issued_at,
        revoked_reason=certificate.revoked_reason,
    )


def _may_read(certificate: Certificate) -> bool:
    """The rule of the certificate pages: its holder, and organizers and admins of its scope."""
    if current_user.role in ORGANIZERS and can_see_school(
        current_user, certificate.party_school_id
    ):
        return True
    owner = db.session.scalar(
        select(Candidate.user_id).where(Candidate.id == certificate.candidate_id)
    )
    return owner == current_user.id


@bp.get("")
@signed_in
@operation(
    "证书列表：学员本人的，或组织员管辖范围内的", response=CertificateList, tag="certificates"
)
def index():
    """The caller's own certificates, or those of an organizer's or admin's scope, newest first."""
    stmt = select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    if current_user.role in ORGANIZERS:
        stmt = scope_to_user(stmt, Certificate.party_school_id)
    else:  # trainees, and instructors, whom the pages refuse too: only their own
        stmt = stmt.join(Candidate, Candidate.id == Certificate.candidate_id).where(
            Candidate.user_id == current_user.id
        )
    page = as_id(request.args.get("page")) or 1
    rows = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return CertificateList(items=[_out(c) for c in rows], page=page)


@bp.get("/<serial>/pdf")
@signed_in
@operation("证书 PDF（本人及其分党校组织员）", media_type="application/pdf", tag="certificates")
def pdf(serial: str):
    """The certificate PDF as issued, for its holder and the organizers of its school."""
    certificate = db.session.scalar(select(Certificate).where(Certificate.serial == serial))
    if certificate is None or not _may_read(certificate):
        raise ApiError(404, "not_found", "找不到该证书")
    return send_file(
        io.BytesIO(certificate.pdf), mimetype="application/pdf", download_name=f"{serial}.pdf"
    )
