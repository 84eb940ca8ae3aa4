"""Plain factories: `make_x(session, **overrides)` builds a valid record and flushes it."""

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool.accounts import services as accounts
from partyschool.accounts.models import Role, User
from partyschool.organization.models import PartySchool, SchoolKind

PASSWORD = "correct-horse-42"
_counter = itertools.count(1)


def school_level(session: Session) -> PartySchool:
    """The school-level party school, created on first use."""
    school = session.scalar(select(PartySchool).where(PartySchool.parent_id.is_(None)))
    if school is None:
        school = PartySchool(code="school", name="校党校", kind=SchoolKind.SCHOOL)
        session.add(school)
        session.flush()
    return school


def make_branch_school(session: Session, **overrides) -> PartySchool:
    """A branch school under the school level."""
    n = next(_counter)
    values = {"code": f"branch{n}", "name": f"第{n}分党校", "kind": SchoolKind.DISTRICT}
    school = PartySchool(parent=school_level(session), **(values | overrides))
    session.add(school)
    session.flush()
    return school


def make_user(
    session: Session, role: Role = Role.ACTIVIST, school: PartySchool | None = None, **overrides
) -> User:
    """A user of the given role; branch roles get a new branch school unless one is given."""
    if school is None:
        is_school_level = role is Role.SCHOOL_ADMIN
        school = school_level(session) if is_school_level else make_branch_school(session)
    values = {
        "username": f"user{next(_counter)}",
        "password": PASSWORD,
        "display_name": None,
    }
    return accounts.create_user(session, role=role, school=school, **(values | overrides))


def make_candidate(session: Session, school: PartySchool | None = None, **overrides):
    """A candidate with a stage history matching its stage (entered `days_in_stage` ago)."""
    from datetime import timedelta

    from partyschool.candidates.models import Candidate, StageChange
    from partyschool.candidates.rules import Level, Stage
    from partyschool.extensions import today

    n = next(_counter)
    days = overrides.pop("days_in_stage", 400)
    values = {
        "student_no": f"S{n:06d}",
        "name": f"学生{n}",
        "level": Level.UNDERGRADUATE,
        "stage": Stage.ACTIVIST,
        "class_name": "计科2301",
        "is_academic_ok": True,
    }
    candidate = Candidate(
        party_school=school or make_branch_school(session), **(values | overrides)
    )
    candidate.stage_changes.append(
        StageChange(stage=candidate.stage, entered_on=today() - timedelta(days=days))
    )
    session.add(candidate)
    session.flush()
    return candidate


def make_ready_activist(session: Session, school: PartySchool | None = None, **overrides):
    """An activist of more than a year who meets seed 000's rules for becoming a development
    candidate (three verified experiences, activist training), unless a test takes one away."""
    from partyschool.candidates.models import Experience, TrainingRecord
    from partyschool.candidates.rules import ExperienceKind, Stage
    from partyschool.extensions import today

    candidate = make_candidate(session, school, **overrides)
    for kind in ExperienceKind:
        candidate.experiences.append(
            Experience(
                kind=kind,
                description="做了",
                evidence="证明",
                occurred_on=today(),
                is_verified=True,
            )
        )
    candidate.trainings.append(
        TrainingRecord(
            target_stage=Stage.ACTIVIST,
            class_name="第1期",
            completed_on=today(),
            issuing_body="第一学区分党校",
            evidence="结业证书",
        )
    )
    add_reports_and_assessments(candidate)
    session.flush()
    return candidate


def add_reports_and_assessments(candidate, *, skip_quarter: int | None = None, assessments=2):
    """A thought report early in every quarter since the candidate became an activist (but
    `skip_quarter`), and half-yearly assessments for its first `assessments` half-years."""
    from partyschool.candidates.reports.models import HalfYearAssessment, ThoughtReport
    from partyschool.candidates.rules import Stage, add_months, half_year_of
    from partyschool.extensions import today

    # A candidate made at a later stage has only that stage's date: count from it.
    became = min(
        (c.entered_on for c in candidate.stage_changes if c.stage == Stage.ACTIVIST),
        default=min(c.entered_on for c in candidate.stage_changes),
    )
    quarter = 0
    while (day := add_months(became, 3 * quarter)) <= today():
        if quarter != skip_quarter:
            candidate.thought_reports.append(
                ThoughtReport(
                    title=f"第{quarter + 1}季度思想汇报", body="学习体会", submitted_on=day
                )
            )
        quarter += 1
    period = half_year_of(became)
    for _ in range(assessments):
        candidate.half_year_assessments.append(
            HalfYearAssessment(period=period, written_on=today(), content="表现良好")
        )
        year, half = int(period[:4]), period[5:]
        period = f"{year}-2" if half == "1" else f"{year + 1}-1"


def reread(session: Session) -> Session:
    """End the test session's read snapshot and forget loaded values, to see what requests
    committed since."""
    session.rollback()
    session.expire_all()
    return session


def make_course(session: Session, school: PartySchool | None = None, **overrides):
    """A course with two lessons."""
    from decimal import Decimal

    from courses.models import Course, Lesson
    from partyschool.candidates.rules import Stage

    n = next(_counter)
    values = {
        "title": f"课程{n}",
        "target_stage": Stage.ACTIVIST,
        "required_hours": Decimal(24),
        "description": "",
    }
    course = Course(party_school=school or make_branch_school(session), **(values | overrides))
    for position in (1, 2):
        course.lessons.append(
            Lesson(position=position, title=f"第{position}课", body="正文", required_minutes=45)
        )
    session.add(course)
    session.flush()
    return course


def make_class(session: Session, course=None, **overrides):
    """A training class of a course, open for enrolment today, with one offline lecture."""
    import secrets
    from datetime import datetime, time, timedelta
    from decimal import Decimal

    from courses.models import Lecture, TrainingClass
    from partyschool.extensions import BEIJING, today

    course = course or make_course(session)
    on = today()
    values = {
        "course": course,
        "party_school": course.party_school,
        "name": "入党积极分子培训班",
        "number": next(_counter),
        "starts_on": on,
        "ends_on": on + timedelta(days=30),
        "capacity": 30,
        "enrol_opens_on": on - timedelta(days=7),
        "enrol_closes_on": on + timedelta(days=7),
    }
    training_class = TrainingClass(**(values | overrides))
    training_class.lectures.append(
        Lecture(
            title="党的基本知识",
            starts_at=datetime.combine(on, time(14), BEIJING),
            place="党员之家",
            hours=Decimal(2),
            sign_in_secret=secrets.token_hex(16),
        )
    )
    session.add(training_class)
    session.flush()
    return training_class


def make_enrolment(session: Session, training_class, candidate=None, **overrides):
    """An enrolment of a candidate (of the class's school) in a class, approved by default."""
    from courses.models import Enrolment, EnrolmentStatus

    candidate = candidate or make_candidate(session, training_class.party_school)
    values = {"status": EnrolmentStatus.APPROVED}
    enrolment = Enrolment(
        training_class=training_class, candidate=candidate, **(values | overrides)
    )
    session.add(enrolment)
    session.flush()
    return enrolment


def make_bank(session: Session, school: PartySchool | None = None, questions=(), **overrides):
    """A question bank of a party school holding these questions (`QuestionData`)."""
    from exams.models import Question, QuestionBank
    from exams.questions import to_json

    values = {"name": f"题库{next(_counter)}"}
    bank = QuestionBank(party_school=school or make_branch_school(session), **(values | overrides))
    for data in questions:
        bank.questions.append(Question(kind=data.type, category=data.category, data=to_json(data)))
    session.add(bank)
    session.flush()
    return bank


def make_paper(session: Session, school: PartySchool | None = None, questions=(), **overrides):
    """A fixed paper of these questions (`Question` rows), 25 points each, shown unshuffled."""
    from exams.models import Paper, PaperMode

    points = overrides.pop("points", 25)
    values = {
        "title": "结业试卷",
        "mode": PaperMode.FIXED,
        "items": [{"question_id": q.id, "points": str(points)} for q in questions],
        "shuffle_questions": False,
        "shuffle_options": False,
    }
    school = school or make_branch_school(session)
    paper = Paper(party_school_id=school.id, **(values | overrides))
    session.add(paper)
    session.flush()
    return paper


def make_exam(session: Session, training_class=None, paper=None, *, now=None, **overrides):
    """An exam of a class, open from an hour before `now` (default: the clock) for three hours,
    60 minutes long, pass mark 60; an empty paper of the class's school unless one is given."""
    from datetime import timedelta
    from decimal import Decimal

    from exams.models import Exam, ReviewPolicy
    from partyschool.extensions import utcnow

    training_class = training_class or make_class(session)
    paper = paper or make_paper(session, training_class.party_school)
    now = now or utcnow()
    values = {
        "title": "结业考试",
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(hours=2),
        "time_limit_minutes": 60,
        "pass_mark": Decimal(60),
        "review_policy": ReviewPolicy.SCORE,
    }
    exam = Exam(training_class=training_class, paper=paper, **(values | overrides))
    session.add(exam)
    session.flush()
    return exam


def make_attempt(session: Session, exam, enrolment=None, **overrides):
    """A submitted, fully graded attempt (the trainee's next), scoring 0 of 100 unless told."""
    from decimal import Decimal

    from sqlalchemy import func

    from exams.models import Attempt, AttemptStatus
    from partyschool.extensions import utcnow

    enrolment = enrolment or make_enrolment(session, exam.training_class)
    earlier = session.scalar(
        select(func.count(Attempt.id)).where(
            Attempt.exam_id == exam.id, Attempt.enrolment_id == enrolment.id
        )
    )
    now = utcnow()
    values = {
        "number": earlier + 1,
        "seed": "seed",
        "items": [],
        "deadline_at": now,
        "submitted_at": now,
        "status": AttemptStatus.SUBMITTED,
        "score": Decimal(0),
        "max_score": Decimal(100),
        "is_fully_graded": True,
    }
    attempt = Attempt(exam=exam, enrolment=enrolment, **(values | overrides))
    session.add(attempt)
    session.flush()
    return attempt


def make_ended_class(session: Session, school: PartySchool | None = None, **overrides):
    """A training class that ended yesterday, with a course of 1.5 hours and an exam."""
    from datetime import timedelta
    from decimal import Decimal

    from exams.models import Exam, Paper, PaperMode
    from partyschool.extensions import today, utcnow

    course = make_course(session, school, required_hours=Decimal("1.5"))
    values = {
        "report_min_chars": 0,
        "starts_on": today() - timedelta(days=30),
        "ends_on": today() - timedelta(days=1),
    }
    training_class = make_class(session, course, **(values | overrides))
    now = utcnow()
    session.add(
        Exam(
            training_class=training_class,
            paper=Paper(
                party_school_id=course.party_school_id, title="卷", mode=PaperMode.FIXED, items=[]
            ),
            title="结业考试",
            opens_at=now - timedelta(days=2),
            closes_at=now - timedelta(days=1),
            time_limit_minutes=60,
            pass_mark=Decimal(60),
        )
    )
    session.flush()
    return training_class


def make_completed_enrolment(
    session: Session, training_class, name="合格学员", *, hours=True, score=90, **candidate
):
    """A trainee who has done everything the class asks (unless told otherwise)."""
    from decimal import Decimal

    from courses.models import LessonProgress
    from exams.models import Attempt, AttemptStatus, Exam
    from partyschool.extensions import utcnow

    trainee = make_candidate(session, training_class.party_school, name=name, **candidate)
    enrolment = make_enrolment(
        session, training_class, trainee, usual_score=Decimal(80), practice_score=Decimal(80)
    )
    if hours:
        for lesson in training_class.course.lessons:
            session.add(
                LessonProgress(
                    enrolment_id=enrolment.id,
                    lesson_id=lesson.id,
                    seconds=lesson.required_minutes * 60,
                )
            )
    exam = session.scalar(select(Exam).where(Exam.class_id == training_class.id))
    session.add(
        Attempt(
            exam=exam,
            enrolment=enrolment,
            number=1,
            seed="s",
            items=[],
            deadline_at=utcnow(),
            submitted_at=utcnow(),
            status=AttemptStatus.SUBMITTED,
            score=Decimal(score),
            max_score=Decimal(100),
            is_fully_graded=True,
        )
    )
    session.commit()
    return enrolment


def make_places(session: Session, school: PartySchool):
    """第一学区 of the school with a dormitory room in 北区3号楼, and 数理学院, which posts its
    公示 at 数理学院楼: (district, college, room)."""
    from partyschool.organization.models import Building, College, District, Room

    n = next(_counter)
    district = District(code=f"district{n}", name="第一学区", party_school=school)
    college = College(code=f"math{n}", name="数理学院", notice_building="数理学院楼")
    building = Building(name="北区3号楼", party_school=school, district=district)
    room = Room(building=building, number="301")
    session.add_all([district, college, room])
    session.flush()
    return district, college, room


def make_development_candidate(session: Session, school: PartySchool, places, **overrides):
    """A 发展对象 living at `places` (see make_places) who meets every rule of becoming a
    probationary member but the 公示: training, political review and pre-review."""
    from datetime import timedelta

    from partyschool.candidates.models import Review, ReviewKind, TrainingRecord
    from partyschool.candidates.rules import Stage
    from partyschool.extensions import today

    district, college, room = places
    values = {"stage": Stage.CANDIDATE, "district": district, "college": college, "room": room}
    candidate = make_candidate(session, school, **(values | overrides))
    candidate.trainings.append(
        TrainingRecord(
            target_stage=Stage.CANDIDATE,
            class_name="第1期发展对象培训班",
            completed_on=today() - timedelta(days=30),
            evidence="结业证书",
        )
    )
    for kind in ReviewKind:
        candidate.reviews.append(Review(kind=kind, is_passed=True, decided_on=today()))
    session.flush()
    return candidate
