"""Configuration read from the environment, with safe defaults for development."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _secret_key(instance_path: Path, is_production: bool) -> str:
    """Return SECRET_KEY from the environment, or one generated once into instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    if is_production:
        raise ConfigError("SECRET_KEY must be set in production")
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _public_base_url(is_production: bool) -> str:
    """Return PUBLIC_BASE_URL, the address the public reaches the site at (QR codes and
    verification links); production must name it, since no request's host can be trusted."""
    url = os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if url:
        if not url.startswith(("https://", "http://")):
            raise ConfigError("PUBLIC_BASE_URL must start with https:// or http://")
        return url
    if is_production:
        raise ConfigError(
            "PUBLIC_BASE_URL must be set in production (e.g. https://dangxiao.example.edu.cn)"
        )
    return "http://127.0.0.1:5000"


def _database_url(instance_path: Path) -> str:
    """Return DATABASE_URL, normalised to the psycopg 3 driver for PostgreSQL."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'partyschool.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def from_environment(instance_path: Path) -> dict:
    """Build the Flask config mapping from environment variables."""
    instance_path.mkdir(parents=True, exist_ok=True)
    is_production = os.environ.get("PARTYSCHOOL_ENV", "development") == "production"
    is_https = os.environ.get("PARTYSCHOOL_HTTPS", "1" if is_production else "0") == "1"
    return {
        "SECRET_KEY": _secret_key(instance_path, is_production),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "IS_PRODUCTION": is_production,
        "PUBLIC_BASE_URL": _public_base_url(is_production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": is_https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": is_https,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "PREFERRED_URL_SCHEME": "https" if is_https else "http",
        # Our access hook runs the CSRF check itself, so that bearer-token API calls skip it.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # Built-in WTForms translations (zh) instead of Flask-Babel, which we do not use.
        "WTF_I18N_ENABLED": False,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "API_TOKEN_LIFETIME": timedelta(hours=int(os.environ.get("API_TOKEN_HOURS", "24"))),
        "SQLITE_BUSY_TIMEOUT_MS": 30_000,
        # A built-in rule set id ("wzu", "swjtu-2004") or the path of a JSON rule set file.
        "ELIGIBILITY_RULESET": os.environ.get("ELIGIBILITY_RULESET", "wzu"),
        # Uploaded lesson videos and attachments, stored under generated names.
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(instance_path / "uploads")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "210")) * 1024 * 1024,
    }
