"""What the question file formats share: limits, results, the collector of problems, and
reading answers, points and HTML text as people write them."""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt

from exams.questions import QuestionData, validate

# Raw HTML in Markdown is not rendered: it is kept as text, then read like any other text.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
MAX_TEXT_BYTES = 5 * 1024 * 1024
MAX_QUESTIONS = 5_000
MAX_REPORTED_ERRORS = 100


@dataclass(frozen=True)
class ImportProblem:
    """One problem of an import: `position` is the row or question number, 0 for the file."""

    position: int
    message: str


@dataclass(frozen=True)
class ParseResult:
    """Every question of a file, or every problem; import only when `ok`."""

    format: str
    questions: list[QuestionData] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    # Questions left out, each with why: types we do not have, duplicates within the file.
    skipped: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is something to import and nothing is wrong."""
        return not self.errors and bool(self.questions)


class FileError(Exception):
    """The file as a whole cannot be read; the message is shown to the user."""


class Skipped(Exception):  # noqa: N818 - a question left out, not an error
    """A question left out of the import (a type we do not have); the message says why."""


class Collector:
    """Gathers questions, errors and warnings with their positions while a parser runs."""

    def __init__(self, format_name: str) -> None:
        self.format = format_name
        self.questions: list[QuestionData] = []
        self.errors: list[ImportProblem] = []
        self.warnings: list[ImportProblem] = []
        self.skipped: list[ImportProblem] = []
        self._seen: dict[tuple[Any, ...], str] = {}

    def error(self, position: int, label: str, message: str) -> None:
        """Record a problem that stops the import."""
        self.errors.append(ImportProblem(position, f"{label}：{message}" if label else message))

    def warning(self, position: int, label: str, message: str) -> None:
        """Record something worth telling that does not stop the import."""
        self.warnings.append(ImportProblem(position, f"{label}：{message}"))

    def skip(self, position: int, label: str, reason: str) -> None:
        """Leave a question out, saying why; the rest of the file is still imported."""
        self.skipped.append(ImportProblem(position, f"{label}：{reason}"))

    def add(self, position: int, label: str, question: QuestionData) -> None:
        """Keep a question when it validates, else record each of its problems; a repeat of a
        question earlier in the file is skipped, not imported twice."""
        problems = validate(question)
        for problem in problems:
            self.error(position, label, problem)
        if problems:
            return
        key = (question.type, " ".join(question.stem.split()), question.options)
        if key in self._seen:
            self.skip(position, label, f"与{self._seen[key]}重复，未重复导入")
            return
        self._seen[key] = label
        self.questions.append(question)

    def read(self, position: int, label: str, reader: Callable[..., Any], *args: Any) -> None:
        """Read one question with `reader(*args, warn)`: keep what it returns (None: skipped
        with a warning), record its ValueError as the question's error."""
        try:
            question = reader(*args, partial(self.warning, position, label))
        except Skipped as exc:
            self.skip(position, label, str(exc))
            return
        except ValueError as exc:
            self.error(position, label, str(exc))
            return
        if question is not None:
            self.add(position, label, question)

    def result(self) -> ParseResult:
        """Every question, or every problem (at most MAX_REPORTED_ERRORS listed)."""
        errors = self.errors
        if not errors and not self.questions:
            if self.skipped:
                # Say why: every question of the file was left out for a reason of its own.
                summary = f"文件中没有可导入的题目：{len(self.skipped)} 题均被跳过"
                errors = [ImportProblem(0, summary), *self.skipped]
            else:
                errors = [ImportProblem(0, "文件中没有可导入的题目")]
        if len(errors) > MAX_REPORTED_ERRORS:
            hidden = len(errors) - MAX_REPORTED_ERRORS
            errors = errors[:MAX_REPORTED_ERRORS] + [
                ImportProblem(0, f"另有 {hidden} 处错误未列出，请先修改以上错误")
            ]
        # All or nothing: with any error, no question is handed out to be imported.
        questions = [] if errors else self.questions
        return ParseResult(self.format, questions, errors, self.warnings, self.skipped)


def file_error(format_name: str, message: str) -> ParseResult:
    """A result refusing the whole file with one message."""
    return ParseResult(format_name, errors=[ImportProblem(0, message)])


def too_many(format_name: str, limit: int) -> ParseResult:
    """A result refusing a file of more than `limit` questions."""
    return file_error(format_name, f"题目过多：一次最多导入 {limit} 题，请拆分文件")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM) or GB18030/GBK as Chinese Windows saves text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileError("无法识别文件编码：请以 UTF-8 编码保存") from exc
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise FileError("无法识别文件编码：请以 UTF-8 或 GBK 编码保存")
    if "\x00" in text:
        raise FileError("文件含有空字符，不是文本文件")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def nfkc(text: str) -> str:
    """Text as compared: NFKC-normalized (full-width letters as ASCII) and stripped."""
    return unicodedata.normalize("NFKC", text).strip()


def tidy_points(points: Decimal) -> Decimal:
    """1.0000000 from Moodle as 1, 1.50 as 1.5: the same number, written plainly."""
    if points.is_finite() and points == points.to_integral_value():
        return points.quantize(Decimal(1))
    return points.normalize() if points.is_finite() else points


def parse_points(text: str) -> Decimal:
    """A number of points; ValueError with a Chinese message when it is not one."""
    try:
        points = Decimal(nfkc(text))
    except InvalidOperation:
        raise ValueError(f"分值“{text}”不是有效的数字") from None
    if not points.is_finite():
        raise ValueError(f"分值“{text}”不是有效的数字")
    return tidy_points(points)


class TextExtractor(HTMLParser):
    """Visible text of an HTML fragment, with line breaks where blocks and <br> are."""

    BLOCKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.has_image = False
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("img", "video", "audio", "object", "embed", "iframe"):
            self.has_image = True
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(fragment: str) -> tuple[str, bool]:
    """Plain text of an HTML fragment, and whether it held images or media we cannot keep."""
    extractor = TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    lines = [line.strip() for line in "".join(extractor.parts).replace("\xa0", " ").split("\n")]
    text = re.sub(r"\n{2,}", "\n", "\n".join(lines)).strip()
    return text, extractor.has_image


def category_from_path(path: str) -> str:
    """A Moodle category path ("$course$/top/党章") as our category ("党章")."""
    parts = [part.strip() for part in path.strip().replace("//", "\x00").split("/")]
    if parts and re.fullmatch(r"\$\w+\$", parts[0]):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(part.replace("\x00", "/") for part in parts if part)


def category_path(category: str) -> str:
    """Our category as a Moodle path; Moodle writes a "/" inside a name as "//"."""
    return "$course$/top/" + category.replace("/", "//") if category else "$course$/top"


def formatted_text(raw: str, text_format: str, warn: Callable[[str], None]) -> str:
    """A text field of a question file as plain text, whatever its format (HTML: tags removed,
    with a warning when images or media are lost)."""
    if text_format == "markdown":
        # Markdown's marks (**bold**, lists) are formatting, not words: keep what they show.
        raw = _MARKDOWN.render(raw)
    elif text_format in ("plain_text", "plain") or (
        text_format in ("moodle_auto_format", "moodle") and "<" not in raw
    ):
        return raw.strip()
    text, has_image = html_to_text(raw)
    if has_image:
        warn("文字中的图片或音视频未能导入，请检查题目")
    return text


def fraction_text(value: Decimal) -> str:
    """A Moodle fraction: at most 5 decimals (33.33333), no trailing zeros."""
    text = f"{value.quantize(Decimal('0.00001')):f}".rstrip("0").rstrip(".")
    return text or "0"


def question_name(number: int, question: QuestionData) -> str:
    """The name an export gives a question: its number and the start of its stem."""
    first_line = " ".join(question.stem.split())
    return f"{number:04d} {first_line[:30]}"
