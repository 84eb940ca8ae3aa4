"""Demo data: two 双向培养 files of the graduate branch with their evaluations, through the
archive's services."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool.accounts.models import User
from partyschool.audit import acting_as
from partyschool.candidates.models import Candidate
from partyschool.candidates.twoway import services
from partyschool.candidates.twoway.models import Direction, Grade, TwoWayFile

# student no, direction, mentor, goals, and grades by years before this one (0: this year).
FILES = (
    (
        "2024100301",
        Direction.TO_MEMBER,
        "王建国 教授",
        "保持学业优秀，参加党校培训，争取两年内成为发展对象",
        {1: Grade.GOOD},
    ),
    (
        "2023100303",
        Direction.TO_SCHOLAR,
        "刘芳 研究员",
        "在读期间发表高水平论文一篇，带动课题组本科生学风建设",
        {1: Grade.EXCELLENT, 0: Grade.GOOD},
    ),
)


def seed(session: Session, users: dict[str, User], on: date) -> None:
    """The demo files, each opened at the start of last autumn term (skipped if present)."""
    organizer = users["grad_organizer"]
    with acting_as(organizer.id):
        for student_no, direction, mentor, goals, grades in FILES:
            candidate = session.scalar(select(Candidate).where(Candidate.student_no == student_no))
            if candidate is None or session.scalar(
                select(TwoWayFile.id).where(TwoWayFile.candidate_id == candidate.id)
            ):
                continue
            values = {
                "direction": direction,
                "mentor": mentor,
                "goals": goals,
                "started_on": date(on.year - 1, 9, 1),
            }
            file = services.open_file(session, candidate, values, organizer, on)
            for years_ago, grade in sorted(grades.items(), reverse=True):
                year = on.year - years_ago
                evaluated = date(year, 12, 20) if years_ago else on
                evaluation = {
                    "year": year,
                    "grade": grade,
                    "evaluation": f"{year}年度：课程成绩优良，积极参加支部活动",
                    "evaluator": "研究生分党校",
                    "evaluated_on": evaluated,
                }
                services.record_evaluation(session, file, evaluation, organizer, on)
