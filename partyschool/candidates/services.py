"""Loading records, asking the rules engine, and changing records the way the rules allow.

Functions take the session first and only flush; the request (or command) commits once.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, bindparam, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from partyschool.accounts.models import Role, User
from partyschool.accounts.notifications import notify
from partyschool.audit import set_reason
from partyschool.candidates import identity, rules, rulesets
from partyschool.candidates.in_force import forget_rulesets_in_force, ruleset, ruleset_key
from partyschool.candidates.models import (
    Candidate,
    DormRating,
    OpinionSource,
    ProbationAction,
    ProbationDecision,
    ReviewKind,
    RuleSetChoice,
    StageChange,
    VolunteerStatus,
)
from partyschool.candidates.reports import models as _reports  # noqa: F401 - joins the record
from partyschool.candidates.rules import Decision, Stage, Step, VetoHolder
from partyschool.candidates.rulesets import RuleSet

# The step that moves a candidate out of each stage, and the stage it leads to.
PROMOTIONS: dict[Stage, tuple[Step, Stage]] = {
    Stage.APPLICANT: (Step.BECOME_ACTIVIST, Stage.ACTIVIST),
    Stage.ACTIVIST: (Step.BECOME_CANDIDATE, Stage.CANDIDATE),
    Stage.CANDIDATE: (Step.BECOME_PROBATIONARY, Stage.PROBATIONARY),
    Stage.PROBATIONARY: (Step.CONFIRM, Stage.MEMBER),
}
OPINION_HOLDERS = {
    OpinionSource.COLLEGE: VetoHolder.COLLEGE,
    OpinionSource.TEACHER: VetoHolder.TEACHER,
}
# Everything the rules read, loaded for a whole page of candidates in a fixed number of queries.
RECORD_OPTIONS = (
    selectinload(Candidate.stage_changes),
    selectinload(Candidate.experiences),
    selectinload(Candidate.vetoes),
    selectinload(Candidate.volunteer_logs),
    selectinload(Candidate.trainings),
    selectinload(Candidate.publicity_notices),
    selectinload(Candidate.reviews),
    selectinload(Candidate.opinions),
    selectinload(Candidate.probation_decisions),
    selectinload(Candidate.thought_reports),
    selectinload(Candidate.half_year_assessments),
)


class EligibilityError(ValueError):
    """A step was refused by the rules engine; carries the decision with every reason."""

    def __init__(self, decision: Decision):
        super().__init__("；".join(r.message for r in decision.blocking))
        self.decision = decision


class RecordError(ValueError):
    """A change to a record was refused; the message is shown to the user."""


def choose_ruleset(
    session: Session, chosen: RuleSet, effective_from: date, reason: str, actor: User, today: date
) -> RuleSetChoice:
    """Put a rule set in force from a day on (a school admin's decision, with the reason).
    Decisions already taken keep the version that judged them."""
    if actor.role is not Role.SCHOOL_ADMIN:
        raise RecordError("只有校党校管理员可以更换发展规则")
    if effective_from < today:
        raise RecordError("生效日期不能早于今天：已作出的决定仍按当时的规则")
    key = ruleset_key(chosen)
    same_key = session.scalars(select(RuleSetChoice).where(RuleSetChoice.ruleset == key))
    if any(c.definition != chosen.to_dict() for c in same_key):
        raise RecordError(f"版本 {key} 已用于另一份规则，请为修改后的规则提高版本号")
    choice = RuleSetChoice(
        ruleset=key,
        definition=chosen.to_dict(),
        effective_from=effective_from,
        reason=_required_reason(reason),
        chosen_by_id=actor.id,
    )
    session.add(choice)
    session.flush()
    forget_rulesets_in_force()
    return choice


def candidate_of(session: Session, user: User) -> Candidate | None:
    """The user's own candidate record (an activist's development file), if they have one."""
    return session.scalar(select(Candidate).where(Candidate.user_id == user.id))


def ratings_by_room(session: Session, room_ids: Iterable[int | None]) -> dict[int, list]:
    """The dormitory ratings of these rooms, in one query."""
    ids = {room_id for room_id in room_ids if room_id is not None}
    ratings: dict[int, list] = defaultdict(list)
    if ids:
        for rating in session.scalars(select(DormRating).where(DormRating.room_id.in_(ids))):
            ratings[rating.room_id].append(rating)
    return ratings


def facts_for(candidate: Candidate, ratings: Sequence[DormRating]) -> rules.CandidateFacts:
    """The plain facts of a record, as the rules engine reads them."""
    reviews = {kind: False for kind in ReviewKind}
    for review in sorted(candidate.reviews, key=lambda r: r.decided_on):
        reviews[review.kind] = review.is_passed
    approved_hours = sum(
        (log.hours for log in candidate.volunteer_logs if log.status is VolunteerStatus.APPROVED),
        Decimal(0),
    )
    return rules.CandidateFacts(
        student_no=candidate.student_no,
        level=candidate.level,
        stage=candidate.stage,
        stage_history=tuple((c.stage, c.entered_on) for c in candidate.stage_changes),
        is_league_member=candidate.is_league_member,
        has_league_recommendation=candidate.league_recommended_on is not None,
        experiences=tuple(
            rules.Experience(e.kind, e.is_verified, e.evidence) for e in candidate.experiences
        ),
        dorm_ratings=tuple(rules.DormRating(r.term, r.grade, r.rectified_on) for r in ratings),
        vetoes=(
            *(rules.Veto(v.holder, v.reason, v.decided_on, v.lifted_on) for v in candidate.vetoes),
            *_opinion_vetoes(candidate.opinions),
        ),
        approved_volunteer_hours=approved_hours,
        trainings=tuple(
            rules.TrainingCompletion(t.target_stage, t.completed_on, t.certificate_serial)
            for t in candidate.trainings
        ),
        publicity=tuple(
            rules.Publicity(
                p.step,
                tuple(p.places),
                p.starts_on,
                p.ends_on,
                p.has_unresolved_objection,
                p.outcome,
            )
            for p in candidate.publicity_notices
        ),
        political_review_passed=reviews[ReviewKind.POLITICAL],
        pre_review_passed=reviews[ReviewKind.PRE],
        academic_ok=candidate.is_academic_ok is True,
        probation_extension_days=sum(d.extension_days for d in candidate.probation_decisions),
        probation_cancelled_on=next(
            (d.decided_on for d in candidate.probation_decisions if d.action == "cancel"), None
        ),
        is_outstanding_class=candidate.is_outstanding_class,
        thought_report_dates=tuple(r.submitted_on for r in candidate.thought_reports),
        assessment_periods=tuple(a.period for a in candidate.half_year_assessments),
    )


def _opinion_vetoes(opinions) -> Iterable[rules.Veto]:
    """An unfavourable opinion of the college party organization or a course teacher binds
    like their veto (seed 000 §1: 建议权和否决权) until it is resolved."""
    for opinion in opinions:
        if not opinion.is_favourable:
            reason = f"不同意意见（{opinion.author}）：{opinion.content[:100]}"
            yield rules.Veto(
                OPINION_HOLDERS[opinion.source], reason, opinion.given_on, opinion.resolved_on
            )


@dataclass(frozen=True)
class Assessment:
    """A candidate with the engine's decision on every next step, as of a date."""

    candidate: Candidate
    decisions: dict[Step, Decision]
    on: date

    @property
    def promotion(self) -> Decision | None:
        """The decision on the step that leads to the next stage, if there is one."""
        step = PROMOTIONS.get(self.candidate.stage, (None,))[0]
        return self.decisions.get(step)


def assess(
    session: Session,
    candidates: Sequence[Candidate],
    today: date,
    active: RuleSet | None = None,
) -> list[Assessment]:
    """Ask the engine about each candidate (records loaded with RECORD_OPTIONS), under the
    rule set in force unless another is given."""
    active = active or ruleset(today)
    ratings = ratings_by_room(session, (c.room_id for c in candidates))
    return [
        Assessment(c, rulesets.evaluate(facts_for(c, ratings[c.room_id]), active, today), today)
        for c in candidates
    ]


def decide_step(session: Session, candidate: Candidate, step: Step, today: date) -> Decision:
    """The engine's decision on one step, whatever the candidate's stage (wrong stage: a reason)."""
    return decide_step_for(session, [candidate], step, today)[candidate.id]


def decide_step_for(
    session: Session, candidates: Sequence[Candidate], step: Step, today: date
) -> dict[int, Decision]:
    """The engine's decision on one step for many candidates (records loaded with
    RECORD_OPTIONS for a constant number of queries), by candidate id."""
    active = ruleset(today)
    ratings = ratings_by_room(session, (c.room_id for c in candidates))
    return {
        c.id: rulesets.evaluate_step(facts_for(c, ratings[c.room_id]), active, step, today)
        for c in candidates
    }


def load(session: Session, stmt: Select) -> list[Candidate]:
    """Candidates of a query with everything the rules read."""
    return list(session.scalars(stmt.options(*RECORD_OPTIONS)))


def refresh(session: Session, candidates: Sequence[Candidate], today: date) -> None:
    """Store each candidate's current standing, so long lists can filter by it."""
    key = ruleset_key(ruleset(today))
    rows = []
    for assessment in assess(session, candidates, today):
        candidate, decision = assessment.candidate, assessment.promotion
        standing = {
            "evaluated_on": today,
            "evaluated_ruleset": key,
            "next_step": decision.step if decision else None,
            "is_blocked": bool(decision and not decision.eligible),
            "blocking_summary": "；".join(r.message for r in decision.blocking) if decision else "",
        }
        if candidate.is_blocked and decision and decision.eligible:  # the wait is over: say so
            notify(
                session,
                candidate.user_id,
                f"您已符合“{rules.STEP_LABELS[decision.step]}”的条件，请与组织员联系",
                "/my/record",
            )
        for attribute, value in standing.items():
            set_committed_value(candidate, attribute, value)
        rows.append({"candidate_id": candidate.id, **standing})
    if rows:  # one statement for the whole batch: a derived cache, not a fact to audit
        table = Candidate.__table__
        stmt = update(table).where(table.c.id == bindparam("candidate_id"))
        session.execute(
            stmt.values({key: bindparam(key) for key in rows[0] if key != "candidate_id"}), rows
        )


def refresh_where(session: Session, stmt: Select, today: date, batch: int = 500) -> int:
    """Refresh the stored standing of every candidate a query selects; returns the count."""
    ids = list(session.scalars(stmt.with_only_columns(Candidate.id).order_by(Candidate.id)))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        refresh(session, load(session, select(Candidate).where(Candidate.id.in_(chunk))), today)
        session.flush()
    return len(ids)


def stale(today: date):
    """The ids of candidates judged on another day or by another rule set than today's: each
    term its own index lookup (an OR of them would scan every record on each list view)."""
    key = ruleset_key(ruleset(today))
    on, by = Candidate.evaluated_on, Candidate.evaluated_ruleset
    return union(
        *(
            select(Candidate.id).where(term)
            for term in (on.is_(None), on < today, on > today, by.is_(None), by < key, by > key)
        )
    )


def refresh_stale(session: Session, stmt: Select, today: date) -> int:
    """Refresh the stored standing of the candidates a query selects that the rules in force
    have not judged today, so lists and exports never show a standing those rules would not
    give (waiting periods end with the calendar); when all are fresh, a few index lookups."""
    judged = stale(today).subquery()
    if session.scalar(select(judged.c.id).limit(1)) is None:
        return 0
    return refresh_where(session, stmt.where(Candidate.id.in_(select(judged.c.id))), today)


# --- The one door: every change to a record goes through the functions below ----------------

EARLIEST = date(1949, 10, 1)


def check_date(value: date | None, label: str, today: date, *, after: date | None = None) -> None:
    """Refuse a date in the future, before `after`, or before any plausible record."""
    if value is None:
        return
    if value > today:
        raise RecordError(f"{label}（{value.isoformat()}）不能晚于今天")
    if value < EARLIEST:
        raise RecordError(f"{label}（{value.isoformat()}）早于{EARLIEST.isoformat()}，请核对")
    if after is not None and value < after:
        raise RecordError(f"{label}（{value.isoformat()}）不能早于{after.isoformat()}")


@dataclass(frozen=True)
class FactKind:
    """A kind of fact an organizer records: where it goes, its title, its dated fields."""

    collection: str
    title: str
    dates: Mapping[str, str]  # attribute -> Chinese label
    # False for facts another door records (a training completion: the certificates' door);
    # they can still be withdrawn here with a reason.
    is_recorded_here: bool = True

    @property
    def model(self) -> type:
        """The mapped class of the fact."""
        return Candidate.__mapper__.relationships[self.collection].mapper.class_


FACT_KINDS = {
    "experience": FactKind("experiences", "“三个经历”", {"occurred_on": "时间"}),
    "veto": FactKind("vetoes", "否决意见", {"decided_on": "决定日期"}),
    "volunteer": FactKind("volunteer_logs", "义工服务", {"served_on": "服务日期"}),
    "publicity": FactKind("publicity_notices", "公示", {"starts_on": "开始日期"}),
    "talk": FactKind("talks", "谈话", {"talked_on": "谈话日期"}),
    "review": FactKind("reviews", "政审或预审", {"decided_on": "日期"}),
    "contact": FactKind("contacts", "培养联系人或入党介绍人", {"assigned_on": "确定日期"}),
    "training": FactKind(
        "trainings", "党校培训结业", {"completed_on": "结业日期"}, is_recorded_here=False
    ),
    "opinion": FactKind(
        "opinions", "学院或任课教师意见", {"given_on": "日期", "resolved_on": "解决日期"}
    ),
}


def _check_fact(kind: FactKind, values: Mapping, today: date) -> None:
    for attribute, label in kind.dates.items():
        check_date(values.get(attribute), label, today)
    if kind.collection == "opinions" and values.get("resolved_on"):
        check_date(values["resolved_on"], "解决日期", today, after=values.get("given_on"))
    if kind.collection == "publicity_notices":
        if values["ends_on"] < values["starts_on"]:
            raise RecordError("公示结束日期不能早于开始日期")
        if values.get("outcome") not in (None, "pending") and values["ends_on"] > today:
            raise RecordError("公示期结束后才能记录公示结果")


def _check_account(session: Session, candidate: Candidate, values: Mapping) -> None:
    """A contact's account must be staff of the candidate's branch school or the school level."""
    if not values.get("user_id"):
        return
    user = session.get(User, values["user_id"])
    if (
        user is None
        or user.role is Role.ACTIVIST
        or not (user.has_school_scope or user.party_school_id == candidate.party_school_id)
    ):
        raise RecordError("该账号不能作为此学生的培养联系人")


def record_fact(
    session: Session, candidate: Candidate, kind: str, values: Mapping, actor: User, today: date
):
    """Record a fact of this kind on the record; an organizer's volunteer hours count at once,
    a trainee's wait for review."""
    fact_kind = FACT_KINDS[kind]
    _check_fact(fact_kind, values, today)
    _check_account(session, candidate, values)
    fact = fact_kind.model(recorded_by_id=actor.id, **values)
    if kind == "volunteer" and actor.role is not Role.ACTIVIST:
        fact.status, fact.reviewed_by_id = VolunteerStatus.APPROVED, actor.id
    getattr(candidate, fact_kind.collection).append(fact)
    _changed(session, candidate, today)
    return fact


def find_fact(candidate: Candidate, kind: str, fact_id: int):
    """The fact of this kind and id on this record, or None."""
    facts = getattr(candidate, FACT_KINDS[kind].collection)
    return next((fact for fact in facts if fact.id == fact_id), None)


def correct_fact(
    session: Session, candidate: Candidate, kind: str, fact, values: Mapping, reason: str, today
) -> None:
    """Correct a fact recorded by mistake; the audit trail keeps the old values and why."""
    if getattr(fact, "batch_id", None) is not None:  # its objections and result have their door
        raise RecordError("批次公示的异议和结果请在公示批次页面处理")
    _check_fact(FACT_KINDS[kind], values, today)
    _check_account(session, candidate, values)
    for attribute, value in values.items():
        setattr(fact, attribute, value)
    set_reason(session, _required_reason(reason))
    _changed(session, candidate, today)


def withdraw_fact(session: Session, candidate: Candidate, kind: str, fact, reason: str, today):
    """Withdraw a fact recorded by mistake; the audit trail keeps what it said and why. A
    completion this platform's certificate stands behind goes only with the certificate."""
    if kind == "training" and fact.certificate_serial:
        raise RecordError("本平台证书的结业记录随证书撤销而撤回，请到该证书页面办理")
    set_reason(session, _required_reason(reason))
    getattr(candidate, FACT_KINDS[kind].collection).remove(fact)
    session.delete(fact)  # explicit, so the audit trail sees the delete (orphans are implicit)
    _changed(session, candidate, today)


def lift_veto(session: Session, candidate: Candidate, veto, lifted_on: date, reason: str, today):
    """Lift a standing veto on a date, with the reason."""
    check_date(lifted_on, "撤销日期", today, after=veto.decided_on)
    veto.lifted_on, veto.lift_reason = lifted_on, _required_reason(reason)
    _changed(session, candidate, today)


def review_volunteer(
    session: Session, candidate: Candidate, log, status: VolunteerStatus, note: str, actor, today
) -> None:
    """Approve or reject volunteer hours a trainee logged."""
    log.status, log.reviewed_by_id, log.review_note = status, actor.id, note or ""
    _changed(session, candidate, today)


def update_standing(session: Session, candidate: Candidate, values: Mapping, today: date) -> None:
    """Change the League recommendation, academic standing and outstanding-class flag."""
    check_date(values.get("league_recommended_on"), "团组织推优日期", today)
    for attribute, value in values.items():
        setattr(candidate, attribute, value)
    _changed(session, candidate, today)


def rate_room(
    session: Session, room, term: str, grade, rectified_on: date | None, note: str | None, today
) -> DormRating:
    """Rate a dormitory room for a term (or record its rectification); re-judges its members."""
    check_date(rectified_on, "整改日期", today)
    rating = session.scalar(
        select(DormRating).where(DormRating.room_id == room.id, DormRating.term == term)
    ) or DormRating(room=room, term=term)
    rating.grade, rating.rectified_on, rating.note = grade, rectified_on, note or ""
    session.add(rating)
    session.flush()
    refresh(session, load(session, select(Candidate).where(Candidate.room_id == room.id)), today)
    return rating


def update_identity(session: Session, candidate: Candidate, values: Mapping, today: date) -> None:
    """Set the identity a Party file needs: the 身份证号 is checked (GB 11643) and agrees with
    the birth date and gender, which it fills in when they are left blank."""
    values = dict(values)
    if values.get("gender") not in (None, "", *identity.GENDERS):
        raise RecordError("性别无效")
    try:
        if values.get("id_number"):
            number = values["id_number"] = identity.check_id_number(values["id_number"])
            born, gender = identity.birth_date_of(number), identity.gender_of(number)
            if values.get("birth_date") not in (None, born):
                raise RecordError("出生日期与身份证号不一致")
            if values.get("gender") not in (None, "", gender):
                raise RecordError("性别与身份证号不一致")
            values["birth_date"], values["gender"] = born, gender
    except identity.IdentityError as error:
        raise RecordError(str(error)) from None
    check_date(values.get("birth_date"), "出生日期", today)
    if values.get("phone") and not identity.PHONE.fullmatch(values["phone"]):
        raise RecordError("手机号码无效，只能是数字（可含 + 和 -）")
    for attribute, value in values.items():
        setattr(candidate, attribute, value or None)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise RecordError("该身份证号已登记在另一名学生的档案中") from None
    refresh(session, [candidate], today)


def _required_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RecordError("请填写原因")
    return reason[:500]


def _changed(session: Session, candidate: Candidate, today: date) -> None:
    session.flush()
    refresh(session, [candidate], today)


def promote(
    session: Session,
    candidate: Candidate,
    actor: User,
    on: date,
    today: date,
    override_reason: str | None = None,
    expected_stage: Stage | None = None,
) -> StageChange:
    """Move a candidate to the next stage if the engine allows it, on a date no earlier than
    the current stage's and not in the future; the change keeps the rule set that judged it.

    A school admin may override a refusal with a written reason, which the audit trail keeps.
    Concurrent promotions of one candidate queue on its row, and each names the stage it saw
    (`expected_stage`), so two clicks make one change; the database admits one per stage.
    """
    session.refresh(candidate, with_for_update=True)
    session.expire(candidate, ["stage_changes"])
    if expected_stage is not None and candidate.stage != expected_stage:
        raise RecordError("档案的阶段已被他人变更，请刷新页面后再操作")
    if candidate.stage not in PROMOTIONS:
        raise RecordError("正式党员已是最后一个阶段")
    step, next_stage = PROMOTIONS[candidate.stage]
    latest = max((c.entered_on for c in candidate.stage_changes), default=None)
    check_date(on, "变更日期", today, after=latest)
    active = ruleset(today)
    decision = assess(session, [candidate], today)[0].decisions.get(step)
    override_reason = (override_reason or "").strip() or None
    if decision is not None and not decision.eligible:
        if override_reason is None:
            raise EligibilityError(decision)
        if actor.role is not Role.SCHOOL_ADMIN:
            raise RecordError("只有校党校管理员可以在规则不允许时强制变更阶段")
        set_reason(session, override_reason)
    change = StageChange(
        stage=next_stage,
        entered_on=on,
        recorded_by=actor,
        override_reason=override_reason,
        ruleset=ruleset_key(active),
    )
    candidate.stage_changes.append(change)
    candidate.stage = next_stage
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise RecordError(f"该学生已是{rules.STAGE_LABELS[next_stage]}") from None
    refresh(session, [candidate], today)
    return change


MAX_EXTENSION_MONTHS = 12  # 预备期延长不能超过一年


def decide_probation(
    session: Session,
    candidate: Candidate,
    action: ProbationAction,
    on: date,
    reason: str,
    actor: User,
    today: date,
    months: int | None = None,
) -> ProbationDecision:
    """延长预备期 or 取消预备党员资格: a stage decision, dated no earlier than the probation
    began and not in the future, with its reason and the rule set in force; like a promotion
    it queues on the candidate's row."""
    session.refresh(candidate, with_for_update=True)
    session.expire(candidate, ["stage_changes", "probation_decisions"])
    if candidate.stage is not Stage.PROBATIONARY:
        raise RecordError("只有预备党员可以延长预备期或取消预备党员资格")
    if any(d.action is ProbationAction.CANCEL for d in candidate.probation_decisions):
        raise RecordError("已取消预备党员资格")
    began = max(c.entered_on for c in candidate.stage_changes if c.stage is Stage.PROBATIONARY)
    check_date(on, "决定日期", today, after=began)
    if action is ProbationAction.EXTEND:
        extended = sum(d.months or 0 for d in candidate.probation_decisions)
        if not months or months < 1 or extended + months > MAX_EXTENSION_MONTHS:
            left = MAX_EXTENSION_MONTHS - extended
            raise RecordError(f"延长预备期须为 1 至 {left} 个月（累计不超过一年）")
    else:
        months = None
    decision = ProbationDecision(
        action=action,
        decided_on=on,
        months=months,
        reason=_required_reason(reason),
        ruleset=ruleset_key(ruleset(today)),
        recorded_by=actor,
    )
    candidate.probation_decisions.append(decision)
    set_reason(session, decision.reason)
    _changed(session, candidate, today)
    return decision
