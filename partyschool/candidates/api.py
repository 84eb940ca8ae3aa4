"""The candidates' JSON API: lists, records and eligibility, scoped like the pages."""

from datetime import date
from typing import Any

from flask import Blueprint, request
from flask_login import current_user
from pydantic import BaseModel
from sqlalchemy import select

from partyschool.access import allow, can_see_school
from partyschool.accounts.models import ORGANIZERS, Role
from partyschool.api.spec import ApiError, operation
from partyschool.candidates import identity, in_force, listing, services
from partyschool.candidates.models import Candidate
from partyschool.candidates.rules import STAGE_LABELS
from partyschool.extensions import db, today

bp = Blueprint("candidates_api", __name__, url_prefix="/api/v1/candidates")


class CandidateOut(BaseModel):
    """A candidate's identity and standing."""

    student_no: str
    name: str
    party_school: str
    level: str
    college: str | None
    major: str
    class_name: str
    room: str | None
    stage: str
    stage_label: str
    next_step: str | None
    is_blocked: bool
    evaluated_on: date | None
    # In full for the branch's organizers and the school admin, masked for other staff, and
    # never in a trainee's own JSON.
    id_number: str | None = None
    phone: str | None = None


class CandidatePage(BaseModel):
    """One page of candidates."""

    items: list[CandidateOut]
    total: int
    page: int
    pages: int


class ReasonOut(BaseModel):
    """Why a step is or is not allowed."""

    rule: str
    message: str
    blocking: bool
    evidence: dict[str, Any]


class DecisionOut(BaseModel):
    """The engine's answer for one next step."""

    step: str
    label: str
    eligible: bool
    priority: int
    reasons: list[ReasonOut]


class EligibilityOut(BaseModel):
    """Every next step of a candidate with every reason."""

    student_no: str
    stage: str
    ruleset: str
    ruleset_version: int
    evaluated_on: date
    steps: list[DecisionOut]


def _out(candidate: Candidate) -> CandidateOut:
    return CandidateOut(
        student_no=candidate.student_no,
        name=candidate.name,
        party_school=candidate.party_school.code,
        level=candidate.level,
        college=candidate.college.name if candidate.college else None,
        major=candidate.major,
        class_name=candidate.class_name,
        room=str(candidate.room) if candidate.room else None,
        stage=candidate.stage,
        stage_label=STAGE_LABELS[candidate.stage],
        next_step=candidate.next_step,
        is_blocked=candidate.is_blocked,
        evaluated_on=candidate.evaluated_on,
        **_identity(candidate),
    )


def _identity(candidate: Candidate) -> dict:
    if current_user.role is Role.ACTIVIST:
        return {}
    if identity.may_see_identity(current_user, candidate.party_school_id):
        return {"id_number": candidate.id_number, "phone": candidate.phone}
    return {
        "id_number": identity.mask(candidate.id_number) or None,
        "phone": identity.mask_phone(candidate.phone) or None,
    }


def _visible(student_no: str) -> Candidate:
    """The candidate if the caller may see it: staff of its school, or the student themself."""
    candidate = db.session.scalar(select(Candidate).where(Candidate.student_no == student_no))
    allowed = candidate is not None and (
        candidate.user_id == current_user.id
        if current_user.role is Role.ACTIVIST
        else can_see_school(current_user, candidate.party_school_id)
    )
    if not allowed:
        raise ApiError(404, "not_found", "找不到该学生的档案")
    return candidate


@bp.get("")
@allow(*ORGANIZERS)
@operation("发展对象列表（分页、可筛选）", response=CandidatePage, tag="candidates")
def index():
    """Candidates in the caller's scope; filters: stage, college_id, class_name, building_id,
    status (eligible|blocked), page."""
    query = listing.CandidateQuery.from_args(request.args)
    listing.rejudge_stale(db.session, current_user, today())
    db.session.commit()
    stmt, total, number = listing.paged(db.session, query.statement(current_user), query.page)
    rows = db.session.scalars(stmt.options(*listing.IDENTITY_OPTIONS))
    size = listing.PAGE_SIZE
    return CandidatePage(
        items=[_out(c) for c in rows],
        total=total,
        page=number,
        pages=max((total + size - 1) // size, 1),
    )


@bp.get("/<student_no>")
@allow(*ORGANIZERS, Role.ACTIVIST)
@operation("一名学生的档案概要", response=CandidateOut, tag="candidates")
def show(student_no: str):
    """A candidate's identity and standing, as the rules in force judge it today."""
    candidate = _visible(student_no)
    services.refresh_stale(
        db.session, select(Candidate).where(Candidate.id == candidate.id), today()
    )
    db.session.commit()
    return _out(candidate)


@bp.get("/<student_no>/eligibility")
@allow(*ORGANIZERS, Role.ACTIVIST)
@operation("资格审核：每个下一步是否符合条件及全部理由", response=EligibilityOut, tag="candidates")
def eligibility(student_no: str):
    """Every next step of the candidate, eligible or not, with every reason."""
    candidate = _visible(student_no)
    assessment = services.assess(db.session, [candidate], today())[0]
    ruleset = in_force.ruleset()
    return EligibilityOut(
        student_no=candidate.student_no,
        stage=candidate.stage,
        ruleset=ruleset.id,
        ruleset_version=ruleset.version,
        evaluated_on=assessment.on,
        steps=[DecisionOut(**d.to_dict()) for d in assessment.decisions.values()],
    )
