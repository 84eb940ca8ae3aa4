"""An organizer publicizes a batch of 发展对象: one refused candidate stops the batch with its
reason, the rest are publicized, and the notices print one per place, on a phone too."""

import subprocess

import pytest
from playwright.sync_api import expect

from partyschool.candidates.rules import Level, Stage
from tests.factories import (
    PASSWORD,
    make_candidate,
    make_development_candidate,
    make_places,
)

pytestmark = pytest.mark.browser


def test_an_organizer_publicizes_a_batch_and_prints_it(
    page, live_server, session, school, screenshot
):
    places = make_places(session, school)
    make_development_candidate(session, school, places, name="陈䶮", student_no="2021000001")
    make_development_candidate(
        session, school, places, name="林研", student_no="2021000002", level=Level.GRADUATE
    )
    unready = make_development_candidate(
        session, school, places, name="钱未审", student_no="2021000003"
    )
    unready.reviews.clear()
    make_candidate(session, school, name="李积极", stage=Stage.ACTIVIST)
    session.commit()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "org")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/candidates/")
    page.click("text=公示批次")
    page.click("text=发布公示")
    expect(page.locator("h1")).to_contain_text("接收为预备党员")
    for name in ("陈䶮", "林研", "钱未审"):
        page.check(f"input[aria-label='选择{name}']")
    page.fill("input[name=contact_person]", "王老师")
    page.fill("input[name=contact_phone]", "0577-86598000")
    screenshot("publicity-new-phone")
    page.click("button:has-text('发布公示')")
    expect(page.locator("[data-testid=refusal]").first).to_contain_text("政治审查尚未通过")
    expect(page.locator(".flash")).to_contain_text("本批次未创建")
    expect(page.locator("input[aria-label='选择陈䶮']")).to_be_checked()

    page.uncheck("input[aria-label='选择钱未审']")
    page.click("button:has-text('发布公示')")
    expect(page.locator(".flash")).to_contain_text("已发布公示，共2人")
    places_list = page.locator("[data-testid=posted-places]")
    expect(places_list).to_contain_text("第一学区（学区）· 第一学区党总支")
    expect(places_list).to_contain_text("北区3号楼（所住楼栋）· 数理学院党总支")
    screenshot("publicity-batch-phone")

    page.select_option("select[name=notice_id]", label="陈䶮")
    page.fill("textarea[name=content]", "反映该同志寝室卫生较差")
    page.click("button:has-text('登记异议')")
    objection = page.locator("[data-testid=objection]")
    expect(objection).to_contain_text("未处理")
    screenshot("publicity-objection-phone")
    objection.locator("select[name=finding]").select_option("unfounded")
    objection.locator("textarea[name=finding_note]").fill("经核查已整改")
    objection.locator("button:has-text('处理')").click()
    expect(page.locator("[data-testid=objection]")).to_contain_text("不属实")

    pdf_url = page.locator("[data-testid=batch-pdf]").get_attribute("href")
    response = page.request.get(f"{live_server}{pdf_url}")
    assert response.headers["content-type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.body(), capture_output=True, check=True
    ).stdout.decode()
    assert "公示地点：第一学区" in text and "公示地点：数理学院楼（学院楼栋）" in text

    page.click("text=打印公示")
    notices = page.locator("[data-testid=posted-notice]")
    expect(notices).to_have_count(4)
    expect(notices.first).to_contain_text("受理人：王老师")
    screenshot("publicity-print-phone")
    page.click("text=返回")
    expect(page.locator("h1")).to_contain_text("接收为预备党员公示")
