"""Taking an exam through the JSON API: the server keeps time, nothing leaks, nothing is lost."""

import json
import threading
from datetime import timedelta
from decimal import Decimal

import flask_limiter
import pytest
from flask import request
from sqlalchemy import Engine, event, func, select

from courses.models import EnrolmentStatus
from exams.attempts import services
from exams.attempts.api import result_for
from exams.attempts.asked import asked
from exams.models import (
    Answer,
    Attempt,
    AttemptStatus,
    ExamKind,
    LateAnswer,
    Question,
    ReviewPolicy,
)
from exams.questions import QuestionData, QuestionType
from partyschool.accounts import services as accounts
from partyschool.accounts.models import Role, User
from partyschool.extensions import db, utcnow, writing
from tests.factories import (
    make_bank,
    make_branch_school,
    make_candidate,
    make_class,
    make_course,
    make_enrolment,
    make_exam,
    make_paper,
    make_user,
    reread,
)

QUESTIONS = [
    QuestionData(
        type=QuestionType.SINGLE,
        stem="党的根本组织原则是（ ）",
        options=("民主集中制", "集体领导", "个人分工负责", "少数服从多数"),
        answer=0,
    ),
    QuestionData(
        type=QuestionType.MULTIPLE,
        stem="“三个经历”包括（ ）",
        options=("志愿服务", "暑期社会实践", "带动班级学风建设", "出国交流"),
        answer=(0, 1, 2),
    ),
    QuestionData(type=QuestionType.TRUE_FALSE, stem="预备党员的预备期为一年。", answer=True),
    QuestionData(
        type=QuestionType.FILL, stem="党的最高理想和最终目标是实现____。", answer=(("共产主义",),)
    ),
    QuestionData(type=QuestionType.ESSAY, stem="谈谈你的入党动机。", answer=""),
]
KEY_STRINGS = ('民主集中制", "answer', '"answer"', "共产主义")


@pytest.fixture
def exam(session):
    school = make_branch_school(session, code="d1")
    user = make_user(session, Role.ACTIVIST, school, username="stu")
    training_class = make_class(session, make_course(session, school), requires_study_hours=False)
    enrolment = make_enrolment(session, training_class, make_candidate(session, school, user=user))
    bank = make_bank(session, school, QUESTIONS)
    paper = make_paper(
        session, school, bank.questions, points=20, shuffle_questions=True, shuffle_options=True
    )
    exam = make_exam(
        session,
        training_class,
        paper,
        title="第一期结业考试",
        opens_at=utcnow() - timedelta(minutes=5),
        review_policy=ReviewPolicy.ANSWERS_AFTER_CLOSE,
    )
    session.commit()
    exam.enrolment = enrolment
    return exam


def start(client, exam):
    response = api(client, "POST", f"/api/v1/exams/{exam.id}/attempts")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def api(client, method, path, body=None):
    return client.open(
        path,
        method=method,
        json=body if body is not None else {},
        headers={"X-CSRFToken": client.csrf_token("/")},
    )


def put_answer(client, state, question_id, body):
    """PUT an answer of the attempt, as the exam page does."""
    path = f"/api/v1/attempts/{state['attempt_id']}/answers/{question_id}"
    return api(client, "PUT", path, body)


def by_type(state):
    return {q["type"]: q for q in state["questions"]}


def correct_responses(state):
    """The right answer in the trainee's own option order."""
    questions = by_type(state)
    single = questions["single"]["options"].index("民主集中制")
    multiple = sorted(
        questions["multiple"]["options"].index(o)
        for o in ("志愿服务", "暑期社会实践", "带动班级学风建设")
    )
    return {
        questions["single"]["question_id"]: single,
        questions["multiple"]["question_id"]: multiple,
        questions["true_false"]["question_id"]: True,
        questions["fill"]["question_id"]: ["共产主义"],
        questions["essay"]["question_id"]: "为人民服务。",
    }


def test_no_key_reaches_the_browser_during_an_attempt(client, exam):
    client.login("stu")
    page = client.get(f"/exams/{exam.id}/take").get_data(as_text=True)
    state = start(client, exam)
    resumed = client.get(f"/api/v1/attempts/{state['attempt_id']}").get_json()
    for text in (
        page,
        json.dumps(state, ensure_ascii=False),
        json.dumps(resumed, ensure_ascii=False),
    ):
        for secret in KEY_STRINGS:
            assert secret not in text
    for question in state["questions"]:
        assert set(question) == {"question_id", "type", "stem", "options", "blanks", "points"}


def test_save_submit_and_score(client, session, exam):
    client.login("stu")
    state = start(client, exam)
    for question_id, response in correct_responses(state).items():
        saved = put_answer(client, state, question_id, {"response": response})
        assert saved.status_code == 200
    result = api(client, "POST", f"/api/v1/attempts/{state['attempt_id']}/submit").get_json()
    assert result["status"] == "submitted"
    assert result["result"]["score"] == 80.0 and result["result"]["is_fully_graded"] is False
    assert result["result"]["key"] is None  # answers only after the window closes


def test_double_submit_gives_one_graded_attempt(client, session, exam):
    client.login("stu")
    state = start(client, exam)
    first = api(client, "POST", f"/api/v1/attempts/{state['attempt_id']}/submit").get_json()
    second = api(client, "POST", f"/api/v1/attempts/{state['attempt_id']}/submit").get_json()
    assert first["result"] == second["result"]
    reread(session)
    assert session.scalar(select(func.count(Attempt.id))) == 1
    attempt = session.scalar(select(Attempt))
    assert attempt.status is AttemptStatus.SUBMITTED and attempt.submitted_at is not None


def test_a_save_one_second_after_the_deadline_is_kept_apart(client, session, exam):
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["single"]["question_id"]
    attempt = reread(session).get(Attempt, state["attempt_id"])
    deadline = attempt.deadline_at
    services.save(session, attempt, question_id, 0, deadline - timedelta(seconds=1))
    late = services.save(session, attempt, question_id, 1, deadline + timedelta(seconds=1))
    assert isinstance(late, LateAnswer)
    session.commit()
    reread(session)
    answer = session.scalar(select(Answer).where(Answer.question_id == question_id))
    assert answer.response == 0  # the late one does not count by itself
    assert session.scalar(select(LateAnswer)).response == 1
    attempt = session.scalar(select(Attempt))
    assert attempt.status is AttemptStatus.SUBMITTED  # finalized at its deadline
    assert attempt.submitted_at == deadline


def test_an_answer_delivered_after_the_deadline_is_kept_and_shown(client, session, exam):
    """Offline across the deadline: the answer arrives late, is kept, and the page says so."""
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["true_false"]["question_id"]
    attempt = session.get(Attempt, state["attempt_id"])
    attempt.deadline_at = utcnow() - timedelta(minutes=2)
    given = (attempt.deadline_at - timedelta(minutes=1)).isoformat()
    session.commit()
    saved = put_answer(client, state, question_id, {"response": True, "answered_at": given})
    assert saved.status_code == 200 and saved.get_json()["is_late"] is True
    result = api(client, "POST", f"/api/v1/attempts/{state['attempt_id']}/submit").get_json()
    assert [late["question_id"] for late in result["late"]] == [question_id]
    assert result["late"][0]["is_accepted"] is False
    assert result["result"]["score"] == 0.0
    attempt = reread(session).get(Attempt, state["attempt_id"])
    assert attempt.status is AttemptStatus.SUBMITTED and attempt.late_answers[0].response is True


def test_the_instructor_accepts_a_late_answer(app, client, session, exam):
    from tests.conftest import Client

    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["true_false"]["question_id"]
    attempt = reread(session).get(Attempt, state["attempt_id"])
    late = services.save(
        session,
        attempt,
        question_id,
        True,
        attempt.deadline_at + timedelta(minutes=5),
        answered_at=attempt.deadline_at - timedelta(seconds=5),
    )
    assert attempt.score == 0
    teacher = make_user(session, Role.INSTRUCTOR, exam.training_class.party_school)
    session.commit()
    staff = Client(app)
    staff.login(teacher.username)
    page = staff.get(f"/exam-admin/attempts/{attempt.id}").get_data(as_text=True)
    assert "截止后送达" in page
    accepted = staff.post(f"/exam-admin/late-answers/{late.id}/accept")
    assert accepted.status_code == 302
    attempt = reread(session).get(Attempt, attempt.id)
    assert attempt.score == Decimal(20) and attempt.late_answers[0].is_accepted


def test_a_grace_period_lets_an_answer_given_in_time_count(client, session, exam):
    exam.late_grace_seconds = 30
    session.commit()
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["true_false"]["question_id"]
    attempt = reread(session).get(Attempt, state["attempt_id"])
    deadline = attempt.deadline_at
    services.finalize_overdue(session, deadline + timedelta(seconds=1))
    answer = services.save(
        session,
        attempt,
        question_id,
        True,
        deadline + timedelta(seconds=20),
        answered_at=deadline - timedelta(seconds=2),
    )
    assert isinstance(answer, Answer) and attempt.score == Decimal(20)
    # Beyond the grace, or given after the deadline, the page's word is not enough.
    other = by_type(state)["single"]["question_id"]
    for now, given in (
        (deadline + timedelta(seconds=40), deadline - timedelta(seconds=2)),
        (deadline + timedelta(seconds=10), deadline + timedelta(seconds=5)),
    ):
        assert isinstance(services.save(session, attempt, other, 0, now, given), LateAnswer)


def test_no_answer_after_the_trainee_submitted(client, session, exam):
    client.login("stu")
    state = start(client, exam)
    api(client, "POST", f"/api/v1/attempts/{state['attempt_id']}/submit")
    refused = put_answer(client, state, by_type(state)["single"]["question_id"], {"response": 1})
    assert refused.status_code == 409 and "已提交" in refused.get_json()["message"]


@pytest.mark.parametrize(
    ("kind", "response", "message"),
    [
        ("essay", "\ud800", "无效字符"),
        ("essay", "党" * 100_000, "答案过长"),
        ("fill", ["x" * 1000], "答案过长"),
        ("essay", [[[1]]], "格式不正确"),
        ("essay", 12345, "格式不正确"),
        ("single", 4, "格式不正确"),  # four options: 0 to 3
        ("single", -1, "格式不正确"),
        ("single", True, "格式不正确"),
        ("single", "0", "格式不正确"),
        ("single", 2**70, "格式不正确"),
        ("multiple", [0, 0], "格式不正确"),
        ("multiple", [7], "格式不正确"),
        ("true_false", "yes", "格式不正确"),
        ("true_false", 1, "格式不正确"),
        ("fill", ["a", "b"], "格式不正确"),  # one blank
    ],
)
def test_answers_no_page_would_send_are_refused(client, session, exam, kind, response, message):
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)[kind]["question_id"]
    refused = put_answer(client, state, question_id, {"response": response})
    assert refused.status_code == 400 and message in refused.get_json()["message"]
    assert reread(session).scalar(select(func.count(Answer.id))) == 0


def test_a_10_mb_answer_is_refused_before_it_is_read(client, session, exam):
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["essay"]["question_id"]
    refused = put_answer(client, state, question_id, {"response": "党" * 10_000_000})
    assert refused.status_code == 413 and "提交的内容过大" in refused.get_json()["message"]
    assert reread(session).scalar(select(func.count(Answer.id))) == 0


def test_a_lone_surrogate_in_json_is_refused(client, session, exam):
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["essay"]["question_id"]
    refused = client.put(
        f"/api/v1/attempts/{state['attempt_id']}/answers/{question_id}",
        data='{"response": "\\ud800"}',
        content_type="application/json",
        headers={"X-CSRFToken": client.csrf_token("/")},
    )
    assert refused.status_code == 400


def test_a_body_nested_too_deep_is_a_bad_request(client, exam):
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["essay"]["question_id"]
    body = '{"response": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = client.put(
        f"/api/v1/attempts/{state['attempt_id']}/answers/{question_id}",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": client.csrf_token("/")},
    )
    assert response.status_code == 400


def test_parallel_starts_create_one_attempt(app, session, exam):
    from tests.conftest import Client

    clients = [Client(app) for _ in range(6)]
    for c in clients:
        c.login("stu")
    tokens = [c.csrf_token("/") for c in clients]
    results = []

    def go(c, token):
        r = c.raw.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers={"X-CSRFToken": token})
        results.append(r.get_json()["attempt_id"])

    threads = [threading.Thread(target=go, args=pair) for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert reread(session).scalar(select(func.count(Attempt.id))) == 1


def test_abandoned_attempt_is_finalized_by_the_command(app, client, session, exam):
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["true_false"]["question_id"]
    put_answer(client, state, question_id, {"response": True})
    attempt = session.get(Attempt, state["attempt_id"])
    attempt.deadline_at = utcnow() - timedelta(minutes=1)
    session.commit()
    result = app.test_cli_runner().invoke(args=["exams", "finalize-overdue"])
    assert "finalized 1" in result.output
    attempt = reread(session).get(Attempt, state["attempt_id"])
    assert attempt.status is AttemptStatus.SUBMITTED and attempt.score == Decimal(20)


def test_reload_restores_saved_answers(client, exam):
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["fill"]["question_id"]
    put_answer(client, state, question_id, {"response": ["共产主义"]})
    again = start(client, exam)
    assert again["attempt_id"] == state["attempt_id"]
    assert again["answers"][str(question_id)] == ["共产主义"]
    assert again["deadline_at"] == state["deadline_at"]


def test_review_policy_nothing_hides_the_score(client, session, exam):
    exam.review_policy = ReviewPolicy.NOTHING
    session.commit()
    client.login("stu")
    state = start(client, exam)
    result = api(client, "POST", f"/api/v1/attempts/{state['attempt_id']}/submit").get_json()
    assert result["result"]["score"] is None


def test_key_after_the_window_closes(client, session, exam):
    client.login("stu")
    state = start(client, exam)
    api(client, "POST", f"/api/v1/attempts/{state['attempt_id']}/submit")
    attempt = reread(session).get(Attempt, state["attempt_id"])
    assert result_for(attempt, exam.closes_at - timedelta(minutes=1)).key is None
    key = result_for(attempt, exam.closes_at + timedelta(minutes=1)).key
    assert set(key) == {str(q["question_id"]) for q in state["questions"]}


def test_who_may_sit(client, session, exam):
    exam.enrolment.status = EnrolmentStatus.PENDING
    session.commit()
    client.login("stu")
    response = api(client, "POST", f"/api/v1/exams/{exam.id}/attempts")
    assert response.status_code == 403 and "未被录取" in response.get_json()["message"]


def test_study_hours_gate_when_the_class_requires_them(client, session, exam):
    exam.training_class.requires_study_hours = True
    session.commit()
    client.login("stu")
    response = api(client, "POST", f"/api/v1/exams/{exam.id}/attempts")
    assert response.status_code == 403 and "学时未完成" in response.get_json()["message"]


def test_makeup_only_after_a_failed_formal_exam(client, session, exam):
    client.login("stu")
    state = start(client, exam)
    api(client, "POST", f"/api/v1/attempts/{state['attempt_id']}/submit")  # 0 points: failed
    makeup = make_exam(
        session,
        exam.training_class,
        exam.paper,
        title="补考",
        kind=ExamKind.MAKEUP,
        opens_at=exam.opens_at,
        closes_at=exam.closes_at,
        time_limit_minutes=30,
    )
    session.commit()
    assert api(client, "POST", f"/api/v1/exams/{makeup.id}/attempts").status_code == 200


def test_regrade_after_a_key_is_corrected(client, session, exam):
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["true_false"]["question_id"]
    put_answer(client, state, question_id, {"response": False})
    api(client, "POST", f"/api/v1/attempts/{state['attempt_id']}/submit")
    question = reread(session).get(Question, question_id)
    question.data = {**question.data, "answer": False}
    question.revision += 1
    assert services.regrade(session, question) == 1
    session.commit()
    assert reread(session).get(Attempt, state["attempt_id"]).score == Decimal(20)


def guarded_write(session, attempt, question_id, owner):
    """The save's one statement, with the parameters a signed-in owner's save gives it."""
    dialect = session.get_bind().dialect.name
    upsert = services._answer_upsert(dialect, "session", (Role.ACTIVIST,))
    params = {"attempt_id": attempt.id, "question_id": question_id, "seed": attempt.seed}
    return upsert, params | {"claim_user_id": owner.id, "claim_version": owner.session_version}


def test_the_answer_write_applies_only_while_the_attempt_is_open(client, session, exam):
    """The save's one guarded statement writes only to the claimed user's own attempt (the one
    whose questions were looked up: its seed), in progress, in time, while the claim holds;
    anything else (a submit landing first included) is left to the slow path."""
    client.login("stu")
    state = start(client, exam)
    attempt = session.get(Attempt, state["attempt_id"])
    question_id = state["questions"][0]["question_id"]
    owner = session.scalar(select(User).where(User.username == "stu"))
    upsert, params = guarded_write(session, attempt, question_id, owner)
    params["now"] = utcnow()
    assert session.execute(upsert, {**params, "response": "甲"}).rowcount == 1
    assert session.execute(upsert, {**params, "response": ["乙", "䶮𠮷"]}).rowcount == 1
    late = attempt.deadline_at + timedelta(seconds=1)
    refused = [
        {"now": late},
        {"claim_user_id": make_user(session, Role.ACTIVIST, username="other").id},
        {"claim_version": owner.session_version + 1},  # signed out everywhere since
        {"seed": "other"},
    ]
    for change in refused:
        assert session.execute(upsert, {**params, "response": "丙", **change}).rowcount == 0
    dialect, of_staff = session.get_bind().dialect.name, (Role.INSTRUCTOR, Role.ORGANIZER)
    for_staff = services._answer_upsert(dialect, "session", of_staff)
    assert session.execute(for_staff, {**params, "response": "丙"}).rowcount == 0
    owner.is_disabled = True
    session.flush()
    assert session.execute(upsert, {**params, "response": "丙"}).rowcount == 0
    owner.is_disabled = False
    attempt.status, attempt.submitted_at = AttemptStatus.SUBMITTED, utcnow()
    session.flush()
    assert session.execute(upsert, {**params, "response": "丁"}).rowcount == 0
    session.commit()
    answers = session.scalars(select(Answer).where(Answer.attempt_id == attempt.id)).all()
    assert [(a.question_id, a.response) for a in answers] == [(question_id, ["乙", "䶮𠮷"])]


def test_a_token_save_is_refused_as_the_token_check_refuses_it(client, session, exam):
    """With a bearer token the save's statement holds the token to what signing in with it
    would: unknown, expired, of a disabled account or an older session, of another role —
    nothing written, and the answer is 401 or 403 as for any other call."""
    client.login("stu")
    state = start(client, exam)  # signed in; a request with a token is judged by it alone
    owner = session.scalar(select(User).where(User.username == "stu"))
    question = by_type(state)["essay"]
    path = f"/api/v1/attempts/{state['attempt_id']}/answers/{question['question_id']}"

    def save(token, response="为人民服务"):
        headers = {"Authorization": f"Bearer {token}"}
        return client.put(path, json={"response": response}, headers=headers).status_code

    token, _ = accounts.issue_token(session, owner, timedelta(hours=1))
    expired, _ = accounts.issue_token(session, owner, timedelta(seconds=-1))
    session.commit()
    assert save("no-such-token") == 401
    assert save("no-such-token", response=["not", "an essay"]) == 401  # not 400: who first
    assert save(expired) == 401
    instructor = make_user(session, Role.INSTRUCTOR, username="teacher")
    of_instructor, _ = accounts.issue_token(session, instructor, timedelta(hours=1))
    session.commit()
    assert save(of_instructor) == 403
    assert save(token) == 200
    owner.session_version += 1  # signed out everywhere
    session.commit()
    assert save(token, response="改") == 401
    token, _ = accounts.issue_token(session, owner, timedelta(hours=1))
    owner.is_disabled = True
    session.commit()
    assert save(token, response="改") == 401
    stored = select(Answer.response).where(Answer.attempt_id == state["attempt_id"])
    assert session.scalars(stored).all() == ["为人民服务"]


def test_a_signed_in_save_still_needs_its_csrf_token(client, session, exam):
    """The save checks who is asking inside its statement, but a page's call is still
    checked for its CSRF token, after who is asking when the session has ended."""
    client.login("stu")
    state = start(client, exam)
    question = by_type(state)["essay"]
    path = f"/api/v1/attempts/{state['attempt_id']}/answers/{question['question_id']}"
    assert client.put(path, json={"response": "伪造"}).status_code == 400
    owner = session.scalar(select(User).where(User.username == "stu"))
    owner.session_version += 1  # signed out everywhere: who is asking is answered first
    session.commit()
    assert client.put(path, json={"response": "伪造"}).status_code == 401
    assert session.scalar(select(func.count()).select_from(Answer)) == 0


def test_a_save_costs_one_statement(app, client, session, exam):
    """The guarded write, which also checks who is asking: nothing else on the exam's
    hottest path."""
    client.login("stu")
    state = start(client, exam)
    question = by_type(state)["essay"]
    path = f"/api/v1/attempts/{state['attempt_id']}/answers/{question['question_id']}"
    headers = {"X-CSRFToken": client.csrf_token("/")}
    statements = []  # on any engine (PostgreSQL writes on the autocommit twin)

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        response = client.put(path, json={"response": "为人民服务"}, headers=headers)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_json()
    assert len(statements) == 1, statements
    assert statements[0].startswith("INSERT INTO answers")
    resumed = client.get(f"/api/v1/attempts/{state['attempt_id']}").get_json()
    assert resumed["answers"] == {str(question["question_id"]): "为人民服务"}


def test_the_limiter_lets_the_exams_hot_paths_through_without_working_them_out(
    client, exam, monkeypatch
):
    """Start, resume, save and submit have no rate limit, and the limiter does not work out
    for each of their requests that none applies; a sign-in is still counted."""
    evaluated = []
    evaluate = flask_limiter.Limiter._check_request_limit

    def spy(self, *args, **kwargs):
        evaluated.append(request.endpoint)
        return evaluate(self, *args, **kwargs)

    monkeypatch.setattr(flask_limiter.Limiter, "_check_request_limit", spy)
    client.login("stu")
    state = start(client, exam)
    start(client, exam)
    question_id = by_type(state)["essay"]["question_id"]
    assert put_answer(client, state, question_id, {"response": "甲"}).status_code == 200
    assert api(client, "GET", f"/api/v1/attempts/{state['attempt_id']}").status_code == 200
    assert api(client, "POST", f"/api/v1/attempts/{state['attempt_id']}/submit").status_code == 200
    assert "accounts.login" in evaluated
    assert not [endpoint for endpoint in evaluated if endpoint.startswith("exams_api.")]


def test_a_start_writes_only_its_attempt_and_a_resume_writes_nothing(app, client, exam):
    """Starting reads, draws and inserts the attempt (through the group commit, so it never
    holds the write lock while drawing); resuming only reads."""
    client.login("stu")
    headers = {"X-CSRFToken": client.csrf_token("/")}
    statements = []  # on any engine (PostgreSQL writes on the autocommit twin)

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def start_once():
        statements.clear()
        event.listen(Engine, "before_cursor_execute", count)
        try:
            response = client.raw.post(f"/api/v1/exams/{exam.id}/attempts", headers=headers)
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        assert response.status_code == 200, response.get_json()
        writes = [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
        return response.get_json(), writes, statements

    started, writes, seen = start_once()
    assert [w.split("(")[0].strip() for w in writes] == ["INSERT INTO attempts"]
    assert len(seen) <= 9, "\n".join(s[:90].replace("\n", " ") for s in seen)
    resumed, writes, _ = start_once()
    assert writes == []
    assert resumed == {**started, "server_now": resumed["server_now"]}


def test_what_a_server_remembers_of_another_attempt_writes_nothing_wrong(client, session, exam):
    """A remembered seed that is not the attempt's (another database's attempt with the same
    id) makes the one-statement save write nothing: the full path saves it, and the entry is
    dropped."""
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["essay"]["question_id"]
    attempt = session.get(Attempt, state["attempt_id"])
    asked.remember(attempt.id, "another attempt's seed", attempt.items)
    assert put_answer(client, state, question_id, {"response": "甲"}).status_code == 200
    assert asked._entries.get(attempt.id) is None
    assert put_answer(client, state, question_id, {"response": "乙"}).status_code == 200
    assert asked._entries[attempt.id][0] == attempt.seed
    session.rollback()  # a fresh look at what the requests committed
    stored = session.scalar(select(Answer.response).where(Answer.attempt_id == attempt.id))
    assert stored == "乙"


def test_a_body_without_a_response_changes_nothing(client, session, exam):
    """A typo in the key is refused, not taken for "no answer"; null clears on purpose."""
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["single"]["question_id"]
    assert put_answer(client, state, question_id, {"response": 1}).status_code == 200
    for body in ({"respnse": 2}, {}):
        refused = put_answer(client, state, question_id, body)
        assert refused.status_code in (400, 422), refused.get_json()
    resumed = client.get(f"/api/v1/attempts/{state['attempt_id']}").get_json()
    assert resumed["answers"] == {str(question_id): 1}
    assert put_answer(client, state, question_id, {"response": None}).status_code == 200
    assert client.get(f"/api/v1/attempts/{state['attempt_id']}").get_json()["answers"] == {}


def test_a_save_racing_a_submit_is_graded_or_refused(app, client, session, exam):
    """A save that arrives while a submit grades the attempt waits for it, then is refused
    as after any submit; it is never acknowledged and left out of the grade."""
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["single"]["question_id"]
    graded, go_on = threading.Event(), threading.Event()

    def submitting():
        with app.app_context(), writing():
            attempt = db.session.get(Attempt, state["attempt_id"])
            services.submit(db.session, attempt, utcnow())
            graded.set()
            go_on.wait(10)
            db.session.commit()

    submitter = threading.Thread(target=submitting)
    submitter.start()
    assert graded.wait(10)
    threading.Timer(0.5, go_on.set).start()  # the save below comes while the submit is open
    reply = put_answer(client, state, question_id, {"response": 1})
    submitter.join()
    assert reply.status_code == 409, reply.get_json()
    answer = session.scalar(
        select(Answer).where(
            Answer.attempt_id == state["attempt_id"], Answer.question_id == question_id
        )
    )
    assert answer.response is None and answer.is_final


def test_of_two_tabs_the_newest_save_stands(client, session, exam):
    """Two saves of one question racing: the one made later stands, whichever commits last,
    on the one-statement path and on the full one."""
    client.login("stu")
    state = start(client, exam)
    question_id = by_type(state)["essay"]["question_id"]
    attempt = session.get(Attempt, state["attempt_id"])
    owner = session.scalar(select(User).where(User.username == "stu"))
    upsert, params = guarded_write(session, attempt, question_id, owner)
    later, earlier = utcnow(), utcnow() - timedelta(seconds=1)
    assert session.execute(upsert, {**params, "response": "新", "now": later}).rowcount == 1
    assert session.execute(upsert, {**params, "response": "旧", "now": earlier}).rowcount == 0
    services.save(session, attempt, question_id, "更旧", earlier - timedelta(seconds=1))
    session.commit()
    stored = session.scalar(select(Answer.response).where(Answer.attempt_id == attempt.id))
    assert stored == "新"
