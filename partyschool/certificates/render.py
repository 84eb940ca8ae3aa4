"""The certificate PDF: plain data in, the bytes of an A4 landscape Chinese certificate out."""

import atexit
import math
import multiprocessing
import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from partyschool.pdf import (
    STATIC,
    StaticOnlyFetcher,
    compact_cid_fonts,
    embed_compact_fonts,
    install_compact_cid_fonts,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
BASE_URL = STATIC.as_uri() + "/"  # as partyschool.pdf.render_pdf: relative URLs stay in static/
# Autoescape everything: names and template wording are text, never markup.
_jinja = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
PLACEHOLDER = re.compile(r"\{(name|class_title|starts_on|ends_on|hours|grade)\}")
CHINESE_DIGITS = "〇一二三四五六七八九"
# A worker process costs about a second to start; below this many certificates each, one
# process is quicker.
PARALLEL_MIN_PER_WORKER = 25
# The body's font size (pt) and line height, largest first: a long name or class title steps
# down until the text ends above the QR code, the serial and the signature.
BODY_FITS = ((18, 2.2), (16, 2.0), (14, 1.9), (12.5, 1.8), (11, 1.7), (10, 1.6), (9, 1.5))
_jinja.globals["body_fits"] = BODY_FITS
# The body's line width and the height it may take, in mm (pdf.html's layout), for a first
# guess of its size; the laid-out page decides.
BODY_WIDTH_MM, BODY_HEIGHT_MM = 220.0, 72.0
# Clearance kept between the body and the QR code or the signature, in CSS px (3 mm).
CLEARANCE_PX = 3 * 96 / 25.4


class LayoutError(ValueError):
    """The certificate's text does not fit on its page even at the smallest size."""


@dataclass(frozen=True)
class CertificateContext:
    """Everything printed on one certificate, as plain values (no database objects)."""

    # From the party school's certificate template.
    title: str
    body: str
    seal_text: str
    signer_title: str
    signer_name: str
    # From the certificate's snapshot.
    name: str
    class_title: str
    party_school: str
    hours: str
    grade: str
    starts_on: date
    ends_on: date
    issued_on: date
    serial: str
    # Absolute URL of the public verification page, with ?code=<verification code>.
    verify_url: str

    @classmethod
    def from_snapshot(
        cls, snapshot: dict, template, *, serial: str, verify_url: str
    ) -> "CertificateContext":
        """Build the context from a certificate snapshot and a CertificateTemplate (or alike)."""
        return cls(
            title=template.title or "结业证书",
            body=template.body,
            seal_text=template.seal_text or snapshot["party_school"],
            signer_title=template.signer_title or "",
            signer_name=template.signer_name or "",
            name=snapshot["name"],
            class_title=snapshot["class_title"],
            party_school=snapshot["party_school"],
            hours=format_hours(snapshot.get("hours")),
            grade=str(snapshot.get("grade") or ""),
            starts_on=_as_date(snapshot["starts_on"]),
            ends_on=_as_date(snapshot["ends_on"]),
            issued_on=_as_date(snapshot["issued_on"]),
            serial=serial,
            verify_url=verify_url,
        )


def render_certificate(context: CertificateContext) -> bytes:
    """Render one certificate to PDF bytes (fetching nothing outside static/), its body at the
    largest size that leaves the QR code, serial and signature clear; LayoutError if none."""
    # partyschool.pdf.render_pdf, plus compact CJK fonts (below), and the fonts and the
    # stylesheet loaded once per thread.
    resources = _resources()
    with compact_cid_fonts():
        for fit in range(first_fit(context), len(BODY_FITS)):
            html = HTML(
                string=certificate_html(context, inline_css=False, fit=fit),
                base_url=BASE_URL,
                url_fetcher=StaticOnlyFetcher(),
            )
            document = html.render(
                stylesheets=[resources.stylesheet], font_config=resources.font_config
            )
            if fits(document):
                return document.write_pdf(finisher=embed_compact_fonts)
    raise LayoutError(
        "证书正文过长（姓名、培训班名称或模板正文过长），缩小字号后仍会遮挡二维码和证书编号，"
        "未颁发；请缩短培训班名称或证书模板正文后再颁发"
    )


def first_fit(context: CertificateContext) -> int:
    """The largest body size (index into BODY_FITS) at which the text probably fits."""
    text = fill_body(context).striptags()
    # Full-width characters take 1 em, others about half.
    ems = 2 + sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in text)
    for fit, (size, line_height) in enumerate(BODY_FITS):
        em_mm = size * 25.4 / 72
        lines = math.ceil(ems / (BODY_WIDTH_MM / em_mm))
        if lines * em_mm * line_height <= BODY_HEIGHT_MM:
            return fit
    return len(BODY_FITS) - 1


def fits(document) -> bool:
    """True when the laid-out certificate is one page whose body stays inside its width and
    ends above the QR code (with the serial) and the signature."""
    if len(document.pages) != 1:
        return False
    # The laid-out boxes are WeasyPrint's internals (pinned in pyproject.toml); an upgrade
    # that changes them fails the layout tests in tests/certificates.
    found = {}
    for box in document.pages[0]._page_box.descendants():
        element = getattr(box, "element", None)
        for name in (element.get("class") or "").split() if element is not None else ():
            found.setdefault(name, box)
    body = found["body"]
    right = body.position_x + body.margin_width() + 1
    bottom = body.position_y + body.margin_height()
    below = min(found[name].position_y for name in ("verification", "signature"))
    return bottom + CLEARANCE_PX <= below and all(
        box.position_x + box.margin_width() <= right for box in body.descendants()
    )


def render_certificates(
    contexts: Sequence[CertificateContext], workers: int | None = None
) -> list[bytes]:
    """Render many certificates, in that order; in parallel processes for a large batch."""
    workers = min(workers or os.cpu_count() or 1, len(contexts) // PARALLEL_MIN_PER_WORKER)
    if workers <= 1:
        return [render_certificate(context) for context in contexts]
    # Spawned, not forked: the caller may be a threaded server holding locks.
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=install_compact_cid_fonts,
    ) as pool:
        chunk = max(1, len(contexts) // (workers * 4))
        return list(pool.map(render_certificate, contexts, chunksize=chunk))


def certificate_html(context: CertificateContext, *, inline_css: bool = True, fit: int = 0) -> str:
    """The HTML WeasyPrint turns into the certificate (with its stylesheet unless told), its
    body at the size BODY_FITS[fit]."""
    return _template().render(
        c=context,
        fit=fit,
        body=fill_body(context),
        issued_on=chinese_date(context.issued_on),
        seal=seal_glyphs(context.seal_text),
        qr_svg=qr_svg(context.verify_url),
        inline_css=inline_css,
    )


def _template():
    return _jinja.get_template("certificates/pdf.html")


@dataclass(frozen=True)
class _Resources:
    font_config: FontConfiguration
    stylesheet: CSS


_thread = threading.local()


@atexit.register
def _release_resources() -> None:
    """Free the main thread's fonts while Pango is still loaded: freed during interpreter
    shutdown instead, after the libraries are gone, they crash the process on exit."""
    _thread.__dict__.pop("resources", None)


def _resources() -> _Resources:
    """This thread's fonts and parsed stylesheet: loading them once saves a third of a
    rendering. (WeasyPrint's font configuration is not shared between threads.)"""
    if not hasattr(_thread, "resources"):
        font_config = FontConfiguration()
        template = _template()
        css = "".join(template.blocks["css"](template.new_context({})))
        stylesheet = CSS(
            string=css,
            base_url=BASE_URL,
            url_fetcher=StaticOnlyFetcher(),
            font_config=font_config,
        )
        _thread.resources = _Resources(font_config, stylesheet)
    return _thread.resources


def fill_body(context: CertificateContext) -> Markup:
    """The template's body with each placeholder replaced by its escaped value."""
    values = {
        "name": context.name,
        "class_title": context.class_title,
        "starts_on": short_date(context.starts_on),
        "ends_on": short_date(context.ends_on),
        "hours": context.hours,
        "grade": context.grade,
    }
    parts: list[Markup] = []
    position = 0
    # One pass, so a value that looks like a placeholder ("{grade}" as a name) stays text.
    for match in PLACEHOLDER.finditer(context.body):
        parts.append(escape(context.body[position : match.start()]))
        key = match.group(1)
        parts.append(Markup('<span class="fill fill-{}">{}</span>').format(key, values[key]))
        position = match.end()
    parts.append(escape(context.body[position:]))
    return Markup("").join(parts)


def qr_svg(url: str) -> Markup:
    """The QR code of the URL as inline SVG markup (the PDF fetcher refuses data: URLs)."""
    qr = segno.make(url, error="m", micro=False)
    svg = qr.svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704 - segno writes only path data, never the URL text


@dataclass(frozen=True)
class SealGlyph:
    """One character of the seal's arc: where it stands and how far it turns."""

    char: str
    x: float
    y: float
    angle: float


SEAL_CENTER = 100.0
SEAL_TEXT_RADIUS = 70.0


def seal_glyphs(text: str) -> list[SealGlyph]:
    """Place the seal text on the upper arc, as Chinese seals read: left to right, clockwise."""
    chars = list(text)
    if not chars:
        return []
    span = min(250.0, 24.0 * len(chars))
    glyphs = []
    for i, char in enumerate(chars):
        angle = -span / 2 + span * (i + 0.5) / len(chars)
        radians = math.radians(angle)
        glyphs.append(
            SealGlyph(
                char,
                round(SEAL_CENTER + SEAL_TEXT_RADIUS * math.sin(radians), 2),
                round(SEAL_CENTER - SEAL_TEXT_RADIUS * math.cos(radians), 2),
                round(angle, 2),
            )
        )
    return glyphs


def format_hours(hours) -> str:
    """Study hours without trailing zeros: 24, 24.5."""
    if hours is None or hours == "":
        return ""
    return f"{Decimal(str(hours)).normalize():f}"


def short_date(day: date) -> str:
    """2025年3月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_date(day: date) -> str:
    """The date as certificates print it: 二〇二五年六月三十日."""
    year = "".join(CHINESE_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{_chinese_number(day.month)}月{_chinese_number(day.day)}日"


def _chinese_number(n: int) -> str:
    """1..31 in Chinese numerals: 十, 十一, 二十, 三十一."""
    tens, units = divmod(n, 10)
    prefix = "" if tens == 0 else ("十" if tens == 1 else CHINESE_DIGITS[tens] + "十")
    return prefix + (CHINESE_DIGITS[units] if units else "")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
