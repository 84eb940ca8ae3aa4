"""Benchmark: every role's home page (workbench) at 2,000 and 20,000 candidates, 200 classes.

The candidates are built as `bench/eligibility.py` builds them (bulk inserts with a realistic
mix of facts); 200 classes of the first district share them as trainees and applicants, with
lectures today, pending volunteer hours and stored standings. Each home page is requested
seven times as its demo account; the median server time and the query count are kept.

Prints one JSON line last: candidates, classes, and per role `<role>_ms` / `<role>_queries`
at 20,000, `<role>_ms_at_tenth` / `<role>_queries_at_tenth` at 2,000 (query counts must be
equal), `max_ms` and `queries_constant`.
"""

import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import flask_migrate  # noqa: E402
from eligibility import QueryCounter, populate  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from courses.models import Course, Enrolment, Lecture, Lesson, TrainingClass  # noqa: E402
from partyschool.accounts.models import User  # noqa: E402
from partyschool.app import demo  # noqa: E402
from partyschool.app.factory import create_app  # noqa: E402
from partyschool.candidates.models import Candidate, VolunteerLog  # noqa: E402
from partyschool.candidates.rules import Stage  # noqa: E402
from partyschool.extensions import BEIJING, db, today  # noqa: E402
from partyschool.organization.models import PartySchool  # noqa: E402

CANDIDATES = int(os.environ.get("BENCH_CANDIDATES", "20000"))
CLASSES = int(os.environ.get("BENCH_CLASSES", "200"))
ROLES = {
    "activist": "activist",
    "instructor": "teacher",
    "branch_admin": "branch_admin",
    "organizer": "organizer",
    "school_admin": "admin",
}
BLOCKED = "成为入党积极分子须满365天，自2026-01-01起仅100天；缺少“担任校内外志愿者”的经历"


def build_classes() -> list[int]:
    """200 classes of the first district over a year, the teacher heading every tenth."""
    school = db.session.scalar(select(PartySchool).where(PartySchool.code == "district1"))
    teacher = db.session.scalar(select(User).where(User.username == "teacher"))
    course = Course(
        party_school_id=school.id,
        title="入党积极分子培训课程",
        target_stage=Stage.ACTIVIST,
        required_hours=24,
    )
    course.lessons = [Lesson(position=p, title=f"第{p}课", body="正文") for p in range(1, 9)]
    db.session.add(course)
    db.session.flush()
    on = today()
    ids = []
    for number in range(1, CLASSES + 1):
        starts = on - timedelta(days=300) + timedelta(days=2 * number)
        training_class = TrainingClass(
            course_id=course.id,
            party_school_id=school.id,
            name="入党积极分子培训班",
            number=number,
            starts_on=starts,
            ends_on=starts + timedelta(days=30),
            capacity=200,
            enrol_opens_on=starts - timedelta(days=20),
            enrol_closes_on=starts - timedelta(days=1),
            head_teacher_id=teacher.id if number % 10 == 0 else None,
        )
        training_class.lectures.append(
            Lecture(
                title="党的基本知识",
                starts_at=datetime.combine(on, clock(14), BEIJING),
                place="党员之家",
                hours=2,
                sign_in_secret=secrets.token_hex(16),
            )
        )
        db.session.add(training_class)
        db.session.flush()
        ids.append(training_class.id)
    db.session.commit()
    return ids


def enrol(class_ids: list[int], first: int, last: int) -> None:
    """Candidates first..last become trainees or applicants of the classes; some log hours
    waiting for approval; a third are stored as blocked, as the daily job would judge."""
    rng = random.Random(first)
    rows, logs = [], []
    for candidate_id in range(first, last + 1):
        rows.append(
            {
                "class_id": class_ids[candidate_id % len(class_ids)],
                "candidate_id": candidate_id,
                "status": "approved" if rng.random() < 0.8 else "pending",
                "priority": 0,
                "reason": "",
            }
        )
        if rng.random() < 0.05:
            logs.append(
                {
                    "candidate_id": candidate_id,
                    "activity": "社区服务",
                    "hours": 4,
                    "served_on": today(),
                    "status": "pending",
                    "review_note": "",
                }
            )
    db.session.execute(insert(Enrolment), rows)
    db.session.execute(insert(VolunteerLog), logs)
    db.session.execute(
        update(Candidate)
        .where(Candidate.id.between(first, last), Candidate.id % 3 == 0)
        .values(is_blocked=True, blocking_summary=BLOCKED, evaluated_on=today())
    )
    db.session.commit()


def home_pages(app, counter: QueryCounter, runs: int = 7) -> dict[str, tuple[float, int]]:
    """Median server time and query count of every role's home page."""
    figures = {}
    for role, username in ROLES.items():
        client = app.test_client()
        with client.session_transaction() as browser_session, app.app_context():
            user = db.session.scalar(select(User).where(User.username == username))
            browser_session["_user_id"] = user.get_id()
            browser_session["_fresh"] = True
        times, queries = [], []
        for _ in range(runs):
            counter.count = 0
            started = time.perf_counter()
            response = client.get("/")
            times.append((time.perf_counter() - started) * 1000)
            queries.append(counter.count)
            assert response.status_code == 200, (role, response.status_code)
        figures[role] = (statistics.median(times), queries[-1])
    return figures


def main() -> None:
    """Build the data, measure at a tenth and at the full count, print the figures."""
    workdir = tempfile.mkdtemp(prefix="bench-workbench-")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.db", "SECRET_KEY": "bench"}
    )
    small = CANDIDATES // 10
    with app.app_context():
        flask_migrate.upgrade()
        demo.seed_accounts(db.session, demo.seed_organization(db.session))
        db.session.commit()
        counter = QueryCounter(db.engine)
        class_ids = build_classes()
        populate(small, 1)
        enrol(class_ids, 1, small)
        activist = db.session.scalar(select(User).where(User.username == "activist"))
        db.session.execute(update(Candidate).where(Candidate.id == 1).values(user_id=activist.id))
        db.session.commit()
    at_tenth = home_pages(app, counter)
    with app.app_context():
        populate(CANDIDATES - small, small + 1)
        enrol(class_ids, small + 1, CANDIDATES)
        total = db.session.scalar(select(func.count(Candidate.id)))
    full = home_pages(app, counter)
    result: dict[str, object] = {"candidates": total, "classes": len(class_ids)}
    for role in ROLES:
        result[f"{role}_ms"] = round(full[role][0], 1)
        result[f"{role}_queries"] = full[role][1]
        result[f"{role}_ms_at_tenth"] = round(at_tenth[role][0], 1)
        result[f"{role}_queries_at_tenth"] = at_tenth[role][1]
    result["max_ms"] = max(result[f"{role}_ms"] for role in ROLES)
    result["queries_constant"] = all(full[r][1] == at_tenth[r][1] for r in ROLES)
    for role in ROLES:
        print(f"{role}: {full[role][0]:.1f} ms, {full[role][1]} queries")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
