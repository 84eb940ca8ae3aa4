"""An organizer uploads a document to a candidate's archive, checks it and exports the whole
archive, and the downloaded ZIP and PDF hold it; a district organizer reviews a graduate's."""

import subprocess
import zipfile

import pytest
from playwright.sync_api import expect

from partyschool.app import demo
from tests.browser.conftest import ARTIFACTS
from tests.candidates.material_files import pdf_bytes

pytestmark = pytest.mark.browser
RARE = "䶮𠮷㛃𪚥"


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")


def test_organizer_uploads_checks_and_exports_an_archive(
    page, live_server, demo_data, screenshot, tmp_path
):
    document = tmp_path / f"培养考察表{RARE}.pdf"
    document.write_bytes(pdf_bytes("培养考察意见：该同志表现优秀"))
    _sign_in(page, live_server, "organizer")
    page.click("nav >> text=发展档案")
    page.locator("tr[data-student-no='2023010101'] a").first.click()
    checklist = page.get_by_test_id("materials-checklist")
    expect(checklist.locator("tr", has_text="培养考察表")).to_contain_text("缺少")
    page.get_by_test_id("open-materials").click()

    page.select_option("select[name=kind]", "cultivation_form")
    page.fill("input[name=title]", "2026年度")
    page.set_input_files("input[name=file]", str(document))
    page.get_by_test_id("upload").click()
    expect(page.locator(".flash-info")).to_contain_text("已上传：培养考察表（待审核）")
    row = page.locator("tr", has_text=f"培养考察表{RARE}.pdf")
    row.locator("input[value=checked]").check()
    row.locator("button", has_text="提交审核").click()
    expect(page.locator(".flash-info")).to_contain_text("培养考察表：已审核")
    expect(
        page.get_by_test_id("materials-checklist").locator("tr", has_text="培养考察表")
    ).to_contain_text("已审核")
    screenshot("materials-page")

    with page.expect_download() as zip_download:
        page.get_by_test_id("export-zip").click()
    archive_path = tmp_path / "archive.zip"
    zip_download.value.save_as(archive_path)
    assert zip_download.value.suggested_filename == "张三-2023010101-入党材料.zip"
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
        assert "2-入党积极分子/03-培养考察表-2026年度.pdf" in names
        assert archive.read("2-入党积极分子/03-培养考察表-2026年度.pdf") == document.read_bytes()
        assert f"培养考察表{RARE}.pdf" in archive.read("目录.txt").decode("utf-8-sig")

    with page.expect_download() as pdf_download:
        page.get_by_test_id("export-pdf").click()
    pdf_path = tmp_path / "archive.pdf"
    pdf_download.value.save_as(pdf_path)
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "入党材料档案" in text and "张三" in text and "2023010101" in text
    assert "培养考察意见：该同志表现优秀" in text  # the uploaded PDF, merged in
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf_path)]
        + [str(ARTIFACTS / "materials-archive")],
        check=True,
    )
    assert (ARTIFACTS / "materials-archive-1.png").stat().st_size > 0


def test_district_organizer_reviews_a_graduates_material_on_a_phone(
    browser, live_server, demo_data
):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        _sign_in(page, live_server, "organizer")
        page.goto(f"{live_server}/materials/district")
        row = page.get_by_test_id("district-graduates").locator("tr", has_text="陈研")
        expect(row).to_contain_text("研究生公寓A幢 501")
        row.locator("a", has_text="审核材料").click()
        expect(page.locator("main")).to_contain_text("负责审核其入党材料")
        expect(page.get_by_test_id("export-zip")).to_have_count(0)
        material = page.locator("tr", has_text="入党申请书.pdf")
        material.locator("input[value=returned]").check()
        material.locator("input[name=comment]").fill("请补充本人签名")
        material.locator("button", has_text="提交审核").click()
        expect(page.locator(".flash-info")).to_contain_text("入党申请书：退回")
        expect(page.get_by_test_id("materials")).to_contain_text("请补充本人签名")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "materials-district-phone.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width  # nothing sideways on a phone
    finally:
        context.close()
