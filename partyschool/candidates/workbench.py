"""What the development records ask of people today: a trainee's standing in plain words, the
organizers' work queues and pipeline, and each branch school's candidates per stage.

Every function reads in a fixed number of queries, whatever the number of candidates.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from partyschool.access import scope_to_user
from partyschool.accounts.models import Role, User
from partyschool.candidates import rulesets, services
from partyschool.candidates.models import (
    Candidate,
    PublicityNotice,
    StageChange,
    VolunteerLog,
    VolunteerStatus,
)
from partyschool.candidates.rules import (
    STAGE_LABELS,
    STEP_LABELS,
    PublicityOutcome,
    Reason,
    Stage,
    Step,
)
from partyschool.candidates.rulesets import RuleSet
from partyschool.organization.models import PartySchool

SOON_DAYS = 30
QUEUE_SIZE = 10

# What a trainee does about each kind of rule, and whom they ask.
ADVICE: dict[str, tuple[str, str]] = {
    "stage_in": ("此步骤须在发展的下一阶段办理", "组织员"),
    "time_in_stage": ("等待期满即可，期间请按时递交思想汇报", "培养联系人"),
    "training": ("报名参加党校培训班，学完、考试合格后取得结业证书", "分党校"),
    "experience": ("补齐“三个经历”并交佐证材料，由组织员核实", "组织员"),
    "clean_dorm": ("完成寝室整治，请学区复查并更新评定", "学区寝室管理老师"),
    "no_veto": ("与提出否决的单位或老师沟通，问题解决后由其撤销", "学院党组织"),
    "flag": ("请相关组织出具意见或完成审查", "组织员"),
    "publicity": ("等待公示期结束并由组织员确认结果", "组织员"),
    "volunteer_hours": ("登记义工服务并提交组织员审核", "组织员"),
    "thought_reports": ("在“思想汇报”页面递交思想汇报（今后每季度按时递交）", "培养联系人"),
    "half_year_assessments": ("请培养联系人按时填写半年考察意见", "培养联系人"),
}
FLAG_ASK = {
    "academic_ok": "学院党组织",
    "has_league_recommendation": "所在团支部",
    "political_review_passed": "组织员",
    "pre_review_passed": "组织员",
}
# Kinds of blocking reason the organizers' queue counts, and how their stored message reads.
BLOCK_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "waiting": ("等待期未满", ("%须满%天%",)),
    "training": ("未完成党校培训", ("%尚未完成党校%",)),
    "experience": ("“三个经历”未核实", ("%的经历尚未核实%", "%缺少“%的经历%")),
    "dorm": ("寝室“脏乱差”未整治", ("%脏乱差%",)),
    "veto": ("否决或不同意意见", ("%否决权%", "%不同意意见%")),
    "volunteer": ("义工时数不足", ("%已认定义工%",)),
    "publicity": ("公示未完成", ("%完成公示%",)),
    "review": ("政审或预审未通过", ("%政治审查%", "%预审%")),
    "academic": ("学业或推优未达要求", ("%学习态度%", "%推优%")),
    "reports": ("缺少思想汇报或半年考察", ("%缺少思想汇报%", "%半年考察意见仅%")),
}


@dataclass(frozen=True)
class Blocker:
    """One thing standing in a trainee's way, with what to do and whom to ask."""

    message: str
    todo: str
    ask: str
    ends_on: date | None  # when a waiting period ends by itself


@dataclass(frozen=True)
class Standing:
    """A trainee's development standing in plain words."""

    candidate: Candidate
    step: Step | None
    eligible: bool
    blockers: list[Blocker]
    organizers: list[str]

    @property
    def stage_label(self) -> str:
        """The stage the trainee is at, in Chinese."""
        return STAGE_LABELS[self.candidate.stage]

    @property
    def step_label(self) -> str:
        """The next step, in Chinese."""
        return STEP_LABELS[self.step] if self.step else ""

    @property
    def ready_on(self) -> date | None:
        """The day the last waiting period ends, when only waiting stands in the way."""
        dates = [b.ends_on for b in self.blockers if b.ends_on]
        if dates and len(dates) == len(self.blockers):
            return max(dates)
        return None


def _kinds(active: RuleSet) -> dict[str, str]:
    return {check.rule: check.kind for checks in active.steps.values() for check in checks}


def blocker(reason: Reason, kind: str) -> Blocker:
    """A blocking reason as a trainee reads it: what to do, whom to ask, when waiting ends."""
    todo, ask = ADVICE.get(kind, ("请咨询组织员", "组织员"))
    if kind == "flag":
        ask = next((FLAG_ASK[key] for key in reason.evidence if key in FLAG_ASK), ask)
    ends_on = None
    if kind == "time_in_stage" and reason.evidence.get("entered_on"):
        entered = date.fromisoformat(reason.evidence["entered_on"])
        ends_on = entered + timedelta(days=int(reason.evidence["min_days"]))
    return Blocker(reason.message, todo, ask, ends_on)


def own_standing(session: Session, user: User, today: date) -> Standing | None:
    """The signed-in trainee's standing on their next stage, or None without a record."""
    candidate = session.scalar(
        select(Candidate).where(Candidate.user_id == user.id).options(*services.RECORD_OPTIONS)
    )
    if candidate is None:
        return None
    active = services.ruleset()
    decision = services.assess(session, [candidate], today, active)[0].promotion
    kinds = _kinds(active)
    blockers = (
        [blocker(reason, kinds.get(reason.rule, "")) for reason in decision.blocking]
        if decision
        else []
    )
    organizers = session.scalars(
        select(User.display_name)
        .where(
            User.party_school_id == candidate.party_school_id,
            User.role == Role.ORGANIZER,
            User.is_disabled.is_(False),
        )
        .order_by(User.id)
        .limit(3)
    ).all()
    return Standing(
        candidate,
        decision.step if decision else None,
        bool(decision and decision.eligible),
        blockers,
        list(organizers),
    )


# --- The organizers' queues -----------------------------------------------------------------


@dataclass(frozen=True)
class SoonEligible:
    """A candidate whose waiting period for a step ends within the coming days."""

    candidate: Candidate
    step: Step
    ends_on: date
    others: list[str]  # what else still blocks the step on that day

    @property
    def step_label(self) -> str:
        """The step, in Chinese."""
        return STEP_LABELS[self.step]


def waiting_periods(active: RuleSet) -> list[tuple[Stage, Step, int]]:
    """(stage, the step out of it, days to wait) for every promotion with a waiting period."""
    periods = []
    for stage, (step, _next) in services.PROMOTIONS.items():
        for check in active.steps.get(step, ()):
            if check.kind == "time_in_stage" and check.params["stage"] == stage:
                periods.append((stage, step, int(check.params["min_days"])))
    return periods


def soon_eligible(
    session: Session, user: User, today: date, days: int = SOON_DAYS
) -> tuple[int, list[SoonEligible]]:
    """How many candidates in scope finish a waiting period within `days`, and the first few,
    each judged as of the day it ends."""
    active = services.ruleset()
    periods = waiting_periods(active)
    if not periods:
        return 0, []
    conditions = [
        and_(
            Candidate.stage == stage,
            StageChange.stage == stage,
            StageChange.entered_on > today - timedelta(days=wait),
            StageChange.entered_on <= today + timedelta(days=days) - timedelta(days=wait),
        )
        for stage, _step, wait in periods
    ]
    stmt = scope_to_user(
        select(Candidate)
        .join(StageChange, StageChange.candidate_id == Candidate.id)
        .where(or_(*conditions)),
        Candidate.party_school_id,
        user,
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    first = services.load(session, stmt.order_by(StageChange.entered_on).limit(QUEUE_SIZE))
    by_stage = {stage: (step, wait) for stage, step, wait in periods}
    kinds = _kinds(active)
    ratings = services.ratings_by_room(session, (c.room_id for c in first))
    rows = []
    for candidate in first:
        step, wait = by_stage[candidate.stage]
        entered = max(c.entered_on for c in candidate.stage_changes if c.stage == candidate.stage)
        ends_on = entered + timedelta(days=wait)
        facts = services.facts_for(candidate, ratings[candidate.room_id])
        decision = rulesets.evaluate_step(facts, active, step, ends_on)
        others = [r.message for r in decision.blocking if kinds.get(r.rule) != "time_in_stage"]
        rows.append(SoonEligible(candidate, step, ends_on, others))
    return total or 0, rows


def blocked_for(kind: str) -> ColumnElement[bool]:
    """The condition, for queries, of a stored standing blocked by this kind of reason."""
    summary = Candidate.blocking_summary
    return and_(
        Candidate.is_blocked.is_(True), or_(*(summary.like(p) for p in BLOCK_KINDS[kind][1]))
    )


def blocked_by_reason(session: Session, user: User) -> list[tuple[str, str, int]]:
    """(kind, label, how many) of the stored blocking reasons in scope, largest first."""
    summary = Candidate.blocking_summary
    columns = [
        func.sum(case((or_(*(summary.like(p) for p in patterns)), 1), else_=0)).label(kind)
        for kind, (_label, patterns) in BLOCK_KINDS.items()
    ]
    stmt = scope_to_user(
        select(func.count(), *columns).where(Candidate.is_blocked.is_(True)),
        Candidate.party_school_id,
        user,
    )
    row = session.execute(stmt).one()
    counts = [
        (kind, label, int(row[index + 1] or 0))
        for index, (kind, (label, _patterns)) in enumerate(BLOCK_KINDS.items())
    ]
    return [entry for entry in sorted(counts, key=lambda e: -e[2]) if entry[2]]


def blocked_total(session: Session, user: User) -> int:
    """How many candidates in scope are blocked on their next step (stored standing)."""
    stmt = scope_to_user(
        select(func.count()).select_from(Candidate).where(Candidate.is_blocked.is_(True)),
        Candidate.party_school_id,
        user,
    )
    return session.scalar(stmt) or 0


def pending_volunteer_hours(session: Session, user: User) -> tuple[int, list[tuple]]:
    """How many volunteer logs in scope wait for approval, and the oldest few with their owner."""
    stmt = scope_to_user(
        select(VolunteerLog, Candidate)
        .join(Candidate, VolunteerLog.candidate_id == Candidate.id)
        .where(VolunteerLog.status == VolunteerStatus.PENDING),
        Candidate.party_school_id,
        user,
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(stmt.order_by(VolunteerLog.served_on).limit(QUEUE_SIZE)).all()
    return total or 0, [tuple(row) for row in rows]


def publicity_ending(
    session: Session, user: User, today: date, days: int = 7
) -> list[tuple[PublicityNotice, Candidate]]:
    """Publicity periods (公示) still pending that end within `days` or have ended unconfirmed."""
    stmt = scope_to_user(
        select(PublicityNotice, Candidate)
        .join(Candidate, PublicityNotice.candidate_id == Candidate.id)
        .where(
            PublicityNotice.outcome == PublicityOutcome.PENDING,
            PublicityNotice.ends_on <= today + timedelta(days=days),
        ),
        Candidate.party_school_id,
        user,
    )
    return [tuple(row) for row in session.execute(stmt.order_by(PublicityNotice.ends_on).limit(20))]


def pipeline(session: Session, user: User) -> dict[Stage, int]:
    """How many candidates in scope are at each stage, in pipeline order."""
    stmt = scope_to_user(
        select(Candidate.stage, func.count()).group_by(Candidate.stage),
        Candidate.party_school_id,
        user,
    )
    counts = dict(session.execute(stmt).all())
    return {stage: counts.get(stage, 0) for stage in Stage}


def pipeline_by_school(session: Session) -> dict[int, dict[Stage, int]]:
    """Candidates per stage of every party school, by school id."""
    rows = session.execute(
        select(Candidate.party_school_id, Candidate.stage, func.count()).group_by(
            Candidate.party_school_id, Candidate.stage
        )
    )
    table: dict[int, dict[Stage, int]] = {}
    for school_id, stage, count in rows:
        table.setdefault(school_id, {s: 0 for s in Stage})[stage] = count
    return table


def branch_schools(session: Session) -> Sequence[PartySchool]:
    """Every active party school, the school level first."""
    return session.scalars(
        select(PartySchool)
        .where(PartySchool.is_active.is_(True))
        .order_by(PartySchool.parent_id.is_not(None), PartySchool.id)
    ).all()
