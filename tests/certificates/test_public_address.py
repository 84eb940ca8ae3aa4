"""The QR code and the verification links use the configured public address (PUBLIC_BASE_URL),
never the host a request, the CLI or the demo loader happened to use."""

import pytest
from sqlalchemy import select

from partyschool import config
from partyschool.certificates.models import Certificate
from tests.certificates.conftest import read_certificate
from tests.conftest import Client
from tests.factories import make_completed_enrolment, reread

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
    client = Client(app)
    client.raw = app.test_client()
    client.raw.environ_base["HTTP_HOST"] = "10.1.2.3:8080"
    client.login("org")
    client.post(f"/certificates/enrolments/{enrolment.id}/issue")
    certificate = reread(session).scalar(select(Certificate))
    codes, _ = read_certificate(certificate.pdf, tmp_path)
    assert codes == [
        f"http://127.0.0.1:5000/verify/{certificate.serial}?code={certificate.verification_code}"
    ]
    answer = client.get(f"/api/v1/certificates/{certificate.serial}").get_json()
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
