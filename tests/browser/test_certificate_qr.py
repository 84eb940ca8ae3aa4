"""Scan the QR code printed on a certificate, see it valid; revoke it, see it revoked."""

import secrets
import shutil
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from partyschool.accounts.models import Role
from partyschool.certificates.models import Certificate, CertificateStatus, CertificateTemplate
from partyschool.certificates.render import CertificateContext, render_certificate
from partyschool.extensions import today
from tests.conftest import Client
from tests.factories import (
    make_branch_school,
    make_candidate,
    make_class,
    make_enrolment,
    make_user,
    reread,
)

pytestmark = pytest.mark.browser
REASON = "经核查，该学员培训期间由他人代学"


@pytest.fixture
def certificate(session, live_server) -> Certificate:
    """A certificate issued to 𠮷祥 whose PDF's QR code points at the live server."""
    school = make_branch_school(session, name="第一学区分党校")
    make_user(session, Role.BRANCH_ADMIN, school, username="fenxiao_admin")
    training_class = make_class(
        session,
        number=35,
        starts_on=today() - timedelta(days=30),
        ends_on=today() - timedelta(days=1),
    )
    enrolment = make_enrolment(
        session, training_class, make_candidate(session, school, name="𠮷祥")
    )
    template = CertificateTemplate(
        party_school_id=school.id,
        seal_text="中共示范大学第一学区分党校",
        signer_name="王建国",
    )
    session.add(template)
    session.flush()
    serial, code = "2025-D1-035-0001", secrets.token_urlsafe(18)
    snapshot = {
        "name": "𠮷祥",
        "student_no": enrolment.candidate.student_no,
        "class_id": training_class.id,
        "class_title": training_class.title,
        "party_school": school.name,
        "starts_on": training_class.starts_on.isoformat(),
        "ends_on": training_class.ends_on.isoformat(),
        "hours": "24.0",
        "grade": "88",
        "issued_on": today().isoformat(),
    }
    context = CertificateContext.from_snapshot(
        snapshot,
        template,
        serial=serial,
        verify_url=f"{live_server}/verify/{serial}?code={code}",
    )
    certificate = Certificate(
        serial=serial,
        verification_code=code,
        enrolment=enrolment,
        training_class=training_class,
        candidate_id=enrolment.candidate_id,
        party_school_id=school.id,
        snapshot=snapshot,
        pdf=render_certificate(context),
    )
    session.add(certificate)
    session.commit()
    return certificate


def scan_qr_code(pdf: bytes, tmp_path) -> str:
    """Print the PDF's page to an image and read its QR code, as a phone camera would."""
    if shutil.which("zbarimg") is None:
        pytest.fail("zbarimg is missing: install the Debian package zbar-tools")
    (tmp_path / "certificate.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", "certificate.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    found = subprocess.run(
        ["zbarimg", "--raw", "-q", "page.png"], cwd=tmp_path, capture_output=True, text=True
    )
    assert found.returncode == 0, f"no QR code found on the page: {found.stderr}"
    return found.stdout.strip()


def test_the_qr_code_shows_valid_then_revoked(
    app, session, page, live_server, certificate, tmp_path, screenshot
):
    url = scan_qr_code(certificate.pdf, tmp_path)
    assert url == (
        f"{live_server}/verify/{certificate.serial}?code={certificate.verification_code}"
    )

    page.goto(url)
    expect(page.get_by_test_id("status")).to_have_text("有效")
    expect(page.get_by_test_id("code-check")).to_contain_text("验证码一致")
    expect(page.get_by_test_id("name")).to_have_text("𠮷*")
    expect(page.locator("body")).to_contain_text("第35期入党积极分子培训班")
    screenshot("certificate-verify-valid")

    admin = Client(app)
    assert admin.login("fenxiao_admin").status_code == 302
    response = admin.post(f"/certificates/{certificate.id}/revoke", {"reason": REASON})
    assert response.status_code == 302
    assert reread(session).get(Certificate, certificate.id).status is CertificateStatus.REVOKED

    page.reload()
    expect(page.get_by_test_id("status")).to_have_text("已撤销")
    expect(page.get_by_test_id("revoked-reason")).to_have_text(REASON)
    expect(page.get_by_test_id("verification")).not_to_contain_text("有效")
    screenshot("certificate-verify-revoked")

    answer = page.request.get(f"{live_server}/api/v1/certificates/{certificate.serial}").json()
    assert answer["status"] == "revoked" and answer["revoked_reason"] == REASON
