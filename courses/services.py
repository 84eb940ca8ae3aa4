"""Training classes and enrolment in them, gated by the eligibility engine, with capacity and
a waiting list.

Functions take the session first and only flush; the request commits once.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session, joinedload

from courses.models import Enrolment, EnrolmentStatus, TrainingClass
from partyschool.access import school_scope, scope_to_user, shared_with
from partyschool.accounts.models import User
from partyschool.accounts.notifications import notify
from partyschool.candidates import services as candidates
from partyschool.candidates.models import Candidate
from partyschool.candidates.rules import Decision, Stage, Step
from partyschool.extensions import utcnow

# The engine step that decides enrolment in a class for each target stage.
ENROL_STEPS = {
    Stage.ACTIVIST: Step.ENROL_ACTIVIST_CLASS,
    Stage.CANDIDATE: Step.ENROL_CANDIDATE_CLASS,
}
LIVE = (EnrolmentStatus.PENDING, EnrolmentStatus.WAITLISTED, EnrolmentStatus.APPROVED)
STUDENT_NO_SEPARATORS = re.compile(r"[\s,，;；、]+")
QUEUE_ORDER = {
    status: rank for rank, status in enumerate((*LIVE[:2], *LIVE[2:], "rejected", "withdrawn"))
}


class EnrolmentError(ValueError):
    """An enrolment was refused; `decision` carries the engine's reasons when it said no."""

    def __init__(self, message: str, decision: Decision | None = None):
        super().__init__(message)
        self.decision = decision


@dataclass(frozen=True)
class Openness:
    """Whether a candidate may apply to a class now, and every reason when not."""

    is_open: bool
    problems: tuple[str, ...]
    decision: Decision | None

    @property
    def may_apply(self) -> bool:
        """True when nothing stands in the way."""
        return (
            self.is_open and not self.problems and (self.decision is None or self.decision.eligible)
        )


def visible_classes(user: User) -> Select:
    """The classes the user may see (their school's and the school level's), newest first."""
    return (
        shared_with(select(TrainingClass), TrainingClass.party_school_id, school_scope(user))
        .options(joinedload(TrainingClass.course))
        .order_by(TrainingClass.starts_on.desc())
    )


def approved_enrolments(user: User) -> Select:
    """The user's approved enrolments (admitted places), to narrow down further."""
    return (
        select(Enrolment)
        .join(Candidate, Enrolment.candidate_id == Candidate.id)
        .where(Candidate.user_id == user.id, Enrolment.status == EnrolmentStatus.APPROVED)
    )


def approved_enrolment(session: Session, user: User, class_id: int) -> Enrolment | None:
    """The user's approved enrolment in a class, if they have one."""
    return session.scalar(approved_enrolments(user).where(Enrolment.class_id == class_id))


def is_admitted_to(training_class: TrainingClass) -> ColumnElement[bool]:
    """The condition, for queries, of an approved enrolment (a place taken) in the class."""
    return and_(
        Enrolment.class_id == training_class.id, Enrolment.status == EnrolmentStatus.APPROVED
    )


def is_in_window(training_class: TrainingClass, today: date) -> bool:
    """True while the class takes applications."""
    return training_class.enrol_opens_on <= today <= training_class.enrol_closes_on


def decide(
    session: Session, training_class: TrainingClass, candidate: Candidate, today: date
) -> Openness:
    """Ask the window, the school and the eligibility engine whether the candidate may apply."""
    problems = []
    if not is_in_window(training_class, today):
        problems.append(
            f"报名时间为 {training_class.enrol_opens_on} 至 {training_class.enrol_closes_on}"
        )
    school = training_class.party_school
    if not school.is_school_level and candidate.party_school_id != school.id:
        problems.append(f"本班只招收{school.name}的学员")
    if existing := live_enrolment(session, training_class, candidate):
        problems.append(f"已报名本班（{existing.status.label}）")
    step = ENROL_STEPS.get(training_class.course.target_stage)
    decision = candidates.decide_step(session, candidate, step, today) if step else None
    return Openness(is_in_window(training_class, today), tuple(problems), decision)


def live_enrolment(
    session: Session, training_class: TrainingClass, candidate: Candidate
) -> Enrolment | None:
    """The candidate's pending, waitlisted or approved enrolment in the class, if any."""
    return session.scalar(
        select(Enrolment).where(
            Enrolment.class_id == training_class.id,
            Enrolment.candidate_id == candidate.id,
            Enrolment.status.in_(LIVE),
        )
    )


def apply(
    session: Session,
    training_class: TrainingClass,
    candidate: Candidate,
    today: date,
    nominated_by: User | None = None,
) -> Enrolment:
    """Apply (or be nominated) for a class; refused with every reason when anything says no."""
    openness = decide(session, training_class, candidate, today)
    if not openness.may_apply:
        reasons = list(openness.problems)
        if openness.decision is not None:
            reasons += [r.message for r in openness.decision.blocking]
        raise EnrolmentError("；".join(reasons), openness.decision)
    enrolment = session.scalar(
        select(Enrolment).where(
            Enrolment.class_id == training_class.id, Enrolment.candidate_id == candidate.id
        )
    ) or Enrolment(training_class=training_class, candidate=candidate)
    enrolment.status = EnrolmentStatus.PENDING
    enrolment.priority = openness.decision.priority if openness.decision else 0
    enrolment.applied_at = utcnow()
    enrolment.nominated_by_id = nominated_by.id if nominated_by else None
    enrolment.decided_by_id = enrolment.decided_at = None
    enrolment.reason = ""
    session.add(enrolment)
    session.flush()
    return enrolment


def nominate(
    session: Session, training_class: TrainingClass, student_nos: str, actor: User, today: date
) -> tuple[list[str], list[str]]:
    """Nominate the candidates of the actor's scope listed by student number: the names now in
    the admission queue, and one line for each number refused, with every reason."""
    numbers = [n for n in STUDENT_NO_SEPARATORS.split(student_nos) if n]
    found = {
        c.student_no: c
        for c in session.scalars(
            scope_to_user(select(Candidate), Candidate.party_school_id, actor).where(
                Candidate.student_no.in_(numbers)
            )
        )
    }
    done, refused = [], []
    for number in dict.fromkeys(numbers):
        candidate = found.get(number)
        if candidate is None:
            refused.append(f"{number}：找不到该学生的档案")
            continue
        try:
            apply(session, training_class, candidate, today, actor)
        except EnrolmentError as error:
            refused.append(f"{number} {candidate.name}：{error}")
        else:
            done.append(candidate.name)
    return done, refused


def _lock_class(session: Session, training_class: TrainingClass) -> None:
    # Capacity is checked and taken under the class row's lock (PostgreSQL; SQLite's write
    # transactions are already serialized).
    session.execute(
        select(TrainingClass.id).where(TrainingClass.id == training_class.id).with_for_update()
    )


def approved_count(session: Session, training_class: TrainingClass) -> int:
    """How many places of the class are taken."""
    return session.scalar(select(func.count(Enrolment.id)).where(is_admitted_to(training_class)))


def approve(session: Session, enrolment: Enrolment, actor: User) -> Enrolment:
    """Approve an application: a place when one is free, else the waiting list."""
    if enrolment.status not in (EnrolmentStatus.PENDING, EnrolmentStatus.WAITLISTED):
        raise EnrolmentError(f"该报名当前为“{enrolment.status.label}”，无法录取")
    _lock_class(session, enrolment.training_class)
    is_full = approved_count(session, enrolment.training_class) >= enrolment.training_class.capacity
    enrolment.status = EnrolmentStatus.WAITLISTED if is_full else EnrolmentStatus.APPROVED
    enrolment.decided_by_id, enrolment.decided_at = actor.id, utcnow()
    _tell(session, enrolment, f"{enrolment.training_class.title}：{enrolment.status.label}")
    session.flush()
    return enrolment


def reject(session: Session, enrolment: Enrolment, actor: User, reason: str) -> Enrolment:
    """Reject an application, with the reason the applicant will read."""
    if not reason.strip():
        raise EnrolmentError("请填写不予录取的理由")
    if enrolment.status not in (EnrolmentStatus.PENDING, EnrolmentStatus.WAITLISTED):
        raise EnrolmentError(f"该报名当前为“{enrolment.status.label}”，无法更改")
    enrolment.status, enrolment.reason = EnrolmentStatus.REJECTED, reason.strip()
    enrolment.decided_by_id, enrolment.decided_at = actor.id, utcnow()
    _tell(session, enrolment, f"{enrolment.training_class.title}：未录取（{enrolment.reason}）")
    session.flush()
    return enrolment


def _tell(session: Session, enrolment: Enrolment, text: str) -> None:
    """Tell the applicant how their application was decided."""
    notify(session, enrolment.candidate.user_id, text, f"/classes/{enrolment.class_id}")


def withdraw(session: Session, enrolment: Enrolment) -> Enrolment | None:
    """Withdraw from a class; a freed place goes to the first on the waiting list (returned)."""
    if enrolment.status not in LIVE:
        raise EnrolmentError("该报名已结束，无需退出")
    _lock_class(session, enrolment.training_class)
    had_place = enrolment.status is EnrolmentStatus.APPROVED
    enrolment.status = EnrolmentStatus.WITHDRAWN
    session.flush()
    return move_up(session, enrolment.training_class) if had_place else None


def move_up(session: Session, training_class: TrainingClass) -> Enrolment | None:
    """Give a free place to the first of the waiting list: highest priority, then earliest."""
    if approved_count(session, training_class) >= training_class.capacity:
        return None
    first = session.scalar(waiting_list(training_class).limit(1))
    if first is not None:
        first.status = EnrolmentStatus.APPROVED
        _tell(session, first, f"{training_class.title}：已由候补转为录取")
        session.flush()
    return first


def fill_places(session: Session, training_class: TrainingClass) -> list[Enrolment]:
    """Give every free place to the waiting list in its order (after capacity was raised);
    returns who moved up."""
    _lock_class(session, training_class)
    moved = []
    while (first := move_up(session, training_class)) is not None:
        moved.append(first)
    return moved


def waiting_list(training_class: TrainingClass):
    """The waiting list of a class in the order places are given."""
    return (
        select(Enrolment)
        .where(
            Enrolment.class_id == training_class.id,
            Enrolment.status == EnrolmentStatus.WAITLISTED,
        )
        .order_by(Enrolment.priority.desc(), Enrolment.applied_at, Enrolment.id)
    )


def queue(session: Session, training_class: TrainingClass) -> Sequence[Enrolment]:
    """Every enrolment of the class for the admin: pending first, in priority order."""
    rows = session.scalars(select(Enrolment).where(Enrolment.class_id == training_class.id)).all()
    return sorted(rows, key=lambda e: (QUEUE_ORDER[e.status], -e.priority, e.applied_at, e.id))
