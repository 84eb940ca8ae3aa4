"""Reading reports (学习心得): submitting, similarity to earlier reports, review, access."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from courses.models import EnrolmentStatus, ReadingReport, ReportStatus
from courses.reports import services as reports
from partyschool.accounts.models import Role
from tests.courses.test_similarity import essay, rewrite
from tests.courses.trainees import make_trainee
from tests.factories import (
    make_class,
    make_course,
    make_user,
    reread,
)

NOW = datetime(2025, 5, 1, 8, tzinfo=UTC)


@pytest.fixture
def klass(session, school):
    return make_class(session, make_course(session, school), report_min_chars=500)


def text(seed: int) -> str:
    """An original report of about 1,300 characters."""
    return "".join(essay(seed))


def submitted(session, enrolment, body: str) -> ReadingReport:
    return reports.submit(session, enrolment, body, NOW)


# --- the service ---------------------------------------------------------------------------


def test_a_too_short_report_is_refused_with_the_count(session, klass):
    klass.report_min_chars = 1500
    enrolment = make_trainee(session, klass)
    body = "学" * 1203 + " \n\t " * 50  # whitespace does not count
    with pytest.raises(reports.ReportError, match="心得不少于 1500 字，当前 1203 字"):
        submitted(session, enrolment, body)
    assert session.scalar(select(func.count(ReadingReport.id))) == 0
    assert submitted(session, enrolment, "学" * 1500).status is ReportStatus.SUBMITTED


def test_a_copy_points_to_the_original_of_an_earlier_class(session, school, klass):
    earlier = make_class(
        session,
        make_course(session, school),  # another course: copying crosses courses too
        starts_on=klass.starts_on - timedelta(days=365),
        report_min_chars=500,
    )
    original_text = essay(1)
    original = submitted(session, make_trainee(session, earlier), "".join(original_text))
    unrelated = submitted(session, make_trainee(session, klass), text(2))
    copy = submitted(session, make_trainee(session, klass), "".join(rewrite(original_text, 5)))

    assert copy.similar_to_id == original.id
    assert copy.similarity >= 0.7
    assert unrelated.similarity < 0.1


def test_an_original_report_scores_low(session, klass):
    for seed in range(5):
        submitted(session, make_trainee(session, klass), text(seed))
    own = submitted(session, make_trainee(session, klass), text(99))
    assert own.similarity < 0.1


def test_an_identical_copy_in_the_same_class_scores_one(session, klass):
    first = submitted(session, make_trainee(session, klass), text(1))
    second = submitted(session, make_trainee(session, klass), text(1))
    assert (second.similarity, second.similar_to_id) == (1.0, first.id)
    assert first.similar_to_id is None


def test_later_classes_other_schools_and_own_drafts_are_not_sources(session, school, klass):
    later = make_class(
        session, klass.course, starts_on=klass.starts_on + timedelta(days=30), report_min_chars=500
    )
    submitted(session, make_trainee(session, later), text(1))
    elsewhere = make_class(session, report_min_chars=500)  # another branch school
    submitted(session, make_trainee(session, elsewhere), text(1))
    enrolment = make_trainee(session, klass)
    draft = submitted(session, enrolment, text(1))
    assert (draft.similarity, draft.similar_to_id) == (0.0, None)

    reports.review(session, draft, make_user(session, Role.INSTRUCTOR, school), False, "再充实")
    revised = submitted(session, enrolment, text(1) + "补充了新的体会。")
    assert (revised.similarity, revised.similar_to_id) == (0.0, None)


def test_returning_requires_a_comment(session, school, klass):
    report = submitted(session, make_trainee(session, klass), text(1))
    teacher = make_user(session, Role.INSTRUCTOR, school)
    with pytest.raises(reports.ReportError, match="退回时请填写评语"):
        reports.review(session, report, teacher, passed=False, comment="  ")
    assert report.status is ReportStatus.SUBMITTED
    reports.review(session, report, teacher, passed=False, comment="联系实际不够")
    assert (report.status, report.comment, report.reviewed_by_id) == (
        ReportStatus.RETURNED,
        "联系实际不够",
        teacher.id,
    )
    with pytest.raises(reports.ReportError, match="不能重复审阅"):
        reports.review(session, report, teacher, passed=True, comment="")


def test_a_returned_report_may_be_resubmitted_a_passed_one_may_not(session, school, klass):
    enrolment = make_trainee(session, klass)
    teacher = make_user(session, Role.INSTRUCTOR, school)
    first = submitted(session, enrolment, text(1))
    with pytest.raises(reports.ReportError, match="正在等待审阅"):
        submitted(session, enrolment, text(2))
    reports.review(session, first, teacher, passed=False, comment="请结合自身实际")
    assert not reports.report_passed(session, enrolment)

    second = submitted(session, enrolment, text(2))
    assert [r.id for r in reports.history(session, enrolment)] == [second.id, first.id]
    assert first.status is ReportStatus.RETURNED  # the returned draft is kept
    reports.review(session, second, teacher, passed=True, comment="")
    assert reports.report_passed(session, enrolment)
    with pytest.raises(reports.ReportError, match="已通过审阅"):
        submitted(session, enrolment, text(3))


def test_only_an_admitted_trainee_may_submit(session, klass):
    for status in (EnrolmentStatus.PENDING, EnrolmentStatus.WAITLISTED, EnrolmentStatus.WITHDRAWN):
        with pytest.raises(reports.ReportError, match="录取后"):
            submitted(session, make_trainee(session, klass, status), text(1))


def test_report_passed_for_one_and_for_a_class(session, school, klass):
    teacher = make_user(session, Role.INSTRUCTOR, school)
    passed, returned, pending, silent = (make_trainee(session, klass) for _ in range(4))
    reports.review(session, submitted(session, passed, text(1)), teacher, True, "")
    reports.review(session, submitted(session, returned, text(2)), teacher, False, "重写")
    submitted(session, pending, text(3))

    assert reports.reports_passed(session, klass) == {
        passed.id: True,
        returned.id: False,
        pending.id: False,
        silent.id: False,
    }
    assert [reports.report_passed(session, e) for e in (passed, returned, silent)] == [
        True,
        False,
        False,
    ]
    no_report = make_class(session, klass.course, report_min_chars=0)
    free = make_trainee(session, no_report)
    assert reports.report_passed(session, free)
    assert reports.reports_passed(session, no_report) == {free.id: True}
    with pytest.raises(reports.ReportError, match="不要求"):
        submitted(session, free, text(4))


def test_a_copy_is_found_among_thousands_of_earlier_reports(session, school, klass):
    earlier = make_class(
        session, klass.course, starts_on=klass.starts_on - timedelta(days=200), report_min_chars=1
    )
    holder = make_trainee(session, earlier)
    rng = random.Random(7)
    original = essay(1, sentences=80)
    rows = [
        {
            "enrolment_id": holder.id,
            "text": "…",
            "signature": [rng.getrandbits(32) for _ in range(128)],
            "status": ReportStatus.PASSED,
            "submitted_at": NOW,
        }
        for _ in range(3000)
    ]
    session.execute(insert(ReadingReport), rows)
    target = submitted(session, make_trainee(session, earlier), "".join(original))  # number 3,001
    session.commit()
    copy = submitted(session, make_trainee(session, klass), "".join(rewrite(original, 4)))
    assert copy.similar_to_id == target.id and copy.similarity > 0.7


# --- the pages -----------------------------------------------------------------------------


@pytest.fixture
def page_world(session, school, klass):
    """A trainee (username "trainee") in `klass`, a teacher of the school, and one of another."""
    enrolment = make_trainee(session, klass, username="trainee")
    make_user(session, Role.INSTRUCTOR, school, username="teacher")
    make_user(session, Role.INSTRUCTOR, username="stranger")  # another branch school
    session.commit()
    return enrolment


def test_the_trainee_writes_and_submits_on_the_page(client, session, klass, page_world):
    client.login("trainee")
    page = client.get(f"/classes/{klass.id}/report").get_data(as_text=True)
    assert 'data-min-chars="500"' in page and "js/report.js" in page

    response = client.post(f"/classes/{klass.id}/report", data={"text": "学习" * 100})
    assert "心得不少于 500 字，当前 200 字" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(ReadingReport.id))) == 0

    response = client.post(f"/classes/{klass.id}/report", data={"text": text(1)})
    assert response.status_code == 302
    page = client.get(f"/classes/{klass.id}/report").get_data(as_text=True)
    assert "待审阅" in page and "正在等待审阅" in page and "<textarea" not in page
    assert "相似" not in page  # the figure is for reviewers
    assert reports.latest(reread(session), page_world).status is ReportStatus.SUBMITTED
    assert "待审阅" in client.get("/my/reports").get_data(as_text=True)


def test_the_review_queue_flags_a_copy_and_shows_both_side_by_side(
    client, session, school, klass, page_world
):
    original = submitted(session, make_trainee(session, klass), text(1))
    copy = submitted(session, page_world, text(1))
    session.commit()
    client.login("teacher")

    queue = client.get(f"/classes/{klass.id}/reports").get_data(as_text=True)
    assert 'class="badge bad"' in queue and "100%" in queue
    assert f'href="/reports/{original.id}"' in queue
    assert queue.index(f"/reports/{copy.id}") > 0

    page = client.get(f"/reports/{copy.id}").get_data(as_text=True)
    assert page.count("<mark>") >= 2  # both columns mark the shared text
    assert "与本篇高度相似的后交心得" in client.get(f"/reports/{original.id}").get_data(
        as_text=True
    )
    assert "心得审阅" in client.get("/reports").get_data(as_text=True)


def test_returning_on_the_page_needs_a_comment_the_trainee_then_sees(
    client, session, klass, page_world
):
    report = submitted(session, page_world, text(1))
    session.commit()
    client.login("teacher")

    response = client.post(f"/reports/{report.id}/review", data={"decision": "return"})
    assert "退回时请填写评语" in response.get_data(as_text=True)
    assert reread(session).get(ReadingReport, report.id).status is ReportStatus.SUBMITTED

    response = client.post(
        f"/reports/{report.id}/review", data={"decision": "return", "comment": "请联系思想实际"}
    )
    assert response.status_code == 302
    assert reread(session).get(ReadingReport, report.id).status is ReportStatus.RETURNED

    client.post("/logout", data={"csrf_token": client.csrf_token("/")})
    client.login("trainee")
    page = client.get(f"/classes/{klass.id}/report").get_data(as_text=True)
    assert "请联系思想实际" in page and "已退回" in page
    assert "<textarea" in page and essay(1)[0] in page  # revise the returned text
    assert client.post(f"/classes/{klass.id}/report", data={"text": text(2)}).status_code == 302
    assert len(reports.history(reread(session), page_world)) == 2


def test_passing_on_the_page(client, session, klass, page_world):
    report = submitted(session, page_world, text(1))
    session.commit()
    client.login("teacher")
    response = client.post(f"/reports/{report.id}/review", data={"decision": "pass"})
    assert response.status_code == 302
    assert reports.report_passed(reread(session), page_world)


@pytest.mark.parametrize("status", [EnrolmentStatus.PENDING, None])
def test_a_trainee_without_an_admitted_place_gets_404(client, session, klass, status):
    if status is None:
        make_user(session, Role.ACTIVIST, klass.party_school, username="outsider")
    else:
        make_trainee(session, klass, status, username="outsider")
    session.commit()
    client.login("outsider")
    assert client.get(f"/classes/{klass.id}/report").status_code == 404
    assert client.post(f"/classes/{klass.id}/report", data={"text": text(1)}).status_code == 404
    assert reread(session).scalar(select(func.count(ReadingReport.id))) == 0


def test_staff_cannot_write_a_report(client, klass, page_world):
    client.login("teacher")
    assert client.get(f"/classes/{klass.id}/report").status_code == 403


def test_an_instructor_of_another_branch_can_neither_see_nor_review(
    client, session, klass, page_world
):
    report = submitted(session, page_world, text(1))
    session.commit()
    client.login("stranger")
    assert client.get(f"/classes/{klass.id}/reports").status_code == 404
    assert client.get(f"/reports/{report.id}").status_code == 404
    response = client.post(f"/reports/{report.id}/review", data={"decision": "pass"})
    assert response.status_code == 404
    assert reread(session).get(ReadingReport, report.id).status is ReportStatus.SUBMITTED
    assert klass.title not in client.get("/reports").get_data(as_text=True)


def test_a_draft_is_kept_on_the_server_on_demand(client, session, klass):
    enrolment = make_trainee(session, klass, username="writer")
    session.commit()
    client.login("writer")
    body = text(7)[:1500]
    saved = client.post(f"/classes/{klass.id}/report/draft", {"text": body})
    assert saved.status_code == 302
    page = client.get(f"/classes/{klass.id}/report").get_data(as_text=True)
    assert body[:200] in page and "保存到服务器的草稿" in page
    # Submitting the report uses the draft up.
    assert client.post(f"/classes/{klass.id}/report", {"text": body}).status_code == 302
    assert reports.draft_of(reread(session), enrolment) is None
    # A report waiting for review cannot be drafted over.
    refused = client.post(f"/classes/{klass.id}/report/draft", {"text": "再改改"})
    assert refused.status_code == 302
    assert reports.draft_of(reread(session), enrolment) is None
