"""The certificate PDF: real glyphs for rare names, inert hostile text, size, the QR code."""

import re
import subprocess
from dataclasses import replace
from datetime import date
from html import unescape
from pathlib import Path

import pytest
import segno
from PIL import Image, ImageChops, ImageStat

from partyschool.certificates import render
from partyschool.certificates.render import (
    CertificateContext,
    certificate_html,
    chinese_date,
    fill_body,
    format_hours,
    render_certificate,
)
from partyschool.pdf import STATIC, StaticOnlyFetcher, render_pdf

VERIFY_URL = "https://dangxiao.example.edu.cn/verify/2025-D1-035-0007?code=Xk3v9QpL2mN8rT5wY7zA1bC4"
CONTEXT = CertificateContext(
    title="结业证书",
    body="{name}同志于{starts_on}至{ends_on}参加{class_title}学习，"
    "完成规定学时{hours}学时，考核合格，准予结业。",
    seal_text="中共示范大学第一学区分党校",
    signer_title="分党校校长",
    signer_name="王建国",
    name="张三丰",
    class_title="第35期入党积极分子培训班",
    party_school="第一学区分党校",
    hours="24",
    grade="86.5",
    starts_on=date(2025, 3, 1),
    ends_on=date(2025, 3, 31),
    issued_on=date(2025, 4, 2),
    serial="2025-D1-035-0007",
    verify_url=VERIFY_URL,
)
HOSTILE = [
    '<link rel="attachment" href="file:///etc/passwd">',
    "张<style>@page{background:url(http://127.0.0.1:9/x)}</style>url(http://127.0.0.1:9/x)",
    '<img src="http://127.0.0.1:9/y"><object data="file:///etc/passwd"></object>',
]
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<')
DPI = 144


def write(tmp_path: Path, pdf: bytes, name: str = "certificate") -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return path


def run(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def fonts(pdf: Path) -> list[dict]:
    """pdffonts' table: name, type, embedded."""
    rows = run("pdffonts", str(pdf)).splitlines()[2:]
    return [
        {"name": r.split()[0], "type": r[37:55].strip(), "embedded": r[72:76].strip()} for r in rows
    ]


def text_of(pdf: Path) -> str:
    return run("pdftotext", "-enc", "UTF-8", str(pdf), "-")


def rasterize(pdf: Path) -> Image.Image:
    run("pdftoppm", "-png", "-r", str(DPI), "-singlefile", str(pdf), str(pdf.with_suffix("")))
    return Image.open(pdf.with_suffix(".png")).convert("L")


def glyph_box(pdf: Path, char: str) -> tuple[int, int, int, int]:
    """The pixel box of the word that is exactly this character, from pdftotext -bbox."""
    for x0, y0, x1, y1, word in WORD.findall(run("pdftotext", "-bbox", str(pdf), "-")):
        if unescape(word) == char:
            scale = DPI / 72
            return tuple(round(float(v) * scale) for v in (x0, y0, x1, y1))
    raise AssertionError(f"{char!r} is not in the text of {pdf}")


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two grey images, 0 (same) to 255."""
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


@pytest.mark.parametrize(
    "rare, font",
    [("𠮷", "Noto"), ("䶮", "Noto"), ("𪚥", "HanaMin")],
    ids=["ext-B 𠮷", "ext-A 䶮", "ext-B only in HanaMinB"],
)
def test_a_rare_character_prints_with_a_real_embedded_glyph(tmp_path, rare, font):
    pdf = write(tmp_path, render_certificate(replace(CONTEXT, name=f"{rare}三")), "rare")
    # The missing code point (private use, no font has it) is drawn as the .notdef box.
    missing = write(tmp_path, render_certificate(replace(CONTEXT, name="\U000f0000三")), "box")

    embedded = fonts(pdf)
    assert embedded and all(f["embedded"] == "yes" for f in embedded)
    assert any(font in f["name"] for f in embedded)
    assert rare in text_of(pdf)

    box = glyph_box(pdf, rare)
    glyph, notdef = rasterize(pdf).crop(box), rasterize(missing).crop(box)
    assert ImageStat.Stat(glyph).extrema[0][0] < 100  # ink, not an empty space
    assert difference(glyph, notdef) > 8, "looks like the .notdef box"


def test_the_two_rare_characters_of_one_name_differ_from_each_other(tmp_path):
    pdf = write(tmp_path, render_certificate(replace(CONTEXT, name="𠮷䶮")))
    image = rasterize(pdf)
    first, second = image.crop(glyph_box(pdf, "𠮷")), image.crop(glyph_box(pdf, "䶮"))
    second = second.resize(first.size)
    assert difference(first, second) > 8  # two .notdef boxes would look alike


@pytest.mark.parametrize("name", HOSTILE, ids=["link-attachment", "css-url", "img-object"])
def test_a_hostile_name_is_printed_as_text_and_fetches_nothing(tmp_path, monkeypatch, name):
    asked = []
    original = StaticOnlyFetcher.fetch

    def recording_fetch(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", recording_fetch)
    context = replace(CONTEXT, name=name, signer_name=name, seal_text=name, body=name + "{name}")
    pdf = write(tmp_path, render_certificate(context))

    assert all(url.startswith(STATIC.as_uri() + "/") for url in asked), asked
    assert "0 embedded files" in run("pdfdetach", "-list", str(pdf))
    assert b"/EmbeddedFile" not in pdf.read_bytes() and b"/URI" not in pdf.read_bytes()
    printed = re.sub(r"\s+", "", text_of(pdf))
    assert re.sub(r"\s+", "", name) in printed


def test_placeholders_are_filled_once_and_escaped():
    context = replace(
        CONTEXT, name="{grade}<b>", body="{name}，{hours}学时，{unknown}，成绩{grade}。"
    )
    body = str(fill_body(context))
    assert "{grade}&lt;b&gt;" in body  # a value that looks like a placeholder stays text
    assert "{unknown}" in body and "86.5" in body and "<b>" not in body


def test_a_certificate_reads_as_a_formal_chinese_certificate(tmp_path):
    pdf = write(tmp_path, render_certificate(CONTEXT))
    text = re.sub(r"\s+", "", text_of(pdf))
    for expected in (
        "结业证书",
        "张三丰同志于2025年3月1日至2025年3月31日参加第35期入党积极分子培训班学习",
        "完成规定学时24学时",
        "分党校校长：王建国",
        "二〇二五年四月二日",
        "证书编号：2025-D1-035-0007",
    ):
        assert expected in text
    # The seal's characters stand rotated on their arc, so they come out of order.
    assert all(text.count(char) >= 1 for char in "中共示范大学")
    info = run("pdfinfo", str(pdf))
    assert "Pages:           1" in info
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+ pts \(A4\)", info)


def test_a_certificate_is_small(tmp_path):
    for name in ("张三丰", "𠮷䶮", "龙𪚥", "Alexander Hamilton"):
        assert len(render_certificate(replace(CONTEXT, name=name))) <= 100 * 1024


def test_the_compact_fonts_draw_exactly_what_weasyprint_drew(tmp_path):
    context = replace(CONTEXT, name="𠮷䶮")
    compact = write(tmp_path, render_certificate(context), "compact")
    plain = write(tmp_path, render_pdf(certificate_html(context)), "plain")
    assert any(f["type"] == "CID Type 0C" for f in fonts(compact))
    assert all(f["type"] != "CID Type 0C" for f in fonts(plain))  # other PDFs: untouched
    assert compact.stat().st_size < plain.stat().st_size / 2
    assert ImageChops.difference(rasterize(compact), rasterize(plain)).getbbox() is None


def qr_matrix_of(html: str) -> list[list[bool]]:
    """Read the modules back from segno's inline SVG path (rows of horizontal runs)."""
    svg = re.search(r"<svg viewBox=\"0 0 (\d+) \d+\".*?</svg>", html, re.S)
    assert svg, "no inline QR code SVG"
    size, border = int(svg.group(1)), 4
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg.group(0)).group(1)
    modules = [[False] * (size - 2 * border) for _ in range(size - 2 * border)]
    x = y = 0.0
    for command, numbers in re.findall(r"([MmHhVvZz])([^MmHhVvZz]*)", path):
        values = [float(n) for n in numbers.split()] if command in "Mm" else [float(numbers)]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        elif command == "h":
            for column in range(int(x), int(x + values[0])):
                modules[int(y) - border][column - border] = True
            x += values[0]
    return modules


def test_the_qr_code_encodes_the_verification_url():
    html = certificate_html(CONTEXT)
    assert "data:" not in html and "<img" not in html
    expected = segno.make(VERIFY_URL, error="m", micro=False).matrix
    assert qr_matrix_of(html) == [[bool(m) for m in row] for row in expected]


def test_dates_and_hours_print_as_chinese_certificates_print_them():
    assert chinese_date(date(2025, 10, 1)) == "二〇二五年十月一日"
    assert chinese_date(date(2026, 12, 31)) == "二〇二六年十二月三十一日"
    assert chinese_date(date(2024, 2, 20)) == "二〇二四年二月二十日"
    assert [format_hours(h) for h in ("24.00", "24.50", 32, None)] == ["24", "24.5", "32", ""]


def test_the_seal_text_runs_along_the_upper_arc():
    glyphs = render.seal_glyphs("中共示范大学第一学区分党校")
    angles = [g.angle for g in glyphs]
    assert angles == sorted(angles) and angles[0] == -angles[-1]
    assert all(abs(a) <= 125 for a in angles)  # the bottom stays free for the star's line
    assert all(g.y < render.SEAL_CENTER for g in render.seal_glyphs("第一分党校"))
    assert render.seal_glyphs("") == []


def test_context_from_a_snapshot_and_a_template():
    class Template:
        title, body, seal_text, signer_title, signer_name = "结业证书", "{name}", "", "校长", "李"

    snapshot = {
        "name": "张三",
        "class_title": "第1期培训班",
        "party_school": "第一学区分党校",
        "hours": "24.00",
        "grade": "90",
        "starts_on": "2025-03-01",
        "ends_on": "2025-03-31",
        "issued_on": "2025-04-02",
    }
    context = CertificateContext.from_snapshot(
        snapshot, Template(), serial="S-1", verify_url="https://x/verify/S-1?code=c"
    )
    assert context.seal_text == "第一学区分党校"  # no seal text: the school's name
    assert (context.hours, context.starts_on) == ("24", date(2025, 3, 1))


def test_a_batch_renders_in_parallel_processes_in_order(monkeypatch):
    monkeypatch.setattr(render, "PARALLEL_MIN_PER_WORKER", 1)
    contexts = [replace(CONTEXT, name=name, serial=f"S-{n}") for n, name in enumerate("甲乙丙")]
    assert render.render_certificates(contexts, workers=2) == [
        render_certificate(context) for context in contexts
    ]


def test_weasyprint_still_subsets_fonts_the_way_the_compaction_wraps():
    """Fails loudly on a WeasyPrint upgrade that changes Font.subset or a font's attributes."""
    from weasyprint.pdf.fonts import Font

    from partyschool import pdf

    pdf.check_weasyprint()
    assert getattr(Font.subset, "compacts_cid_fonts", False)
    pdf.install_compact_cid_fonts()  # idempotent: wraps once
    assert not getattr(Font.subset.__wrapped__, "compacts_cid_fonts", False)


def test_a_changed_weasyprint_stops_the_install(monkeypatch):
    from weasyprint.pdf.fonts import Font

    from partyschool import pdf

    def subset(self, glyphs):  # a future WeasyPrint with another signature
        return None

    monkeypatch.setattr(Font, "subset", subset)
    with pytest.raises(pdf.WeasyPrintChanged, match="to_unicode"):
        pdf.install_compact_cid_fonts()
