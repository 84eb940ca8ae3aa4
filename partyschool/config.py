"""Configuration read from the environment, with safe defaults for development."""

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any


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


def engine_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy's engine options for the configured database. A server process keeps up to
    DATABASE_POOL_SIZE connections to PostgreSQL, which should be at least gunicorn's threads:
    a smaller pool closes each connection it lent beyond its size when it comes back, and
    PostgreSQL starts a new server process for the next request that needs one."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options["pool_size"] = settings["DATABASE_POOL_SIZE"]
    return options


def _require_production_settings() -> None:
    """Refuse to start a production site that lacks what a cluster needs, naming every gap."""
    missing = [name for name in PRODUCTION_REQUIRED if not os.environ.get(name)]
    if not (os.environ.get("CERT_SIGNING_KEY_FILE") or os.environ.get("CERT_SIGNING_KEY")):
        missing.append("CERT_SIGNING_KEY_FILE (or CERT_SIGNING_KEY)")
    if missing:
        raise ConfigError(
            "PARTYSCHOOL_ENV=production needs these environment variables: "
            + ", ".join(missing)
            + " (see README, Configuration)"
        )


# Each server of a cluster must agree on these; a default made up per server would split it.
PRODUCTION_REQUIRED = ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL")


def from_environment(instance_path: Path) -> dict:
    """Build the Flask config mapping from environment variables."""
    instance_path.mkdir(parents=True, exist_ok=True)
    is_production = os.environ.get("PARTYSCHOOL_ENV", "development") == "production"
    if is_production:
        _require_production_settings()
    is_https = os.environ.get("PARTYSCHOOL_HTTPS", "1" if is_production else "0") == "1"
    limit_storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    return {
        "SECRET_KEY": _secret_key(instance_path, is_production),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "DATABASE_POOL_SIZE": int(os.environ.get("DATABASE_POOL_SIZE", "16")),
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
        "RATELIMIT_STORAGE_URI": limit_storage,
        # A Redis that stops answering must not hold requests: give up within a second.
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_connect_timeout": 1, "socket_timeout": 1}
            if limit_storage.startswith(("redis://", "rediss://"))
            else {}
        ),
        "RATELIMIT_HEADERS_ENABLED": True,
        # When Redis is down, count in each process's memory rather than answer 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT", "60 per minute"),
        # Failed sign-ins on one account, from any address, before it is locked for a while.
        "ACCOUNT_LOCK_FAILURES": int(os.environ.get("ACCOUNT_LOCK_FAILURES", "10")),
        "ACCOUNT_LOCK_MINUTES": int(os.environ.get("ACCOUNT_LOCK_MINUTES", "15")),
        # Reverse proxies in front of the site (nginx: 1) whose X-Forwarded-* headers to trust.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        # The Ed25519 key signing certificates: a PEM file, or the PEM itself in the environment.
        "CERT_SIGNING_KEY_FILE": os.environ.get("CERT_SIGNING_KEY_FILE"),
        "CERT_SIGNING_KEY": os.environ.get("CERT_SIGNING_KEY"),
        "API_TOKEN_LIFETIME": timedelta(hours=int(os.environ.get("API_TOKEN_HOURS", "24"))),
        "SQLITE_BUSY_TIMEOUT_MS": 30_000,
        # FULL: every acknowledged commit is on disk (see partyschool/group_commit.py).
        "SQLITE_SYNCHRONOUS": os.environ.get("SQLITE_SYNCHRONOUS", "FULL"),
        # A built-in rule set id ("wzu", "swjtu-2004") or the path of a JSON rule set file.
        "ELIGIBILITY_RULESET": os.environ.get("ELIGIBILITY_RULESET", "wzu"),
        # Uploaded lesson videos and attachments, stored under generated names.
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(instance_path / "uploads")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "210")) * 1024 * 1024,
    }
