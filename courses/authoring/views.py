"""Instructors write courses and lessons; the school library and its copies; file downloads."""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    send_from_directory,
    url_for,
)
from flask_login import current_user

from courses.authoring import services
from courses.authoring.forms import AttachmentForm, CourseForm, LessonForm, MoveForm
from courses.models import Attachment, Course, Lesson
from partyschool import uploads
from partyschool.access import allow, get_scoped, signed_in
from partyschool.accounts.models import TEACHING_STAFF
from partyschool.extensions import db
from partyschool.web.navigation import add_nav

bp = Blueprint("authoring", __name__)


add_nav("课程", "authoring.index", *TEACHING_STAFF)
bp.add_app_template_filter(services.render_markdown, "markdown")


def _course(course_id: int, *, edit: bool = False) -> Course:
    """The course; every branch reads the school's library, only its own school edits it."""
    return get_scoped(Course, course_id, shared=True, editable=edit)


def _lesson(lesson_id: int, *, edit: bool = False) -> Lesson:
    """The lesson, seen and edited as its course is."""
    return get_scoped(
        Lesson, lesson_id, lambda lesson: lesson.course.party_school, shared=True, editable=edit
    )


def _to_course(course: Course):
    return redirect(url_for("authoring.show", course_id=course.id))


def _to_lesson(lesson: Lesson):
    return redirect(url_for("authoring.edit_lesson", lesson_id=lesson.id))


def _send(stored_name: str, content_type: str, download_name: str, *, as_attachment: bool):
    """Send a stored file; the browser must take it as the stored type, never sniff it."""
    folder = uploads.upload_folder()
    if not (folder / stored_name).is_file():
        abort(404)
    response = send_from_directory(
        folder,
        stored_name,
        mimetype=content_type,
        as_attachment=as_attachment,
        download_name=download_name,
        conditional=True,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.cache_control.private = True
    return response


@bp.get("/courses/")
@allow(*TEACHING_STAFF)
def index():
    """The courses of the user's scope, and the school's course library."""
    own, library = services.visible_courses(db.session, current_user)
    copied = {course.source_id for course in own if course.source_id}
    return render_template("courses/authoring/index.html", own=own, library=library, copied=copied)


@bp.route("/courses/new", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def new_course():
    """Write a new course for the user's own party school (the school level: the library)."""
    form = CourseForm()
    if form.validate_on_submit():
        course = Course(party_school=current_user.party_school)
        form.populate_obj(course)
        db.session.add(course)
        db.session.commit()
        flash("已创建课程，请添加课时", "info")
        return _to_course(course)
    return render_template("courses/authoring/course_form.html", form=form, course=None)


@bp.get("/courses/<int:course_id>")
@allow(*TEACHING_STAFF)
def show(course_id: int):
    """A course and its ordered lessons; read-only for a library course seen by a branch."""
    course = _course(course_id)
    source = db.session.get(Course, course.source_id) if course.source_id else None
    return render_template(
        "courses/authoring/show.html",
        course=course,
        source=source,
        can_edit=services.can_edit_course(current_user, course),
        can_copy=services.is_library(course) and not current_user.has_school_scope,
        warning=services.hours_warning(course),
        total_minutes=sum(lesson.required_minutes for lesson in course.lessons),
    )


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def edit_course(course_id: int):
    """Edit a course's title, description, target stage and required hours."""
    course = _course(course_id, edit=True)
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        form.populate_obj(course)
        db.session.commit()
        flash("已保存课程", "info")
        return _to_course(course)
    return render_template("courses/authoring/course_form.html", form=form, course=course)


@bp.post("/courses/<int:course_id>/delete")
@allow(*TEACHING_STAFF)
def delete_course(course_id: int):
    """Delete a course no training class runs, with its lessons and files."""
    course = _course(course_id, edit=True)
    try:
        files = services.delete_course(db.session, course)
    except services.CourseInUse as refusal:
        flash(str(refusal), "error")
        return _to_course(course)
    db.session.commit()
    uploads.remove_files(files)
    flash(f"已删除课程“{course.title}”", "info")
    return redirect(url_for("authoring.index"))


@bp.post("/courses/<int:course_id>/copy")
@allow(*TEACHING_STAFF)
def copy_course(course_id: int):
    """Copy a library course with its lessons and files into the user's branch school."""
    course = _course(course_id)
    if not services.is_library(course):
        flash("只能复制校党校课程库中的课程", "error")
        return _to_course(course)
    if current_user.has_school_scope:
        flash("该课程已在校党校课程库中，无需复制", "error")
        return _to_course(course)
    copy = services.copy_course(db.session, course, current_user.party_school)
    db.session.commit()
    flash(f"已将“{course.title}”复制到{current_user.party_school.name}，可按需修改", "info")
    return _to_course(copy)


@bp.route("/courses/<int:course_id>/lessons/new", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def new_lesson(course_id: int):
    """Add a lesson at the end of a course, with its text and video."""
    course = _course(course_id, edit=True)
    form = LessonForm()
    if form.validate_on_submit():
        lesson = services.add_lesson(
            db.session,
            course,
            title=form.title.data,
            body=form.body.data or "",
            required_minutes=form.required_minutes.data,
        )
        try:
            services.set_video(
                db.session, lesson, upload=form.video.data, url=form.video_url.data or None
            )
        except uploads.UploadError as refusal:
            db.session.rollback()
            form.video.errors.append(str(refusal))
        else:
            db.session.commit()
            flash("已添加课时，可继续上传附件", "info")
            return _to_lesson(lesson)
    return render_template(
        "courses/authoring/lesson_form.html", form=form, course=course, lesson=None
    )


@bp.get("/courses/lessons/<int:lesson_id>")
@allow(*TEACHING_STAFF)
def show_lesson(lesson_id: int):
    """A lesson as trainees will read it: sanitized text, video and attachments."""
    lesson = _lesson(lesson_id)
    return render_template(
        "courses/authoring/lesson.html",
        lesson=lesson,
        course=lesson.course,
        can_edit=services.can_edit_course(current_user, lesson.course),
    )


@bp.route("/courses/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@allow(*TEACHING_STAFF)
def edit_lesson(lesson_id: int):
    """Edit a lesson's text, study time and video, and manage its attachments."""
    lesson = _lesson(lesson_id, edit=True)
    form = LessonForm(obj=lesson)
    if form.validate_on_submit():
        try:
            stale = services.set_video(
                db.session,
                lesson,
                upload=form.video.data,
                url=form.video_url.data or None,
                remove=form.remove_video.data,
            )
        except uploads.UploadError as refusal:
            form.video.errors.append(str(refusal))
        else:
            lesson.title, lesson.body = form.title.data, form.body.data or ""
            lesson.required_minutes = form.required_minutes.data
            db.session.commit()
            uploads.remove_files(stale)
            flash("已保存课时", "info")
            return _to_lesson(lesson)
    return render_template(
        "courses/authoring/lesson_form.html",
        form=form,
        course=lesson.course,
        lesson=lesson,
        attachment_form=AttachmentForm(),
    )


@bp.post("/courses/lessons/<int:lesson_id>/move")
@allow(*TEACHING_STAFF)
def move_lesson(lesson_id: int):
    """Move a lesson one place up or down in its course."""
    lesson = _lesson(lesson_id, edit=True)
    form = MoveForm()
    if not form.validate_on_submit():
        flash("无效的移动方向", "error")
    elif services.move_lesson(db.session, lesson, -1 if form.direction.data == "up" else 1):
        db.session.commit()
    return _to_course(lesson.course)


@bp.post("/courses/lessons/<int:lesson_id>/delete")
@allow(*TEACHING_STAFF)
def delete_lesson(lesson_id: int):
    """Delete a lesson with its video and attachments."""
    lesson = _lesson(lesson_id, edit=True)
    course = lesson.course
    files = services.delete_lesson(db.session, lesson)
    db.session.commit()
    uploads.remove_files(files)
    flash(f"已删除课时“{lesson.title}”", "info")
    return _to_course(course)


@bp.post("/courses/lessons/<int:lesson_id>/attachments")
@allow(*TEACHING_STAFF)
def add_attachment(lesson_id: int):
    """Upload an attachment, refused unless its type, content and size are allowed."""
    lesson = _lesson(lesson_id, edit=True)
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return _to_lesson(lesson)
    try:
        attachment = services.add_attachment(db.session, lesson, form.file.data)
    except uploads.UploadError as refusal:
        flash(f"上传失败：{refusal}", "error")
        return _to_lesson(lesson)
    db.session.commit()
    flash(f"已上传附件“{attachment.original_name}”", "info")
    return _to_lesson(lesson)


@bp.post("/courses/attachments/<int:attachment_id>/delete")
@allow(*TEACHING_STAFF)
def delete_attachment(attachment_id: int):
    """Delete an attachment and its stored file."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    lesson = _lesson(attachment.lesson_id, edit=True)
    files = services.delete_attachment(db.session, attachment)
    db.session.commit()
    uploads.remove_files(files)
    flash(f"已删除附件“{attachment.original_name}”", "info")
    return _to_lesson(lesson)


@bp.get("/attachments/<int:attachment_id>")
@signed_in
def download_attachment(attachment_id: int):
    """Download an attachment under its original name, for staff and approved trainees."""
    attachment = db.session.get(Attachment, attachment_id)
    lesson = attachment and db.session.get(Lesson, attachment.lesson_id)
    if lesson is None or not services.may_download(db.session, current_user, lesson.course):
        abort(404)
    return _send(
        attachment.stored_name,
        attachment.content_type,
        attachment.original_name,
        as_attachment=True,
    )


@bp.get("/lessons/<int:lesson_id>/video")
@signed_in
def lesson_video(lesson_id: int):
    """A lesson's uploaded video (seekable), or a redirect to its video link."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or not services.may_download(db.session, current_user, lesson.course):
        abort(404)
    if lesson.video_file:
        extension = lesson.video_file.rsplit(".", 1)[-1]
        return _send(
            lesson.video_file,
            uploads.content_type_of(lesson.video_file),
            f"{lesson.title}.{extension}",
            as_attachment=False,
        )
    if lesson.video_url:
        return redirect(lesson.video_url)
    abort(404)
