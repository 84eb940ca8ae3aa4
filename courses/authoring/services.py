"""Course authoring: sanitized lesson text, the course library, lessons and their copies.

Services take the session first and only flush; the request commits. Files (`uploads`) are
written before the commit (a failed commit leaves an orphan file, which is harmless) and
removed only after it (`remove_files`), so a row never points at a file that is gone.
"""

from decimal import Decimal
from pathlib import Path

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, contains_eager, selectinload

from courses.models import Attachment, Course, Enrolment, Lesson, TrainingClass
from courses.services import approved_enrolments
from partyschool.access import can_see_school, can_view_shared, scope_to_user
from partyschool.accounts.models import STAFF, TEACHING_STAFF, User
from partyschool.candidates.rules import Stage
from partyschool.organization.models import PartySchool
from partyschool.uploads import (
    ATTACHMENTS,
    VIDEOS,
    copy_stored,
    mp4_duration,
    store_upload,
    upload_folder,
)

# National practice: activist and development-candidate training lasts at least 24 study hours.
MIN_TRAINING_HOURS = Decimal(24)
HOURS_CHECKED_STAGES = frozenset({Stage.ACTIVIST, Stage.CANDIDATE})


# --- Markdown ---------------------------------------------------------------------------------

_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code"),
        *("strong", "em", "b", "i", "u", "s", "del", "sub", "sup", "mark", "small"),
        *("ul", "ol", "li", "dl", "dt", "dd", "a", "img"),
        *("table", "thead", "tbody", "tr", "th", "td", "caption"),
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "th": {"style", "colspan", "rowspan"},
    "td": {"style", "colspan", "rowspan"},
}
# Removed together with everything inside them, not just the tags.
REMOVED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}
)


def render_markdown(text: str | None) -> Markup:
    """Lesson Markdown as HTML safe to embed: no scripts, event handlers, iframes or js: links."""
    html = _markdown.render(text or "")
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above


# --- Who may do what --------------------------------------------------------------------------


def is_library(course: Course) -> bool:
    """True for a course of the school level, i.e. of the course library (课程库)."""
    return course.party_school.is_school_level


def can_view_course(user: User, course: Course) -> bool:
    """Staff see the courses of their scope, and everyone's staff see the school library."""
    return user.role in STAFF and can_view_shared(user, course.party_school)


def can_edit_course(user: User, course: Course) -> bool:
    """Authors edit the courses of their own party school (the school level: every course)."""
    return user.role in TEACHING_STAFF and can_see_school(user, course.party_school_id)


def may_download(session: Session, user: User, course: Course) -> bool:
    """Staff who see the course, or a trainee approved into a class of this course."""
    if user.role in STAFF:
        return can_view_course(user, course)
    approved = (
        approved_enrolments(user)
        .join(Enrolment.training_class)
        .where(TrainingClass.course_id == course.id)
        .limit(1)
    )
    return session.scalar(approved) is not None


def hours_warning(course: Course) -> str | None:
    """A reminder when activist or candidate training has fewer than 24 study hours."""
    if course.target_stage in HOURS_CHECKED_STAGES and course.required_hours < MIN_TRAINING_HOURS:
        return (
            f"按照有关规定，入党积极分子和发展对象培训一般不少于3天或{MIN_TRAINING_HOURS}学时；"
            f"本课程为 {course.required_hours} 学时，请确认。"
        )
    return None


def visible_courses(session: Session, user: User) -> tuple[list[Course], list[Course]]:
    """The courses of the user's scope (branch courses) and the school library, each sorted."""
    library = select(Course).join(Course.party_school).where(PartySchool.parent_id.is_(None))
    own = select(Course).join(Course.party_school).where(PartySchool.parent_id.is_not(None))
    own = scope_to_user(own, Course.party_school_id, user)
    order = (PartySchool.id, Course.created_at.desc(), Course.id.desc())
    loads = (selectinload(Course.lessons), contains_eager(Course.party_school))
    return (
        list(session.scalars(own.options(*loads).order_by(*order))),
        list(session.scalars(library.options(*loads).order_by(*order))),
    )


# --- Courses and lessons ----------------------------------------------------------------------


class CourseInUse(Exception):
    """A course that training classes run cannot be deleted."""


def delete_course(session: Session, course: Course) -> list[str]:
    """Delete a course and its lessons; returns the stored files to remove after the commit.

    Raises CourseInUse when a training class runs it. Copies made from it stay, unlinked.
    """
    if session.scalar(select(exists().where(TrainingClass.course_id == course.id))):
        raise CourseInUse("已有培训班使用此课程，不能删除")
    session.execute(
        update(Course).where(Course.source_id == course.id).values(source_id=None),
        execution_options={"synchronize_session": False},
    )
    files = [name for lesson in course.lessons for name in _files_of(lesson)]
    session.delete(course)
    session.flush()
    return files


def _files_of(lesson: Lesson) -> list[str]:
    names = [a.stored_name for a in lesson.attachments]
    return [lesson.video_file, *names] if lesson.video_file else names


def _renumber(lessons: list[Lesson]) -> None:
    for position, lesson in enumerate(lessons, start=1):
        lesson.position = position


def add_lesson(
    session: Session, course: Course, *, title: str, body: str, required_minutes: int
) -> Lesson:
    """Add a lesson at the end of the course."""
    position = max((lesson.position for lesson in course.lessons), default=0) + 1
    lesson = Lesson(title=title, body=body, required_minutes=required_minutes, position=position)
    course.lessons.append(lesson)
    session.flush()
    return lesson


def move_lesson(session: Session, lesson: Lesson, step: int) -> bool:
    """Move a lesson up (step -1) or down (+1); False when it is already at that end."""
    lessons = sorted(lesson.course.lessons, key=lambda item: (item.position, item.id))
    index = lessons.index(lesson)
    target = index + step
    if not 0 <= target < len(lessons):
        return False
    lessons[index], lessons[target] = lessons[target], lessons[index]
    _renumber(lessons)
    session.flush()
    return True


def delete_lesson(session: Session, lesson: Lesson) -> list[str]:
    """Delete a lesson and close the gap; returns the stored files to remove after the commit."""
    files = _files_of(lesson)
    course = lesson.course
    course.lessons.remove(lesson)
    _renumber(sorted(course.lessons, key=lambda item: (item.position, item.id)))
    session.flush()
    return files


def set_video(
    session: Session,
    lesson: Lesson,
    *,
    upload=None,
    url: str | None = None,
    remove: bool = False,
    folder: Path | None = None,
) -> list[str]:
    """Give a lesson an uploaded video or a link, or take its video away.

    `url` is what the link field holds: left empty, it drops a link but keeps an uploaded
    file. Returns the stored files to remove after the commit; raises UploadError.
    """
    old = lesson.video_file
    if upload:
        lesson.video_file = store_upload(upload, VIDEOS, folder).stored_name
        lesson.video_url = None
        lesson.video_seconds = mp4_duration((folder or upload_folder()) / lesson.video_file)
    elif remove:
        lesson.video_file = lesson.video_url = lesson.video_seconds = None
    elif url:
        lesson.video_file, lesson.video_url, lesson.video_seconds = None, url, None
    else:
        lesson.video_url = None
    session.flush()
    return [old] if old and old != lesson.video_file else []


def add_attachment(session: Session, lesson: Lesson, upload, folder: Path | None = None):
    """Check and store an uploaded file and attach it to the lesson; raises UploadError."""
    stored = store_upload(upload, ATTACHMENTS, folder)
    attachment = Attachment(
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
    )
    lesson.attachments.append(attachment)
    session.flush()
    return attachment


def delete_attachment(session: Session, attachment: Attachment) -> list[str]:
    """Delete an attachment; returns its stored file to remove after the commit."""
    session.delete(attachment)
    session.flush()
    return [attachment.stored_name]


def copy_course(
    session: Session, course: Course, school: PartySchool, folder: Path | None = None
) -> Course:
    """Copy a library course, its lessons and their files, into a branch school to adapt."""
    copy = Course(
        party_school=school,
        title=course.title,
        description=course.description,
        target_stage=course.target_stage,
        required_hours=course.required_hours,
        source_id=course.id,
    )
    for lesson in course.lessons:
        new_lesson = Lesson(
            position=lesson.position,
            title=lesson.title,
            body=lesson.body,
            video_file=copy_stored(lesson.video_file, folder),
            video_url=lesson.video_url,
            video_seconds=lesson.video_seconds,
            required_minutes=lesson.required_minutes,
        )
        for attachment in lesson.attachments:
            stored_name = copy_stored(attachment.stored_name, folder)
            if stored_name is None:
                continue
            new_lesson.attachments.append(
                Attachment(
                    original_name=attachment.original_name,
                    stored_name=stored_name,
                    content_type=attachment.content_type,
                    size=attachment.size,
                )
            )
        copy.lessons.append(new_lesson)
    session.add(copy)
    session.flush()
    return copy
