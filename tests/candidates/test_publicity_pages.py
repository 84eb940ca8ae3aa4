"""The 公示 batch pages: an organizer starts a batch, follows its objections, and prints one
notice per place naming the district and the building."""

import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from partyschool.accounts.models import Role
from partyschool.candidates.models import Candidate, PublicityBatch, PublicityNotice
from partyschool.candidates.rules import Level, Stage
from partyschool.extensions import today
from partyschool.organization.models import College
from tests.candidates.test_publicity_batches import _ended_notice
from tests.conftest import Client
from tests.factories import (
    make_candidate,
    make_development_candidate,
    make_places,
    make_user,
    reread,
)


@pytest.fixture
def places(session, school):
    """第一学区, 数理学院 (posting at 数理学院楼) and a room in 北区3号楼."""
    return make_places(session, school)


_development_candidate = make_development_candidate


def _form(*candidates, **overrides) -> dict:
    return {
        "step": "become_probationary",
        "candidate_ids": [str(c.id) for c in candidates],
        "starts_on": today().isoformat(),
        "ends_on": (today() + timedelta(days=6)).isoformat(),
        "contact_person": "王老师",
        "contact_phone": "0577-86598000",
        "contact_email": "",
    } | overrides


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_an_organizer_publicizes_a_batch_and_prints_one_notice_per_place(
    client, session, school, places
):
    first = _development_candidate(session, school, places, name="陈䶮")
    second = _development_candidate(session, school, places, name="林𠮷", level=Level.GRADUATE)
    session.commit()
    client.login("org")
    page = client.get("/candidates/publicity/batches/new").get_data(as_text=True)
    assert "陈䶮" in page and "第一学区" in page and "数理学院楼" in page
    response = client.post("/candidates/publicity/batches/new", _form(first, second))
    assert response.status_code == 302
    batch = reread(session).scalars(select(PublicityBatch)).one()
    shown = client.get(f"/candidates/publicity/batches/{batch.id}").get_data(as_text=True)
    assert "第一学区（学区）· 第一学区党总支 · 1 人" in shown and "林𠮷" in shown
    pdf = client.get(f"/candidates/publicity/batches/{batch.id}.pdf")
    assert pdf.mimetype == "application/pdf"
    text = _text(pdf.data)
    pages = text.split("\f")
    # Undergraduate: 第一学区 and 数理学院楼; graduate: 数理学院 and 北区3号楼 — four notices.
    assert len([p for p in pages if p.strip()]) == 4
    assert "公示地点：第一学区\n" in text and "公示地点：数理学院楼（学院楼栋）" in text
    assert "公示地点：北区3号楼（所住楼栋）" in text and "公示地点：数理学院\n" in text
    assert "第一学区党总支" in text and "数理学院党总支" in text
    assert "王老师" in text and "0577-86598000" in text
    assert f"{today().isoformat()} 至 {(today() + timedelta(days=6)).isoformat()}" in text
    [district_page] = [p for p in pages if "公示地点：第一学区" in p]
    assert "陈䶮" in district_page and "林𠮷" not in district_page
    printed = client.get(f"/candidates/publicity/batches/{batch.id}/print").get_data(as_text=True)
    assert printed.count('data-testid="posted-notice"') == 4


def test_a_refused_batch_shows_each_reason_and_keeps_the_choice(client, session, school, places):
    ready = _development_candidate(session, school, places, name="赵可")
    blocked = _development_candidate(session, school, places, name="钱否")
    blocked.reviews.clear()
    session.commit()
    client.login("org")
    response = client.post("/candidates/publicity/batches/new", _form(ready, blocked))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "本批次未创建" in page and "钱否（" in page and "政治审查尚未通过" in page
    assert page.count("checked") == 2 and "王老师" in page
    assert reread(session).scalars(select(PublicityNotice)).all() == []


def test_another_branchs_candidate_cannot_be_slipped_into_a_batch(client, session, school, places):
    mine = _development_candidate(session, school, places)
    theirs = make_candidate(session, name="外校", stage=Stage.CANDIDATE)
    session.commit()
    client.login("org")
    response = client.post("/candidates/publicity/batches/new", _form(mine, theirs))
    assert response.status_code == 404
    assert reread(session).scalars(select(PublicityBatch)).all() == []


def test_objections_are_recorded_resolved_and_the_result_confirmed(client, session, school, places):
    candidate, notice, batch = _ended_notice(session, school, places)
    client.login("org")
    url = f"/candidates/publicity/batches/{batch.id}"
    late = client.post(
        f"{url}/objections",
        {"notice_id": notice.id, "raised_on": today().isoformat(), "content": "迟到的意见"},
    )
    assert late.status_code == 400 and "期满后反映的问题" in late.get_data(as_text=True)
    assert "迟到的意见" in late.get_data(as_text=True)  # what was typed is kept
    raised_on = (today() - timedelta(days=5)).isoformat()
    client.post(
        f"{url}/objections",
        {
            "notice_id": notice.id,
            "raised_on": raised_on,
            "content": "寝室卫生差",
            "raised_by": "室友",
        },
    )
    page = client.post(f"{url}/conclude", {}, follow_redirects=True).get_data(as_text=True)
    assert "异议尚未处理" in page and "寝室卫生差" in page
    [objection] = reread(session).get(PublicityNotice, notice.id).raised_objections
    client.post(
        f"/candidates/publicity/objections/{objection.id}/resolve",
        {
            "finding": "unfounded",
            "finding_note": "经核查已整改",
            "resolved_on": today().isoformat(),
        },
    )
    page = client.post(f"{url}/conclude", {}, follow_redirects=True).get_data(as_text=True)
    assert "通过1人" in page
    record = client.get(f"/api/v1/candidates/{candidate.student_no}/eligibility").get_json()
    [step] = [s for s in record["steps"] if s["step"] == "become_probationary"]
    assert step["eligible"], step


def test_the_school_admin_names_a_colleges_building(app, client, session, school):
    make_user(session, Role.SCHOOL_ADMIN, username="top")
    college = College(code="law", name="法学院")
    session.add(college)
    session.commit()
    client.login("top")
    assert "法学院" in client.get("/admin/schools/colleges").get_data(as_text=True)
    client.post(f"/admin/schools/colleges/{college.id}", {"notice_building": "法学楼"})
    assert reread(session).get(College, college.id).notice_building == "法学楼"
    client = Client(app)
    client.login("badmin")
    assert (
        client.post(f"/admin/schools/colleges/{college.id}", {"notice_building": "x"}).status_code
        == 403
    )
    assert reread(session).get(College, college.id).notice_building == "法学楼"


def test_the_demo_has_a_running_publicity_naming_the_district_and_a_building(
    client, session, demo_data
):
    client.login("organizer", "partyschool-demo")
    listing = client.get("/candidates/publicity/batches").get_data(as_text=True)
    assert "接收为预备党员" in listing and "公示中" in listing
    batch = session.scalars(select(PublicityBatch)).one()
    page = client.get(f"/candidates/publicity/batches/{batch.id}").get_data(as_text=True)
    assert "卫生检查不合格" in page and "未处理" in page
    text = _text(client.get(f"/candidates/publicity/batches/{batch.id}.pdf").data)
    assert "公示地点：第一学区" in text and "公示地点：北区1号楼（学院楼栋）" in text
    assert "第一学区党总支" in text and "李组织员" in text and "邓䶮" in text


def test_a_batch_notice_is_not_corrected_around_its_objections(client, session, school, places):
    candidate, notice, _ = _ended_notice(session, school, places)
    client.login("org")
    record = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "第一学区、数理学院楼（第一学区党总支）" in record
    page = client.post(
        f"/candidates/{candidate.id}/facts/publicity/{notice.id}",
        {
            "step": "become_probationary",
            "places": ["学区", "学院楼栋"],
            "starts_on": notice.starts_on.isoformat(),
            "ends_on": notice.ends_on.isoformat(),
            "outcome": "passed",
            "change_reason": "直接改为通过",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请在公示批次页面处理" in page
    assert reread(session).get(PublicityNotice, notice.id).outcome == "pending"


def test_the_batch_page_lists_only_who_still_needs_publicity(client, session, school, places):
    partial = _development_candidate(session, school, places, name="周九")
    done = _development_candidate(session, school, places, name="孙八")
    fresh = _development_candidate(session, school, places, name="吴十")
    for candidate, kinds in ((partial, ["学区"]), (done, ["学区", "学院楼栋"])):
        candidate.publicity_notices.append(
            PublicityNotice(
                step="become_probationary",
                places=kinds,
                starts_on=today() - timedelta(days=20),
                ends_on=today() - timedelta(days=7),
                outcome="passed",
            )
        )
    session.commit()
    client.login("org")
    page = client.get("/candidates/publicity/batches/new").get_data(as_text=True)
    assert "周九" in page and "吴十" in page and "孙八" not in page
    response = client.post("/candidates/publicity/batches/new", _form(partial, fresh))
    assert response.status_code == 302, response.get_data(as_text=True)
    notices = reread(session).scalars(
        select(PublicityNotice).where(PublicityNotice.batch_id.is_not(None))
    )
    assert sorted(n.places for n in notices) == [["学区", "学院楼栋"], ["学院楼栋"]]


def test_concluding_twice_says_it_is_already_concluded(client, session, school, places):
    _, notice, batch = _ended_notice(session, school, places)
    client.login("org")
    url = f"/candidates/publicity/batches/{batch.id}/conclude"
    assert "通过1人，未通过0人" in client.post(url, {}, follow_redirects=True).get_data(True)
    page = client.post(url, {}, follow_redirects=True).get_data(as_text=True)
    assert "结果已经确认（通过1人，未通过0人）" in page
    assert reread(session).get(PublicityNotice, notice.id).outcome == "passed"


def test_the_demos_partial_publicity_is_completed_in_a_batch(client, session, demo_data):
    client.login("organizer", "partyschool-demo")
    page = client.get("/candidates/publicity/batches/new").get_data(as_text=True)
    assert "周九" in page and "孙八" not in page
    zhou = session.scalars(select(Candidate).where(Candidate.name == "周九")).one()
    response = client.post("/candidates/publicity/batches/new", _form(zhou))
    assert response.status_code == 302, response.get_data(as_text=True)
    batch = reread(session).scalars(select(PublicityBatch).order_by(PublicityBatch.id)).all()[-1]
    assert [n.places for n in batch.notices] == [["学院楼栋"]]
