"""Benchmark: the eligibility engine over 20,000 candidates, and the organizer's list page.

Prints one JSON line last: candidates, evaluate_s (the rules engine over every record),
load_evaluate_s (loading every record from the database and evaluating it), list_page_ms
(server time of the list's first page), list_page_queries, and the same page's queries with a
tenth of the candidates (they must be equal).
"""

import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from partyschool.accounts.models import User  # noqa: E402
from partyschool.app import demo  # noqa: E402
from partyschool.app.factory import create_app  # noqa: E402
from partyschool.candidates import in_force, rulesets, services  # noqa: E402
from partyschool.candidates.models import (  # noqa: E402
    Candidate,
    Experience,
    StageChange,
    TrainingRecord,
    Veto,
    VolunteerLog,
)
from partyschool.candidates.rules import ExperienceKind, Level, Stage, VetoHolder  # noqa: E402
from partyschool.extensions import db, today  # noqa: E402
from partyschool.organization.models import Room  # noqa: E402

CANDIDATES = int(os.environ.get("BENCH_CANDIDATES", "20000"))
STAGES = [Stage.APPLICANT, Stage.ACTIVIST, Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY]


def populate(count: int, start: int) -> None:
    """Insert `count` candidates of the first district with a realistic mix of facts."""
    rng = random.Random(start)
    schools = demo.seed_organization(db.session)
    school = schools["district1"]
    rooms = db.session.scalars(select(Room.id)).all()
    on = today()
    candidates, changes, experiences, trainings, vetoes, logs = [], [], [], [], [], []
    for i in range(start, start + count):
        candidates.append(
            {
                "id": i,
                "student_no": f"B{i:08d}",
                "name": f"学生{i}",
                "party_school_id": school.id,
                "level": rng.choice(list(Level)),
                "class_name": f"班{i % 40}",
                "major": "",
                "room_id": rng.choice(rooms),
                "stage": rng.choice(STAGES),
                "is_league_member": rng.random() < 0.8,
                "league_recommended_on": on if rng.random() < 0.7 else None,
                "academic_standing": "",
                "is_academic_ok": rng.random() < 0.9,
                "is_outstanding_class": rng.random() < 0.1,
                "is_blocked": False,
                "blocking_summary": "",
            }
        )
        changes.append(
            {
                "candidate_id": i,
                "stage": candidates[-1]["stage"],
                "entered_on": on - timedelta(days=rng.randint(30, 800)),
            }
        )
        for kind in ExperienceKind:
            if rng.random() < 0.7:
                experiences.append(
                    {
                        "candidate_id": i,
                        "kind": kind,
                        "description": "x",
                        "evidence": "y",
                        "occurred_on": on,
                        "is_verified": True,
                    }
                )
        if rng.random() < 0.6:
            trainings.append(
                {
                    "candidate_id": i,
                    "target_stage": Stage.ACTIVIST,
                    "class_name": "第1期",
                    "completed_on": on,
                    "certificate_serial": "",
                }
            )
        if rng.random() < 0.05:
            vetoes.append(
                {
                    "candidate_id": i,
                    "holder": VetoHolder.COLLEGE,
                    "holder_name": "学院",
                    "reason": "x",
                    "decided_on": on,
                }
            )
        logs.append(
            {
                "candidate_id": i,
                "activity": "服务",
                "hours": rng.randint(1, 30),
                "served_on": on,
                "status": "approved",
                "review_note": "",
            }
        )
    for model, rows in (
        (Candidate, candidates),
        (StageChange, changes),
        (Experience, experiences),
        (TrainingRecord, trainings),
        (Veto, vetoes),
        (VolunteerLog, logs),
    ):
        db.session.execute(insert(model), rows)
    db.session.commit()


class QueryCounter:
    """Counts the SQL statements an engine executes."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self.tick)

    def tick(self, *args):
        self.count += 1


def list_page(app, counter: QueryCounter, runs: int = 7) -> tuple[float, int]:
    """Median server time of the organizer's first list page, and its query count."""
    client = app.test_client()
    with client.session_transaction() as browser_session, app.app_context():
        organizer = db.session.scalar(select(User).where(User.username == "organizer"))
        browser_session["_user_id"] = organizer.get_id()
        browser_session["_fresh"] = True
    times, queries = [], []
    for _ in range(runs):
        counter.count = 0
        started = time.perf_counter()
        response = client.get("/candidates/")
        times.append((time.perf_counter() - started) * 1000)
        queries.append(counter.count)
        assert response.status_code == 200, response.status_code
    return statistics.median(times), queries[-1]


def main() -> None:
    """Build the data, measure, print the figures."""
    workdir = tempfile.mkdtemp(prefix="bench-eligibility-")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.db", "SECRET_KEY": "bench"}
    )
    with app.app_context():
        flask_migrate.upgrade()
        demo.seed_accounts(db.session, demo.seed_organization(db.session))
        db.session.commit()
        counter = QueryCounter(db.engine)
        small = CANDIDATES // 10
        populate(small, 1)
    small_ms, small_queries = list_page(app, counter)
    with app.app_context():
        populate(CANDIDATES - small, small + 1)
        started = time.perf_counter()
        records = services.load(db.session, select(Candidate))
        ratings = services.ratings_by_room(db.session, (c.room_id for c in records))
        facts = [services.facts_for(c, ratings[c.room_id]) for c in records]
        loaded = time.perf_counter() - started
        ruleset, on = in_force.ruleset(), today()
        started = time.perf_counter()
        decisions = [rulesets.evaluate(f, ruleset, on) for f in facts]
        evaluate_s = time.perf_counter() - started
    page_ms, page_queries = list_page(app, counter)
    blocked = sum(1 for d in decisions for x in d.values() if not x.eligible)
    print(f"{len(facts)} candidates, {blocked} blocked step decisions")
    print(
        json.dumps(
            {
                "candidates": len(facts),
                "evaluate_s": round(evaluate_s, 3),
                "load_evaluate_s": round(loaded + evaluate_s, 3),
                "list_page_ms": round(page_ms, 1),
                "list_page_queries": page_queries,
                "list_page_queries_at_tenth": small_queries,
                "list_page_ms_at_tenth": round(small_ms, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
