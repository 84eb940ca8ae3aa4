"""Each role's home page is its workbench: today's work, in a constant number of queries."""

from decimal import Decimal

import pytest
from sqlalchemy import event, select

from courses.models import Enrolment, EnrolmentStatus, TrainingClass
from partyschool.app import demo
from partyschool.candidates.models import Candidate, VolunteerLog
from partyschool.candidates.services import refresh_where
from partyschool.extensions import db, today
from partyschool.organization.models import PartySchool
from tests.factories import make_candidate

# For each demo account: what its workbench must show.
MAIN_ITEMS = {
    "activist": ["current-class", "exam-window", "grade-certificate", "standing", "open-classes"],
    "teacher": ["today-lectures", "to-review", "live-exams", "taught-classes", "score-chart"],
    "branch_admin": ["enrolment-queue", "running-classes", "ending-classes"],
    "organizer": [
        "soon-eligible",
        "blocked-reasons",
        "volunteer-queue",
        "publicity-ending",
        "to-verify",
        "pipeline-chart",
    ],
    "admin": ["schools-side-by-side", "school-completion-chart", "school-pass-chart", "pipeline"],
    "grad_organizer": ["soon-eligible", "pipeline-chart"],
}


def count_queries(app, client, path="/") -> tuple[int, str]:
    """How many statements one page costs, and the page."""
    with app.app_context():
        engine = db.engine
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


@pytest.mark.parametrize("username", MAIN_ITEMS)
def test_each_role_lands_on_its_workbench(client, demo_data, username):
    client.login(username, demo.DEMO_PASSWORD)
    page = client.get("/").get_data(as_text=True)
    for testid in MAIN_ITEMS[username]:
        assert f'data-testid="{testid}"' in page, (username, testid)


def grow(session, count: int) -> None:
    """More candidates in every school: applications, volunteer hours, waiting periods."""
    schools = session.scalars(select(PartySchool).where(PartySchool.parent_id.is_not(None)))
    classes = {c.party_school_id: c for c in session.scalars(select(TrainingClass))}
    for school in schools.all():
        for number in range(count):
            candidate = make_candidate(session, school, days_in_stage=350 + number % 40)
            candidate.volunteer_logs.append(
                VolunteerLog(activity="社区服务", hours=Decimal(2), served_on=today())
            )
            if school.id in classes:
                session.add(
                    Enrolment(
                        training_class=classes[school.id],
                        candidate=candidate,
                        status=EnrolmentStatus.PENDING if number % 2 else EnrolmentStatus.APPROVED,
                    )
                )
    session.commit()


def test_workbench_queries_do_not_grow_with_candidates(app, client, demo_data, session):
    clients = {}
    for username in MAIN_ITEMS:
        clients[username] = type(client)(app)
        clients[username].login(username, demo.DEMO_PASSWORD)
    grow(session, 3)
    with app.app_context():  # the standings the queues read are stored, as the daily job does
        refresh_where(session, select(Candidate), today())
    session.commit()
    few = {name: count_queries(app, c)[0] for name, c in clients.items()}
    grow(session, 30)
    with app.app_context():
        refresh_where(session, select(Candidate), today())
    session.commit()
    many = {name: count_queries(app, c)[0] for name, c in clients.items()}
    assert many == few
    assert max(many.values()) <= 60, many
