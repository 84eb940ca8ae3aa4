"""Browser security headers on every route of the app, for anyone and for signed-in users;
no caching of what a signed-in user sees (pages, records, 公示 PDFs, certificate PDFs); and
no inline script left in a template for the Content-Security-Policy to block."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from partyschool.access import rule_for
from partyschool.app.hardening import HSTS
from partyschool.certificates.models import Certificate

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def assert_secure(response, where: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    script_src = next((p for p in policy.split(";") if p.strip().startswith("script-src")), "")
    assert script_src.strip() == "script-src 'self'", where
    assert "frame-ancestors 'none'" in policy, where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where


def walk(app):
    """(rule, path, method) of every route, with sample values for its arguments."""
    for rule in app.url_map.iter_rules():
        values = {
            name: 1 if isinstance(converter, IntegerConverter) else "x"
            for name, converter in rule._converters.items()
        }
        path = rule.build(values, append_unknown=False)[1]
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        yield rule, path, method


@pytest.mark.parametrize("who", [None, "admin", "activist"])
def test_every_route_sends_the_security_headers(app, client, demo_data, who):
    if who:
        assert client.login(who, "partyschool-demo").status_code == 302
    statuses = []
    for rule, path, method in walk(app):
        if who and method != "GET":
            continue  # signed-in users only read: the walk must not change the demo data
        response = client.open(path, method=method)
        where = f"{method} {path} as {who}: {response.status_code}"
        statuses.append(response.status_code)
        assert_secure(response, where)
        access_rule = rule_for(app, rule.endpoint)
        if who and access_rule is not None and not access_rule.is_public:
            assert response.headers.get("Cache-Control") == "no-store", where
        assert "Strict-Transport-Security" not in response.headers  # not outside production
    assert statuses.count(200) > (20 if who else 5), statuses  # the walk reached real pages


def test_errors_and_unknown_methods_send_them_too(client):
    for response in (client.get("/no/such/page"), client.open("/login", method="TRACE")):
        assert_secure(response, response.status)


def test_exports_and_pdfs_are_never_cached(app, client, demo_data, session, token):
    client.login("admin", "partyschool-demo")
    serial = session.scalar(select(Certificate.serial).limit(1))
    certificate_id = session.scalar(select(Certificate.id).limit(1))
    for path in (
        "/candidates/export.xlsx",
        "/candidates/publicity.pdf",
        f"/certificates/{certificate_id}/pdf",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    reply = client.raw.get(
        f"/api/v1/certificates/{serial}/pdf",
        headers={"Authorization": f"Bearer {token('admin', 'partyschool-demo')}"},
    )
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    # The public verification answer stays cacheable: it belongs to nobody.
    public = app.test_client().get(f"/api/v1/certificates/{serial}")
    assert "public" in public.headers["Cache-Control"]


def test_production_over_https_adds_hsts(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "IS_PRODUCTION", True)
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    assert client.get("/login").headers["Strict-Transport-Security"] == HSTS


def test_no_template_has_inline_script_or_event_handlers():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if inline_script.search(text := path.read_text())
        or handler.search(text)
        or "javascript:" in text
    ]
    assert offenders == []
