"""Demo certificates: a finished class with an issued certificate, a revoked one, and a trainee
the record blocks (a veto)."""

import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.models import (
    Attendance,
    Course,
    Enrolment,
    EnrolmentStatus,
    Lecture,
    LessonProgress,
    TrainingClass,
)
from exams.models import Attempt, AttemptStatus, Exam, Paper, PaperMode
from partyschool.accounts.models import User
from partyschool.candidates.models import Candidate
from partyschool.certificates import services
from partyschool.certificates.models import Certificate
from partyschool.extensions import BEIJING
from partyschool.organization.models import PartySchool

# Student number → what happens to their certificate.
TRAINEES = {"2022010103": "valid", "2021010107": "revoked", "2022010105": "blocked"}
REVOKE_REASON = "经核查，该学员培训期间存在他人代为签到的情况，撤销结业证书"


def seed(
    session: Session,
    schools: dict[str, PartySchool],
    users: dict[str, User],
    now: datetime,
    on: date,
) -> None:
    """Class 34, finished a month ago, and its certificates."""
    district = schools["district1"]
    course = session.scalar(
        select(Course).where(
            Course.party_school_id == district.id, Course.title == "入党积极分子培训课程"
        )
    )
    if course is None or session.scalar(
        select(TrainingClass.id).where(
            TrainingClass.party_school_id == district.id, TrainingClass.number == 34
        )
    ):
        return
    finished = TrainingClass(
        course=course,
        party_school=district,
        name="入党积极分子培训班",
        number=34,
        starts_on=on - timedelta(days=75),
        ends_on=on - timedelta(days=30),
        capacity=60,
        enrol_opens_on=on - timedelta(days=100),
        enrol_closes_on=on - timedelta(days=80),
        head_teacher=users["teacher"],
        instructors=[users["teacher"]],
        report_min_chars=0,
    )
    exam = Exam(
        training_class=finished,
        paper=Paper(
            party_school_id=district.id, title="第34期结业考试", mode=PaperMode.FIXED, items=[]
        ),
        title="第34期入党积极分子培训班结业考试",
        opens_at=now - timedelta(days=35),
        closes_at=now - timedelta(days=34),
        time_limit_minutes=60,
        pass_mark=Decimal(60),
    )
    for day in range(6):  # six half-day lectures of four hours: the 24 hours with the lessons
        finished.lectures.append(
            Lecture(
                title=f"专题讲座（{day + 1}）",
                starts_at=datetime.combine(
                    finished.starts_on + timedelta(days=7 * day), time(8, 30), BEIJING
                ),
                place="第一学区党员之家",
                hours=Decimal(4),
                sign_in_secret=secrets.token_hex(16),
            )
        )
    session.add_all([finished, exam])
    session.flush()
    candidates = {
        c.student_no: c
        for c in session.scalars(select(Candidate).where(Candidate.student_no.in_(TRAINEES)))
    }
    for student_no in TRAINEES:
        enrolment = Enrolment(
            training_class=finished,
            candidate=candidates[student_no],
            status=EnrolmentStatus.APPROVED,
            usual_score=Decimal(85),
            practice_score=Decimal(80),
        )
        session.add(enrolment)
        session.flush()
        for lesson in course.lessons:
            session.add(
                LessonProgress(
                    enrolment_id=enrolment.id,
                    lesson_id=lesson.id,
                    seconds=lesson.required_minutes * 60,
                )
            )
        for lecture in finished.lectures:
            session.add(
                Attendance(
                    lecture_id=lecture.id,
                    enrolment_id=enrolment.id,
                    method="roll_call",
                    recorded_by_id=users["teacher"].id,
                )
            )
        session.add(
            Attempt(
                exam=exam,
                enrolment=enrolment,
                number=1,
                seed="demo",
                items=[],
                started_at=exam.opens_at,
                deadline_at=exam.opens_at + timedelta(hours=1),
                submitted_at=exam.opens_at + timedelta(minutes=50),
                status=AttemptStatus.SUBMITTED,
                score=Decimal(88),
                max_score=Decimal(100),
                is_fully_graded=True,
            )
        )
    session.flush()
    render = services.renderer()
    for found in services.class_standings(session, finished, on):
        if found.may_issue:
            services.issue(session, found, users["organizer"], now, render)
    revoked = session.scalar(
        select(Certificate).where(Certificate.candidate_id == candidates["2021010107"].id)
    )
    if revoked is not None:
        services.revoke(session, revoked, users["branch_admin"], REVOKE_REASON, now)
