"""Importing and exporting question banks: our XLSX template, Moodle XML, GIFT and Aiken.

`parse()` reads a whole file and answers every question or every problem: the caller imports
only when `ParseResult.errors` is empty, so nothing is ever half-imported. Each bad question
gets its own Chinese message naming its row or number. Questions of types we do not have
(matching, numerical, …) are skipped with a warning; they never block the rest.

Uploads come from instructors' machines, so every limit is checked before a parser sees the
bytes: spreadsheets go through `partyschool.spreadsheets` (zip-bomb and size limits), text
files are at most `MAX_TEXT_BYTES`, every file at most `MAX_QUESTIONS` questions, and Moodle
XML is parsed with defusedxml with DTDs refused (billion laughs, external entities).

What each export cannot express: GIFT has no points and no essay reference answer, and no
fill-in with several blanks (those are left out with a comment line); Moodle XML writes such
fill-ins as Cloze, whose blanks come back as "____". Pure functions: no Flask, no database.
"""

import re
from collections.abc import Callable, Iterable
from pathlib import PurePath

from exams.formats.aiken import ANSWER_LINE, OPTION_LINE, parse_aiken
from exams.formats.common import (
    MAX_QUESTIONS,
    MAX_TEXT_BYTES,
    FileError,
    ParseResult,
    decode_text,
    file_error,
)
from exams.formats.gift import export_gift, parse_gift
from exams.formats.moodle_xml import export_moodle_xml, parse_moodle_xml
from exams.formats.xlsx import XLSX_MIMETYPE, export_xlsx, parse_table
from exams.questions import QuestionData

# Format name: (label, MIME type, file name suffix).
EXPORT_FORMATS = {
    "xlsx": ("Excel 模板格式（.xlsx）", XLSX_MIMETYPE, "xlsx"),
    "gift": ("GIFT（.txt）", "text/plain; charset=utf-8", "gift.txt"),
    "moodle": ("Moodle XML（.xml）", "application/xml", "xml"),
}


def parse(data: bytes, filename: str, *, max_questions: int = MAX_QUESTIONS) -> ParseResult:
    """Read a question bank file, choosing the format by its extension and content."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in (".xlsx", ".csv", ".xls", ".et", ".wps", ".ods"):
        return parse_table(data, filename, suffix, max_questions)
    if suffix not in (".xml", ".gift", ".txt", ".aiken"):
        return file_error(
            "",
            "不支持的文件类型：请上传 Excel 模板（.xlsx）、Moodle XML（.xml）、"
            "GIFT（.gift 或 .txt）或 Aiken（.txt）文件",
        )
    if len(data) > MAX_TEXT_BYTES:
        return file_error("", f"文件过大：不能超过 {MAX_TEXT_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        return file_error("", "文件是空的")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:5].lower()
    if suffix == ".xml" or head in (b"<?xml", b"<quiz"):
        return parse_moodle_xml(data, max_questions)
    try:
        text = decode_text(data)
    except FileError as exc:
        return file_error("", str(exc))
    if suffix == ".gift":
        return parse_gift(text, max_questions)
    if suffix == ".aiken":
        return parse_aiken(text, max_questions)
    detected = _detect_text_format(text)
    if detected is None:
        return file_error(
            "",
            "无法识别 .txt 文件的格式：GIFT 格式把答案写在 {…} 中；"
            "Aiken 格式每题有选项行（如“A. …”）和答案行（如“ANSWER: A”）",
        )
    return detected(text, max_questions)


def _detect_text_format(text: str) -> Callable[[str, int], ParseResult] | None:
    """GIFT or Aiken for a .txt file, from what its lines look like."""
    lines = [line.strip() for line in text.split("\n")]
    content = [line for line in lines if line and not line.startswith("//")]
    if any(re.fullmatch(r"ANSWER\s*[:：].*", line, re.I) for line in content):
        return parse_aiken
    if any("{" in line or line.startswith("$CATEGORY:") for line in content):
        return parse_gift
    if any(ANSWER_LINE.fullmatch(line) for line in content) or any(
        OPTION_LINE.fullmatch(line) for line in content
    ):
        return parse_aiken
    return None


def export(questions: Iterable[QuestionData], fmt: str) -> bytes:
    """The questions as a file of one of `EXPORT_FORMATS`."""
    exporter = {"xlsx": export_xlsx, "gift": export_gift, "moodle": export_moodle_xml}[fmt]
    content = exporter(questions)
    return content.encode("utf-8") if isinstance(content, str) else content
