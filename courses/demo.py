"""Demo courses and classes: a course with real lessons, a class the demo activist studies in,
one it may join, and one it may not (with the reasons)."""

import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.models import (
    Announcement,
    Attendance,
    Course,
    Enrolment,
    EnrolmentStatus,
    Lecture,
    Lesson,
    LessonProgress,
    TrainingClass,
)
from partyschool.accounts.models import User
from partyschool.candidates.models import Candidate
from partyschool.candidates.rules import Stage
from partyschool.extensions import BEIJING
from partyschool.organization.models import PartySchool

ACTIVIST_LESSONS = (
    (
        "中国共产党的性质和宗旨",
        """
## 学习目标
理解中国共产党是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队。

## 主要内容
1. **党的性质**：党是中国特色社会主义事业的领导核心，代表中国先进生产力的发展要求、
   中国先进文化的前进方向、中国最广大人民的根本利益。
2. **党的宗旨**：全心全意为人民服务。
3. **思考题**：结合自己的学习和生活，谈谈如何理解“全心全意为人民服务”。
""",
    ),
    (
        "党的指导思想和奋斗目标",
        """
## 学习目标
了解党的指导思想的形成与发展，明确党的最高理想和最终目标是实现共产主义。

## 主要内容
- 马克思列宁主义、毛泽东思想、邓小平理论、“三个代表”重要思想、科学发展观、
  习近平新时代中国特色社会主义思想；
- 党在现阶段的基本路线和奋斗目标。
""",
    ),
    (
        "党的组织原则和纪律",
        """
## 学习目标
掌握民主集中制的基本内容，理解严明党的纪律的重要意义。

## 主要内容
- 民主集中制是党的根本组织原则；
- 党的纪律包括政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律和生活纪律。
""",
    ),
    (
        "党员的义务和权利",
        """
## 学习目标
了解党章规定的党员八项义务和八项权利。

> 党员必须履行义务，党员的权利必须得到保障。
""",
    ),
    (
        "端正入党动机，争取早日入党",
        """
## 学习目标
明确正确的入党动机，在学习、工作和寝室文明建设中发挥模范作用。

## 要求
- 自觉参加志愿服务、暑期社会实践，带动班级学风建设、帮助困难同学（“三个经历”）；
- 认真撰写学习心得，不少于 1500 字。
""",
    ),
)
CANDIDATE_LESSONS = (
    (
        "发展党员的程序和要求",
        "## 主要内容\n发展对象的确定、考察、政治审查、预审、公示与支部大会讨论。",
    ),
    ("新时代党员的先锋模范作用", "## 主要内容\n在学习、实践和服务中亮身份、受监督、显作用。"),
)


def _course(session, school, title, stage, hours, lessons) -> Course:
    course = session.scalar(
        select(Course).where(Course.party_school_id == school.id, Course.title == title)
    )
    if course is None:
        course = Course(
            party_school=school,
            title=title,
            target_stage=stage,
            required_hours=Decimal(hours),
            description=f"{title}，共 {len(lessons)} 个课时。",
        )
        for position, (lesson_title, body) in enumerate(lessons, start=1):
            course.lessons.append(
                Lesson(
                    position=position, title=lesson_title, body=body.strip(), required_minutes=45
                )
            )
        session.add(course)
    return course


def _class(session, course, school, name, number, on: date, opens, closes, starts, users):
    training_class = session.scalar(
        select(TrainingClass).where(
            TrainingClass.party_school_id == school.id,
            TrainingClass.name == name,
            TrainingClass.number == number,
        )
    )
    if training_class is None:
        teacher = users["teacher"]
        training_class = TrainingClass(
            course=course,
            party_school=school,
            name=name,
            number=number,
            starts_on=on + timedelta(days=starts),
            ends_on=on + timedelta(days=starts + 30),
            capacity=60,
            enrol_opens_on=on + timedelta(days=opens),
            enrol_closes_on=on + timedelta(days=closes),
            head_teacher=teacher,
            instructors=[teacher],
            # The demo's running exam opens before the demo activist has all their hours.
            requires_study_hours=False,
        )
        for offset, title, place in (
            (0, "开班仪式暨党的基本知识", "第一学区党员之家"),
            (7, "寝室文明与党员先锋模范作用", "北区1号楼党员活动室"),
        ):
            training_class.lectures.append(
                Lecture(
                    title=title,
                    starts_at=datetime.combine(
                        training_class.starts_on + timedelta(days=offset), time(14, 30), BEIJING
                    ),
                    place=place,
                    hours=Decimal(2),
                    sign_in_secret=secrets.token_hex(16),
                )
            )
        session.add(training_class)
    return training_class


def seed(session: Session, schools: dict[str, PartySchool], users: dict[str, User], on: date):
    """The demo courses, classes, enrolments, study progress and an announcement."""
    district = schools["district1"]
    activist_course = _course(
        session, district, "入党积极分子培训课程", Stage.ACTIVIST, 24, ACTIVIST_LESSONS
    )
    library = _course(
        session, schools["school"], "发展对象培训课程", Stage.CANDIDATE, 24, CANDIDATE_LESSONS
    )
    running = _class(
        session, activist_course, district, "入党积极分子培训班", 35, on, -30, -10, -7, users
    )
    _class(session, activist_course, district, "入党积极分子培训班", 36, on, -2, 14, 21, users)
    _class(session, library, district, "发展对象培训班", 12, on, -2, 14, 21, users)
    session.flush()
    zhang = session.scalar(select(Candidate).where(Candidate.user_id == users["activist"].id))
    if zhang is not None and not session.scalar(
        select(Enrolment.id).where(Enrolment.class_id == running.id)
    ):
        enrolment = Enrolment(
            training_class=running,
            candidate=zhang,
            status=EnrolmentStatus.APPROVED,
            decided_by_id=users["branch_admin"].id,
        )
        session.add(enrolment)
        session.flush()
        first = activist_course.lessons[0]
        session.add(
            LessonProgress(
                enrolment_id=enrolment.id, lesson_id=first.id, seconds=1800, video_position=0
            )
        )
        session.add(
            Attendance(
                lecture_id=running.lectures[0].id,
                enrolment_id=enrolment.id,
                method="roll_call",
                recorded_by_id=users["teacher"].id,
            )
        )
    if not session.scalar(
        select(Announcement.id).where(Announcement.party_school_id == district.id)
    ):
        session.add(
            Announcement(
                party_school_id=district.id,
                title="关于举办第36期入党积极分子培训班的通知",
                body="各党支部：第36期入党积极分子培训班现已开放报名，请符合条件的同学在报名截止前登录网上党校报名。",
            )
        )
    session.flush()
