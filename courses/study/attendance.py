"""Lecture attendance: QR sign-in while the lecture is on, with a code that changes every
15 seconds and is accepted for at most 30 (so a forwarded link dies before it pays), and the
roll call.

The hours of an attended lecture count as offline study hours. Functions take the session
first and only flush; the request commits.
"""

import hashlib
import hmac
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.models import Attendance, Enrolment, Lecture, TrainingClass
from courses.study.services import class_enrolments
from partyschool.accounts.models import User
from partyschool.extensions import BEIJING

SIGN_IN_CODE_LENGTH = 12
CODE_PERIOD_SECONDS = 15  # a new code this often; the current and the previous one count
SIGN_IN_OPENS_BEFORE = timedelta(minutes=15)  # trainees arriving early may sign in


class SignInError(ValueError):
    """A sign-in was refused; the message is shown to the trainee."""


def _period(now: datetime) -> int:
    return int(now.timestamp() // CODE_PERIOD_SECONDS)


def sign_in_code(lecture: Lecture, now: datetime) -> str:
    """The lecture's sign-in code for the 15-second period of `now`."""
    return _code(lecture.sign_in_secret, _period(now))


def _code(secret: str, period: int) -> str:
    digest = hmac.new(
        secret.encode(), f"sign-in:{period}:{CODE_PERIOD_SECONDS}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:SIGN_IN_CODE_LENGTH]


def code_expires_at(now: datetime) -> datetime:
    """When a code shown at `now` stops being accepted: the end of the following period, at
    most 30 seconds after it was first shown."""
    return datetime.fromtimestamp((_period(now) + 2) * CODE_PERIOD_SECONDS, tz=now.tzinfo)


def seconds_to_next_code(now: datetime) -> float:
    """How long until the code changes."""
    return CODE_PERIOD_SECONDS - now.timestamp() % CODE_PERIOD_SECONDS


def is_code_valid(lecture: Lecture, code: str, now: datetime) -> bool:
    """True for this period's code or the previous one's (time to scan and load)."""
    period = _period(now)
    return any(
        hmac.compare_digest(code or "", _code(lecture.sign_in_secret, p))
        for p in (period, period - 1)
    )


def lecture_ends_at(lecture: Lecture) -> datetime:
    """When the lecture is over: its start plus its hours."""
    return lecture.starts_at + timedelta(hours=float(lecture.hours))


def is_lecture_on(lecture: Lecture, now: datetime) -> bool:
    """True from a quarter of an hour before the lecture starts until it ends: the only time
    anyone may sign in to it."""
    return lecture.starts_at - SIGN_IN_OPENS_BEFORE <= now <= lecture_ends_at(lecture)


def not_on_message(lecture: Lecture, now: datetime) -> str:
    """Why signing in is closed now, in the trainee's words."""
    opens = (lecture.starts_at - SIGN_IN_OPENS_BEFORE).astimezone(BEIJING)
    ends = lecture_ends_at(lecture).astimezone(BEIJING)
    if now < lecture.starts_at - SIGN_IN_OPENS_BEFORE:
        return f"签到尚未开始：{opens:%Y-%m-%d %H:%M} 起可签到"
    return f"本讲座已于 {ends:%Y-%m-%d %H:%M} 结束，签到已关闭"


def attendance_of(session: Session, lecture: Lecture, enrolment: Enrolment) -> Attendance | None:
    """The enrolment's attendance at the lecture, if recorded."""
    return session.scalar(
        select(Attendance).where(
            Attendance.lecture_id == lecture.id, Attendance.enrolment_id == enrolment.id
        )
    )


def attended_lectures(session: Session, enrolment: Enrolment) -> dict[int, Attendance]:
    """The enrolment's attendances, by lecture id."""
    rows = session.scalars(select(Attendance).where(Attendance.enrolment_id == enrolment.id))
    return {attendance.lecture_id: attendance for attendance in rows}


def sign_in(
    session: Session, lecture: Lecture, enrolment: Enrolment, code: str, now: datetime
) -> tuple[Attendance, bool]:
    """Record attendance by QR code; signing in twice is harmless. True when newly recorded."""
    existing = attendance_of(session, lecture, enrolment)
    if existing is not None:
        return existing, False
    if not is_lecture_on(lecture, now):
        raise SignInError(not_on_message(lecture, now))
    if not is_code_valid(lecture, code, now):
        raise SignInError("签到码无效或已过期，请扫描现场最新的二维码")
    attendance = Attendance(
        lecture_id=lecture.id, enrolment_id=enrolment.id, method="qr", signed_at=now
    )
    session.add(attendance)
    session.flush()
    return attendance, True


def sign_ins(session: Session, lecture: Lecture) -> list[Attendance]:
    """Who signed in to the lecture and when, latest first (the head teacher's live list)."""
    return list(
        session.scalars(
            select(Attendance)
            .where(Attendance.lecture_id == lecture.id)
            .order_by(Attendance.signed_at.desc(), Attendance.id.desc())
        )
    )


def attendances_by_enrolment(session: Session, lecture: Lecture) -> dict[int, Attendance]:
    """The lecture's attendances, by enrolment id."""
    rows = session.scalars(select(Attendance).where(Attendance.lecture_id == lecture.id))
    return {attendance.enrolment_id: attendance for attendance in rows}


def record_roll_call(
    session: Session, lecture: Lecture, present_ids: Collection[int], actor: User, now: datetime
) -> tuple[int, int]:
    """Make the lecture's attendance match the instructor's roll call; (added, removed).

    Ids that are not approved enrolments of the lecture's class are ignored.
    """
    training_class = session.get(TrainingClass, lecture.class_id)
    allowed = {enrolment.id for enrolment in class_enrolments(session, training_class)}
    present = set(present_ids) & allowed
    current = attendances_by_enrolment(session, lecture)
    for enrolment_id in present - current.keys():
        session.add(
            Attendance(
                lecture_id=lecture.id,
                enrolment_id=enrolment_id,
                method="roll_call",
                recorded_by_id=actor.id,
                signed_at=now,
            )
        )
    absent = [current[enrolment_id] for enrolment_id in current.keys() - present]
    for attendance in absent:
        session.delete(attendance)
    session.flush()
    return len(present - current.keys()), len(absent)
