"""Signing the public verification JSON: canonical bytes, round trip, tampering, the key."""

import json
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from partyschool.certificates import signing

DOCUMENT = {
    "serial": "2025-D1-035-0001",
    "status": "valid",
    "status_label": "有效",
    "name": "𠮷*",
    "hours": "24",
    "revoked_reason": None,
    "checked_on": "2025-06-01",
}


def pem_of(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signed(document: dict, key: Ed25519PrivateKey) -> dict:
    return {**document, "signature": signing.sign(document, key)}


def test_canonical_form_is_sorted_compact_utf8_without_the_signature():
    reordered = dict(reversed(list(DOCUMENT.items())))
    assert signing.canonical(DOCUMENT) == signing.canonical(reordered)
    assert signing.canonical({**DOCUMENT, "signature": "x"}) == signing.canonical(DOCUMENT)
    text = signing.canonical(DOCUMENT).decode("utf-8")
    assert text.startswith('{"checked_on":"2025-06-01","hours":"24","name":"𠮷*"')
    assert " " not in text and "\\u" not in text


def test_a_signed_document_verifies_after_a_json_round_trip():
    key = Ed25519PrivateKey.generate()
    document = json.loads(json.dumps(signed(DOCUMENT, key), ensure_ascii=True, indent=2))
    assert "=" not in document["signature"]  # base64url, unpadded
    assert signing.verify(document, pem_of(key))


@pytest.mark.parametrize(
    "field, value",
    [("status", "revoked"), ("name", "张*"), ("hours", "240"), ("revoked_reason", ""), ("x", 1)],
)
def test_a_tampered_field_fails(field, value):
    key = Ed25519PrivateKey.generate()
    document = signed(DOCUMENT, key)
    assert not signing.verify({**document, field: value}, pem_of(key))


def test_another_key_or_a_broken_signature_fails():
    key = Ed25519PrivateKey.generate()
    document = signed(DOCUMENT, key)
    assert not signing.verify(document, pem_of(Ed25519PrivateKey.generate()))
    assert not signing.verify({**document, "signature": "not base64 !"}, pem_of(key))
    assert not signing.verify({**document, "signature": None}, pem_of(key))
    assert not signing.verify(DOCUMENT, pem_of(key))


def test_a_key_of_another_algorithm_is_refused():
    ec_pem = (
        generate_private_key(SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError):
        signing.verify(signed(DOCUMENT, Ed25519PrivateKey.generate()), ec_pem)


def test_the_key_is_generated_once_into_the_instance_folder(app, tmp_path, monkeypatch):
    monkeypatch.delenv("CERT_SIGNING_KEY_FILE", raising=False)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    with app.app_context():
        first = signing.public_key_pem()
        document = {**DOCUMENT, "signature": signing.sign(DOCUMENT)}
        assert signing.public_key_pem() == first
    path = tmp_path / signing.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing.verify(document, first)
    assert [p.name for p in tmp_path.iterdir()] == [signing.KEY_FILE_NAME]


def test_the_key_file_named_by_the_environment_is_used(app, tmp_path, monkeypatch):
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "signing.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("CERT_SIGNING_KEY_FILE", str(path))
    with app.app_context():
        assert signing.public_key_pem() == pem_of(key)
        assert signing.verify({**DOCUMENT, "signature": signing.sign(DOCUMENT)}, pem_of(key))


def test_an_unusable_key_file_is_a_clear_error(app, tmp_path, monkeypatch):
    path = tmp_path / "not-a-key.pem"
    path.write_text("hello")
    monkeypatch.setenv("CERT_SIGNING_KEY_FILE", str(path))
    with app.app_context(), pytest.raises(signing.SigningKeyError, match="not-a-key.pem"):
        signing.public_key_pem()
