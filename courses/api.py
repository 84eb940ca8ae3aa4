"""The classes API: classes open to the caller, and applying to one."""

from datetime import date

from flask import Blueprint
from flask_login import current_user
from pydantic import BaseModel

from courses import services
from courses.models import TrainingClass
from partyschool.access import allow, can_view_shared, signed_in
from partyschool.accounts.models import Role
from partyschool.api.spec import ApiError, operation
from partyschool.candidates.api import ReasonOut
from partyschool.candidates.services import candidate_of
from partyschool.extensions import db, today

bp = Blueprint("courses_api", __name__, url_prefix="/api/v1/classes")


class ClassOut(BaseModel):
    """A training class, and for an activist whether they may apply and why not."""

    id: int
    title: str
    party_school: str
    course: str
    target_stage: str
    required_hours: float
    starts_on: date
    ends_on: date
    enrol_opens_on: date
    enrol_closes_on: date
    capacity: int
    may_apply: bool | None = None
    problems: list[str] = []
    reasons: list[ReasonOut] = []


class ClassList(BaseModel):
    """The classes open to the caller."""

    items: list[ClassOut]


class EnrolmentOut(BaseModel):
    """An application to a class."""

    id: int
    class_id: int
    status: str
    status_label: str
    priority: int


def _out(training_class: TrainingClass, openness: services.Openness | None) -> ClassOut:
    out = ClassOut(
        id=training_class.id,
        title=training_class.title,
        party_school=training_class.party_school.code,
        course=training_class.course.title,
        target_stage=training_class.course.target_stage,
        required_hours=float(training_class.course.required_hours),
        starts_on=training_class.starts_on,
        ends_on=training_class.ends_on,
        enrol_opens_on=training_class.enrol_opens_on,
        enrol_closes_on=training_class.enrol_closes_on,
        capacity=training_class.capacity,
    )
    if openness is not None:
        out.may_apply = openness.may_apply
        out.problems = list(openness.problems)
        decision = openness.decision
        out.reasons = [ReasonOut(**r.to_dict()) for r in decision.reasons] if decision else []
    return out


@bp.get("")
@signed_in
@operation("开放报名的培训班（学员附带能否报名及理由）", response=ClassList, tag="classes")
def index():
    """Classes taking applications that the caller may see."""
    on = today()
    classes = [
        c
        for c in db.session.scalars(services.visible_classes(current_user)).unique()
        if services.is_in_window(c, on)
    ]
    candidate = (
        candidate_of(db.session, current_user) if current_user.role is Role.ACTIVIST else None
    )
    return ClassList(
        items=[
            _out(c, services.decide(db.session, c, candidate, on) if candidate else None)
            for c in classes
        ]
    )


@bp.post("/<int:class_id>/enrolments")
@allow(Role.ACTIVIST)
@operation(
    "报名参加培训班（不符合条件时返回全部理由）", response=EnrolmentOut, status=201, tag="classes"
)
def apply(class_id: int):
    """Apply to a class; 422 with every reason when the eligibility engine or the class says no."""
    training_class = db.session.get(TrainingClass, class_id)
    candidate = candidate_of(db.session, current_user)
    visible = training_class is not None and can_view_shared(
        current_user, training_class.party_school
    )
    if not visible or candidate is None:
        raise ApiError(404, "not_found", "找不到该培训班或您的发展档案")
    try:
        application = services.apply(db.session, training_class, candidate, today())
    except services.EnrolmentError as error:
        reasons = [r.to_dict() for r in error.decision.blocking] if error.decision else []
        raise ApiError(422, "not_eligible", str(error), reasons=reasons) from None
    db.session.commit()
    return EnrolmentOut(
        id=application.id,
        class_id=class_id,
        status=application.status,
        status_label=application.status.label,
        priority=application.priority,
    )
