"""Batches of 公示 (seed 000 §3 and §4): several candidates publicized for one step at the
places their level requires, named from their records; objections raised during the period
and their findings. The door through which notices and objections change.

Undergraduates are publicized in their district (学区) and at their college's building
(学院楼栋), issued by the district's 党总支, which develops them (seed 000 §1); graduates in
their college (学院) and their residence building (所住楼栋), issued by the college's 党总支
(§4). Functions take the session first and only flush; the request commits once.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool.accounts.models import User
from partyschool.audit import set_reason
from partyschool.candidates import identity, services
from partyschool.candidates.in_force import ruleset
from partyschool.candidates.models import (
    Candidate,
    ObjectionFinding,
    PublicityBatch,
    PublicityNotice,
    PublicityObjection,
)
from partyschool.candidates.rules import (
    STAGE_LABELS,
    STEP_LABELS,
    Level,
    PublicityOutcome,
    Step,
)
from partyschool.candidates.rulesets import RuleSet
from partyschool.candidates.services import RecordError, check_date

PUBLICIZED_STEPS = (Step.BECOME_PROBATIONARY, Step.CONFIRM)
# The kinds of place each level is publicized at, as the rule sets name them.
PLACE_KINDS = {
    Level.UNDERGRADUATE: ("学区", "学院楼栋"),
    Level.GRADUATE: ("学院", "所住楼栋"),
}
DEFAULT_MIN_DAYS = 5  # national practice: five working days
MAX_LEAD_DAYS = 30  # a notice is prepared at most a month before it is posted
MAX_BATCH = 200
# What each posted notice announces, after "经党支部研究、党总支审核".
LEADS = {
    Step.BECOME_PROBATIONARY: "拟接收以下同志为中共预备党员",
    Step.CONFIRM: "拟同意以下同志转为中共正式党员",
}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class BatchRefused(RecordError):
    """A batch was refused: nobody is publicized; carries each refused candidate's reasons."""

    def __init__(self, refusals: dict[Candidate, list[str]]):
        self.refusals = refusals
        names = "；".join(
            f"{c.name}（{c.student_no}）：{'、'.join(r)}" for c, r in refusals.items()
        )
        super().__init__(f"以下人员不能公示，本批次未创建：{names}")


@dataclass(frozen=True)
class ObjectionContact:
    """Whom to tell an objection: a person and a phone number or an e-mail address."""

    person: str
    phone: str = ""
    email: str = ""

    def checked(self) -> "ObjectionContact":
        """The contact trimmed, or RecordError when it cannot be reached."""
        person, phone, email = ((v or "").strip() for v in (self.person, self.phone, self.email))
        if not person:
            raise RecordError("请填写受理异议的联系人")
        if not phone and not email:
            raise RecordError("请填写受理异议的联系电话或电子邮箱")
        if phone and not identity.PHONE.fullmatch(phone):
            raise RecordError("联系电话无效，只能是数字（可含 + 和 -）")
        if email and not EMAIL.fullmatch(email):
            raise RecordError("电子邮箱无效")
        return ObjectionContact(person[:100], phone[:40], email[:120])


def _named_places(candidate: Candidate) -> list[tuple[str, str | None, str]]:
    """Each kind of place the candidate's level is publicized at, with its name from the
    record (None when the record cannot name it) and what the record then lacks."""
    college, room = candidate.college, candidate.room
    district = candidate.district or (room.building.district if room else None)
    building = room.building.name if room else None
    if candidate.level is Level.GRADUATE:
        names = (college.name if college else None, building)
        missing = ("未登记学院", "未登记所住寝室楼栋")
    else:
        college_building = college.notice_building if college else None
        names = (district.name if district else None, college_building)
        missing = (
            "未登记学区",
            f"学院（{college.name}）未设置公示楼栋" if college else "未登记学院",
        )
    kinds = PLACE_KINDS[candidate.level]
    return list(zip(kinds, names, missing, strict=True))


def places_of(candidate: Candidate) -> tuple[list[tuple[str, str]], list[str]]:
    """The (kind, name) places the candidate is publicized at, and what the record lacks to
    name them."""
    named = _named_places(candidate)
    return [(k, n) for k, n, _ in named if n], [text for _, n, text in named if not n]


def covered_places(candidate: Candidate, step: Step) -> set[str]:
    """The kinds of place where the candidate's publicity for the step runs or has passed."""
    return {
        place
        for notice in candidate.publicity_notices
        if notice.step == step and notice.outcome is not PublicityOutcome.FAILED
        for place in notice.places
    }


def places_to_publicize(
    candidate: Candidate, step: Step
) -> tuple[list[tuple[str, str]], list[str]]:
    """Like places_of, but only the places the step still lacks a notice at (running or
    passed): a publicity passed at one place is completed at the others only."""
    covered = covered_places(candidate, step)
    named = [item for item in _named_places(candidate) if item[0] not in covered]
    return [(k, n) for k, n, _ in named if n], [text for _, n, text in named if not n]


def needs_publicity(candidate: Candidate, step: Step) -> bool:
    """True when some place the candidate's level is publicized at lacks a notice for the
    step that runs or has passed."""
    return not set(PLACE_KINDS[candidate.level]) <= covered_places(candidate, step)


def issuer_of(candidate: Candidate) -> str | None:
    """The 党总支 that issues the candidate's notice: the district's for undergraduates (seed
    000 §1), the college's for graduates (§4); None when the record lacks it."""
    if candidate.level is Level.GRADUATE:
        return f"{candidate.college.name}党总支" if candidate.college else None
    room = candidate.room
    district = candidate.district or (room.building.district if room else None)
    return f"{district.name}党总支" if district else None


def min_days(active: RuleSet, step: Step, level: Level) -> int:
    """The shortest period the rule set allows for publicizing this step at this level."""
    days = [
        check.params["min_days"]
        for check in active.steps.get(step, ())
        if check.kind == "publicity" and (not check.levels or level in check.levels)
    ]
    return max(days, default=DEFAULT_MIN_DAYS)


def _publicity_rules(active: RuleSet, step: Step) -> set[str]:
    return {check.rule for check in active.steps.get(step, ()) if check.kind == "publicity"}


def _check_period(starts_on: date, ends_on: date, needed: int, today: date) -> None:
    if starts_on < today:
        raise RecordError(f"公示开始日期（{starts_on.isoformat()}）不能早于今天")
    if starts_on > today + timedelta(days=MAX_LEAD_DAYS):
        raise RecordError(f"公示开始日期（{starts_on.isoformat()}）不能晚于{MAX_LEAD_DAYS}天后")
    if ends_on < starts_on:
        raise RecordError("公示结束日期不能早于开始日期")
    if (ends_on - starts_on).days + 1 < needed:
        raise RecordError(f"公示期不得少于{needed}天（含首尾两天）")


def _refusals(
    session: Session, candidates: Sequence[Candidate], step: Step, active: RuleSet, today: date
) -> dict[Candidate, list[str]]:
    """Each candidate's reasons not to be publicized: the engine's blocking reasons but the
    publicity itself, notices already running or passed at every place, and places still to
    publicize that the record cannot name."""
    decisions = services.decide_step_for(session, candidates, step, today)
    ignored = _publicity_rules(active, step)
    refusals = {}
    for candidate in candidates:
        reasons = [r.message for r in decisions[candidate.id].blocking if r.rule not in ignored]
        if not needs_publicity(candidate, step):
            reasons.append(f"已有“{STEP_LABELS[step]}”的公示（公示中或已通过）")
        _, missing = places_to_publicize(candidate, step)
        reasons += missing
        if issuer_of(candidate) is None and not missing:
            reasons.append("无法确定发布公示的党总支")
        if reasons:
            refusals[candidate] = reasons
    return refusals


def start_batch(
    session: Session,
    candidates: Sequence[Candidate],
    step: Step,
    starts_on: date,
    ends_on: date,
    contact: ObjectionContact,
    actor: User,
    today: date,
) -> PublicityBatch:
    """Publicize several candidates of one branch school for a step, all or none: each must be
    at the right stage and meet every other rule of the step, and is publicized at the places
    where no notice for the step runs or has passed; the period must be at least the rule
    set's and start between today and a month from now."""
    if step not in PUBLICIZED_STEPS:
        raise RecordError("只有“接收为预备党员”和“预备党员转正”需要公示")
    if not candidates:
        raise RecordError("请至少选择一名公示对象")
    if len(candidates) > MAX_BATCH:
        raise RecordError(f"一批公示最多{MAX_BATCH}人")
    schools = {c.party_school_id for c in candidates}
    if len(schools) != 1:
        raise RecordError("一批公示只能包含同一分党校的人员")
    contact = contact.checked()
    active = ruleset(today)
    needed = max(min_days(active, step, c.level) for c in candidates)
    _check_period(starts_on, ends_on, needed, today)
    # Two organizers publicizing the same person at once: the second waits and is refused.
    ids = sorted(c.id for c in candidates)
    session.execute(select(Candidate.id).where(Candidate.id.in_(ids)).with_for_update())
    for candidate in candidates:
        session.expire(candidate, ["publicity_notices"])
    refusals = _refusals(session, candidates, step, active, today)
    if refusals:
        raise BatchRefused(refusals)
    batch = PublicityBatch(
        party_school_id=schools.pop(),
        step=step,
        starts_on=starts_on,
        ends_on=ends_on,
        contact_person=contact.person,
        contact_phone=contact.phone,
        contact_email=contact.email,
        created_by_id=actor.id,
    )
    session.add(batch)
    for candidate in candidates:
        places, _ = places_to_publicize(candidate, step)
        candidate.publicity_notices.append(
            PublicityNotice(
                batch=batch,
                step=step,
                places=[kind for kind, _ in places],
                place_names=[name for _, name in places],
                issuer=issuer_of(candidate),
                starts_on=starts_on,
                ends_on=ends_on,
                recorded_by_id=actor.id,
            )
        )
    session.flush()
    services.refresh(session, candidates, today)
    return batch


def _settled(session: Session, notice: PublicityNotice, today: date) -> None:
    notice.has_unresolved_objection = any(o.resolved_on is None for o in notice.raised_objections)
    session.flush()
    candidate = session.get(Candidate, notice.candidate_id)
    services.refresh(session, [candidate], today)


def raise_objection(
    session: Session,
    notice: PublicityNotice,
    raised_by: str,
    raised_on: date,
    content: str,
    actor: User,
    today: date,
) -> PublicityObjection:
    """Record an objection raised during the period (who raised it, if they said); the step
    waits until it is resolved. One raised after the period ends is not accepted."""
    content = (content or "").strip()
    if not content:
        raise RecordError("请填写反映的问题")
    if notice.outcome is not PublicityOutcome.PENDING:
        raise RecordError("该公示已有结果，不能再登记异议")
    check_date(raised_on, "反映日期", today, after=notice.starts_on)
    if raised_on > notice.ends_on:
        raise RecordError(
            f"公示期已于{notice.ends_on.isoformat()}结束，期满后反映的问题不作为公示异议受理"
        )
    objection = PublicityObjection(
        candidate_id=notice.candidate_id,
        raised_by=(raised_by or "").strip()[:100],
        raised_on=raised_on,
        content=content[:5000],
        recorded_by_id=actor.id,
    )
    notice.raised_objections.append(objection)
    _settled(session, notice, today)
    return objection


def resolve_objection(
    session: Session,
    objection: PublicityObjection,
    finding: ObjectionFinding,
    note: str,
    resolved_on: date,
    actor: User,
    today: date,
) -> None:
    """Resolve an objection with what checking it found (查实 or 不属实) and a note; a
    substantiated one fails the notice, so the step does not proceed on it."""
    if objection.resolved_on is not None:
        raise RecordError("该异议已处理")
    note = (note or "").strip()
    if not note:
        raise RecordError("请填写核查说明")
    check_date(resolved_on, "处理日期", today, after=objection.raised_on)
    notice, actor_id = objection.notice, actor.id  # loaded first: one change, one entry
    objection.finding, objection.finding_note = ObjectionFinding(finding), note[:500]
    objection.resolved_on, objection.resolved_by_id = resolved_on, actor_id
    if objection.finding is ObjectionFinding.SUBSTANTIATED:
        notice.outcome = PublicityOutcome.FAILED
    set_reason(session, objection.finding_note)
    _settled(session, notice, today)


def conclude_batch(session: Session, batch: PublicityBatch, today: date) -> dict[str, int]:
    """After the period, record each pending notice's result: passed, or failed where an
    objection was substantiated; refused while any objection is unresolved, and once no
    notice is pending. The counts are of the whole batch, passed and failed."""
    if batch.ends_on >= today:
        raise RecordError(f"公示期至{batch.ends_on.isoformat()}，期满后才能确认结果")
    pending = [n for n in batch.notices if n.outcome is PublicityOutcome.PENDING]
    open_ = [n for n in pending if any(o.resolved_on is None for o in n.raised_objections)]
    if open_:
        names = "、".join(session.get(Candidate, n.candidate_id).name for n in open_)
        raise RecordError(f"以下人员的公示异议尚未处理：{names}")
    if not pending:
        counts = _outcome_counts(batch)
        raise RecordError(
            f"本批公示的结果已经确认（通过{counts['passed']}人，未通过{counts['failed']}人），"
            "无需再次确认"
        )
    for notice in pending:
        substantiated = any(
            o.finding is ObjectionFinding.SUBSTANTIATED for o in notice.raised_objections
        )
        notice.outcome = PublicityOutcome.FAILED if substantiated else PublicityOutcome.PASSED
    session.flush()
    candidates = [session.get(Candidate, n.candidate_id) for n in batch.notices]
    services.refresh(session, candidates, today)
    return _outcome_counts(batch)


def _outcome_counts(batch: PublicityBatch) -> dict[str, int]:
    """How many of the batch's notices passed and failed; a notice failed by a substantiated
    objection during the period is one of them."""
    counts = {"passed": 0, "failed": 0}
    for notice in batch.notices:
        if notice.outcome is not PublicityOutcome.PENDING:
            counts[notice.outcome.value] += 1
    return counts


# --- The notices as they are posted: one per place, as plain data for the page and the PDF ---


@dataclass(frozen=True)
class PostedPerson:
    """One person on a posted notice."""

    name: str
    college: str
    class_name: str
    stage: str


@dataclass(frozen=True)
class PostedNotice:
    """The notice posted at one place: where, by whom, for how long, whom to tell, and who."""

    title: str
    lead: str
    place_kind: str
    place: str
    issuer: str
    starts_on: date
    ends_on: date
    contact: ObjectionContact
    people: list[PostedPerson] = field(default_factory=list)


def posted_notices(session: Session, batch: PublicityBatch) -> list[PostedNotice]:
    """The batch split into one notice per place and issuing 党总支, people by student number."""
    title = f"关于{STEP_LABELS[batch.step]}人选的公示"
    contact = ObjectionContact(batch.contact_person, batch.contact_phone, batch.contact_email)
    by_place: dict[tuple[str, str, str], list[tuple[str, PostedPerson]]] = {}
    rows = session.execute(
        select(PublicityNotice, Candidate)
        .join(Candidate, Candidate.id == PublicityNotice.candidate_id)
        .where(PublicityNotice.batch_id == batch.id)
    )
    for notice, candidate in rows:
        person = PostedPerson(
            candidate.name,
            candidate.college.name if candidate.college else "",
            candidate.class_name,
            STAGE_LABELS[candidate.stage],
        )
        for kind, name in zip(notice.places, notice.place_names, strict=False):
            by_place.setdefault((notice.issuer, kind, name), []).append(
                (candidate.student_no, person)
            )
    return [
        PostedNotice(
            title,
            LEADS[batch.step],
            kind,
            name,
            issuer,
            batch.starts_on,
            batch.ends_on,
            contact,
            [person for _, person in sorted(people, key=lambda p: p[0])],
        )
        for (issuer, kind, name), people in sorted(by_place.items(), key=_place_order)
    ]


def _place_order(item) -> tuple:
    (issuer, kind, name), _ = item
    kinds = [kind for kinds in PLACE_KINDS.values() for kind in kinds]
    return issuer, kinds.index(kind) if kind in kinds else len(kinds), name
