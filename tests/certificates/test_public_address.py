"""The QR code and the verification links use the configured public address (PUBLIC_BASE_URL),
never the host a request, the CLI or the demo loader happened to use."""

import pytest
from sqlalchemy import select

from partyschool import config
from partyschool.app.cli import seed_everything
from partyschool.certificates.models import Certificate, CertificateStatus
from tests.certificates.conftest import read_certificate
from tests.conftest import CSRF_META
from tests.factories import PASSWORD, make_completed_enrolment, reread

PUBLIC = "https://dangxiao.example.edu.cn"


def test_the_setting_comes_from_the_environment_and_production_requires_it(tmp_path, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("PARTYSCHOOL_ENV", raising=False)
    assert config.from_environment(tmp_path)["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC + "/")
    assert config.from_environment(tmp_path)["PUBLIC_BASE_URL"] == PUBLIC
    monkeypatch.setenv("PARTYSCHOOL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.delenv("PUBLIC_BASE_URL")
    with pytest.raises(config.ConfigError, match="PUBLIC_BASE_URL"):
        config.from_environment(tmp_path)


def test_a_certificate_issued_through_another_host_points_at_the_public_address(
    app, session, ended_class, tmp_path
):
    enrolment = make_completed_enrolment(session, ended_class)
    browser = app.test_client()  # the organizer reaches the server by its internal address
    internal = "http://10.1.2.3:8080"
    token = CSRF_META.search(browser.get("/login", base_url=internal).get_data(as_text=True))
    login = {"username": "org", "password": PASSWORD, "csrf_token": token.group(1)}
    assert browser.post("/login", data=login, base_url=internal).status_code == 302
    issued = browser.post(
        f"/certificates/enrolments/{enrolment.id}/issue",
        data={"csrf_token": token.group(1)},
        base_url=internal,
        follow_redirects=True,
    )
    assert "已颁发证书" in issued.get_data(as_text=True)
    certificate = reread(session).scalar(select(Certificate))
    codes, _ = read_certificate(certificate.pdf, tmp_path)
    assert codes == [
        f"http://127.0.0.1:5000/verify/{certificate.serial}?code={certificate.verification_code}"
    ]
    answer = browser.get(f"/api/v1/certificates/{certificate.serial}", base_url=internal)
    answer = answer.get_json()
    assert answer["public_key_url"] == "http://127.0.0.1:5000/api/v1/certificates/public-key"


def test_the_command_uses_the_configured_address(app, session, ended_class, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    make_completed_enrolment(session, ended_class)
    result = app.test_cli_runner().invoke(
        args=["certificates", "issue-class", str(ended_class.id), "--as", "org"]
    )
    assert result.exit_code == 0, result.output
    certificate = reread(session).scalar(select(Certificate))
    codes, _ = read_certificate(certificate.pdf, tmp_path)
    assert codes == [f"{PUBLIC}/verify/{certificate.serial}?code={certificate.verification_code}"]


def test_the_demo_certificates_use_the_configured_address(app, session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    with app.app_context():
        seed_everything(session)
    session.commit()
    certificate = session.scalar(
        select(Certificate).where(Certificate.status == CertificateStatus.VALID)
    )
    codes, _ = read_certificate(certificate.pdf, tmp_path)
    assert codes == [f"{PUBLIC}/verify/{certificate.serial}?code={certificate.verification_code}"]
