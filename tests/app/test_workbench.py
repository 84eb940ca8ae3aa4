"""Each role's home page is its workbench: today's work, in a constant number of queries."""

import pytest
from sqlalchemy import event

from partyschool.app import demo
from partyschool.extensions import db

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
