"""The materials archive (入党材料归档, seed 002 §10): the documents each stage of a
candidate's development needs, uploaded and checked by the organizers."""

from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partyschool.accounts.models import User
from partyschool.audit import Audited
from partyschool.candidates.rules import Stage
from partyschool.extensions import db, enum_column, utcnow


class MaterialKind(StrEnum):
    """A kind of document a Party file holds, in the order the stages need them."""

    APPLICATION = "application"  # 入党申请书
    THOUGHT_REPORT = "thought_report"  # 思想汇报
    CULTIVATION_FORM = "cultivation_form"  # 培养考察表
    POLITICAL_REVIEW = "political_review"  # 政审材料
    ADMISSION_FORM = "admission_form"  # 入党志愿书
    CONFIRMATION_APPLICATION = "confirmation_application"  # 转正申请

    @property
    def label(self) -> str:
        """The Chinese name of the document."""
        return KIND_LABELS[self]

    @property
    def stage(self) -> Stage:
        """The stage whose file must hold this document before the candidate leaves it."""
        return KIND_STAGES[self]


KIND_LABELS = MappingProxyType(
    {
        MaterialKind.APPLICATION: "入党申请书",
        MaterialKind.THOUGHT_REPORT: "思想汇报",
        MaterialKind.CULTIVATION_FORM: "培养考察表",
        MaterialKind.POLITICAL_REVIEW: "政审材料",
        MaterialKind.ADMISSION_FORM: "入党志愿书",
        MaterialKind.CONFIRMATION_APPLICATION: "转正申请",
    }
)
# An applicant hands in the application; an activist reports in writing and is assessed on the
# cultivation form; a development candidate is politically reviewed and fills in the admission
# form; a probationary member applies for confirmation.
KIND_STAGES = MappingProxyType(
    {
        MaterialKind.APPLICATION: Stage.APPLICANT,
        MaterialKind.THOUGHT_REPORT: Stage.ACTIVIST,
        MaterialKind.CULTIVATION_FORM: Stage.ACTIVIST,
        MaterialKind.POLITICAL_REVIEW: Stage.CANDIDATE,
        MaterialKind.ADMISSION_FORM: Stage.CANDIDATE,
        MaterialKind.CONFIRMATION_APPLICATION: Stage.PROBATIONARY,
    }
)


class MaterialStatus(StrEnum):
    """Where an uploaded document stands with the organizer who checks it."""

    PENDING = "pending"
    CHECKED = "checked"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        """The Chinese name of the status."""
        return STATUS_LABELS[self]


STATUS_LABELS = MappingProxyType(
    {
        MaterialStatus.PENDING: "待审核",
        MaterialStatus.CHECKED: "已审核",
        MaterialStatus.RETURNED: "退回",
    }
)


class Material(Audited, db.Model):
    """One uploaded document of a candidate's archive (入党材料)."""

    __tablename__ = "materials"
    audit_title = "入党材料"
    audit_labels = MappingProxyType(
        {
            "kind": "材料",
            "title": "说明",
            "original_name": "文件名",
            "status": "审核",
            "check_comment": "审核意见",
        }
    )
    audit_value_labels = MappingProxyType(
        {"kind": dict(KIND_LABELS), "status": dict(STATUS_LABELS)}
    )
    __table_args__ = (
        # A decision names who took it and when; a returned document says why.
        CheckConstraint(
            "status = 'pending' OR (checked_by_id IS NOT NULL AND checked_at IS NOT NULL)",
            name="checked_by_someone",
        ),
        CheckConstraint(
            "status <> 'returned' OR check_comment <> ''", name="returned_with_comment"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MaterialKind] = mapped_column(enum_column(MaterialKind))
    title: Mapped[str] = mapped_column(String(200), default="")
    # What the uploader called the file (cleaned); it is stored under a generated name.
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[MaterialStatus] = mapped_column(
        enum_column(MaterialStatus), default=MaterialStatus.PENDING
    )
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None]
    check_comment: Mapped[str] = mapped_column(String(500), default="")

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])

    @property
    def extension(self) -> str:
        """The stored file's (validated) extension."""
        return self.stored_name.rsplit(".", 1)[-1]
