"""Study hours the server can vouch for: lesson heartbeats, class hours and progress.

Online time is credited from the server's own clock between heartbeats of the one page that
holds the user's study lease; offline hours come from attendance at lectures (`attendance`).
Functions take the session first and only flush; the request commits.
"""

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from courses.models import (
    Attendance,
    Course,
    Enrolment,
    Lecture,
    Lesson,
    LessonProgress,
    StudyLease,
    TrainingClass,
)
from courses.services import approved_enrolments, is_admitted_to
from partyschool.accounts.models import User
from partyschool.candidates.models import Candidate
from partyschool.extensions import BEIJING

HEARTBEAT_SECONDS = 30  # how often the lesson page sends a heartbeat
MAX_GAP_SECONDS = 45  # the most one heartbeat can credit: the interval plus network slack
ACTIVE_WINDOW_SECONDS = 60  # input within this long counts as "active" (decided by the page)
MAX_VIDEO_SECONDS = 24 * 3600
# Marks a lease whose page went hidden or idle: its next beat in use restarts the count.
PAUSED = "~"
HUNDREDTH = Decimal("0.01")


# --- Hours ------------------------------------------------------------------------------------


class StudyHours(NamedTuple):
    """A trainee's study hours (学时) in one class: online, offline and what the course needs."""

    online: Decimal
    offline: Decimal
    required: Decimal

    @property
    def total(self) -> Decimal:
        """Online and offline hours together."""
        return self.online + self.offline

    @property
    def is_complete(self) -> bool:
        """True when the hours reach the course's required hours."""
        return self.total >= self.required

    @property
    def missing(self) -> Decimal:
        """Hours still missing, never negative."""
        return max(self.required - self.total, Decimal(0))


def _hours(seconds) -> Decimal:
    """Seconds as hours, rounded down so we never claim more than was studied."""
    return (Decimal(int(seconds or 0)) / 3600).quantize(HUNDREDTH, rounding=ROUND_DOWN)


def hours_by_enrolment(session: Session, enrolment_ids: Collection[int]) -> dict[int, StudyHours]:
    """Study hours of many enrolments at once, in three queries whatever their number.

    Online hours sum each lesson's seconds capped at its required time; offline hours sum the
    hours of attended lectures of the enrolment's own class.
    """
    ids = list(set(enrolment_ids))
    if not ids:
        return {}
    required = dict(
        session.execute(
            select(Enrolment.id, Course.required_hours)
            .join(TrainingClass, Enrolment.class_id == TrainingClass.id)
            .join(Course, TrainingClass.course_id == Course.id)
            .where(Enrolment.id.in_(ids))
        ).all()
    )
    cap = Lesson.required_minutes * 60
    online = dict(
        session.execute(
            select(
                LessonProgress.enrolment_id,
                func.sum(case((LessonProgress.seconds > cap, cap), else_=LessonProgress.seconds)),
            )
            .join(Lesson, LessonProgress.lesson_id == Lesson.id)
            .join(Enrolment, LessonProgress.enrolment_id == Enrolment.id)
            .join(TrainingClass, Enrolment.class_id == TrainingClass.id)
            .where(
                LessonProgress.enrolment_id.in_(ids), Lesson.course_id == TrainingClass.course_id
            )
            .group_by(LessonProgress.enrolment_id)
        ).all()
    )
    offline = dict(
        session.execute(
            select(Attendance.enrolment_id, func.sum(Lecture.hours))
            .join(Lecture, Attendance.lecture_id == Lecture.id)
            .join(Enrolment, Attendance.enrolment_id == Enrolment.id)
            .where(Attendance.enrolment_id.in_(ids), Lecture.class_id == Enrolment.class_id)
            .group_by(Attendance.enrolment_id)
        ).all()
    )
    return {
        enrolment_id: StudyHours(
            online=_hours(online.get(enrolment_id)),
            offline=Decimal(offline.get(enrolment_id) or 0).quantize(HUNDREDTH),
            required=Decimal(required_hours),
        )
        for enrolment_id, required_hours in required.items()
    }


def class_hours(session: Session, enrolment: Enrolment) -> StudyHours:
    """(online_hours, offline_hours, required_hours) of one enrolment."""
    return hours_by_enrolment(session, [enrolment.id])[enrolment.id]


def class_hours_for_class(session: Session, training_class: TrainingClass) -> dict[int, StudyHours]:
    """Study hours of every approved enrolment of a class, by enrolment id (four queries)."""
    ids = session.scalars(select(Enrolment.id).where(is_admitted_to(training_class))).all()
    return hours_by_enrolment(session, ids)


@dataclass(frozen=True)
class LessonStatus:
    """How far a trainee is in one lesson."""

    lesson: Lesson
    seconds: int
    video_position: int
    video_watched_seconds: int = 0

    @property
    def video_share(self) -> float | None:
        """Share of the lesson's video watched (0 to 1), None for a lesson without one."""
        # Only an uploaded video plays in the page; a link opens elsewhere, unseen by us.
        if not self.lesson.video_file:
            return None
        return min(self.video_watched_seconds / video_length(self.lesson), 1.0)

    @property
    def required_seconds(self) -> int:
        """The lesson's required study time in seconds."""
        return self.lesson.required_minutes * 60

    @property
    def counted_seconds(self) -> int:
        """The seconds that count toward hours: capped at the required time."""
        return min(self.seconds, self.required_seconds)

    @property
    def is_done(self) -> bool:
        """True when the required time has been studied."""
        return self.seconds >= self.required_seconds


def lesson_statuses(session: Session, enrolment: Enrolment) -> list[LessonStatus]:
    """Every lesson of the enrolment's course, in order, with the time studied."""
    course_id = enrolment.training_class.course_id
    rows = session.execute(
        select(
            Lesson,
            LessonProgress.seconds,
            LessonProgress.video_position,
            LessonProgress.video_watched_seconds,
        )
        .outerjoin(
            LessonProgress,
            (LessonProgress.lesson_id == Lesson.id) & (LessonProgress.enrolment_id == enrolment.id),
        )
        .where(Lesson.course_id == course_id)
        .order_by(Lesson.position, Lesson.id)
    ).all()
    return [
        LessonStatus(lesson, seconds or 0, position or 0, watched or 0)
        for lesson, seconds, position, watched in rows
    ]


@dataclass(frozen=True)
class TraineeProgress:
    """One trainee's line on the class progress page."""

    enrolment: Enrolment
    candidate: Candidate
    hours: StudyHours
    lessons_done: int

    @property
    def ratio(self) -> float:
        """Share of the required hours reached, 0 to 1."""
        if self.hours.required <= 0:
            return 1.0
        return min(float(self.hours.total / self.hours.required), 1.0)


def class_progress(session: Session, training_class: TrainingClass) -> list[TraineeProgress]:
    """Every approved trainee of a class with their hours, who is furthest behind first."""
    enrolments = class_enrolments(session, training_class)
    hours = hours_by_enrolment(session, [enrolment.id for enrolment in enrolments])
    done = dict(
        session.execute(
            select(LessonProgress.enrolment_id, func.count())
            .join(Lesson, LessonProgress.lesson_id == Lesson.id)
            .join(Enrolment, LessonProgress.enrolment_id == Enrolment.id)
            .where(
                Enrolment.class_id == training_class.id,
                Lesson.course_id == training_class.course_id,
                LessonProgress.seconds >= Lesson.required_minutes * 60,
            )
            .group_by(LessonProgress.enrolment_id)
        ).all()
    )
    lines = [
        TraineeProgress(
            enrolment, enrolment.candidate, hours[enrolment.id], done.get(enrolment.id, 0)
        )
        for enrolment in enrolments
    ]
    return sorted(lines, key=lambda line: (line.ratio, line.hours.total, line.candidate.student_no))


# --- Who studies and who teaches --------------------------------------------------------------


def class_enrolments(session: Session, training_class: TrainingClass) -> list[Enrolment]:
    """Approved enrolments of a class, by student number."""
    return list(
        session.scalars(
            select(Enrolment)
            .join(Candidate, Enrolment.candidate_id == Candidate.id)
            .options(contains_eager(Enrolment.candidate))
            .where(is_admitted_to(training_class))
            .order_by(Candidate.student_no)
        )
    )


def is_class_teacher(user: User, training_class: TrainingClass) -> bool:
    """True for the class's head teacher (班主任) and its instructors."""
    return training_class.head_teacher_id == user.id or any(
        instructor.id == user.id for instructor in training_class.instructors
    )


def trainee_classes(session: Session, user: User) -> list[Enrolment]:
    """The user's approved enrolments, newest class first."""
    return list(
        session.scalars(
            approved_enrolments(user)
            .join(TrainingClass, Enrolment.class_id == TrainingClass.id)
            .order_by(TrainingClass.starts_on.desc(), TrainingClass.id.desc())
        )
    )


# --- Heartbeats -------------------------------------------------------------------------------


def trainee_enrolment(
    session: Session, user: User, lesson: Lesson, class_id: int | None = None
) -> Enrolment | None:
    """The user's approved enrolment in a class that runs the lesson's course: the given class
    when there is one, else the newest."""
    stmt = (
        approved_enrolments(user)
        .join(TrainingClass, Enrolment.class_id == TrainingClass.id)
        .where(TrainingClass.course_id == lesson.course_id)
    )
    if class_id is not None:
        stmt = stmt.where(Enrolment.class_id == class_id)
    return session.scalar(stmt.order_by(Enrolment.id.desc()).limit(1))


def _page_signature(secret: str, user_id: int, lesson_id: int, nonce: str) -> str:
    message = f"study-page:{user_id}:{lesson_id}:{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def issue_page_token(
    secret: str, user_id: int, lesson_id: int, enrolment_id: int | None = None
) -> str:
    """A fresh random token for one opened lesson page, signed so only the server makes them;
    it names the enrolment (the class) the lesson was opened for, so the time goes there."""
    nonce = secrets.token_urlsafe(16)
    if enrolment_id is not None:
        nonce = f"{nonce}-{enrolment_id}"
    return f"{nonce}.{_page_signature(secret, user_id, lesson_id, nonce)}"


def is_page_token_valid(secret: str, user_id: int, lesson_id: int, token: str) -> bool:
    """True when the server issued this token to this user for this lesson."""
    nonce, _, signature = token.partition(".")
    expected = _page_signature(secret, user_id, lesson_id, nonce)
    return bool(nonce) and hmac.compare_digest(signature, expected)


def page_enrolment_id(token: str) -> int | None:
    """The enrolment a (valid) page token was issued for, if it names one."""
    nonce = token.partition(".")[0]
    # token_urlsafe may itself hold "-": the enrolment id is after the last one, 16 bytes in.
    tail = nonce[22:]
    return int(tail[1:]) if tail.startswith("-") and tail[1:].isdigit() else None


@dataclass(frozen=True)
class Beat:
    """What a lesson page reports: which page, the beat's number, and what the user is doing."""

    page_token: str
    sequence: int
    visible: bool
    active: bool
    video_position: int | None = None
    playing: bool = False  # the lesson's video was playing since the last beat


class BeatState:
    """What the server made of a heartbeat (shown by the page)."""

    COUNTING = "counting"  # this page holds the lease; the time since its last beat counted
    STARTED = "started"  # this page took the lease; counting starts from this beat
    TAKEN_OVER = "taken_over"  # another page was counting; it stops, this page starts
    HIDDEN = "hidden"  # the page is not visible: nothing counts, counting pauses
    IDLE = "idle"  # nobody used the page for a while: nothing counts, counting pauses
    REPLAY = "replay"  # a beat the server has already seen: nothing changes
    OUTSIDE_CLASS = "outside_class"  # the class has not started or has ended: nothing counts


@dataclass(frozen=True)
class BeatResult:
    """The answer to a heartbeat."""

    state: str
    credited_seconds: int
    lesson_seconds: int
    lesson_required_seconds: int
    hours: StudyHours
    video_watched_seconds: int = 0
    video_seconds: int | None = None


def _lock_lease(session: Session, user_id: int) -> StudyLease | None:
    return session.get(StudyLease, user_id, with_for_update=True, populate_existing=True)


def _progress(session: Session, enrolment: Enrolment, lesson: Lesson, now: datetime):
    progress = session.scalar(
        select(LessonProgress).where(
            LessonProgress.enrolment_id == enrolment.id, LessonProgress.lesson_id == lesson.id
        )
    )
    if progress is None:
        progress = LessonProgress(
            enrolment_id=enrolment.id, lesson_id=lesson.id, seconds=0, video_position=0
        )
        session.add(progress)
    progress.updated_at = now
    return progress


def _take_lease(
    session: Session,
    lease: StudyLease | None,
    user_id: int,
    enrolment: Enrolment,
    lesson: Lesson,
    beat: Beat,
    now: datetime,
) -> tuple[StudyLease, str]:
    """Give the study lease to this page; say whether another page was counting."""
    if lease is None:
        try:
            with session.begin_nested():  # a concurrent first beat may insert it too
                lease = StudyLease(
                    user_id=user_id,
                    lesson_id=lesson.id,
                    enrolment_id=enrolment.id,
                    page_token=beat.page_token,
                    last_beat_at=now,
                    last_sequence=beat.sequence,
                )
                session.add(lease)
            return lease, BeatState.STARTED
        except IntegrityError:
            lease = _lock_lease(session, user_id)
    was_counting = not lease.page_token.startswith(PAUSED) and (
        now - lease.last_beat_at <= timedelta(seconds=MAX_GAP_SECONDS)
    )
    lease.lesson_id, lease.enrolment_id = lesson.id, enrolment.id
    lease.page_token, lease.last_beat_at, lease.last_sequence = beat.page_token, now, beat.sequence
    return lease, BeatState.TAKEN_OVER if was_counting else BeatState.STARTED


def is_class_running(training_class: TrainingClass, now: datetime) -> bool:
    """True on the class's dates (Beijing time), first and last day included: study hours
    count for a class only while it runs."""
    return training_class.starts_on <= now.astimezone(BEIJING).date() <= training_class.ends_on


def record_heartbeat(
    session: Session, user_id: int, enrolment: Enrolment, lesson: Lesson, beat: Beat, now: datetime
) -> BeatResult:
    """Credit study time for a heartbeat, measured by the server's clock `now`.

    Time counts only between two beats of the page holding the user's lease, when the later
    beat says the page is visible and in use, and at most MAX_GAP_SECONDS per beat; a beat
    whose sequence number was already seen changes nothing. A hidden or idle beat pauses the
    lease, so the time until the page is back in use never counts. A visible, active beat of
    another page or lesson takes the lease without credit: two open pages never both count.
    """
    if not is_class_running(enrolment.training_class, now):
        seconds = session.scalar(
            select(LessonProgress.seconds).where(
                LessonProgress.enrolment_id == enrolment.id, LessonProgress.lesson_id == lesson.id
            )
        )
        return BeatResult(
            state=BeatState.OUTSIDE_CLASS,
            credited_seconds=0,
            lesson_seconds=seconds or 0,
            lesson_required_seconds=lesson.required_minutes * 60,
            hours=class_hours(session, enrolment),
        )
    lease = _lock_lease(session, user_id)
    progress = _progress(session, enrolment, lesson, now)
    credited = 0
    on_lesson = lease is not None and lease.lesson_id == lesson.id
    holds = on_lesson and lease.page_token == beat.page_token
    paused_here = on_lesson and lease.page_token == PAUSED + beat.page_token
    if (holds or paused_here) and beat.sequence <= lease.last_sequence:
        state = BeatState.REPLAY
    elif holds and beat.visible and beat.active:
        elapsed = max((now - lease.last_beat_at).total_seconds(), 0.0)
        credited = int(min(elapsed, MAX_GAP_SECONDS))
        # Whole seconds are credited; a fraction carries over to the next beat.
        lease.last_beat_at = (
            lease.last_beat_at + timedelta(seconds=credited) if elapsed <= MAX_GAP_SECONDS else now
        )
        lease.last_sequence = beat.sequence
        state = BeatState.COUNTING
    elif holds:
        lease.page_token = PAUSED + beat.page_token
        lease.last_beat_at, lease.last_sequence = now, beat.sequence
        state = BeatState.IDLE if beat.visible else BeatState.HIDDEN
    elif beat.visible and beat.active:
        lease, state = _take_lease(session, lease, user_id, enrolment, lesson, beat, now)
    else:
        # An idle or hidden page never takes the lease from the page in use.
        state = BeatState.IDLE if beat.visible else BeatState.HIDDEN
    if state != BeatState.REPLAY and beat.video_position is not None:
        progress.video_position = min(max(beat.video_position, 0), MAX_VIDEO_SECONDS)
    progress.seconds += credited
    if beat.playing and lesson.video_file:
        # Watched time is the server's time while the video played, never a position the
        # page claims; it cannot exceed the video's length (or the lesson's time, unknown).
        length = video_length(lesson)
        watched = (progress.video_watched_seconds or 0) + credited
        progress.video_watched_seconds = min(watched, length)
    session.flush()
    return BeatResult(
        state=state,
        credited_seconds=credited,
        lesson_seconds=progress.seconds,
        lesson_required_seconds=lesson.required_minutes * 60,
        hours=class_hours(session, enrolment),
        video_watched_seconds=progress.video_watched_seconds or 0,
        video_seconds=video_length(lesson) if lesson.video_file else None,
    )


def video_length(lesson: Lesson) -> int:
    """How long the lesson's video is: as read from the file, else the lesson's time."""
    return lesson.video_seconds or lesson.required_minutes * 60
