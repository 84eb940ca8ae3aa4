"""Thought reports (思想汇报), their comments and the half-yearly assessments (半年考察意见):
who may read and write them, the dates they may carry, files, and what the engine says when
one is missing."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from partyschool.accounts.models import Notification, Role, User
from partyschool.candidates import services
from partyschool.candidates.models import Candidate, ContactKind
from partyschool.candidates.reports import services as reports
from partyschool.candidates.reports.models import HalfYearAssessment, ThoughtReport
from partyschool.candidates.rule_kinds import requirement
from partyschool.candidates.rules import (
    CandidateFacts,
    Level,
    RuleSetError,
    Stage,
    Step,
    add_months,
    half_year_of,
)
from partyschool.candidates.rulesets import DEFAULT, evaluate_step, ruleset_from_dict
from partyschool.extensions import today
from tests.factories import (
    add_reports_and_assessments,
    make_candidate,
    make_ready_activist,
    make_user,
    reread,
)

DAY = timedelta(days=1)
ON = date(2026, 11, 30)


@pytest.fixture
def ctx(app):
    """The door reads the rule set in force from the app's configuration (pages push their
    own context; a test calling the door pushes this one)."""
    with app.app_context():
        yield


def facts(became: date, reports=(), periods=()) -> CandidateFacts:
    """An activist since `became` with these report dates and assessed half-years."""
    return CandidateFacts(
        student_no="1",
        level=Level.UNDERGRADUATE,
        stage=Stage.ACTIVIST,
        stage_history=((Stage.APPLICANT, became - 300 * DAY), (Stage.ACTIVIST, became)),
        thought_report_dates=tuple(reports),
        assessment_periods=tuple(periods),
    )


def reason(facts_: CandidateFacts, rule: str):
    decision = evaluate_step(facts_, DEFAULT, Step.BECOME_CANDIDATE, ON)
    return next((r for r in decision.reasons if r.rule == rule), None)


# --- the engine ----------------------------------------------------------------------------


def test_a_missing_quarter_is_named_with_its_dates():
    became = date(2025, 11, 15)  # four quarters ended by ON
    given = [date(2025, 12, 1), date(2026, 3, 1), date(2026, 9, 1)]  # none 2026-05-15..08-14
    found = reason(facts(became, given), "school.quarterly_thought_reports")
    assert found.blocking
    assert "2026-05-15至2026-08-14" in found.message and "每3个月至少一份" in found.message
    assert found.evidence["missing"] == [["2026-05-15", "2026-08-14"]]
    # The report on the last day of the quarter closes the gap.
    closed = facts(became, [*given, date(2026, 8, 14)])
    assert reason(closed, "school.quarterly_thought_reports") is None


def test_no_report_is_owed_before_the_first_quarter_ends():
    assert reason(facts(ON - 80 * DAY), "school.quarterly_thought_reports") is None


def test_missing_half_year_assessments_are_named():
    found = reason(facts(date(2025, 3, 1), periods=("2025-1",)), "national.half_year_assessments")
    assert found.message == (
        "半年考察意见仅1次，成为入党积极分子后须满2次（缺少2025年下半年、2026年上半年）"
    )
    # An assessment of a half-year before becoming an activist does not count.
    early = facts(date(2025, 3, 1), periods=("2024-2", "2025-1"))
    assert reason(early, "national.half_year_assessments") is not None
    done = facts(date(2025, 3, 1), periods=("2025-1", "2025-2"))
    assert reason(done, "national.half_year_assessments") is None


def test_the_rules_page_explains_the_new_kinds_and_rule_sets_accept_them():
    assert requirement("thought_reports", {"stage": Stage.ACTIVIST, "every_months": 3}) == (
        "成为入党积极分子后每 3 个月至少递交一份思想汇报"
    )
    data = DEFAULT.to_dict() | {"id": "custom", "version": 1}
    data["steps"]["become_candidate"].append(
        {"rule": "custom.monthly", "kind": "thought_reports", "params": {"every_months": 1}}
    )
    assert ruleset_from_dict(data).to_dict()["steps"]["become_candidate"][-1]["params"] == {
        "stage": "activist",
        "every_months": 1,
    }
    data["steps"]["become_candidate"][-1]["params"] = {"every_months": "three"}
    with pytest.raises(RuleSetError, match="every_months"):
        ruleset_from_dict(data)


def test_the_rules_page_lists_them(client, session, school):
    client.login("org")
    page = client.get("/candidates/rules").get_data(as_text=True)
    assert "school.quarterly_thought_reports" in page
    assert "成为入党积极分子后有培养联系人的半年考察意见不少于 2 次" in page


# --- the door ------------------------------------------------------------------------------


@pytest.fixture
def people(app, session, school):
    """An activist with an account, their contact (an instructor), another instructor, and
    an activist of another branch."""
    student = make_user(session, Role.ACTIVIST, school, username="stu")
    contact = make_user(session, Role.INSTRUCTOR, school, username="contact", display_name="刘老师")
    make_user(session, Role.INSTRUCTOR, school, username="other_teacher")
    make_user(session, Role.ACTIVIST, username="stranger")
    make_user(session, Role.ORGANIZER, username="far_org")
    candidate = make_candidate(session, school, user=student, days_in_stage=200)
    org = session.scalar(select(User).where(User.username == "org"))
    with app.app_context():
        services.record_fact(
            session,
            candidate,
            "contact",
            {
                "kind": ContactKind.CONTACT,
                "person_name": "刘老师",
                "assigned_on": today() - 100 * DAY,
                "user_id": contact.id,
            },
            org,
            today(),
        )
    session.commit()
    return candidate, student, contact


def test_a_contact_must_be_staff_of_the_branch(ctx, session, school, people):
    candidate, student, _ = people
    org = make_user(session, Role.ORGANIZER, school)
    far = make_user(session, Role.INSTRUCTOR)
    for account in (student, far):
        values = {"kind": "contact", "person_name": "x", "assigned_on": today()}
        with pytest.raises(services.RecordError, match="不能作为"):
            services.record_fact(
                session, candidate, "contact", values | {"user_id": account.id}, org, today()
            )


def test_reports_need_content_and_a_sensible_date(ctx, session, people):
    candidate, student, contact = people
    submit = lambda **kw: reports.submit_report(  # noqa: E731
        session,
        candidate,
        student,
        **({"title": "汇报", "submitted_on": today()} | kw),
        today=today(),
    )
    with pytest.raises(services.RecordError, match="内容或上传文件"):
        submit(body="   ")
    # A paper report recorded by staff carries the day they give, within the record.
    for day, message in ((today() + DAY, "不能晚于今天"), (today() - 1000 * DAY, "不能早于")):
        with pytest.raises(services.RecordError, match=message):
            reports.submit_report(
                session, candidate, contact, title="纸质", body="x", submitted_on=day, today=today()
            )
    with pytest.raises(services.RecordError, match="标题"):
        submit(title=" ", body="内容")
    other = make_candidate(session, candidate.party_school)
    with pytest.raises(services.RecordError, match="本人"):
        reports.submit_report(
            session, other, student, title="冒名", body="x", submitted_on=today(), today=today()
        )
    report = submit(body="第一季度学习体会 䶮𠮷")
    assert report.body.endswith("䶮𠮷")
    # The contact hears of it.
    assert session.scalar(select(Notification.text).where(Notification.url.contains("thought")))


def test_who_may_comment_and_read(ctx, session, school, people):
    candidate, student, contact = people
    users = {u.username: u for u in session.scalars(select(User))}
    assert reports.may_comment(contact, candidate) and reports.may_read(contact, candidate)
    assert reports.may_comment(users["org"], candidate)
    assert reports.may_read(student, candidate) and not reports.may_comment(student, candidate)
    for outsider in ("other_teacher", "stranger", "far_org"):
        assert not reports.may_read(users[outsider], candidate), outsider
    report = reports.submit_report(
        session, candidate, student, title="汇报", body="x", submitted_on=today(), today=today()
    )
    with pytest.raises(services.RecordError):
        reports.comment_report(session, report, candidate, users["other_teacher"], "好")
    reports.comment_report(session, report, candidate, contact, "认识深刻")
    assert [c.text for c in report.comments] == ["认识深刻"]


def test_one_assessment_per_half_year_dated_after_becoming_an_activist(ctx, session, people):
    candidate, _, contact = people
    became = today() - 200 * DAY
    period = half_year_of(today())

    def write(**kw):
        values = {"period": period, "written_on": today(), "content": "表现良好"} | kw
        return reports.record_assessment(session, candidate, contact, **values, today=today())

    with pytest.raises(services.RecordError, match="不能晚于今天"):
        write(written_on=today() + DAY)
    with pytest.raises(services.RecordError, match="不能早于"):
        write(written_on=became - DAY, period=half_year_of(became - DAY))
    with pytest.raises(services.RecordError, match="考察期无效"):
        write(period="2026-3")
    write()
    with pytest.raises(services.RecordError, match="已经填写过"):
        write(content="再写一次")
    session.commit()
    assert len(reread(session).get(Candidate, candidate.id).half_year_assessments) == 1


def test_the_database_holds_one_assessment_per_half_year(session, people):
    candidate, _, _ = people
    for _ in range(2):
        session.add(
            HalfYearAssessment(
                candidate_id=candidate.id, period="2026-1", written_on=today(), content="x"
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_the_database_refuses_a_report_without_content(session, people):
    candidate, _, _ = people
    session.add(ThoughtReport(candidate_id=candidate.id, title="空", submitted_on=today()))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_an_activist_ready_but_for_a_missing_report_is_told_and_then_eligible(
    app, client, session, school
):
    candidate = make_ready_activist(session, school, days_in_stage=400)
    candidate.thought_reports.clear()
    candidate.half_year_assessments.clear()
    add_reports_and_assessments(candidate, skip_quarter=2, assessments=0)
    session.commit()
    client.login("org")
    page = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "school.quarterly_thought_reports" in page and "缺少思想汇报" in page
    assert "national.half_year_assessments" in page and "半年考察意见仅0次" in page
    became = today() - 400 * DAY
    org = session.scalar(select(User).where(User.username == "org"))
    fresh = reread(session).get(Candidate, candidate.id)
    with app.app_context():
        reports.submit_report(
            session,
            fresh,
            org,
            title="补交的纸质汇报",
            body="x",
            submitted_on=add_months(became, 6) + DAY,
            today=today(),
        )
        first = half_year_of(became)
        second = f"{first[:4]}-2" if first.endswith("1") else f"{int(first[:4]) + 1}-1"
        for period in (first, second):
            reports.record_assessment(
                session,
                fresh,
                org,
                period=period,
                written_on=today(),
                content="良好",
                today=today(),
            )
    session.commit()
    fresh = reread(session).get(Candidate, candidate.id)
    assert fresh.next_step == "become_candidate" and not fresh.is_blocked


# --- the pages -----------------------------------------------------------------------------


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def fetch(client, url):
    """GET a URL and read the whole response (a file's too), closing it."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _submit(client, **fields):
    data = {"title": "第三季度思想汇报", "submitted_on": today().isoformat(), "body": ""} | fields
    return client.post(
        "/my/thought-reports", data, content_type="multipart/form-data", follow_redirects=True
    )


def test_text_report_comment_and_the_activist_reads_it(client, session, people):
    candidate, _, _ = people
    client.login("stu")
    page = _submit(client, body="我认真学习了党章。<script>alert(1)</script>").get_data(True)
    assert "思想汇报已递交" in page and "&lt;script&gt;" in page
    [report] = reread(session).scalars(select(ThoughtReport)).all()
    client.get("/logout")
    client.post("/logout")
    client.login("contact")
    assert "第三季度思想汇报" in client.get("/thought-reports/").get_data(True)
    response = client.post(f"/thought-reports/{report.id}/comments", {"text": "体会真切，继续努力"})
    assert response.status_code == 302
    client.post("/logout")
    client.login("stu")
    page = client.get(f"/thought-reports/{report.id}").get_data(True)
    assert "体会真切，继续努力" in page and "提交批阅意见" not in page
    assert (
        client.post(f"/thought-reports/{report.id}/comments", {"text": "自评"}).status_code == 403
    )


def test_a_file_report_is_stored_and_served_only_as_a_download(client, session, people, uploads):
    client.login("stu")
    pdf = (io.BytesIO(b"%PDF-1.4\n% thought report\n"), "我的思想汇报.pdf")
    assert "思想汇报已递交" in _submit(client, file=pdf).get_data(True)
    [report] = reread(session).scalars(select(ThoughtReport)).all()
    assert report.original_name == "我的思想汇报.pdf" and report.stored_name != report.original_name
    assert (uploads / report.stored_name).is_file()
    response = fetch(client, f"/thought-reports/{report.id}/file")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.data.startswith(b"%PDF-")
    client.post("/logout")
    for outsider in ("other_teacher", "stranger", "far_org"):
        client.login(outsider)
        assert fetch(client, f"/thought-reports/{report.id}/file").status_code == 404, outsider
        assert client.get(f"/thought-reports/{report.id}").status_code == 404, outsider
        client.post("/logout")
    client.login("contact")
    response = fetch(client, f"/thought-reports/{report.id}/file")
    assert response.status_code == 200, response.headers


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("汇报.html", b"<html><script>alert(1)</script></html>", "不支持的文件类型"),
        ("汇报.pdf", b"<html>not a pdf</html>", "文件内容与扩展名不符"),
        ("汇报.txt", b"", "文件是空的"),
        ("汇报.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "不能超过 10 MB"),
    ],
)
def test_a_refused_file_keeps_the_typed_text_and_stores_nothing(
    client, session, people, uploads, name, content, message
):
    client.login("stu")
    response = _submit(client, body="这段文字不能丢失", file=(io.BytesIO(content), name))
    page = response.get_data(True)
    response.close()
    assert response.status_code == 200 and message in page and "这段文字不能丢失" in page
    assert reread(session).scalars(select(ThoughtReport)).all() == []
    assert not uploads.exists() or [p for p in uploads.iterdir()] == []


def test_a_text_file_is_plain_text_and_a_download(client, session, people, uploads):
    client.login("stu")
    _submit(client, file=(io.BytesIO("思想汇报正文".encode()), "汇报.txt"))
    [report] = reread(session).scalars(select(ThoughtReport)).all()
    response = fetch(client, f"/thought-reports/{report.id}/file")
    assert (
        response.mimetype == "text/plain"
        and "attachment" in response.headers["Content-Disposition"]
    )
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_the_activist_cannot_backdate_an_online_report(client, session, people):
    client.login("stu")
    form = client.get("/my/thought-reports").get_data(True)
    assert 'name="submitted_on"' not in form and "递交日期为您提交的当天" in form
    backdated = (today() - 90 * DAY).isoformat()
    assert "思想汇报已递交" in _submit(client, body="补交", submitted_on=backdated).get_data(True)
    [report] = reread(session).scalars(select(ThoughtReport)).all()
    assert report.submitted_on == today()


def test_the_door_dates_the_candidates_own_report_today(ctx, session, people):
    candidate, student, _ = people
    report = reports.submit_report(
        session,
        candidate,
        student,
        title="补交",
        body="x",
        submitted_on=today() - 90 * DAY,
        today=today(),
    )
    assert report.submitted_on == today()


def test_assessment_page_for_contacts_and_organizers_only(client, session, people):
    candidate, _, _ = people
    url = f"/candidates/{candidate.id}/thought-reports"
    form = {"period": half_year_of(today()), "written_on": today().isoformat(), "content": "良好"}
    client.login("other_teacher")
    assert client.get(url).status_code == 404
    assert client.post(url, form).status_code == 404
    client.post("/logout")
    client.login("contact")
    assert client.post(url, form).status_code == 302
    page = client.post(url, form | {"content": "第二次"}).get_data(True)
    assert "的考察意见已经填写过" in page and "第二次" in page
    assert len(reread(session).get(Candidate, candidate.id).half_year_assessments) == 1


def test_the_demo_shows_a_complete_and_a_missing_case(client, demo_data, session):
    from partyschool.app import demo

    client.login("organizer", demo.DEMO_PASSWORD)
    by_name = {c.name: c for c in session.scalars(select(Candidate))}
    complete = client.get(f"/candidates/{by_name['王五'].id}").get_data(True)
    assert "school.quarterly_thought_reports" not in complete
    assert "national.half_year_assessments" not in complete
    missing = client.get(f"/candidates/{by_name['张三'].id}").get_data(True)
    assert "缺少思想汇报" in missing and "半年考察意见仅1次" in missing


# --- the workbenches -----------------------------------------------------------------------


def test_workbenches_show_what_is_due_and_what_awaits_a_comment(client, demo_data, session):
    from partyschool.app import demo

    client.login("activist", demo.DEMO_PASSWORD)
    home = client.get("/").get_data(True)
    assert "缺少思想汇报" in home and "在“思想汇报”页面递交思想汇报" in home
    client.post("/logout")
    client.login("organizer", demo.DEMO_PASSWORD)
    home = client.get("/").get_data(True)
    queue = home[home.index('data-testid="reports-awaiting"') :]
    assert "王五" in queue[: queue.index("</section>")]
    blocked = client.get("/candidates/?reason=reports").get_data(True)
    assert "张三" in blocked and "王五" not in blocked
    client.post("/logout")
    client.login("teacher", demo.DEMO_PASSWORD)  # 张三's contact: their one report is commented
    assert 'data-testid="reports-awaiting"' not in client.get("/").get_data(True)


def test_a_contacts_workbench_lists_the_new_report(app, client, session, people):
    candidate, student, _ = people
    with app.app_context():
        reports.submit_report(
            session,
            candidate,
            student,
            title="十月汇报",
            body="x",
            submitted_on=today(),
            today=today(),
        )
    session.commit()
    client.login("contact")
    home = client.get("/").get_data(True)
    assert 'data-testid="reports-awaiting"' in home and "十月汇报" in home
    client.post("/logout")
    client.login("other_teacher")
    assert "十月汇报" not in client.get("/").get_data(True)


def test_the_organizer_ties_a_contact_to_an_account_of_the_branch(client, session, people):
    candidate, _, contact = people
    far = session.scalar(select(User).where(User.username == "far_org"))
    client.login("org")
    url = f"/candidates/{candidate.id}/facts/contact"
    form = client.get(url).get_data(True)
    assert "刘老师（contact）" in form and "far_org" not in form
    values = {"kind": "contact", "person_name": "张老师", "assigned_on": today().isoformat()}
    assert client.post(url, values | {"user_id": str(far.id)}).status_code == 200
    assert client.post(url, values | {"user_id": str(contact.id)}).status_code == 302
    assert client.post(url, values | {"person_name": "无账号", "user_id": ""}).status_code == 302
    contacts = reread(session).get(Candidate, candidate.id).contacts
    assert sorted((c.person_name, c.user_id) for c in contacts) == [
        ("刘老师", contact.id),
        ("张老师", contact.id),
        ("无账号", None),
    ]
    assert "本站账号 contact" in client.get(f"/candidates/{candidate.id}").get_data(True)


def test_a_contact_records_a_report_handed_in_on_paper(client, session, people, uploads):
    candidate, _, _ = people
    url = f"/candidates/{candidate.id}/thought-reports/paper"
    scan = (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 64), "扫描件.png")
    values = {"title": "纸质汇报", "submitted_on": (today() - 10 * DAY).isoformat()}
    client.login("other_teacher")
    assert client.post(url, values | {"body": "x"}).status_code == 404
    client.post("/logout")
    client.login("contact")
    page = client.post(url, values | {"submitted_on": (today() + DAY).isoformat(), "body": "x"})
    assert "不能晚于今天" in page.get_data(True)
    response = client.post(url, values | {"file": scan}, content_type="multipart/form-data")
    assert response.status_code == 302
    [report] = reread(session).scalars(select(ThoughtReport)).all()
    assert report.original_name == "扫描件.png" and report.submitted_on == today() - 10 * DAY
    assert fetch(client, f"/thought-reports/{report.id}/file").mimetype == "image/png"
