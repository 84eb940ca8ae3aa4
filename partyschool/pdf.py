"""PDF rendering with WeasyPrint: it fetches nothing but the files under static/, and may
embed CJK fonts compactly (installed explicitly by the application, checked at start)."""

import inspect
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from pathlib import Path
from urllib.parse import unquote, urlsplit

import cffi
import pydyf
from weasyprint import HTML
from weasyprint.pdf.fonts import Font as WeasyFont
from weasyprint.urls import URLFetcher

STATIC = (Path(__file__).resolve().parent.parent / "static").resolve()


class FetchRefused(ValueError):
    """A document asked for a resource outside static/."""


class StaticOnlyFetcher(URLFetcher):
    """Fetch files under static/ and refuse every other URL (http, data, other files), but
    for the exact files a document is given to embed (an archive's uploaded images)."""

    def __init__(self, files: Iterable[Path] = ()):
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.files = frozenset(path.resolve() for path in files)

    def fetch(self, url: str, headers=None):
        """Fetch the URL if it names a file inside static/."""
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" else None
        allowed = path is not None and (path.is_relative_to(STATIC) or path in self.files)
        if not allowed or parts.netloc or not path.is_file():
            raise FetchRefused(f"refused to fetch {url}")
        return super().fetch(path.as_uri(), headers)


def render_pdf(html: str, files: Iterable[Path] = ()) -> bytes:
    """Render HTML to PDF; relative URLs resolve inside static/ and nothing else is fetched
    but the `files` named (by their file: URL) to embed."""
    base_url = STATIC.as_uri() + "/"
    fetcher = StaticOnlyFetcher(files)
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


# --- Compact CJK fonts -------------------------------------------------------------------
# WeasyPrint subsets a font but keeps every glyph id up to the highest one used, because its
# page content names glyphs by their ids in the full font. The CJK fonts are CID-keyed CFF
# with 65,000 glyphs and common characters sit high (班 is glyph 62402), so keeping ids costs
# ~40 ms and ~140 KB per certificate, for Chinese text only. A CID-keyed CFF does not need
# the ids kept: its charset maps each CID (the full font's glyph id, which the content uses)
# to the glyph's new place. So while a certificate renders, such fonts are subset without
# keeping ids, and the finisher embeds the bare CFF (FontFile3 /CIDFontType0C), the way
# Acrobat embeds CJK subsets. Other fonts (TrueType such as HanaMin) take WeasyPrint's path,
# and so does every other PDF of the application.
_compacting: ContextVar[bool] = ContextVar("compacting_cid_fonts", default=False)
# What the font compaction relies on inside WeasyPrint (pinned in pyproject.toml):
# `Font.subset(self, to_unicode, hinting)` and a font's `file_content`, `index` and `tables`.
SUBSET_PARAMETERS = ("self", "to_unicode", "hinting")
FONT_ATTRIBUTES = ("file_content", "index", "tables")


class WeasyPrintChanged(RuntimeError):
    """WeasyPrint no longer has what the compact fonts rely on: check before upgrading."""


@contextmanager
def compact_cid_fonts() -> Iterator[None]:
    """Within the block, documents rendered here compact their CID-keyed fonts (once
    `install_compact_cid_fonts` has run; otherwise WeasyPrint's own subsetting applies)."""
    token = _compacting.set(True)
    try:
        yield
    finally:
        _compacting.reset(token)


_HB_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode,
                          void *user_data, void *destroy);
void hb_blob_destroy(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
void hb_face_destroy(hb_face_t *face);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
hb_blob_t *hb_face_reference_table(const hb_face_t *face, uint32_t tag);
void hb_set_add(hb_set_t *set, uint32_t codepoint);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_glyph_set(hb_subset_input_t *input);
hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned value);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""
_HB_MEMORY_MODE_READONLY = 1
# No hinting, no subroutines (as WeasyPrint), and the .notdef outline for missing glyphs.
_HB_SUBSET_FLAGS = 0x01 | 0x04 | 0x40
_HB_SUBSET_SETS_DROP_TABLE_TAG = 3
# Only the CFF table is embedded; layout tables would also pull in glyphs (vertical forms).
_DROPPED_TABLES = (b"GSUB", b"GPOS", b"GDEF", b"BASE", b"JSTF", b"VORG", b"vhea", b"vmtx")
_CFF = b"CFF "
_hb = None


def _harfbuzz():
    """HarfBuzz and HarfBuzz-subset, the libraries WeasyPrint loads too."""
    global _hb
    if _hb is None:
        ffi = cffi.FFI()
        ffi.cdef(_HB_CDEF)
        _hb = ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")
    return _hb


def subset_cid_font(font: bytes, index: int, glyph_ids: set[int]) -> bytes | None:
    """The OpenType font cut down to these glyphs, renumbered with their CIDs kept; None
    unless it is a CID-keyed CFF font (or HarfBuzz-subset is missing)."""
    try:
        ffi, hb, hb_subset = _harfbuzz()
    except OSError:
        return None
    blob = ffi.gc(
        hb.hb_blob_create(font, len(font), _HB_MEMORY_MODE_READONLY, ffi.NULL, ffi.NULL),
        hb.hb_blob_destroy,
    )
    face = ffi.gc(hb.hb_face_create(blob, index), hb.hb_face_destroy)
    subset_input = ffi.gc(
        hb_subset.hb_subset_input_create_or_fail(), hb_subset.hb_subset_input_destroy
    )
    glyph_set = hb_subset.hb_subset_input_glyph_set(subset_input)
    for glyph_id in sorted(glyph_ids | {0}):
        hb.hb_set_add(glyph_set, glyph_id)
    dropped = hb_subset.hb_subset_input_set(subset_input, _HB_SUBSET_SETS_DROP_TABLE_TAG)
    for tag in _DROPPED_TABLES:
        hb.hb_set_add(dropped, int.from_bytes(tag, "big"))
    hb_subset.hb_subset_input_set_flags(subset_input, _HB_SUBSET_FLAGS)
    subset = hb_subset.hb_subset_or_fail(face, subset_input)
    if subset == ffi.NULL:
        return None
    subset = ffi.gc(subset, hb.hb_face_destroy)
    result = _blob_bytes(ffi, hb, hb.hb_face_reference_blob(subset))
    cff = _sfnt_table(result, _CFF)
    return result if cff and _is_cid_keyed(cff) else None


def _blob_bytes(ffi, hb, blob) -> bytes:
    blob = ffi.gc(blob, hb.hb_blob_destroy)
    length = ffi.new("unsigned int *")
    data = hb.hb_blob_get_data(blob, length)
    return bytes(ffi.buffer(data, length[0])) if length[0] else b""


def check_weasyprint() -> None:
    """Raise WeasyPrintChanged unless WeasyPrint still subsets fonts the way the compaction
    wraps: a WeasyPrint upgrade that changes it fails here, loudly, at start."""
    original = getattr(WeasyFont, "subset", None)
    original = getattr(original, "__wrapped__", original)
    if original is None:
        raise WeasyPrintChanged("weasyprint.pdf.fonts.Font.subset is gone")
    parameters = tuple(inspect.signature(original).parameters)
    if parameters != SUBSET_PARAMETERS:
        raise WeasyPrintChanged(f"Font.subset takes {parameters}, not {SUBSET_PARAMETERS}")
    source = inspect.getsource(WeasyFont.__init__)
    missing = [name for name in FONT_ATTRIBUTES if f"self.{name}" not in source]
    if missing:
        raise WeasyPrintChanged(f"weasyprint Font no longer sets {', '.join(missing)}")


def install_compact_cid_fonts() -> None:
    """Wrap WeasyPrint's font subsetting (once, idempotent) so documents rendered within
    `compact_cid_fonts()` embed compact CID-keyed fonts. The application installs it."""
    check_weasyprint()
    original = WeasyFont.subset
    if getattr(original, "compacts_cid_fonts", False):
        return

    @wraps(original)
    def subset(self, to_unicode, hinting):
        if _compacting.get() and to_unicode and "CFF " in getattr(self, "tables", ()):
            compact = subset_cid_font(self.file_content, self.index, set(to_unicode))
            if compact is not None:
                self.file_content, self.is_compact_cid_font = compact, True
                return None
        return original(self, to_unicode, hinting)

    subset.compacts_cid_fonts = True
    WeasyFont.subset = subset


def embed_compact_fonts(document, pdf) -> None:
    """WeasyPrint finisher: embed the compacted CID-keyed fonts as bare CFF."""
    compacted = {
        id(font.file_content)
        for font in document.fonts.values()
        if getattr(font, "is_compact_cid_font", False)
    }
    for obj in pdf.objects:
        if (
            isinstance(obj, pydyf.Stream)
            and obj.extra.get("Subtype") == "/OpenType"
            and len(obj.stream) == 1
            and id(obj.stream[0]) in compacted
        ):
            obj.stream = [_sfnt_table(obj.stream[0], _CFF)]
            obj.extra["Subtype"] = "/CIDFontType0C"


def _sfnt_table(font: bytes, tag: bytes) -> bytes | None:
    """One table of an OpenType font, read from its table directory."""
    count = int.from_bytes(font[4:6], "big")
    for record in range(12, 12 + 16 * count, 16):
        if font[record : record + 4] == tag:
            offset = int.from_bytes(font[record + 8 : record + 12], "big")
            length = int.from_bytes(font[record + 12 : record + 16], "big")
            return font[offset : offset + length]
    return None


def _is_cid_keyed(cff: bytes) -> bool:
    """True when the CFF's top DICT begins with ROS (operator 12 30), as CID-keyed fonts do."""
    name_index = cff[2]  # the header's size
    top_dict_index = _index_end(cff, name_index)
    count = int.from_bytes(cff[top_dict_index : top_dict_index + 2], "big")
    offset_size = cff[top_dict_index + 2]
    top_dict = top_dict_index + 3 + (count + 1) * offset_size
    return count == 1 and b"\x0c\x1e" in cff[top_dict : top_dict + 32]


def _index_end(cff: bytes, start: int) -> int:
    """Where the CFF INDEX starting at `start` ends."""
    count = int.from_bytes(cff[start : start + 2], "big")
    if count == 0:
        return start + 2
    offset_size = cff[start + 2]
    last = start + 3 + count * offset_size
    data = start + 3 + (count + 1) * offset_size - 1
    return data + int.from_bytes(cff[last : last + offset_size], "big")
