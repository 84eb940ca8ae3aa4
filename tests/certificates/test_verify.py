"""Public verification: the page and the signed JSON for every status, masking, caching,
the rate limit, and the offline check of a saved JSON."""

import json
import secrets
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from partyschool.accounts.models import Role
from partyschool.certificates import signing
from partyschool.certificates.models import Certificate, CertificateStatus
from partyschool.certificates.verify_views import mask_name
from partyschool.extensions import today, utcnow
from tests.conftest import Client
from tests.factories import (
    make_branch_school,
    make_candidate,
    make_class,
    make_enrolment,
    make_user,
)

SERIAL = "2025-D1-035-0001"


def make_certificate(session, name="张三丰", serial=SERIAL, **overrides) -> Certificate:
    """A certificate row as issuing would leave it (the PDF is irrelevant here)."""
    school = make_branch_school(session, name="第一学区分党校")
    training_class = make_class(session, number=35)
    candidate = make_candidate(session, school, name=name)
    enrolment = make_enrolment(session, training_class, candidate)
    values = {
        "serial": serial,
        "verification_code": secrets.token_urlsafe(18),
        "enrolment": enrolment,
        "training_class": training_class,
        "candidate_id": candidate.id,
        "party_school_id": school.id,
        "snapshot": {
            "name": name,
            "student_no": candidate.student_no,
            "class_id": training_class.id,
            "class_title": "第35期入党积极分子培训班",
            "party_school": "第一学区分党校",
            "starts_on": "2025-03-01",
            "ends_on": "2025-03-31",
            "hours": "24.00",
            "grade": "86.5",
            "ruleset": "wzu",
            "ruleset_version": 1,
            "issuer": "组织员",
            "issued_on": "2025-04-02",
        },
        "pdf": b"%PDF-",
    }
    certificate = Certificate(**(values | overrides))
    session.add(certificate)
    session.commit()
    return certificate


@pytest.fixture(autouse=True)
def signing_key_file(app, tmp_path, monkeypatch):
    """A key of the test's own, so tests never touch instance/."""
    path = tmp_path / "signing.pem"
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setitem(app.config, "CERT_SIGNING_KEY_FILE", str(path))
    return path


def revoke(session, certificate, reason="培训期间考试作弊，经查属实"):
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_reason = reason
    certificate.revoked_at = utcnow()
    session.commit()


def public_key(client) -> str:
    response = client.get("/api/v1/certificates/public-key")
    assert response.status_code == 200
    body = response.get_json()
    assert body["algorithm"] == "Ed25519"
    return body["public_key"]


def test_a_valid_certificate_shows_as_valid_with_a_masked_name(client, session):
    certificate = make_certificate(session)
    page = client.get(f"/verify/{SERIAL}").get_data(as_text=True)
    assert 'data-testid="status">有效<' in page
    assert "张**" in page and "张三丰" not in page
    assert "第35期入党积极分子培训班" in page and "第一学区分党校" in page
    assert "2025-03-01" in page and "2025-03-31" in page and "2025-04-02" in page
    assert certificate.verification_code not in page

    body = client.get(f"/api/v1/certificates/{SERIAL}").get_json()
    assert body["status"] == "valid" and body["status_label"] == "有效"
    assert body["name"] == "张**"
    assert body["hours"] == "24"
    assert body["class_title"] == "第35期入党积极分子培训班"
    assert (body["starts_on"], body["ends_on"], body["issued_on"]) == (
        "2025-03-01",
        "2025-03-31",
        "2025-04-02",
    )
    assert body["revoked_reason"] is None and body["superseded_by"] is None
    # At the configured public address, not the host the request used.
    assert body["public_key_url"] == "http://127.0.0.1:5000/api/v1/certificates/public-key"
    assert "student_no" not in body and "grade" not in body
    assert signing.verify(body, public_key(client))


def test_a_revoked_certificate_shows_the_reason(client, session):
    certificate = make_certificate(session)
    revoke(session, certificate)
    page = client.get(f"/verify/{SERIAL}").get_data(as_text=True)
    assert 'data-testid="status">已撤销<' in page
    assert "培训期间考试作弊，经查属实" in page
    assert "有效" not in page

    body = client.get(f"/api/v1/certificates/{SERIAL}").get_json()
    assert body["status"] == "revoked" and body["status_label"] == "已撤销"
    assert body["revoked_reason"] == "培训期间考试作弊，经查属实"
    assert body["revoked_at"].startswith(str(utcnow().year))
    assert signing.verify(body, public_key(client))


def test_a_superseded_certificate_points_to_its_successor(client, session):
    old = make_certificate(session)
    new = make_certificate(session, serial="2025-D1-035-0002")
    old.status, old.superseded_by_id = CertificateStatus.SUPERSEDED, new.id
    session.commit()
    body = client.get(f"/api/v1/certificates/{SERIAL}").get_json()
    assert body["status"] == "superseded" and body["superseded_by"] == "2025-D1-035-0002"
    page = client.get(f"/verify/{SERIAL}").get_data(as_text=True)
    assert "已被新证书取代" in page and 'href="/verify/2025-D1-035-0002"' in page


def test_an_unknown_serial_gets_the_same_shape(client, session):
    make_certificate(session)
    known = client.get(f"/api/v1/certificates/{SERIAL}").get_json()
    response = client.get("/api/v1/certificates/2025-D1-035-9999")
    assert response.status_code == 200
    unknown = response.get_json()
    assert unknown.keys() == known.keys()
    assert unknown["status"] == "unknown" and unknown["serial"] == "2025-D1-035-9999"
    for field in ("name", "class_title", "party_school", "hours", "issued_on", "revoked_at"):
        assert unknown[field] is None
    assert signing.verify(unknown, public_key(client))
    page = client.get("/verify/2025-D1-035-9999")
    assert page.status_code == 200 and "未找到该证书" in page.get_data(as_text=True)


def test_text_too_long_for_a_serial_is_not_answered(client):
    serial = "本证书真实有效" * 10
    assert client.get(f"/api/v1/certificates/{serial}").status_code == 404
    assert client.get(f"/verify/{serial}").status_code == 404


@pytest.mark.parametrize(
    "name, masked",
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("王", "*"),
        ("𠮷䶮", "𠮷*"),
        ("𠮷", "*"),
        ("  李四 ", "李*"),
        ("葛\U000e0100优", "葛\U000e0100*"),  # an ideographic variation selector stays put
        ("阿依古丽·买买提", "阿*******"),
    ],
)
def test_masking_counts_characters_not_bytes(name, masked):
    assert mask_name(name) == masked


def test_a_name_outside_the_bmp_is_masked_after_its_first_character(client, session):
    make_certificate(session, name="𠮷䶮")
    assert client.get(f"/api/v1/certificates/{SERIAL}").get_json()["name"] == "𠮷*"
    assert "𠮷*" in client.get(f"/verify/{SERIAL}").get_data(as_text=True)


def test_the_qr_code_confirms_its_code_without_revealing_it(client, session):
    certificate = make_certificate(session)
    good = client.get(f"/verify/{SERIAL}?code={certificate.verification_code}")
    assert "扫码核验：验证码一致" in good.get_data(as_text=True)
    bad = client.get(f"/verify/{SERIAL}?code=forged-code").get_data(as_text=True)
    assert "验证码不一致" in bad and certificate.verification_code not in bad
    plain = client.get(f"/verify/{SERIAL}").get_data(as_text=True)
    assert "验证码" not in plain


@pytest.mark.parametrize("path", [f"/verify/{SERIAL}", f"/api/v1/certificates/{SERIAL}"])
def test_answers_are_cacheable_and_change_with_the_status(client, session, path):
    certificate = make_certificate(session)
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    revoke(session, certificate)
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_answers_do_not_depend_on_who_asks(app, client, session):
    make_certificate(session)
    make_user(session, Role.ORGANIZER, username="someone")
    session.commit()
    signed_in = Client(app)
    assert signed_in.login("someone").status_code == 302
    for path in (f"/verify/{SERIAL}", f"/api/v1/certificates/{SERIAL}"):
        anonymous, known = client.get(path), signed_in.get(path)
        assert anonymous.headers["ETag"] == known.headers["ETag"]
        assert "Set-Cookie" not in known.headers and "Set-Cookie" not in anonymous.headers


def test_lookups_are_rate_limited_across_page_and_json(app, client, session, monkeypatch):
    make_certificate(session)
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "3 per minute")
    assert client.get(f"/verify/{SERIAL}").status_code == 200
    assert client.get(f"/api/v1/certificates/{SERIAL}").status_code == 200
    assert client.get("/api/v1/certificates/2025-X-000-0000").status_code == 200
    refused = client.get(f"/api/v1/certificates/{SERIAL}")
    assert refused.status_code == 429 and refused.is_json
    assert client.get(f"/verify/{SERIAL}").status_code == 429
    assert client.get("/api/v1/certificates/public-key").status_code == 200


def test_the_lookup_form_leads_to_the_page(client):
    assert client.get("/verify").status_code == 200
    response = client.get("/verify?serial=+2025-D1-035-0001+")
    assert response.status_code == 302 and response.headers["Location"] == f"/verify/{SERIAL}"


def test_the_api_document_describes_the_public_routes(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    operation = paths["/api/v1/certificates/{serial}"]["get"]
    assert "security" not in operation
    assert "VerificationOut" in json.dumps(operation["responses"]["200"])
    assert "/api/v1/certificates/public-key" in paths


def run_verify(app, tmp_path, document: dict, *options: str):
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return app.test_cli_runner().invoke(args=["certificates", "verify", str(path), *options])


def test_the_command_checks_a_saved_json_offline(app, client, session, tmp_path):
    certificate = make_certificate(session)
    revoke(session, certificate, reason="冒名顶替")
    document = client.get(f"/api/v1/certificates/{SERIAL}").get_json()
    result = run_verify(app, tmp_path, document)
    assert result.exit_code == 0, result.output
    assert "valid signature" in result.output
    assert "status: revoked (已撤销)" in result.output and "冒名顶替" in result.output


def test_the_command_rejects_a_tampered_json(app, client, session, tmp_path):
    make_certificate(session)
    document = client.get(f"/api/v1/certificates/{SERIAL}").get_json()
    result = run_verify(app, tmp_path, {**document, "hours": "240"})
    assert result.exit_code == 1
    assert "INVALID signature" in result.output and "valid signature\n" not in result.output


def test_the_command_takes_the_signers_public_key(app, client, session, tmp_path):
    make_certificate(session)
    document = client.get(f"/api/v1/certificates/{SERIAL}").get_json()
    key_file = tmp_path / "key.pem"
    key_file.write_text(public_key(client))
    assert run_verify(app, tmp_path, document, "--public-key", str(key_file)).exit_code == 0
    other = Ed25519PrivateKey.generate().public_key()
    key_file.write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert run_verify(app, tmp_path, document, "--public-key", str(key_file)).exit_code == 1


def test_the_command_explains_a_file_that_is_not_a_certificate(app, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[1, 2")
    result = app.test_cli_runner().invoke(args=["certificates", "verify", str(path)])
    assert result.exit_code == 1 and "not a JSON document" in result.output


def test_the_answer_says_when_it_was_checked(client, session):
    make_certificate(session)
    body = client.get(f"/api/v1/certificates/{SERIAL}").get_json()
    assert date.fromisoformat(body["checked_on"]) == today()
