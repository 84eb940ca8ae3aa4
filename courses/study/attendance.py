"""Lecture attendance: QR sign-in with a code that changes every minute, and the roll call.

The hours of an attended lecture count as offline study hours. Functions take the session
first and only flush; the request commits.
"""

import hashlib
import hmac
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.models import Attendance, Enrolment, Lecture, TrainingClass
from courses.study.services import class_enrolments
from partyschool.accounts.models import User

SIGN_IN_CODE_LENGTH = 12


class SignInError(ValueError):
    """A sign-in was refused; the message is shown to the trainee."""


def _minute(now: datetime) -> int:
    return int(now.timestamp() // 60)


def sign_in_code(lecture: Lecture, now: datetime) -> str:
    """The lecture's sign-in code for the minute of `now`; it changes every minute."""
    return _code(lecture.sign_in_secret, _minute(now))


def _code(secret: str, minute: int) -> str:
    digest = hmac.new(secret.encode(), f"sign-in:{minute}".encode(), hashlib.sha256)
    return digest.hexdigest()[:SIGN_IN_CODE_LENGTH]


def code_expires_at(now: datetime) -> datetime:
    """When a code shown at `now` stops being accepted: the end of the following minute."""
    return datetime.fromtimestamp((_minute(now) + 2) * 60, tz=now.tzinfo)


def is_code_valid(lecture: Lecture, code: str, now: datetime) -> bool:
    """True for this minute's code or the previous minute's (time to scan and load)."""
    minute = _minute(now)
    return any(
        hmac.compare_digest(code or "", _code(lecture.sign_in_secret, m))
        for m in (minute, minute - 1)
    )


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
    if not is_code_valid(lecture, code, now):
        raise SignInError("签到码无效或已过期，请扫描现场最新的二维码")
    attendance = Attendance(
        lecture_id=lecture.id, enrolment_id=enrolment.id, method="qr", signed_at=now
    )
    session.add(attendance)
    session.flush()
    return attendance, True


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
