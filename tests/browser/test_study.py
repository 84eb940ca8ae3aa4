"""A trainee studies a lesson and sees the hours grow; the head teacher shows the sign-in QR."""

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from courses.models import Lesson
from courses.study.attendance import sign_in_code
from partyschool.accounts.models import Role
from partyschool.extensions import utcnow
from tests.browser.conftest import ARTIFACTS
from tests.factories import (
    PASSWORD,
    make_branch_school,
    make_candidate,
    make_class,
    make_course,
    make_enrolment,
    make_user,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def classroom(app, session, monkeypatch):
    """A class with a head teacher and one approved trainee; heartbeats every second."""
    monkeypatch.setitem(app.config, "STUDY_HEARTBEAT_SECONDS", 1)
    school = make_branch_school(session, name="第一学区分党校")
    course = make_course(session, school, title="党的基本知识", required_hours=Decimal(4))
    lesson: Lesson = course.lessons[0]
    lesson.title, lesson.required_minutes = "中国共产党章程导读", 1
    lesson.body = "## 学习目标\n\n理解党章的**总纲**。\n\n> 党的最高理想和最终目标是实现共产主义。"
    teacher = make_user(
        session, Role.INSTRUCTOR, school, username="banzhuren", display_name="王老师"
    )
    training_class = make_class(session, course, head_teacher_id=teacher.id)
    training_class.lectures[0].starts_at = utcnow() - timedelta(minutes=10)  # the lecture is on
    user = make_user(session, Role.ACTIVIST, school, username="xueyuan", display_name="李同学")
    enrolment = make_enrolment(session, training_class, make_candidate(session, school, user=user))
    session.commit()
    return training_class, lesson, enrolment


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def test_trainee_sees_study_time_grow(page, live_server, classroom, screenshot):
    training_class, lesson, _ = classroom
    sign_in(page, live_server, "xueyuan")
    page.click("text=学习进度")
    page.click("text=进入学习")
    page.click(f"text={lesson.title}")
    assert page.get_by_role("heading", name="学习目标").is_visible()
    opened = time.monotonic()
    seconds = page.get_by_test_id("lesson-time")
    assert seconds.get_attribute("data-lesson-seconds") == "0"
    # No wait_for_function: it evaluates a string, which the Content-Security-Policy forbids.
    expect(seconds).to_have_attribute(
        "data-lesson-seconds", re.compile(r"^([4-9]|\d{2,})$"), timeout=15_000
    )
    studied = int(seconds.get_attribute("data-lesson-seconds"))
    assert studied <= time.monotonic() - opened + 1  # never more than wall-clock time
    assert "正在计时" in page.get_by_test_id("study-state").inner_text()
    assert re.fullmatch(r"0 分 \d+ 秒", seconds.inner_text())
    assert float(page.locator("[data-lesson-progress]").evaluate("bar => bar.value")) >= 4
    screenshot("study-lesson")
    page.reload()  # what the server vouches for survives a reload
    assert int(seconds.get_attribute("data-lesson-seconds")) >= studied


def test_head_teacher_shows_a_sign_in_qr_that_works(
    browser, page, live_server, classroom, screenshot
):
    training_class, _, enrolment = classroom
    lecture = training_class.lectures[0]
    sign_in(page, live_server, "banzhuren")
    page.click("text=考勤与学时")
    page.click("text=签到二维码")
    qr = page.get_by_test_id("sign-in-qr")
    assert qr.locator("svg.qr-code path").count() >= 1
    box = qr.locator("svg.qr-code").bounding_box()
    assert box["width"] > 150 and box["height"] > 150
    url = qr.get_attribute("data-sign-in-url")
    now = utcnow()
    expected = {sign_in_code(lecture, now - timedelta(seconds=s)) for s in (0, 15, 30)}
    assert url.startswith(f"{live_server}/lectures/{lecture.id}/sign-in?code=")
    assert url.rsplit("=", 1)[1] in expected
    screenshot("study-sign-in-qr")

    student_context = browser.new_context(locale="zh-CN")
    student = student_context.new_page()
    sign_in(student, live_server, "xueyuan")
    student.goto(url)  # what scanning the code does
    student.wait_for_url(re.compile(r".*/my-progress$"))
    assert "签到成功" in student.content()
    assert "线下 2.0" in student.get_by_test_id("class-hours-summary").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    student.screenshot(path=str(ARTIFACTS / "study-my-progress.png"), full_page=True)
    student_context.close()

    # The QR page renews itself (code and list) every few seconds: the sign-in shows up live.
    expect(page.get_by_test_id("signed-count")).to_have_text("1", timeout=30_000)
    assert enrolment.candidate.name in page.get_by_test_id("sign-ins").inner_text()  # who, when
    page.click("text=查看名单与点名")
    assert page.get_by_test_id("present-count").inner_text() == "1"
    assert page.locator("text=扫码签到").count() == 1
    page.goto(f"{live_server}/classes/{training_class.id}/progress")
    assert page.get_by_test_id("behind-count").inner_text() == "1"
    screenshot("study-class-progress")
