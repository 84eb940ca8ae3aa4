"""What production asks of every response: the real client behind the proxies, browser
security headers, and no caching of anything a signed-in user sees."""

from flask import Flask, Response, current_app, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from partyschool import access
from partyschool.certificates import signing

# Scripts only from our own files (no inline code or handlers); styles may be inline because
# a few templates set a width in a style attribute, which cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def trust_proxies(app: Flask) -> None:
    """Believe X-Forwarded-For/-Proto/-Host/-Port from PROXY_COUNT proxies, so rate limits,
    logs and generated URLs see the real client and scheme; 0 (no proxy) trusts nothing."""
    count = app.config.get("PROXY_COUNT", 0)
    if count:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count
        )


def _is_private(response: Response) -> bool:
    """True when the answer belongs to someone: a page behind sign-in, or any page a
    signed-in user (or a bearer token) receives that the view did not mark cacheable."""
    rule = access.rule_for(current_app, request.endpoint) if request.endpoint else None
    if rule is not None and not rule.is_public:
        return True
    if request.endpoint == "static":
        return False
    has_identity = access.bearer_token() is not None or current_user.is_authenticated
    return has_identity and "public" not in (response.cache_control.to_header() or "")


def secure_headers(response: Response) -> Response:
    """Add the browser security headers to every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("IS_PRODUCTION") and current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if _is_private(response):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def check_production(app: Flask) -> None:
    """Refuse to start a production site whose signing key cannot be read."""
    if not app.config.get("IS_PRODUCTION"):
        return
    with app.app_context():
        signing.signing_key()


def init_app(app: Flask) -> None:
    """Install the proxy fix and the response headers."""
    trust_proxies(app)
    app.after_request(secure_headers)
    check_production(app)
