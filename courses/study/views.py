"""Lesson pages, server-verified study time (heartbeats), lecture attendance, class progress."""

import math
from datetime import datetime

import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from courses.authoring.services import render_markdown
from courses.models import Enrolment, Lecture, Lesson, TrainingClass, class_instructors
from courses.services import approved_enrolment
from courses.study import attendance, forms, services
from partyschool.access import allow, get_scoped, scope_to_user
from partyschool.accounts.models import ADMINS, ORGANIZERS, STAFF, Role
from partyschool.api.spec import ApiError, operation
from partyschool.extensions import as_id, db, utcnow
from partyschool.web.navigation import add_nav

bp = Blueprint("study", __name__)


add_nav("学习进度", "study.index", Role.ACTIVIST)
add_nav("考勤与学时", "study.classes", *STAFF)


class HeartbeatIn(BaseModel):
    """A lesson page's heartbeat; anything it claims beyond these fields is ignored."""

    page_token: str = Field(min_length=1, max_length=96)
    sequence: int = Field(ge=1, le=2**31 - 1)
    visible: bool
    active: bool
    video_position: int | None = None
    playing: bool = False


class HeartbeatOut(BaseModel):
    """What the server credited, and the trainee's time on the lesson and hours in the class."""

    state: str
    credited_seconds: int
    lesson_seconds: int
    lesson_required_seconds: int
    online_hours: float
    offline_hours: float
    class_hours: float
    class_required_hours: float
    video_watched_seconds: int = 0
    video_seconds: int | None = None


def _trainee_lesson(lesson_id: int, class_id: int | None = None):
    lesson = db.session.get(Lesson, lesson_id)
    enrolment = lesson and services.trainee_enrolment(db.session, current_user, lesson, class_id)
    if enrolment is None:
        abort(404)
    return lesson, enrolment


def _teacher_class(class_id: int, *, organizers: bool = False) -> TrainingClass:
    """Let through the class's teachers, admins of its school and, if asked, its organizers."""
    training_class = get_scoped(TrainingClass, class_id)
    if current_user.role in (ORGANIZERS if organizers else ADMINS):
        return training_class
    if not services.is_class_teacher(current_user, training_class):
        abort(403)
    return training_class


def _staff_lecture(lecture_id: int) -> tuple[Lecture, TrainingClass]:
    lecture = get_scoped(
        Lecture,
        lecture_id,
        lambda lecture: db.session.get(TrainingClass, lecture.class_id).party_school,
    )
    return lecture, _teacher_class(lecture.class_id)


def _now() -> datetime:
    """The server's clock: `STUDY_CLOCK` when the configuration sets one (tests move time)."""
    return current_app.config.get("STUDY_CLOCK", utcnow)()


def _optional_url(endpoint: str, **values) -> str | None:
    """A URL of another package's endpoint, when that package provides it."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


@bp.get("/study")
@allow(Role.ACTIVIST)
def index():
    """The trainee's classes with their study hours."""
    enrolments = services.trainee_classes(db.session, current_user)
    hours = services.hours_by_enrolment(db.session, [e.id for e in enrolments])
    return render_template("courses/study/index.html", enrolments=enrolments, hours=hours)


@bp.get("/lessons/<int:lesson_id>")
@allow(Role.ACTIVIST)
def lesson(lesson_id: int):
    """A lesson to study, with the trainee's progress; the page sends heartbeats. `?class=`
    names the class it is studied for (a trainee may be in two classes of one course)."""
    class_id = as_id(request.args.get("class"))
    if request.args.get("class") and class_id is None:
        abort(404)  # no such class, and no number the database could hold
    lesson, enrolment = _trainee_lesson(lesson_id, class_id)
    statuses = services.lesson_statuses(db.session, enrolment)
    video_src = lesson.video_file and _optional_url("authoring.lesson_video", lesson_id=lesson.id)
    return render_template(
        "courses/study/lesson.html",
        lesson=lesson,
        enrolment=enrolment,
        training_class=enrolment.training_class,
        statuses=statuses,
        status=next(s for s in statuses if s.lesson.id == lesson.id),
        hours=services.class_hours(db.session, enrolment),
        body=render_markdown(lesson.body),
        video_src=video_src,
        attachment_urls={
            a.id: _optional_url("authoring.download_attachment", attachment_id=a.id)
            for a in lesson.attachments
        },
        page_token=services.issue_page_token(
            current_app.config["SECRET_KEY"], current_user.id, lesson.id, enrolment.id
        ),
        is_running=services.is_class_running(enrolment.training_class, _now()),
        video_length=services.video_length(lesson),
        heartbeat_seconds=current_app.config.get(
            "STUDY_HEARTBEAT_SECONDS", services.HEARTBEAT_SECONDS
        ),
        active_window_seconds=services.ACTIVE_WINDOW_SECONDS,
    )


@bp.post("/api/v1/lessons/<int:lesson_id>/heartbeats")
@allow(Role.ACTIVIST)
@operation(
    "课时学习心跳：服务器按自身时钟累计学习时间",
    body=HeartbeatIn,
    response=HeartbeatOut,
    tag="study",
)
def heartbeat(lesson_id: int, data: HeartbeatIn):
    """Credit study time on a lesson from the server's clock, for the page holding the lease."""
    lesson = db.session.get(Lesson, lesson_id)
    secret = current_app.config["SECRET_KEY"]
    is_valid = lesson is not None and services.is_page_token_valid(
        secret, current_user.id, lesson.id, data.page_token
    )
    class_id = None
    if is_valid and (enrolment_id := services.page_enrolment_id(data.page_token)) is not None:
        # The time goes to the class the page was opened for, never the newest by default.
        class_id = db.session.scalar(select(Enrolment.class_id).where(Enrolment.id == enrolment_id))
        class_id = class_id if class_id is not None else -1
    enrolment = lesson and services.trainee_enrolment(db.session, current_user, lesson, class_id)
    if enrolment is None:
        raise ApiError(404, "not_found", "课时不存在，或您未被录取到学习该课时的培训班")
    if not is_valid:
        raise ApiError(400, "invalid_page_token", "页面已失效，请刷新课时页面")
    beat = services.Beat(**data.model_dump())
    result = services.record_heartbeat(db.session, current_user.id, enrolment, lesson, beat, _now())
    db.session.commit()
    return HeartbeatOut(
        state=result.state,
        credited_seconds=result.credited_seconds,
        lesson_seconds=result.lesson_seconds,
        lesson_required_seconds=result.lesson_required_seconds,
        online_hours=float(result.hours.online),
        offline_hours=float(result.hours.offline),
        class_hours=float(result.hours.total),
        class_required_hours=float(result.hours.required),
        video_watched_seconds=result.video_watched_seconds,
        video_seconds=result.video_seconds,
    )


@bp.get("/classes/<int:class_id>/my-progress")
@allow(Role.ACTIVIST)
def my_progress(class_id: int):
    """The trainee's progress in one class: each lesson and each lecture."""
    enrolment = approved_enrolment(db.session, current_user, class_id)
    if enrolment is None:
        abort(404)
    training_class = enrolment.training_class
    attended = attendance.attended_lectures(db.session, enrolment)
    return render_template(
        "courses/study/my_progress.html",
        training_class=training_class,
        statuses=services.lesson_statuses(db.session, enrolment),
        hours=services.class_hours(db.session, enrolment),
        attended=attended,
    )


@bp.get("/study/classes")
@allow(*STAFF)
def classes():
    """Classes whose attendance and study hours the user looks after."""
    stmt = scope_to_user(
        select(TrainingClass).order_by(TrainingClass.starts_on.desc(), TrainingClass.id.desc()),
        TrainingClass.party_school_id,
    )
    if current_user.role is Role.INSTRUCTOR:
        teaches = select(class_instructors.c.class_id).where(
            class_instructors.c.user_id == current_user.id
        )
        stmt = stmt.where(
            or_(TrainingClass.head_teacher_id == current_user.id, TrainingClass.id.in_(teaches))
        )
    training_classes = db.session.scalars(stmt).all()
    return render_template(
        "courses/study/classes.html",
        training_classes=training_classes,
        can_take_attendance={
            c.id: current_user.role in ADMINS or services.is_class_teacher(current_user, c)
            for c in training_classes
        },
    )


@bp.get("/classes/<int:class_id>/progress")
@allow(*STAFF)
def class_progress(class_id: int):
    """The whole class's study hours against the requirement, who is behind first."""
    training_class = _teacher_class(class_id, organizers=True)
    return render_template(
        "courses/study/class_progress.html",
        training_class=training_class,
        lines=services.class_progress(db.session, training_class),
        lesson_count=len(training_class.course.lessons),
    )


@bp.get("/lectures/<int:lecture_id>/qr")
@allow(*STAFF)
def sign_in_qr(lecture_id: int):
    """The sign-in QR code to show in the lecture room while it is on; it changes every 15
    seconds, and the page lists who signed in and when as they do."""
    lecture, training_class = _staff_lecture(lecture_id)
    now = _now()
    is_on = attendance.is_lecture_on(lecture, now)
    url = svg = None
    if is_on:
        url = url_for(
            "study.sign_in",
            lecture_id=lecture.id,
            code=attendance.sign_in_code(lecture, now),
            _external=True,
        )
        qr = segno.make(url, error="m")
        svg = Markup(qr.svg_inline(scale=8, border=4, svgclass="qr-code", omitsize=True))  # noqa: S704
    enrolments = {e.id: e for e in services.class_enrolments(db.session, training_class)}
    signed = attendance.sign_ins(db.session, lecture)
    return render_template(
        "courses/study/qr.html",
        lecture=lecture,
        training_class=training_class,
        is_on=is_on,
        closed_message=None if is_on else attendance.not_on_message(lecture, now),
        ends_at=attendance.lecture_ends_at(lecture),
        qr_svg=svg,
        sign_in_url=url,
        refresh_seconds=max(1, math.ceil(attendance.seconds_to_next_code(now))) if is_on else 60,
        expires_at=attendance.code_expires_at(now),
        sign_ins=[(a, enrolments.get(a.enrolment_id)) for a in signed],
        signed=len(signed),
        enrolled=len(enrolments),
    )


@bp.route("/lectures/<int:lecture_id>/sign-in", methods=["GET", "POST"])
@allow(Role.ACTIVIST)
def sign_in(lecture_id: int):
    """Sign in to a lecture with the scanned code while it is on; the page confirms it by a
    POST."""
    lecture = db.session.get(Lecture, lecture_id)
    enrolment = lecture and approved_enrolment(db.session, current_user, lecture.class_id)
    if enrolment is None:
        abort(404)
    context = {"lecture": lecture, "training_class": enrolment.training_class}
    existing = attendance.attendance_of(db.session, lecture, enrolment)
    if existing is not None:
        return render_template("courses/study/sign_in.html", attendance=existing, **context)
    form = forms.SignInForm(code=request.args.get("code", ""))
    now = _now()
    if request.method == "GET":
        if not attendance.is_lecture_on(lecture, now):
            error = attendance.not_on_message(lecture, now)
            return render_template("courses/study/sign_in.html", error=error, **context), 400
        if not attendance.is_code_valid(lecture, form.code.data, now):
            return render_template("courses/study/sign_in.html", error=True, **context), 400
        return render_template("courses/study/sign_in.html", form=form, **context)
    if not form.validate_on_submit():
        abort(400)
    try:
        attendance.sign_in(db.session, lecture, enrolment, form.code.data, now)
    except attendance.SignInError as error:
        message = str(error) if not attendance.is_lecture_on(lecture, now) else True
        return render_template("courses/study/sign_in.html", error=message, **context), 400
    db.session.commit()
    flash(f"签到成功：{lecture.title}，计 {lecture.hours} 学时", "info")
    return redirect(url_for("study.my_progress", class_id=lecture.class_id))


@bp.route("/lectures/<int:lecture_id>/roll-call", methods=["GET", "POST"])
@allow(*STAFF)
def roll_call(lecture_id: int):
    """The instructor ticks the trainees present at a lecture."""
    lecture, training_class = _staff_lecture(lecture_id)
    enrolments = services.class_enrolments(db.session, training_class)
    attendances = attendance.attendances_by_enrolment(db.session, lecture)
    form = forms.RollCallForm(present=list(attendances))
    form.present.choices = [(e.id, e.candidate.name) for e in enrolments]
    if form.validate_on_submit():
        added, removed = attendance.record_roll_call(
            db.session, lecture, form.present.data or [], current_user, _now()
        )
        db.session.commit()
        flash(f"已保存点名：新增出勤 {added} 人，取消 {removed} 人", "info")
        return redirect(url_for("study.roll_call", lecture_id=lecture.id))
    return render_template(
        "courses/study/roll_call.html",
        lecture=lecture,
        training_class=training_class,
        enrolments=enrolments,
        attendances=attendances,
        form=form,
    )
