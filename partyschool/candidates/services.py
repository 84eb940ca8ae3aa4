"""Loading records, asking the rules engine, and changing records the way the rules allow.

Functions take the session first and only flush; the request (or command) commits once.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from partyschool.accounts.models import Role, User
from partyschool.audit import set_reason
from partyschool.candidates import rules
from partyschool.candidates.models import (
    Candidate,
    DormRating,
    ReviewKind,
    StageChange,
    VolunteerStatus,
)
from partyschool.candidates.rules import Decision, Stage, Step
from partyschool.candidates.rulesets import RULESETS, RuleSet, ruleset_from_dict

# The step that moves a candidate out of each stage, and the stage it leads to.
PROMOTIONS: dict[Stage, tuple[Step, Stage]] = {
    Stage.APPLICANT: (Step.BECOME_ACTIVIST, Stage.ACTIVIST),
    Stage.ACTIVIST: (Step.BECOME_CANDIDATE, Stage.CANDIDATE),
    Stage.CANDIDATE: (Step.BECOME_PROBATIONARY, Stage.PROBATIONARY),
    Stage.PROBATIONARY: (Step.CONFIRM, Stage.MEMBER),
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
)


class EligibilityError(ValueError):
    """A step was refused by the rules engine; carries the decision with every reason."""

    def __init__(self, decision: Decision):
        super().__init__("；".join(r.message for r in decision.blocking))
        self.decision = decision


class RecordError(ValueError):
    """A change to a record was refused; the message is shown to the user."""


def ruleset() -> RuleSet:
    """The rule set this university configured: a built-in id or a JSON file of its own."""
    configured = current_app.config["ELIGIBILITY_RULESET"]
    if configured in RULESETS:
        return RULESETS[configured]
    return _ruleset_from_file(configured)


def _ruleset_from_file(path: str) -> RuleSet:
    return ruleset_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


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
        vetoes=tuple(
            rules.Veto(v.holder, v.reason, v.decided_on, v.lifted_on) for v in candidate.vetoes
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
        academic_ok=candidate.is_academic_ok,
        is_outstanding_class=candidate.is_outstanding_class,
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


def assess(session: Session, candidates: Sequence[Candidate], today: date) -> list[Assessment]:
    """Ask the engine about each candidate (records loaded with RECORD_OPTIONS)."""
    active = ruleset()
    ratings = ratings_by_room(session, (c.room_id for c in candidates))
    return [
        Assessment(c, rules.evaluate(facts_for(c, ratings[c.room_id]), active, today), today)
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
    active = ruleset()
    ratings = ratings_by_room(session, (c.room_id for c in candidates))
    return {
        c.id: rules.evaluate_step(facts_for(c, ratings[c.room_id]), active, step, today)
        for c in candidates
    }


def load(session: Session, stmt: Select) -> list[Candidate]:
    """Candidates of a query with everything the rules read."""
    return list(session.scalars(stmt.options(*RECORD_OPTIONS)))


def refresh(session: Session, candidates: Sequence[Candidate], today: date) -> None:
    """Store each candidate's current standing, so long lists can filter by it."""
    for assessment in assess(session, candidates, today):
        candidate, decision = assessment.candidate, assessment.promotion
        candidate.evaluated_on = today
        candidate.next_step = decision.step if decision else None
        candidate.is_blocked = bool(decision and not decision.eligible)
        candidate.blocking_summary = (
            "；".join(r.message for r in decision.blocking) if decision else ""
        )


def refresh_where(session: Session, stmt: Select, today: date, batch: int = 500) -> int:
    """Refresh the stored standing of every candidate a query selects; returns the count."""
    ids = list(session.scalars(stmt.with_only_columns(Candidate.id).order_by(Candidate.id)))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        refresh(session, load(session, select(Candidate).where(Candidate.id.in_(chunk))), today)
        session.flush()
    return len(ids)


def promote(
    session: Session,
    candidate: Candidate,
    actor: User,
    on: date,
    today: date,
    override_reason: str | None = None,
) -> StageChange:
    """Move a candidate to the next stage if the engine allows it.

    A school admin may override a refusal with a written reason, which the audit trail keeps.
    """
    if candidate.stage not in PROMOTIONS:
        raise RecordError("正式党员已是最后一个阶段")
    step, next_stage = PROMOTIONS[candidate.stage]
    decision = assess(session, [candidate], today)[0].decisions.get(step)
    override_reason = (override_reason or "").strip() or None
    if decision is not None and not decision.eligible:
        if override_reason is None:
            raise EligibilityError(decision)
        if actor.role is not Role.SCHOOL_ADMIN:
            raise RecordError("只有校党校管理员可以在规则不允许时强制变更阶段")
        set_reason(session, override_reason)
    if on > today:
        raise RecordError("变更日期不能晚于今天")
    change = StageChange(
        stage=next_stage, entered_on=on, recorded_by=actor, override_reason=override_reason
    )
    candidate.stage_changes.append(change)
    candidate.stage = next_stage
    session.flush()
    refresh(session, [candidate], today)
    return change
