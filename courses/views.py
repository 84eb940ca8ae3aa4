"""Training classes: the list, a class's page, applying, nominating, approving, withdrawing."""

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from courses import services
from courses.forms import AnnouncementForm, ClassForm, DecisionForm, LectureForm, NominateForm
from courses.models import Announcement, Course, Enrolment, Lecture, TrainingClass
from partyschool.access import (
    allow,
    can_see_school,
    get_scoped,
    school_scope,
    shared_with,
    signed_in,
)
from partyschool.accounts.models import ADMINS, ORGANIZERS, STAFF, Role, User
from partyschool.candidates.services import candidate_of
from partyschool.extensions import BEIJING, db, today
from partyschool.web.navigation import add_nav

bp = Blueprint("courses", __name__, url_prefix="/classes")

add_nav("培训班", "courses.index", *Role)
add_nav("分党校主页", "courses.branch_home", *Role)


def _class(class_id: int) -> TrainingClass:
    return get_scoped(TrainingClass, class_id, shared=True)


def _managed_class(class_id: int) -> TrainingClass:
    """A class the signed-in admin may change: one of their own school."""
    return get_scoped(TrainingClass, class_id, shared=True, editable=True)


@bp.get("/")
@signed_in
def index():
    """Classes open to the user; an activist sees whether they may apply and why not."""
    classes = db.session.scalars(services.visible_classes(current_user)).unique().all()
    candidate = (
        candidate_of(db.session, current_user) if current_user.role is Role.ACTIVIST else None
    )
    openness = (
        {c.id: services.decide(db.session, c, candidate, today()) for c in classes}
        if candidate
        else {}
    )
    return render_template(
        "courses/index.html", classes=classes, candidate=candidate, openness=openness
    )


@bp.get("/branch")
@signed_in
def branch_home():
    """The user's branch school page: its open classes and its announcements (通知公告)."""
    on = today()
    classes = [
        c
        for c in db.session.scalars(services.visible_classes(current_user)).unique()
        if services.is_in_window(c, on) or c.starts_on <= on <= c.ends_on
    ]
    notices = db.session.scalars(
        shared_with(select(Announcement), Announcement.party_school_id, school_scope())
        .order_by(Announcement.published_at.desc())
        .limit(20)
    )
    return render_template(
        "courses/branch.html", classes=classes, notices=notices, form=AnnouncementForm()
    )


@bp.post("/announcements")
@allow(*ADMINS)
def announce():
    """Publish an announcement on the admin's own party school page."""
    form = AnnouncementForm()
    if form.validate_on_submit():
        db.session.add(
            Announcement(
                party_school_id=current_user.party_school_id,
                title=form.title.data.strip(),
                body=form.body.data or "",
            )
        )
        db.session.commit()
        flash("已发布通知", "info")
    else:
        flash("请填写通知标题", "error")
    return redirect(url_for("courses.branch_home"))


def _class_form(training_class: TrainingClass | None) -> ClassForm:
    school_id = training_class.party_school_id if training_class else current_user.party_school_id
    form = ClassForm(obj=training_class)
    courses = db.session.scalars(
        shared_with(select(Course), Course.party_school_id, school_id).order_by(Course.id)
    )
    form.course_id.choices = [SelectChoice(c.id, c.title) for c in courses]
    teachers = db.session.scalars(
        select(User)
        .where(
            User.party_school_id == school_id,
            User.role.in_((Role.INSTRUCTOR, Role.BRANCH_ADMIN, Role.ORGANIZER)),
            User.is_disabled.is_(False),
        )
        .order_by(User.id)
    ).all()
    form.head_teacher_id.choices = [SelectChoice(u.id, u.display_name) for u in teachers]
    form.instructor_ids.choices = [SelectChoice(u.id, u.display_name) for u in teachers]
    if request.method == "GET" and training_class is not None:
        form.instructor_ids.data = [u.id for u in training_class.instructors]
        form.requires_study_hours.data = "1" if training_class.requires_study_hours else "0"
    return form


@bp.route("/new", methods=["GET", "POST"], defaults={"class_id": None})
@bp.route("/<int:class_id>/edit", methods=["GET", "POST"])
@allow(Role.BRANCH_ADMIN)
def edit(class_id: int | None):
    """Create or edit a training class of the admin's branch school."""
    training_class = _managed_class(class_id) if class_id else None
    form = _class_form(training_class)
    if form.validate_on_submit():
        training_class = training_class or TrainingClass(
            party_school_id=current_user.party_school_id
        )
        form.populate_obj(training_class)
        training_class.requires_study_hours = form.requires_study_hours.data == "1"
        training_class.instructors = list(
            db.session.scalars(select(User).where(User.id.in_(form.instructor_ids.data)))
        )
        db.session.add(training_class)
        db.session.flush()
        # More places (a raised capacity) go to the waiting list in order, as a withdrawal's do.
        moved = services.fill_places(db.session, training_class)
        db.session.commit()
        flash(f"已保存 {training_class.title}", "info")
        if moved:
            names = "、".join(e.candidate.name for e in moved)
            flash(f"名额增加，候补名单中的 {len(moved)} 人已依次录取：{names}", "info")
        return redirect(url_for("courses.show", class_id=training_class.id))
    return render_template("courses/class_form.html", form=form, training_class=training_class)


@bp.post("/<int:class_id>/lectures")
@allow(Role.BRANCH_ADMIN, Role.INSTRUCTOR)
def add_lecture(class_id: int):
    """Schedule an offline lecture of the class."""
    training_class = _managed_class(class_id)
    form = LectureForm()
    if form.validate_on_submit():
        lecture = Lecture(sign_in_secret=secrets.token_hex(16))
        form.populate_obj(lecture)
        lecture.starts_at = form.starts_at.data.replace(tzinfo=BEIJING)
        training_class.lectures.append(lecture)
        db.session.commit()
        flash("已添加线下课程", "info")
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("courses.show", class_id=class_id))


@bp.get("/<int:class_id>")
@signed_in
def show(class_id: int):
    """A class: course, schedule, and per role: applying, nominating, or the admission queue."""
    training_class = _class(class_id)
    context = {"training_class": training_class, "today": today()}
    if current_user.role is Role.ACTIVIST:
        candidate = candidate_of(db.session, current_user)
        context["candidate"] = candidate
        if candidate is not None:
            context["openness"] = services.decide(db.session, training_class, candidate, today())
            context["mine"] = db.session.scalar(
                select(Enrolment).where(
                    Enrolment.class_id == class_id, Enrolment.candidate_id == candidate.id
                )
            )
    elif enrolment_staff(training_class):
        context["queue"] = services.queue(db.session, training_class)
        context["decision_form"] = DecisionForm()
        context["nominate_form"] = NominateForm()
        context["lecture_form"] = LectureForm()
    return render_template("courses/show.html", **context)


def enrolment_staff(training_class: TrainingClass) -> bool:
    """True for staff of the class's own school (or the school level)."""
    return current_user.role in STAFF and can_see_school(
        current_user, training_class.party_school_id
    )


def _flash_refusal(error: services.EnrolmentError) -> None:
    flash(f"无法报名：{error}", "error")


@bp.post("/<int:class_id>/apply")
@allow(Role.ACTIVIST)
def apply(class_id: int):
    """Apply to a class; refused with every reason when the rules say no."""
    training_class = _class(class_id)
    candidate = candidate_of(db.session, current_user)
    if candidate is None:
        abort(404)
    try:
        services.apply(db.session, training_class, candidate, today())
    except services.EnrolmentError as error:
        _flash_refusal(error)
    else:
        db.session.commit()
        flash("已提交报名，等待分党校审核", "info")
    return redirect(url_for("courses.show", class_id=class_id))


@bp.post("/<int:class_id>/withdraw")
@allow(Role.ACTIVIST)
def withdraw(class_id: int):
    """Withdraw from a class; the first on the waiting list moves up."""
    training_class = _class(class_id)
    candidate = candidate_of(db.session, current_user)
    mine = candidate and services.live_enrolment(db.session, training_class, candidate)
    if not mine:
        abort(404)
    services.withdraw(db.session, mine)
    db.session.commit()
    flash("已退出该培训班", "info")
    return redirect(url_for("courses.show", class_id=class_id))


@bp.post("/<int:class_id>/nominate")
@allow(*ORGANIZERS)
def nominate(class_id: int):
    """Nominate a list of candidates; each is admitted to the queue or refused with reasons."""
    training_class = _managed_class(class_id)
    form = NominateForm()
    if not form.validate_on_submit():
        abort(400)
    done, refused = services.nominate(
        db.session, training_class, form.student_nos.data, current_user, today()
    )
    db.session.commit()
    if done:
        flash(f"已推荐 {len(done)} 人：{'、'.join(done)}", "info")
    for line in refused:
        flash(line, "error")
    return redirect(url_for("courses.show", class_id=class_id))


@bp.post("/enrolments/<int:enrolment_id>/decide")
@allow(*ADMINS)
def decide(enrolment_id: int):
    """Approve (a place or the waiting list) or reject an application, with a reason."""
    application = get_scoped(
        Enrolment, enrolment_id, lambda enrolment: enrolment.training_class.party_school
    )
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            if form.decision.data == "approve":
                services.approve(db.session, application, current_user)
            else:
                services.reject(db.session, application, current_user, form.reason.data or "")
        except services.EnrolmentError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"{application.candidate.name}：{application.status.label}", "info")
    return redirect(url_for("courses.show", class_id=application.class_id))
