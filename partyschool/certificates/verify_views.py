"""Public verification of certificates: the page, the signed JSON, the public key.

Anyone may look a serial up without signing in. Every answer, an unknown serial's too, has
the same fields; lookups are rate-limited per client and cacheable (ETag, 60 s). The pages
share nothing with a signed-in session, so a shared cache may keep them.
"""

import hmac
import unicodedata
from datetime import date, datetime
from functools import wraps
from typing import Literal

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from pydantic import BaseModel
from sqlalchemy import select

from partyschool.access import public
from partyschool.api.spec import operation
from partyschool.certificates import services, signing
from partyschool.certificates.models import Certificate, CertificateStatus
from partyschool.certificates.render import format_hours
from partyschool.extensions import BEIJING, db, limiter, today

bp = Blueprint("verify", __name__)

CACHE_SECONDS = 60
UNKNOWN = "unknown"
UNKNOWN_LABEL = "未找到该证书"
SERIAL_MAX_LENGTH = Certificate.serial.type.length
# The page and the JSON share one budget, so a scraper gains nothing by alternating.
rate_limited = limiter.shared_limit(
    lambda: current_app.config.get("VERIFY_RATE_LIMIT", "60 per minute"),
    scope="certificate-verification",
)


class VerificationOut(BaseModel):
    """What anyone may know of a certificate, signed by the party school (Ed25519)."""

    serial: str
    status: Literal["valid", "revoked", "superseded", "unknown"]
    status_label: str
    name: str | None
    class_title: str | None
    party_school: str | None
    hours: str | None
    starts_on: date | None
    ends_on: date | None
    issued_on: date | None
    revoked_reason: str | None
    revoked_at: datetime | None
    superseded_by: str | None
    supersedes: str | None
    checked_on: date
    public_key_url: str
    signature: str


class PublicKeyOut(BaseModel):
    """The key that signs verification answers."""

    algorithm: Literal["Ed25519"]
    public_key: str


def cacheable(view):
    """Answer with an ETag of the body and public caching; 304 when If-None-Match matches."""

    @wraps(view)
    def wrapper(**kwargs):
        response = make_response(view(**kwargs))
        response.cache_control.public = True
        response.cache_control.max_age = CACHE_SECONDS
        response.add_etag()
        return response.make_conditional(request)

    return wrapper


@bp.get("/verify")
@public
def lookup():
    """The lookup form: type a serial, see its verification page."""
    serial = request.args.get("serial", "").strip()
    if serial:
        return redirect(url_for("verify.page", serial=serial))
    return render_template("certificates/verify.html", answer=None)


@bp.get("/verify/<serial>")
@public
@rate_limited
@cacheable
def page(serial: str):
    """The public verification page of a certificate; `?code=` from the QR code is checked."""
    certificate = _find(serial)
    code = request.args.get("code")
    code_check = None
    if code is not None and certificate is not None:
        code_check = hmac.compare_digest(
            code.encode("utf-8"), certificate.verification_code.encode("utf-8")
        )
    revoked_at = certificate.revoked_at if certificate is not None else None
    return render_template(
        "certificates/verify.html",
        answer=answer_for(serial, certificate),
        code_check=code_check,
        revoked_on=revoked_at.astimezone(BEIJING).date() if revoked_at else None,
    )


@bp.get("/api/v1/certificates/public-key")
@public
@cacheable
@operation("证书核验签名公钥", response=PublicKeyOut, tag="certificates")
def public_key():
    """The Ed25519 public key that signs the verification JSON."""
    return PublicKeyOut(algorithm=signing.ALGORITHM, public_key=signing.public_key_pem())


@bp.get("/api/v1/certificates/<serial>")
@public
@rate_limited
@cacheable
@operation("核验证书（公开，已签名）", response=VerificationOut, tag="certificates")
def certificate_json(serial: str):
    """A certificate's public status, masked name, class, hours and dates, signed."""
    return answer_for(serial, _find(serial))


def answer_for(serial: str, certificate: Certificate | None) -> dict:
    """The signed public answer for a serial, with the same keys whether it exists or not."""
    fields = dict.fromkeys(
        (
            "name",
            "class_title",
            "party_school",
            "hours",
            "starts_on",
            "ends_on",
            "issued_on",
            "revoked_reason",
            "revoked_at",
            "superseded_by",
            "supersedes",
        )
    )
    if certificate is None:
        status, label = UNKNOWN, UNKNOWN_LABEL
    else:
        status, label = certificate.status.value, certificate.status.label
        fields.update(_public_fields(certificate))
    answer = VerificationOut(
        serial=serial,
        status=status,
        status_label=label,
        checked_on=today(),
        public_key_url=services.public_url("verify.public_key"),
        signature="",
        **fields,
    ).model_dump(mode="json")
    answer["signature"] = signing.sign(answer)
    return answer


def _public_fields(certificate: Certificate) -> dict:
    snapshot = certificate.snapshot
    fields = {
        "name": mask_name(snapshot.get("name", "")),
        "class_title": snapshot.get("class_title"),
        "party_school": snapshot.get("party_school") or certificate.party_school.name,
        "hours": format_hours(snapshot.get("hours")) or None,
        "starts_on": snapshot.get("starts_on"),
        "ends_on": snapshot.get("ends_on"),
        "issued_on": snapshot.get("issued_on") or certificate.issued_at.astimezone(BEIJING).date(),
    }
    if certificate.status is CertificateStatus.REVOKED:
        fields["revoked_reason"] = certificate.revoked_reason
        fields["revoked_at"] = certificate.revoked_at
    if certificate.superseded_by_id is not None:
        fields["superseded_by"] = db.session.scalar(
            select(Certificate.serial).where(Certificate.id == certificate.superseded_by_id)
        )
    if older := services.supersedes(db.session, certificate):
        fields["supersedes"] = older.serial
    return fields


def mask_name(name: str) -> str:
    """张三 → 张*: the first character, then one * per further character (by code point,
    with combining marks and variation selectors kept with their character)."""
    characters = _characters(name.strip())
    if len(characters) <= 1:
        return "*"
    return characters[0] + "*" * (len(characters) - 1)


def _characters(text: str) -> list[str]:
    characters: list[str] = []
    for code_point in text:
        if characters and _joins_previous(code_point):
            characters[-1] += code_point
        else:
            characters.append(code_point)
    return characters


def _joins_previous(code_point: str) -> bool:
    value = ord(code_point)
    is_selector = 0xFE00 <= value <= 0xFE0F or 0xE0100 <= value <= 0xE01EF
    return is_selector or unicodedata.category(code_point) in ("Mn", "Mc", "Me")


def _find(serial: str) -> Certificate | None:
    if len(serial) > SERIAL_MAX_LENGTH:
        abort(404)  # cannot be a serial: no signed answer echoes arbitrary text
    return db.session.scalar(select(Certificate).where(Certificate.serial == serial))
