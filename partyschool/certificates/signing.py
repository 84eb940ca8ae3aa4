"""Ed25519 signatures over the public verification JSON, so a saved copy can be checked offline.

The signed bytes are the document's canonical form: JSON with sorted keys, no whitespace,
UTF-8 (not ASCII escapes), without the "signature" field. The key comes from the file named
by CERT_SIGNING_KEY_FILE or the PEM in CERT_SIGNING_KEY (config or environment) — every server
of a cluster the same key; production refuses to start without one — else, in development, one
generated once into instance/.
"""

import base64
import binascii
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

ALGORITHM = "Ed25519"
KEY_FILE_NAME = "certificate_signing_key.pem"


class SigningKeyError(RuntimeError):
    """The signing key is missing or is not an Ed25519 private key."""


def canonical(document: dict) -> bytes:
    """The bytes that are signed: every field but "signature", as canonical JSON."""
    fields = {key: value for key, value in document.items() if key != "signature"}
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sign(document: dict, key: Ed25519PrivateKey | None = None) -> str:
    """The base64url signature (unpadded) of the document's canonical form."""
    signature = (key or signing_key()).sign(canonical(document))
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")


def verify(document: dict, public_key_pem: str | bytes) -> bool:
    """True when the document's "signature" is this key's signature of its canonical form."""
    public_key = load_public_key(public_key_pem)
    signature = document.get("signature")
    if not isinstance(signature, str):
        return False
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        public_key.verify(raw, canonical(document))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def public_key_pem() -> str:
    """This installation's public key, PEM (SubjectPublicKeyInfo)."""
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """Parse a PEM public key; ValueError unless it is an Ed25519 key."""
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def signing_key() -> Ed25519PrivateKey:
    """The application's private key (read once per process)."""
    config = current_app.config
    if pem := config.get("CERT_SIGNING_KEY") or os.environ.get("CERT_SIGNING_KEY"):
        return _parse_private_key(pem.encode(), "CERT_SIGNING_KEY")
    configured = config.get("CERT_SIGNING_KEY_FILE") or os.environ.get("CERT_SIGNING_KEY_FILE")
    if configured:
        return _load_private_key(Path(configured))
    if config.get("IS_PRODUCTION"):
        raise SigningKeyError("production needs CERT_SIGNING_KEY_FILE or CERT_SIGNING_KEY")
    path = instance_key_path()
    if not path.exists():
        _generate_key_file(path)
    return _load_private_key(path)


def instance_key_path() -> Path:
    """Where development keeps the key it generated for itself."""
    return Path(current_app.instance_path) / KEY_FILE_NAME


def forget_loaded_keys() -> None:
    """Read key files afresh on next use (after a restore replaced one)."""
    _load_private_key.cache_clear()


@lru_cache(maxsize=4)
def _load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SigningKeyError(f"cannot read the certificate signing key {path}: {error}") from None
    return _parse_private_key(data, str(path))


@lru_cache(maxsize=4)
def _parse_private_key(pem: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        message = f"cannot read the certificate signing key {source}: {error}"
        raise SigningKeyError(message) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{source} is not an Ed25519 private key")
    return key


def _generate_key_file(path: Path) -> None:
    """Write a new key, readable by the owner only; the first of racing workers wins."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")
    try:
        with os.fdopen(descriptor, "wb") as file:  # mkstemp makes it 0600
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        # link() never replaces: another worker's key, written first, stays the key.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        Path(temporary).unlink(missing_ok=True)
