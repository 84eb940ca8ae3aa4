"""Production reads every setting from the environment, names everything it lacks, and takes
the certificate signing key from configuration, the same on every server."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from partyschool import config
from partyschool.certificates import signing

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "PARTYSCHOOL_ENV": "production",
    "SECRET_KEY": "s" * 50,
    "PUBLIC_BASE_URL": "https://dangxiao.example.edu.cn",
}


def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def start(env: dict) -> subprocess.CompletedProcess:
    """Build the app in a fresh interpreter, as gunicorn would."""
    clean = {k: v for k, v in os.environ.items() if k not in config.PRODUCTION_REQUIRED}
    return subprocess.run(
        [sys.executable, "-c", "from partyschool.app.factory import create_app; create_app()"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_names_every_missing_setting(tmp_path, monkeypatch):
    for name in (*config.PRODUCTION_REQUIRED, "CERT_SIGNING_KEY_FILE", "CERT_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PARTYSCHOOL_ENV", "production")
    with pytest.raises(config.ConfigError) as refused:
        config.from_environment(tmp_path)
    message = str(refused.value)
    for name in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL", "CERT_SIGNING_KEY_FILE"):
        assert name in message


def test_production_starts_with_a_configured_key_and_refuses_an_unreadable_one(
    tmp_path, database_url
):
    key_file = tmp_path / "signing.pem"
    key_file.write_text(pem(Ed25519PrivateKey.generate()))
    env = {**PRODUCTION, "DATABASE_URL": database_url}
    started = start({**env, "CERT_SIGNING_KEY_FILE": str(key_file)})
    assert started.returncode == 0, started.stderr[-2000:]
    refused = start({**env, "CERT_SIGNING_KEY_FILE": str(tmp_path / "missing.pem")})
    assert refused.returncode != 0 and "cannot read the certificate signing key" in refused.stderr
    refused = start(env)
    assert refused.returncode != 0 and "CERT_SIGNING_KEY_FILE" in refused.stderr


def test_the_key_may_come_from_the_environment_itself(app, monkeypatch):
    key = Ed25519PrivateKey.generate()
    monkeypatch.setitem(app.config, "CERT_SIGNING_KEY", pem(key))
    with app.app_context():
        document = {"serial": "X", "signature": None}
        document["signature"] = signing.sign(document)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert signing.verify(document, public)
        assert signing.public_key_pem() == public.decode()


def test_production_never_generates_a_key_of_its_own(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "IS_PRODUCTION", True)
    monkeypatch.setitem(app.config, "CERT_SIGNING_KEY_FILE", None)
    monkeypatch.setitem(app.config, "CERT_SIGNING_KEY", None)
    monkeypatch.delenv("CERT_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv("CERT_SIGNING_KEY", raising=False)
    with app.app_context(), pytest.raises(signing.SigningKeyError):
        signing.signing_key()


def test_every_environment_variable_is_in_the_readme_configuration_table():
    sources = [
        ROOT / "partyschool" / "config.py",
        ROOT / "partyschool" / "certificates" / "signing.py",
    ]
    read = set()
    for source in sources:
        read |= set(re.findall(r'os\.environ(?:\.get\(|\[)\s*"([A-Z_]+)"', source.read_text()))
    read |= set(config.PRODUCTION_REQUIRED)
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n## ", 5)]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M))
    assert read - documented == set()
