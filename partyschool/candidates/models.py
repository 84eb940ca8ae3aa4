"""The development record (发展党员档案) of each candidate, as the organizers keep it."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partyschool.accounts.models import User
from partyschool.audit import Audited
from partyschool.candidates.rules import (
    EXPERIENCE_LABELS,
    STAGE_LABELS,
    STEP_LABELS,
    VETO_HOLDER_LABELS,
    DormGrade,
    ExperienceKind,
    Level,
    PublicityOutcome,
    Stage,
    Step,
    VetoHolder,
)
from partyschool.extensions import db, enum_column, utcnow
from partyschool.organization.models import College, District, PartyBranch, PartySchool, Room

LEVEL_LABELS = {"undergraduate": "本专科", "graduate": "研究生"}
DORM_GRADE_LABELS = {
    DormGrade.OUTSTANDING: "文明寝室（优秀）",
    DormGrade.GOOD: "良好",
    DormGrade.PASSING: "合格",
    DormGrade.DIRTY: "脏乱差",
}


class ContactKind(StrEnum):
    """A cultivation contact (培养联系人) or a sponsor (入党介绍人)."""

    CONTACT = "contact"
    SPONSOR = "sponsor"


class OpinionSource(StrEnum):
    """Who gave an opinion on a candidate's studies."""

    COLLEGE = "college"
    TEACHER = "teacher"


class ReviewKind(StrEnum):
    """Political review (政审) or the higher organization's pre-review (预审)."""

    POLITICAL = "political"
    PRE = "pre"


class ProbationAction(StrEnum):
    """A decision on a probationary member (seed 000 §3)."""

    EXTEND = "extend"  # 延长预备期
    CANCEL = "cancel"  # 取消预备党员资格

    @property
    def label(self) -> str:
        """The Chinese name of the decision."""
        return {"extend": "延长预备期", "cancel": "取消预备党员资格"}[self]


class VolunteerStatus(StrEnum):
    """Where a logged volunteer activity stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Candidate(Audited, db.Model):
    """A student on the development pipeline and the facts the rules read."""

    __tablename__ = "candidates"
    audit_title = "档案信息"
    audit_labels = MappingProxyType(
        {
            "student_no": "学号",
            "name": "姓名",
            "stage": "阶段",
            "level": "层次",
            "major": "专业",
            "class_name": "班级",
            "grade": "年级",
            "is_league_member": "共青团员",
            "league_recommended_on": "团组织推优日期",
            "academic_standing": "学业情况",
            "is_academic_ok": "学习成绩符合要求",
            "is_outstanding_class": "先进班级",
            "id_number": "身份证号",
            "gender": "性别",
            "birth_date": "出生日期",
            "ethnicity": "民族",
            "phone": "手机",
        }
    )
    audit_value_labels = MappingProxyType(
        {"stage": STAGE_LABELS, "level": LEVEL_LABELS, "gender": {"male": "男", "female": "女"}}
    )
    __table_args__ = (
        Index("ix_candidates_school_stage", "party_school_id", "stage"),
        # Finding the standings not judged today is a few lookups in these (services.stale).
        Index("ix_candidates_evaluated_on", "evaluated_on"),
        Index("ix_candidates_evaluated_ruleset", "evaluated_ruleset"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"))
    level: Mapped[Level] = mapped_column(enum_column(Level))
    college_id: Mapped[int | None] = mapped_column(ForeignKey("colleges.id"))
    major: Mapped[str] = mapped_column(String(100), default="")
    class_name: Mapped[str] = mapped_column(String(100), default="", index=True)
    grade: Mapped[int | None]
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), index=True)
    party_branch_id: Mapped[int | None] = mapped_column(ForeignKey("party_branches.id"))
    # The latest entry of the stage history, kept here so lists can filter by stage in SQL.
    stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    is_league_member: Mapped[bool] = mapped_column(default=False)
    league_recommended_on: Mapped[date | None]
    # Identity a Party file needs; shown in full only to whom identity.may_see_identity allows.
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    gender: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[date | None]
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    academic_standing: Mapped[str] = mapped_column(String(500), default="")
    # None until the college party organization has said (unknown is not "meets requirements").
    is_academic_ok: Mapped[bool | None]
    is_outstanding_class: Mapped[bool] = mapped_column(default=False)
    # Eligibility as last evaluated, for filtering long lists; pages show it computed afresh.
    evaluated_on: Mapped[date | None]
    evaluated_ruleset: Mapped[str | None] = mapped_column(String(64))
    next_step: Mapped[Step | None] = mapped_column(enum_column(Step))
    is_blocked: Mapped[bool] = mapped_column(default=False, index=True)
    blocking_summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()
    party_school: Mapped[PartySchool] = relationship()
    college: Mapped[College | None] = relationship()
    district: Mapped[District | None] = relationship()
    room: Mapped[Room | None] = relationship()
    party_branch: Mapped[PartyBranch | None] = relationship()
    stage_changes: Mapped[list["StageChange"]] = relationship(
        order_by="StageChange.entered_on", cascade="all, delete-orphan"
    )
    contacts: Mapped[list["Contact"]] = relationship(cascade="all, delete-orphan")
    opinions: Mapped[list["Opinion"]] = relationship(cascade="all, delete-orphan")
    experiences: Mapped[list["Experience"]] = relationship(cascade="all, delete-orphan")
    vetoes: Mapped[list["Veto"]] = relationship(cascade="all, delete-orphan")
    volunteer_logs: Mapped[list["VolunteerLog"]] = relationship(
        order_by="VolunteerLog.served_on", cascade="all, delete-orphan"
    )
    trainings: Mapped[list["TrainingRecord"]] = relationship(cascade="all, delete-orphan")
    publicity_notices: Mapped[list["PublicityNotice"]] = relationship(cascade="all, delete-orphan")
    talks: Mapped[list["Talk"]] = relationship(cascade="all, delete-orphan")
    reviews: Mapped[list["Review"]] = relationship(cascade="all, delete-orphan")
    probation_decisions: Mapped[list["ProbationDecision"]] = relationship(
        order_by="ProbationDecision.decided_on", cascade="all, delete-orphan"
    )

    audit_ignores = frozenset(
        {"evaluated_on", "evaluated_ruleset", "next_step", "is_blocked", "blocking_summary"}
    )
    # Never written to the trail: the trail says only that they changed.
    audit_redacted = frozenset({"id_number", "phone", "birth_date"})

    def audit_candidate_id(self) -> int | None:
        """A candidate's own changes belong to its timeline."""
        return self.id


class _Fact(Audited):
    """A fact of one candidate's record, dated and attributed to whoever recorded it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class StageChange(_Fact, db.Model):
    """Entering a stage, on a date, by an organizer's decision (or an audited override)."""

    __tablename__ = "stage_changes"
    audit_title = "阶段"
    audit_labels = MappingProxyType(
        {
            "stage": "阶段",
            "entered_on": "日期",
            "ruleset": "依据的规则",
            "override_reason": "强制变更理由",
            "is_migrated": "历史档案迁移",
            "source_file": "来源文件",
        }
    )
    audit_value_labels = MappingProxyType({"stage": STAGE_LABELS})
    # A candidate enters each stage once: two requests racing to promote make one change.
    __table_args__ = (UniqueConstraint("candidate_id", "stage"),)

    stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    entered_on: Mapped[date]
    override_reason: Mapped[str | None] = mapped_column(String(500))
    # The rule set (id@version) that judged the change; None for the first stage and migrations.
    ruleset: Mapped[str | None] = mapped_column(String(64))
    # Reached before the platform, brought in by a school admin from `source_file`.
    is_migrated: Mapped[bool] = mapped_column(default=False)
    source_file: Mapped[str | None] = mapped_column(String(200))

    recorded_by: Mapped[User | None] = relationship()


class ProbationDecision(_Fact, db.Model):
    """延长预备期 or 取消预备党员资格: a stage decision, through the same door as promotions."""

    __tablename__ = "probation_decisions"
    audit_title = "预备期决定"
    audit_labels = MappingProxyType(
        {
            "action": "决定",
            "decided_on": "日期",
            "months": "延长月数",
            "reason": "理由",
            "ruleset": "依据的规则",
        }
    )

    action: Mapped[ProbationAction] = mapped_column(enum_column(ProbationAction))
    decided_on: Mapped[date]
    months: Mapped[int | None]  # an extension's length (at most 12 in all)
    reason: Mapped[str] = mapped_column(String(500))
    ruleset: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[User | None] = relationship()

    @property
    def extension_days(self) -> int:
        """How many days the extension adds to the probation (a month as 1/12 of a year)."""
        return round((self.months or 0) * 365 / 12) if self.action is ProbationAction.EXTEND else 0


class Contact(_Fact, db.Model):
    """A cultivation contact (培养联系人) or sponsor (入党介绍人) of the candidate."""

    __tablename__ = "contacts"
    audit_title = "培养联系人/入党介绍人"
    audit_labels = MappingProxyType(
        {"kind": "类别", "person_name": "姓名", "assigned_on": "确定日期", "user_id": "账号"}
    )
    audit_value_labels = MappingProxyType(
        {"kind": {"contact": "培养联系人", "sponsor": "入党介绍人"}}
    )

    kind: Mapped[ContactKind] = mapped_column(enum_column(ContactKind))
    person_name: Mapped[str] = mapped_column(String(100))
    assigned_on: Mapped[date]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # reports/


class Opinion(_Fact, db.Model):
    """The college party organization's or a course teacher's opinion on the studies."""

    __tablename__ = "opinions"
    audit_title = "学院或任课教师意见"
    audit_labels = MappingProxyType(
        {
            "source": "意见来源",
            "author": "提出人",
            "content": "意见",
            "is_favourable": "同意",
            "given_on": "日期",
            "resolved_on": "解决日期",
        }
    )
    audit_value_labels = MappingProxyType(
        {"source": {"college": "学院党组织", "teacher": "任课教师"}}
    )

    source: Mapped[OpinionSource] = mapped_column(enum_column(OpinionSource))
    author: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    is_favourable: Mapped[bool] = mapped_column(default=True)
    given_on: Mapped[date]
    # An unfavourable opinion blocks development (建议权、否决权) until it is resolved.
    resolved_on: Mapped[date | None]


class Experience(_Fact, db.Model):
    """One of the three experiences (三个经历), with its evidence."""

    __tablename__ = "experiences"
    audit_title = "“三个经历”"
    audit_labels = MappingProxyType(
        {
            "kind": "经历类型",
            "description": "具体内容",
            "evidence": "佐证材料",
            "occurred_on": "时间",
            "is_verified": "已核实",
        }
    )
    audit_value_labels = MappingProxyType({"kind": EXPERIENCE_LABELS})

    kind: Mapped[ExperienceKind] = mapped_column(enum_column(ExperienceKind))
    description: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[str] = mapped_column(String(500), default="")
    occurred_on: Mapped[date]
    is_verified: Mapped[bool] = mapped_column(default=False)


class DormRating(Audited, db.Model):
    """A room's dormitory civilization rating (寝室文明) for one term."""

    __tablename__ = "dorm_ratings"
    audit_title = "寝室文明评定"
    audit_labels = MappingProxyType(
        {"term": "学期", "grade": "评定", "rectified_on": "整改完成日期", "note": "说明"}
    )
    audit_value_labels = MappingProxyType({"grade": DORM_GRADE_LABELS})
    __table_args__ = (UniqueConstraint("room_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(16))
    grade: Mapped[DormGrade] = mapped_column(enum_column(DormGrade))
    rectified_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(String(500), default="")

    room: Mapped[Room] = relationship()


class Veto(_Fact, db.Model):
    """A veto (否决权) exercised against the candidate; it binds until lifted."""

    __tablename__ = "vetoes"
    audit_title = "否决意见"
    audit_labels = MappingProxyType(
        {
            "holder": "否决方",
            "holder_name": "否决单位或教师",
            "reason": "理由",
            "decided_on": "决定日期",
            "lifted_on": "撤销日期",
            "lift_reason": "撤销理由",
        }
    )
    audit_value_labels = MappingProxyType({"holder": VETO_HOLDER_LABELS})

    holder: Mapped[VetoHolder] = mapped_column(enum_column(VetoHolder))
    holder_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    decided_on: Mapped[date]
    lifted_on: Mapped[date | None]
    lift_reason: Mapped[str | None] = mapped_column(String(500))


class VolunteerLog(_Fact, db.Model):
    """Volunteer service the candidate logged (义工), counted once an organizer approves it."""

    __tablename__ = "volunteer_logs"
    audit_title = "义工服务"
    audit_labels = MappingProxyType(
        {
            "activity": "服务内容",
            "hours": "小时",
            "served_on": "服务日期",
            "status": "审核",
            "review_note": "审核意见",
        }
    )
    audit_value_labels = MappingProxyType(
        {"status": {"pending": "待审核", "approved": "已通过", "rejected": "未通过"}}
    )

    activity: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    served_on: Mapped[date]
    status: Mapped[VolunteerStatus] = mapped_column(
        enum_column(VolunteerStatus), default=VolunteerStatus.PENDING
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(String(500), default="")


class TrainingRecord(_Fact, db.Model):
    """A completed party-school training class: a certificate of this platform (its serial),
    or a training elsewhere (外部培训) with who held it and the evidence."""

    __tablename__ = "training_records"
    audit_title = "党校培训结业"
    audit_labels = MappingProxyType(
        {
            "target_stage": "培训对象",
            "class_name": "培训班",
            "completed_on": "结业日期",
            "certificate_serial": "结业证书编号",
            "issuing_body": "举办单位",
            "evidence": "证明材料",
        }
    )
    audit_value_labels = MappingProxyType({"target_stage": STAGE_LABELS})

    target_stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    # A class's full title: 第N期 and a name of up to 200 characters.
    class_name: Mapped[str] = mapped_column(String(300))
    completed_on: Mapped[date]
    certificate_serial: Mapped[str] = mapped_column(String(64), default="")
    issuing_body: Mapped[str] = mapped_column(String(200), default="", server_default="")
    evidence: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    evidence_file: Mapped[str | None] = mapped_column(String(100))

    @property
    def is_external(self) -> bool:
        """True when no certificate of this platform stands behind the completion."""
        return not self.certificate_serial


class PublicityNotice(_Fact, db.Model):
    """A publicity period (公示) for development or confirmation, in its places."""

    __tablename__ = "publicity_notices"
    audit_title = "公示"
    audit_labels = MappingProxyType(
        {
            "step": "事项",
            "starts_on": "开始日期",
            "ends_on": "结束日期",
            "objections": "反映的问题",
            "has_unresolved_objection": "有未查清的问题",
            "outcome": "结果",
        }
    )
    audit_value_labels = MappingProxyType(
        {
            "step": STEP_LABELS,
            "outcome": {"pending": "公示中", "passed": "通过", "failed": "未通过"},
        }
    )

    step: Mapped[Step] = mapped_column(enum_column(Step))
    places: Mapped[list[str]] = mapped_column(JSON)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    objections: Mapped[str] = mapped_column(Text, default="")
    has_unresolved_objection: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[PublicityOutcome] = mapped_column(
        enum_column(PublicityOutcome), default=PublicityOutcome.PENDING
    )
    # Set when the notice is one of a batch: the named places, parallel to `places` (the kinds
    # the rules ask for), and the issuing 党总支, as they were when the notice was posted.
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("publicity_batches.id", ondelete="CASCADE"), index=True
    )
    place_names: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    issuer: Mapped[str] = mapped_column(String(100), default="", server_default="")

    batch: Mapped["PublicityBatch | None"] = relationship(back_populates="notices")
    raised_objections: Mapped[list["PublicityObjection"]] = relationship(
        order_by="PublicityObjection.id", cascade="all, delete-orphan", back_populates="notice"
    )


class PublicityBatch(Audited, db.Model):
    """One 公示 of several candidates for a step: the period and whom to tell objections."""

    __tablename__ = "publicity_batches"
    audit_title = "公示批次"
    audit_labels = MappingProxyType(
        {"step": "事项", "starts_on": "开始日期", "ends_on": "结束日期", "contact_person": "受理人"}
        | {"contact_phone": "联系电话", "contact_email": "电子邮箱"}
    )
    audit_value_labels = MappingProxyType({"step": STEP_LABELS})

    id: Mapped[int] = mapped_column(primary_key=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"), index=True)
    step: Mapped[Step] = mapped_column(enum_column(Step))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    contact_person: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(120), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    party_school: Mapped[PartySchool] = relationship()
    notices: Mapped[list[PublicityNotice]] = relationship(back_populates="batch")

    def audit_candidate_id(self) -> int | None:
        """A batch belongs to each of its notices' records, which carry their own entries."""
        return None


class ObjectionFinding(StrEnum):
    """What checking an objection to a 公示 found: 查实 or 不属实."""

    SUBSTANTIATED = "substantiated"
    UNFOUNDED = "unfounded"


class PublicityObjection(Audited, db.Model):
    """An objection raised during a 公示 (反映的问题), until an organizer resolves it."""

    __tablename__ = "publicity_objections"
    audit_title = "公示异议"
    audit_labels = MappingProxyType(
        {
            "raised_by": "反映人",
            "raised_on": "反映日期",
            "content": "反映的问题",
            "finding": "核查结论",
        }
        | {"finding_note": "核查说明", "resolved_on": "处理日期"}
    )
    audit_value_labels = MappingProxyType(
        {"finding": {"substantiated": "查实", "unfounded": "不属实"}}
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("publicity_notices.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    raised_by: Mapped[str] = mapped_column(String(100), default="")  # may stay anonymous
    raised_on: Mapped[date]
    content: Mapped[str] = mapped_column(Text)
    finding: Mapped[ObjectionFinding | None] = mapped_column(enum_column(ObjectionFinding))
    finding_note: Mapped[str] = mapped_column(String(500), default="")
    resolved_on: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    notice: Mapped[PublicityNotice] = relationship(back_populates="raised_objections")


class Talk(_Fact, db.Model):
    """A talk with the candidate (谈话), such as the one before admission."""

    __tablename__ = "talks"
    audit_title = "谈话"
    audit_labels = MappingProxyType(
        {"talked_on": "谈话日期", "talker": "谈话人", "summary": "谈话内容"}
    )

    talked_on: Mapped[date]
    talker: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)


class Review(_Fact, db.Model):
    """A political review (政审) or pre-review (预审) and its conclusion."""

    __tablename__ = "reviews"
    audit_title = "政审/预审"
    audit_labels = MappingProxyType(
        {"kind": "类别", "is_passed": "通过", "decided_on": "日期", "note": "说明"}
    )
    audit_value_labels = MappingProxyType({"kind": {"political": "政治审查", "pre": "预审"}})

    kind: Mapped[ReviewKind] = mapped_column(enum_column(ReviewKind))
    is_passed: Mapped[bool]
    decided_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(500), default="")


class RuleSetChoice(Audited, db.Model):
    """A rule set a school admin put in force from a date (发展规则); decisions name the
    version that judged them, so a switch never rewrites the past."""

    __tablename__ = "ruleset_choices"
    audit_title = "发展规则"
    audit_labels = MappingProxyType(
        {"ruleset": "规则集", "effective_from": "生效日期", "reason": "理由"}
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ruleset: Mapped[str] = mapped_column(String(64))  # id@version
    definition: Mapped[dict] = mapped_column(JSON)  # RuleSet.to_dict()
    effective_from: Mapped[date] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(500))
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)

    chosen_by: Mapped[User | None] = relationship()

    def audit_candidate_id(self) -> int | None:
        """A rule set belongs to no one candidate's record."""
        return None
