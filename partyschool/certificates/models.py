"""Certificates, their serial series and each party school's certificate template."""

from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from courses.models import Enrolment, TrainingClass
from partyschool.accounts.models import User
from partyschool.audit import Audited
from partyschool.extensions import db, enum_column, utcnow
from partyschool.organization.models import PartySchool


class CertificateStatus(StrEnum):
    """Whether a certificate stands."""

    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        """The Chinese name of the status."""
        return {"valid": "有效", "revoked": "已撤销", "superseded": "已被新证书取代"}[self]


class Certificate(Audited, db.Model):
    """A completion certificate (结业证书), immutable once issued but for its status."""

    __tablename__ = "certificates"
    audit_title = "结业证书"
    audit_labels = MappingProxyType(
        {
            "serial": "证书编号",
            "status": "状态",
            "revoked_reason": "撤销理由",
            "superseded_by_id": "取代它的证书",
        }
    )
    __table_args__ = (
        # At most one valid certificate per enrolment, however many issuers race.
        Index(
            "uq_certificates_valid_enrolment",
            "enrolment_id",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    # Unguessable (CSPRNG), printed only in the QR code: proves the holder saw the document.
    verification_code: Mapped[str] = mapped_column(String(40), unique=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("training_classes.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"), index=True)
    # What it was issued on: name, student number, class, hours, grade, rule set, issuer, date.
    snapshot: Mapped[dict] = mapped_column(JSON)
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    status: Mapped[CertificateStatus] = mapped_column(
        enum_column(CertificateStatus), default=CertificateStatus.VALID
    )
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_at: Mapped[datetime | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    enrolment: Mapped[Enrolment] = relationship()
    training_class: Mapped[TrainingClass] = relationship()
    party_school: Mapped[PartySchool] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])

    audit_ignores = frozenset({"pdf"})

    def audit_candidate_id(self) -> int | None:
        """Issuing and revoking belong to the candidate's timeline."""
        return self.candidate_id


class SerialCounter(db.Model):
    """The next sequence number of a series: one per branch school and year, shared by all
    its classes, so two classes with the same 期 number never draw the same serial."""

    __tablename__ = "serial_counters"
    __table_args__ = (UniqueConstraint("party_school_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"))
    year: Mapped[int]
    next_number: Mapped[int] = mapped_column(default=1)


class CertificateTemplate(db.Model):
    """A party school's certificate wording, signatures and seal, which its admin adjusts."""

    __tablename__ = "certificate_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"), unique=True)
    title: Mapped[str] = mapped_column(String(100), default="结业证书")
    # Placeholders: {name} {class_title} {starts_on} {ends_on} {hours} {grade}.
    body: Mapped[str] = mapped_column(
        Text,
        default="{name}同志于{starts_on}至{ends_on}参加{class_title}学习，"
        "完成规定学时{hours}学时，考核合格，准予结业。",
    )
    seal_text: Mapped[str] = mapped_column(String(100), default="")
    signer_title: Mapped[str] = mapped_column(String(100), default="分党校校长")
    signer_name: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
