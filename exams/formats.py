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
import unicodedata
import xml.etree.ElementTree as ET  # noqa: S405 - only builds XML; parsing goes through defusedxml
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from html.parser import HTMLParser
from pathlib import PurePath
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from exams.questions import (
    BLANK_MARKER,
    MAX_OPTIONS,
    OPTION_LETTERS,
    QuestionData,
    QuestionType,
    option_letter,
    validate,
)
from partyschool.spreadsheets import (
    FORMULA_PREFIXES,
    SpreadsheetError,
    Table,
    read_table,
    write_xlsx,
)

MAX_TEXT_BYTES = 5 * 1024 * 1024
MAX_QUESTIONS = 5_000
MAX_REPORTED_ERRORS = 100

TYPE_COLUMN, STEM_COLUMN, ANSWER_COLUMN = "题型", "题干", "答案"
POINTS_COLUMN, CATEGORY_COLUMN, EXPLANATION_COLUMN = "分值", "知识点", "解析"
TEMPLATE_OPTION_COUNT = 6
TEMPLATE_HEADERS = [
    TYPE_COLUMN,
    STEM_COLUMN,
    *(f"选项{letter}" for letter in OPTION_LETTERS[:TEMPLATE_OPTION_COUNT]),
    ANSWER_COLUMN,
    POINTS_COLUMN,
    CATEGORY_COLUMN,
    EXPLANATION_COLUMN,
]
# What people call the columns in templates of other systems, after NFKC and without spaces.
_HEADER_ALIASES = {
    "题型": TYPE_COLUMN,
    "类型": TYPE_COLUMN,
    "题目类型": TYPE_COLUMN,
    "试题类型": TYPE_COLUMN,
    "题干": STEM_COLUMN,
    "题目": STEM_COLUMN,
    "试题": STEM_COLUMN,
    "题目内容": STEM_COLUMN,
    "答案": ANSWER_COLUMN,
    "正确答案": ANSWER_COLUMN,
    "标准答案": ANSWER_COLUMN,
    "参考答案": ANSWER_COLUMN,
    "分值": POINTS_COLUMN,
    "分数": POINTS_COLUMN,
    "知识点": CATEGORY_COLUMN,
    "分类": CATEGORY_COLUMN,
    "解析": EXPLANATION_COLUMN,
    "答案解析": EXPLANATION_COLUMN,
    "试题解析": EXPLANATION_COLUMN,
}
_TYPE_NAMES = {
    QuestionType.SINGLE: ("单选", "单选题", "单项选择", "单项选择题", "single"),
    QuestionType.MULTIPLE: ("多选", "多选题", "多项选择", "多项选择题", "不定项选择题", "multiple"),
    QuestionType.TRUE_FALSE: ("判断", "判断题", "是非题", "true_false"),
    QuestionType.FILL: ("填空", "填空题", "fill"),
    QuestionType.ESSAY: ("论述", "论述题", "简答", "简答题", "问答题", "主观题", "essay"),
}
_TYPE_BY_NAME = {name: kind for kind, names in _TYPE_NAMES.items() for name in names}
_TEMPLATE_TYPE_NAMES = {kind: names[0] for kind, names in _TYPE_NAMES.items()}
_TRUE_WORDS = {"对", "正确", "是", "t", "true", "√", "✓", "✔", "y", "yes"}
_FALSE_WORDS = {"错", "错误", "否", "f", "false", "×", "✗", "✘", "x", "n", "no"}
_ANSWER_SEPARATORS = re.compile(r"[\s,，、;；/]+")
_FILL_BLANK_SEPARATORS = "|｜"
_FILL_ALTERNATIVE_SEPARATORS = "/／"
_FILL_ESCAPABLE = _FILL_BLANK_SEPARATORS + _FILL_ALTERNATIVE_SEPARATORS + "\\"


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

    @property
    def ok(self) -> bool:
        """True when there is something to import and nothing is wrong."""
        return not self.errors and bool(self.questions)


class _FileError(Exception):
    """The file as a whole cannot be read; the message is shown to the user."""


class _Collector:
    """Gathers questions, errors and warnings with their positions while a parser runs."""

    def __init__(self, format_name: str) -> None:
        self.format = format_name
        self.questions: list[QuestionData] = []
        self.errors: list[ImportProblem] = []
        self.warnings: list[ImportProblem] = []
        self._seen: dict[tuple[Any, ...], str] = {}

    def error(self, position: int, label: str, message: str) -> None:
        self.errors.append(ImportProblem(position, f"{label}：{message}" if label else message))

    def warning(self, position: int, label: str, message: str) -> None:
        self.warnings.append(ImportProblem(position, f"{label}：{message}"))

    def add(self, position: int, label: str, question: QuestionData) -> None:
        """Keep a question when it validates, else record each of its problems."""
        problems = validate(question)
        for problem in problems:
            self.error(position, label, problem)
        if problems:
            return
        key = (question.type, " ".join(question.stem.split()), question.options)
        if key in self._seen:
            self.warning(position, label, f"与{self._seen[key]}重复")
        else:
            self._seen[key] = label
        self.questions.append(question)

    def result(self) -> ParseResult:
        errors = self.errors
        if not errors and not self.questions:
            errors = [ImportProblem(0, "文件中没有可导入的题目")]
        if len(errors) > MAX_REPORTED_ERRORS:
            hidden = len(errors) - MAX_REPORTED_ERRORS
            errors = errors[:MAX_REPORTED_ERRORS] + [
                ImportProblem(0, f"另有 {hidden} 处错误未列出，请先修改以上错误")
            ]
        # All or nothing: with any error, no question is handed out to be imported.
        questions = [] if errors else self.questions
        return ParseResult(self.format, questions, errors, self.warnings)


def _file_error(format_name: str, message: str) -> ParseResult:
    return ParseResult(format_name, errors=[ImportProblem(0, message)])


def parse(data: bytes, filename: str) -> ParseResult:
    """Read a question bank file, choosing the format by its extension and content."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in (".xlsx", ".csv", ".xls", ".et", ".wps", ".ods"):
        return _parse_table(data, filename, suffix)
    if suffix not in (".xml", ".gift", ".txt", ".aiken"):
        return _file_error(
            "",
            "不支持的文件类型：请上传 Excel 模板（.xlsx）、Moodle XML（.xml）、"
            "GIFT（.gift 或 .txt）或 Aiken（.txt）文件",
        )
    if len(data) > MAX_TEXT_BYTES:
        return _file_error("", f"文件过大：不能超过 {MAX_TEXT_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        return _file_error("", "文件是空的")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:5].lower()
    if suffix == ".xml" or head in (b"<?xml", b"<quiz"):
        return _parse_moodle_xml(data)
    try:
        text = _decode(data)
    except _FileError as exc:
        return _file_error("", str(exc))
    if suffix == ".gift":
        return _parse_gift(text)
    if suffix == ".aiken":
        return _parse_aiken(text)
    detected = _detect_text_format(text)
    if detected is None:
        return _file_error(
            "",
            "无法识别 .txt 文件的格式：GIFT 格式把答案写在 {…} 中；"
            "Aiken 格式每题有选项行（如“A. …”）和答案行（如“ANSWER: A”）",
        )
    return detected(text)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM) or GB18030/GBK as Chinese Windows saves text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _FileError("无法识别文件编码：请以 UTF-8 编码保存") from exc
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise _FileError("无法识别文件编码：请以 UTF-8 或 GBK 编码保存")
    if "\x00" in text:
        raise _FileError("文件含有空字符，不是文本文件")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _tidy_points(points: Decimal) -> Decimal:
    """1.0000000 from Moodle as 1, 1.50 as 1.5: the same number, written plainly."""
    if points.is_finite() and points == points.to_integral_value():
        return points.quantize(Decimal(1))
    return points.normalize() if points.is_finite() else points


def _parse_points(text: str) -> Decimal:
    """A number of points; ValueError with a Chinese message when it is not one."""
    try:
        points = Decimal(_nfkc(text))
    except InvalidOperation:
        raise ValueError(f"分值“{text}”不是有效的数字") from None
    if not points.is_finite():
        raise ValueError(f"分值“{text}”不是有效的数字")
    return _tidy_points(points)


def _letters(text: str, option_count: int) -> tuple[int, ...]:
    """Answer letters ("A", "ACD", "A、C") as sorted option indices; ValueError when invalid."""
    cleaned = _ANSWER_SEPARATORS.sub("", _nfkc(text)).upper()
    if not cleaned:
        raise ValueError("没有填写答案")
    if not all(char in OPTION_LETTERS for char in cleaned):
        raise ValueError(f"答案“{text}”应为选项字母，如 A 或 ACD")
    if len(set(cleaned)) != len(cleaned):
        raise ValueError(f"答案“{text}”中有重复的字母")
    for char in cleaned:
        if OPTION_LETTERS.index(char) >= option_count:
            last = option_letter(option_count - 1) if option_count else "A"
            raise ValueError(
                f"答案“{char}”超出选项范围（本题只有 {option_count} 个选项，A–{last}）"
            )
    return tuple(sorted(OPTION_LETTERS.index(char) for char in cleaned))


def _choice_answer(kind: QuestionType, text: str, option_count: int) -> int | tuple[int, ...]:
    indices = _letters(text, option_count)
    if kind is QuestionType.SINGLE:
        if len(indices) != 1:
            raise ValueError(f"单选题只能有一个答案，却给出了“{text}”")
        return indices[0]
    return indices


def _true_false(text: str) -> bool:
    word = _nfkc(text).casefold()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(f"判断题答案“{text}”无法识别：应为 对/错、正确/错误 或 T/F")


# --- our XLSX template (and the same columns as CSV) -------------------------------------


def _parse_table(data: bytes, filename: str, suffix: str) -> ParseResult:
    format_name = "csv" if suffix == ".csv" else "xlsx"
    try:
        table = read_table(data, filename)
        columns = _template_columns(table)
    except (SpreadsheetError, _FileError) as exc:
        return _file_error(format_name, str(exc))
    if len(table.rows) > MAX_QUESTIONS:
        return _file_error(format_name, f"题目过多：一次最多导入 {MAX_QUESTIONS} 题，请拆分文件")
    collector = _Collector(format_name)
    for row in table.rows:
        cells = {name: _unquote(row.get(header)) for name, header in columns.items()}
        label = f"第 {row.number} 行"
        try:
            question = _template_question(cells)
        except ValueError as exc:
            collector.error(row.number, label, str(exc))
            continue
        collector.add(row.number, label, question)
    return collector.result()


def _template_columns(table: Table) -> dict[str, str]:
    """Our column names → the file's headers, tolerating spacing, full-width letters, aliases."""
    columns: dict[str, str] = {}
    for header in table.headers:
        name = re.sub(r"\s+", "", _nfkc(header)).upper()
        name = _HEADER_ALIASES.get(name, name)
        option = re.fullmatch(r"选项([A-Z])", name)
        if option and OPTION_LETTERS.index(option.group(1)) >= MAX_OPTIONS:
            raise _FileError(f"选项列最多到“选项{option_letter(MAX_OPTIONS - 1)}”")
        if name not in _HEADER_ALIASES.values() and not option:
            continue  # 序号, 难度, 备注 … are not ours to read
        if name in columns:
            raise _FileError(f"“{columns[name]}”和“{header}”是同一列，请只保留一列")
        columns[name] = header
    missing = [c for c in (TYPE_COLUMN, STEM_COLUMN, ANSWER_COLUMN) if c not in columns]
    if missing:
        raise _FileError(f"缺少必需的列：{'、'.join(missing)}（请使用题库导入模板）")
    return columns


def _unquote(text: str) -> str:
    """Undo the quote our exports put before formula-like text ("'=1" → "=1")."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def _quote(text: str) -> str:
    """Text that `write_xlsx` quoting and `_unquote` bring back unchanged ("'=1" → "''=1")."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _template_question(cells: dict[str, str]) -> QuestionData:
    type_text = cells[TYPE_COLUMN]
    kind = _TYPE_BY_NAME.get(re.sub(r"\s+", "", _nfkc(type_text)).lower())
    if kind is None:
        if not type_text:
            raise ValueError("没有填写题型")
        raise ValueError(f"题型“{type_text}”无法识别：应为 单选、多选、判断、填空 或 论述")
    options = _template_options(cells, kind)
    answer_text = cells[ANSWER_COLUMN]
    answer: Any
    if kind.has_options:
        answer = _choice_answer(kind, answer_text, len(options))
    elif kind is QuestionType.TRUE_FALSE:
        answer = _true_false(answer_text)
    elif kind is QuestionType.FILL:
        answer = _split_fill_answer(answer_text)
        if not answer:
            raise ValueError("没有填写答案（多个空用“|”分隔，同一空的多个答案用“/”分隔）")
    else:
        answer = answer_text
    points_text = cells.get(POINTS_COLUMN, "")
    return QuestionData(
        type=kind,
        stem=cells[STEM_COLUMN],
        options=options,
        answer=answer,
        category=cells.get(CATEGORY_COLUMN, ""),
        points=_parse_points(points_text) if points_text else Decimal(1),
        explanation=cells.get(EXPLANATION_COLUMN, ""),
    )


def _template_options(cells: dict[str, str], kind: QuestionType) -> tuple[str, ...]:
    texts = [cells.get(f"选项{letter}", "") for letter in OPTION_LETTERS[:MAX_OPTIONS]]
    while texts and not texts[-1]:
        texts.pop()
    if not kind.has_options:
        # Some templates fill 选项A/B with 正确/错误 for true/false: harmless, so ignored.
        if kind is QuestionType.TRUE_FALSE and all(_is_true_false_word(t) for t in texts):
            return ()
        if texts:
            raise ValueError(f"{kind.label}不应填写选项")
        return ()
    for index, text in enumerate(texts):
        if not text:
            raise ValueError(f"选项{option_letter(index)}为空，但其后还有选项")
    if len(texts) < 2:
        raise ValueError("选择题至少需要 2 个选项（填在“选项A”“选项B”…列）")
    return tuple(texts)


def _is_true_false_word(text: str) -> bool:
    return _nfkc(text).casefold() in _TRUE_WORDS | _FALSE_WORDS


def _split_fill_answer(text: str) -> tuple[tuple[str, ...], ...]:
    """ "民主集中制|四/4" → (("民主集中制",), ("四", "4")); a backslash escapes | / and itself."""
    blanks: list[tuple[str, ...]] = []
    alternatives: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            current.append(following if following in _FILL_ESCAPABLE else char + following)
        elif char in _FILL_ALTERNATIVE_SEPARATORS or char in _FILL_BLANK_SEPARATORS:
            alternatives.append("".join(current).strip())
            current = []
            if char in _FILL_BLANK_SEPARATORS:
                blanks.append(tuple(a for a in alternatives if a))
                alternatives = []
        else:
            current.append(char)
    alternatives.append("".join(current).strip())
    blanks.append(tuple(a for a in alternatives if a))
    return () if blanks == [()] else tuple(blanks)


def _join_fill_answer(blanks: Iterable[Sequence[str]]) -> str:
    def escape(text: str) -> str:
        return "".join("\\" + c if c in _FILL_ESCAPABLE else c for c in text)

    return "|".join("/".join(escape(a) for a in blank) for blank in blanks)


def _template_answer(question: QuestionData) -> str:
    answer = question.answer
    if question.type is QuestionType.SINGLE:
        return option_letter(answer)  # type: ignore[arg-type]
    if question.type is QuestionType.MULTIPLE:
        return "".join(option_letter(i) for i in answer)  # type: ignore[union-attr]
    if question.type is QuestionType.TRUE_FALSE:
        return "正确" if answer else "错误"
    if question.type is QuestionType.FILL:
        return _join_fill_answer(answer)  # type: ignore[arg-type]
    return str(answer)


def export_xlsx(questions: Iterable[QuestionData]) -> bytes:
    """The questions in our import template; formula-like text is written as plain text."""
    questions = list(questions)
    option_count = max([TEMPLATE_OPTION_COUNT, *(len(q.options) for q in questions)])
    headers = list(TEMPLATE_HEADERS)
    extra = [f"选项{letter}" for letter in OPTION_LETTERS[TEMPLATE_OPTION_COUNT:option_count]]
    insert_at = headers.index(ANSWER_COLUMN)
    headers[insert_at:insert_at] = extra
    rows = []
    for question in questions:
        options = list(question.options) + [""] * (option_count - len(question.options))
        texts = [question.stem, *options, _template_answer(question)]
        rows.append(
            [
                _TEMPLATE_TYPE_NAMES[question.type],
                *(_quote(text) for text in texts),
                question.points,
                _quote(question.category),
                _quote(question.explanation),
            ]
        )
    return write_xlsx(headers, rows, "题库")


TEMPLATE_EXAMPLES = [
    QuestionData(
        type=QuestionType.SINGLE,
        stem="党的根本组织原则是（  ）。",
        options=("民主集中制", "集体领导", "个人分工负责", "党员个人服从党的组织"),
        answer=0,
        category="党章",
        points=Decimal(2),
        explanation="《中国共产党章程》规定，党是根据自己的纲领和章程，按照民主集中制组织起来的统一整体。",
    ),
    QuestionData(
        type=QuestionType.MULTIPLE,
        stem="党员的“四个意识”包括（  ）。",
        options=("政治意识", "大局意识", "核心意识", "看齐意识", "忧患意识"),
        answer=(0, 1, 2, 3),
        category="党的理论",
        points=Decimal(2),
    ),
    QuestionData(
        type=QuestionType.TRUE_FALSE,
        stem="预备党员的预备期为一年。",
        answer=True,
        category="党章",
    ),
    QuestionData(
        type=QuestionType.FILL,
        stem="党的最高领导机关是党的____和它所产生的中央委员会；党的全国代表大会每____年举行一次。",
        answer=(("全国代表大会",), ("五", "5")),
        category="党章",
        points=Decimal(2),
        explanation="多个空用“|”分隔，同一空的多个可接受答案用“/”分隔。",
    ),
    QuestionData(
        type=QuestionType.ESSAY,
        stem="结合自身实际，谈谈你对“全心全意为人民服务”这一党的根本宗旨的理解。",
        answer="要点：宗旨的内涵；联系群众；结合学习和生活实际。",
        category="党的宗旨",
        points=Decimal(20),
    ),
]


def template_xlsx() -> bytes:
    """The empty import template with one example row of each question type."""
    return export_xlsx(TEMPLATE_EXAMPLES)


# --- HTML in Moodle and GIFT text ----------------------------------------------------------


class _TextExtractor(HTMLParser):
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


def _html_to_text(fragment: str) -> tuple[str, bool]:
    """Plain text of an HTML fragment, and whether it held images or media we cannot keep."""
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    lines = [line.strip() for line in "".join(extractor.parts).replace("\xa0", " ").split("\n")]
    text = re.sub(r"\n{2,}", "\n", "\n".join(lines)).strip()
    return text, extractor.has_image


def _category_from_path(path: str) -> str:
    """A Moodle category path ("$course$/top/党章") as our category ("党章")."""
    parts = [part.strip() for part in path.strip().replace("//", "\x00").split("/")]
    if parts and re.fullmatch(r"\$\w+\$", parts[0]):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(part.replace("\x00", "/") for part in parts if part)


def _category_path(category: str) -> str:
    """Our category as a Moodle path; Moodle writes a "/" inside a name as "//"."""
    return "$course$/top/" + category.replace("/", "//") if category else "$course$/top"


# --- Moodle XML ----------------------------------------------------------------------------

_CLOZE_CODE = re.compile(r"\{(\d*):([A-Za-z_]+):((?:\\.|[^\\}])*)\}", re.S)
_CLOZE_SHORT_ANSWER = {"SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC"}


def _parse_moodle_xml(data: bytes) -> ParseResult:
    if len(data) > MAX_TEXT_BYTES:
        return _file_error("moodle_xml", f"文件过大：不能超过 {MAX_TEXT_BYTES // (1024 * 1024)} MB")
    try:
        root = _xml_root(data)
    except _FileError as exc:
        return _file_error("moodle_xml", str(exc))
    except DefusedXmlException:
        return _file_error(
            "moodle_xml", "XML 文件含有 DTD、实体定义或外部引用，出于安全原因拒绝处理"
        )
    except ET.ParseError as exc:
        line, column = exc.position
        return _file_error(
            "moodle_xml",
            f"XML 格式错误（第 {line} 行第 {column + 1} 列附近）：文件不完整或已损坏",
        )
    if root.tag != "quiz":
        return _file_error("moodle_xml", "不是 Moodle XML 题库文件：根元素应为 <quiz>")
    elements = root.findall("question")
    if sum(element.get("type") != "category" for element in elements) > MAX_QUESTIONS:
        return _file_error("moodle_xml", f"题目过多：一次最多导入 {MAX_QUESTIONS} 题，请拆分文件")
    collector = _Collector("moodle_xml")
    category = ""
    number = 0
    for element in elements:
        kind = (element.get("type") or "").strip()
        if kind == "category":
            category = _category_from_path(_child_text(element, "category"))
            continue
        number += 1
        name = " ".join(_child_text(element, "name").split())
        label = f"第 {number} 题" + (f"（{name[:30]}）" if name else "")
        reader = _MOODLE_READERS.get(kind)
        if reader is None:
            message = (
                "说明文字不是题目，已跳过"
                if kind == "description"
                else f"不支持的题型“{kind or '未注明'}”，已跳过"
            )
            collector.warning(number, label, message)
            continue
        try:
            question = reader(element, category, partial(collector.warning, number, label))
        except ValueError as exc:
            collector.error(number, label, str(exc))
            continue
        if question is not None:
            collector.add(number, label, question)
    return collector.result()


_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_XML_ENCODING_TEXT = re.compile(r"""(<\?xml[^>]*?encoding\s*=\s*["'])[^"']*""")


def _xml_root(data: bytes) -> ET.Element:
    """The parsed XML; files declared in GBK and the like are decoded by Python first."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise
    except (ValueError, LookupError):
        # expat itself reads only UTF-8, UTF-16 and single-byte encodings.
        declared = _XML_ENCODING.match(data)
        name = declared.group(1).decode("ascii") if declared else ""
        codec = "gb18030" if name.lower() in ("gbk", "gb2312", "gb18030", "cp936") else name
        try:
            text = data.decode(codec or "utf-8")
        except (LookupError, UnicodeDecodeError):
            raise _FileError(
                f"无法按文件声明的编码“{name}”读取 XML：请以 UTF-8 编码保存后上传"
            ) from None
        utf8 = _XML_ENCODING_TEXT.sub(r"\1UTF-8", text, count=1).encode("utf-8")
        return SafeET.fromstring(utf8, forbid_dtd=True)


def _child_text(element: ET.Element, tag: str) -> str:
    """The <text> inside a child, as Moodle nests them (<name><text>…</text></name>)."""
    child = element.find(tag)
    if child is None:
        return ""
    text = child.find("text")
    return (text.text if text is not None else child.text) or ""


def _moodle_text(element: ET.Element, tag: str, warn: Callable[[str], None]) -> str:
    """A Moodle text field as plain text, whatever its format."""
    child = element.find(tag)
    if child is None:
        return ""
    return _formatted_text(_child_text(element, tag), child.get("format", "html"), warn)


def _formatted_text(raw: str, text_format: str, warn: Callable[[str], None]) -> str:
    if text_format in ("plain_text", "markdown", "plain") or (
        text_format in ("moodle_auto_format", "moodle") and "<" not in raw
    ):
        return raw.strip()
    text, has_image = _html_to_text(raw)
    if has_image:
        warn("文字中的图片或音视频未能导入，请检查题目")
    return text


def _moodle_points(element: ET.Element) -> Decimal:
    text = _child_text(element, "defaultgrade").strip()
    return _parse_points(text) if text else Decimal(1)


def _moodle_answers(element: ET.Element, warn: Callable[[str], None]) -> list[tuple[str, Decimal]]:
    answers = []
    for number, answer in enumerate(element.findall("answer"), start=1):
        fraction_text = answer.get("fraction", "0")
        try:
            fraction = Decimal(fraction_text)
        except InvalidOperation:
            raise ValueError(f"第 {number} 个答案的得分比例“{fraction_text}”无效") from None
        if not fraction.is_finite():
            raise ValueError(f"第 {number} 个答案的得分比例“{fraction_text}”无效")
        text_element = answer.find("text")
        raw = (text_element.text if text_element is not None else answer.text) or ""
        answers.append((_formatted_text(raw, answer.get("format", "html"), warn), fraction))
    return answers


def _moodle_common(
    element: ET.Element, category: str, warn: Callable[[str], None]
) -> dict[str, Any]:
    stem = _moodle_text(element, "questiontext", warn)
    if not stem:
        raise ValueError("缺少题干（<questiontext>）")
    return {
        "stem": stem,
        "category": category,
        "points": _moodle_points(element),
        "explanation": _moodle_text(element, "generalfeedback", warn),
    }


def _moodle_multichoice(
    element: ET.Element, category: str, warn: Callable[[str], None]
) -> QuestionData:
    common = _moodle_common(element, category, warn)
    answers = _moodle_answers(element, warn)
    single = _child_text(element, "single").strip().lower() not in ("false", "0")
    correct = tuple(i for i, (_, fraction) in enumerate(answers) if fraction > 0)
    if not correct:
        raise ValueError("没有正确答案（得分比例 fraction 大于 0 的选项）")
    if single and len(correct) != 1:
        raise ValueError(f"单选题只能有 1 个正确答案，却有 {len(correct)} 个选项的得分比例大于 0")
    return QuestionData(
        type=QuestionType.SINGLE if single else QuestionType.MULTIPLE,
        options=tuple(text for text, _ in answers),
        answer=correct[0] if single else correct,
        **common,
    )


def _moodle_truefalse(
    element: ET.Element, category: str, warn: Callable[[str], None]
) -> QuestionData:
    common = _moodle_common(element, category, warn)
    right = [text for text, fraction in _moodle_answers(element, warn) if fraction > 0]
    if len(right) != 1:
        raise ValueError("判断题应恰有一个得分的答案（true 或 false）")
    return QuestionData(type=QuestionType.TRUE_FALSE, answer=_true_false(right[0]), **common)


def _moodle_shortanswer(
    element: ET.Element, category: str, warn: Callable[[str], None]
) -> QuestionData:
    common = _moodle_common(element, category, warn)
    accepted = [text for text, fraction in _moodle_answers(element, warn) if fraction == 100]
    if not accepted:
        raise ValueError("简答（填空）题没有得满分（fraction=100）的答案")
    if any(re.search(r"(?<!\\)\*", text) for text in accepted):
        raise ValueError("答案含有通配符“*”，本系统不支持，请改为列出每个可接受的答案")
    accepted = [text.replace("\\*", "*") for text in accepted]
    return QuestionData(type=QuestionType.FILL, answer=(tuple(accepted),), **common)


def _moodle_essay(element: ET.Element, category: str, warn: Callable[[str], None]) -> QuestionData:
    common = _moodle_common(element, category, warn)
    reference = _moodle_text(element, "graderinfo", warn)
    return QuestionData(type=QuestionType.ESSAY, answer=reference, **common)


def _moodle_cloze(
    element: ET.Element, category: str, warn: Callable[[str], None]
) -> QuestionData | None:
    common = _moodle_common(element, category, warn)
    codes = list(_CLOZE_CODE.finditer(common["stem"]))
    if not codes:
        raise ValueError("Cloze 题中没有找到空（如 {1:SHORTANSWER:=答案}）")
    kinds = {match.group(2).upper() for match in codes}
    if not kinds <= _CLOZE_SHORT_ANSWER:
        warn(
            "Cloze 题中含有填空以外的小题（"
            + "、".join(sorted(kinds - _CLOZE_SHORT_ANSWER))
            + "），已跳过"
        )
        return None
    blanks = []
    for number, match in enumerate(codes, start=1):
        accepted = []
        for item in _split_unescaped(match.group(3), "~"):
            text = _split_unescaped(item, "#")[0].strip()
            weight = Decimal(0)
            if text.startswith("="):
                text, weight = text[1:], Decimal(100)
            elif weight_match := re.match(r"%(-?\d+(?:\.\d+)?)%", text):
                text, weight = text[weight_match.end() :], Decimal(weight_match.group(1))
            if weight == 100:
                accepted.append(_cloze_unescape(text).strip())
        if not accepted:
            raise ValueError(f"第 {number} 空没有得满分的答案")
        blanks.append(tuple(accepted))
    stem = _CLOZE_CODE.sub("____", common["stem"])
    return QuestionData(type=QuestionType.FILL, answer=tuple(blanks), **{**common, "stem": stem})


def _split_unescaped(text: str, separator: str) -> list[str]:
    """Split at separators not escaped by a backslash; escapes stay for `_cloze_unescape`."""
    parts, current = [], []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            current.append(char + next(chars, ""))
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _cloze_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _cloze_escape(text: str) -> str:
    return re.sub(r'([\\}~#/"])', r"\\\1", text)


_MOODLE_READERS: dict[str, Callable[..., QuestionData | None]] = {
    "multichoice": _moodle_multichoice,
    "truefalse": _moodle_truefalse,
    "shortanswer": _moodle_shortanswer,
    "essay": _moodle_essay,
    "cloze": _moodle_cloze,
}


def _fraction_text(value: Decimal) -> str:
    """A Moodle fraction: at most 5 decimals (33.33333), no trailing zeros."""
    text = f"{value.quantize(Decimal('0.00001')):f}".rstrip("0").rstrip(".")
    return text or "0"


def _text_field(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    ET.SubElement(element, "text").text = text
    return element


def export_moodle_xml(questions: Iterable[QuestionData]) -> bytes:
    """The questions as Moodle XML, plain-text formatted, with a category before each group."""
    quiz = ET.Element("quiz")
    category = ""
    for number, question in enumerate(questions, start=1):
        if question.category != category:
            category = question.category
            holder = ET.SubElement(quiz, "question", {"type": "category"})
            _text_field(holder, "category", _category_path(category))
        _moodle_question(quiz, number, question)
    ET.indent(quiz)
    body = ET.tostring(quiz, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def _question_name(number: int, question: QuestionData) -> str:
    first_line = " ".join(question.stem.split())
    return f"{number:04d} {first_line[:30]}"


def _moodle_question(quiz: ET.Element, number: int, question: QuestionData) -> None:
    kind = question.type
    blanks: tuple[tuple[str, ...], ...] = question.answer if kind is QuestionType.FILL else ()  # type: ignore[assignment]
    is_cloze = kind is QuestionType.FILL and len(blanks) > 1
    moodle_type = {
        QuestionType.SINGLE: "multichoice",
        QuestionType.MULTIPLE: "multichoice",
        QuestionType.TRUE_FALSE: "truefalse",
        QuestionType.FILL: "cloze" if is_cloze else "shortanswer",
        QuestionType.ESSAY: "essay",
    }[kind]
    element = ET.SubElement(quiz, "question", {"type": moodle_type})
    _text_field(element, "name", _question_name(number, question))
    stem = question.stem
    if is_cloze:
        codes = iter(
            "{1:SHORTANSWER:" + "~".join("=" + _cloze_escape(a) for a in blank) + "}"
            for blank in blanks
        )
        stem = BLANK_MARKER.sub(lambda _: next(codes), stem)
    _text_field(element, "questiontext", stem, format="plain_text")
    _text_field(element, "generalfeedback", question.explanation, format="plain_text")
    ET.SubElement(element, "defaultgrade").text = str(question.points)
    ET.SubElement(element, "penalty").text = "0"
    ET.SubElement(element, "hidden").text = "0"
    if kind.has_options:
        is_single = kind is QuestionType.SINGLE
        correct = {question.answer} if is_single else set(question.answer)  # type: ignore[arg-type]
        right = Decimal(100) / len(correct)
        ET.SubElement(element, "single").text = "true" if is_single else "false"
        ET.SubElement(element, "shuffleanswers").text = "true"
        ET.SubElement(element, "answernumbering").text = "ABCD"
        for index, option in enumerate(question.options):
            fraction = right if index in correct else Decimal(0 if is_single else -100)
            answer = _text_field(
                element, "answer", option, fraction=_fraction_text(fraction), format="plain_text"
            )
            _text_field(answer, "feedback", "", format="plain_text")
    elif kind is QuestionType.TRUE_FALSE:
        for value in (True, False):
            fraction = "100" if question.answer is value else "0"
            answer = _text_field(
                element,
                "answer",
                "true" if value else "false",
                fraction=fraction,
                format="moodle_auto_format",
            )
            _text_field(answer, "feedback", "", format="plain_text")
    elif kind is QuestionType.FILL and not is_cloze:
        ET.SubElement(element, "usecase").text = "0"
        for accepted in blanks[0]:
            # In Moodle short answers "*" is a wildcard and "\*" an asterisk.
            text = accepted.replace("*", "\\*")
            answer = _text_field(element, "answer", text, fraction="100", format="plain_text")
            _text_field(answer, "feedback", "", format="plain_text")
    elif kind is QuestionType.ESSAY:
        ET.SubElement(element, "responseformat").text = "editor"
        ET.SubElement(element, "responserequired").text = "1"
        ET.SubElement(element, "responsefieldlines").text = "15"
        ET.SubElement(element, "attachments").text = "0"
        _text_field(element, "graderinfo", str(question.answer), format="plain_text")
        _text_field(element, "responsetemplate", "", format="plain_text")


# --- GIFT ----------------------------------------------------------------------------------

_GIFT_SPECIAL = "~=#{}:\\"
# Escaped special characters become private-use characters while the structure is parsed.
_GIFT_SENTINELS = {char: chr(0xE000 + i) for i, char in enumerate(_GIFT_SPECIAL)}
_GIFT_RESTORE = str.maketrans({v: k for k, v in _GIFT_SENTINELS.items()})
_GIFT_FORMAT = re.compile(r"\[(html|moodle|plain|markdown)\]", re.I)
_GIFT_TRUE_FALSE = re.compile(r"(T|F|TRUE|FALSE)\s*(#.*)?", re.I | re.S)
_GIFT_WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")


def _gift_protect(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        if char in _GIFT_SENTINELS:
            return _GIFT_SENTINELS[char]
        return "\n" if char == "n" else match.group(0)

    return re.sub(r"\\(.)", replace, text, flags=re.S)


def _gift_text(text: str, text_format: str, warn: Callable[[str], None]) -> str:
    restored = text.translate(_GIFT_RESTORE).strip()
    if text_format == "html":
        return _formatted_text(restored, "html", warn)
    return restored


def _gift_blocks(text: str) -> list[list[tuple[int, str]]]:
    """The blank-line separated blocks as (line number, line) pairs, comment lines removed."""
    blocks: list[list[tuple[int, str]]] = []
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip().startswith("//"):
            continue
        if line.strip():
            lines.append((number, line))
        elif lines:
            blocks.append(lines)
            lines = []
    if lines:
        blocks.append(lines)
    return blocks


def _parse_gift(text: str) -> ParseResult:
    blocks = _gift_blocks(text)
    collector = _Collector("gift")
    category = ""
    number = 0
    for lines in blocks:
        if lines[0][1].strip().startswith("$CATEGORY:"):
            category = _category_from_path(lines[0][1].strip()[len("$CATEGORY:") :])
            # A question may follow its category line without a blank line between.
            lines = lines[1:]
            if not lines:
                continue
        number += 1
        if number > MAX_QUESTIONS:
            return _file_error("gift", f"题目过多：一次最多导入 {MAX_QUESTIONS} 题，请拆分文件")
        label = f"第 {number} 题（第 {lines[0][0]} 行）"
        block = "\n".join(line for _, line in lines).strip()
        try:
            question = _gift_question(block, category, partial(collector.warning, number, label))
        except ValueError as exc:
            collector.error(number, label, str(exc))
            continue
        if question is not None:
            collector.add(number, label, question)
    return collector.result()


def _gift_question(block: str, category: str, warn: Callable[[str], None]) -> QuestionData | None:
    text = _gift_protect(block).strip()
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise ValueError("标题缺少结尾的“::”")
        text = text[end + 2 :].lstrip()
    text_format = "plain"
    if match := _GIFT_FORMAT.match(text):
        text_format = match.group(1).lower()
        text = text[match.end() :]
    opening = text.find("{")
    if opening < 0:
        if "}" in text:
            raise ValueError("有右花括号“}”却没有左花括号“{”")
        raise ValueError("没有答案部分：请在题干后用 {…} 给出答案（如 {=正确答案 ~错误答案}）")
    closing = text.find("}", opening)
    if closing < 0:
        raise ValueError("答案部分缺少右花括号“}”")
    if "{" in text[opening + 1 : closing]:
        raise ValueError("答案部分中有多余的“{”：题目文字中的花括号请写成“\\{”")
    before, inside, after = text[:opening], text[opening + 1 : closing], text[closing + 1 :]
    if "}" in before:
        raise ValueError("题干中有多余的右花括号“}”：题目文字中的花括号请写成“\\}”")
    if "{" in after or "}" in after:
        raise ValueError("一道题只能有一个答案部分 {…}")
    inside, _, general = inside.partition("####")
    body = inside.strip()
    explanation = _gift_text(general, text_format, warn)

    def stem_with(marker: str) -> str:
        stem = _gift_text(before, text_format, warn)
        rest = _gift_text(after, text_format, warn)
        return f"{stem}{marker}{rest}" if rest else stem

    common = {"category": category, "explanation": explanation}
    if not body:
        return QuestionData(type=QuestionType.ESSAY, stem=stem_with(" "), answer="", **common)
    if match := _GIFT_TRUE_FALSE.fullmatch(body):
        value = match.group(1).upper() in ("T", "TRUE")
        return QuestionData(
            type=QuestionType.TRUE_FALSE, stem=stem_with("（  ）"), answer=value, **common
        )
    if body.startswith("#"):
        warn("数值题（{#…}）不受支持，已跳过")
        return None
    if body[0] not in "=~":
        raise ValueError("答案部分格式有误：每个答案应以“=”（正确）或“~”（错误）开头")
    items = [_gift_item(item, text_format, warn) for item in re.split(r"(?=[=~])", body) if item]
    if "->" in inside and all(marker == "=" for marker, _, _ in items):
        warn("配对题（->）不受支持，已跳过")
        return None
    for index, (_, answer_text, _) in enumerate(items, start=1):
        if not answer_text:
            raise ValueError(f"第 {index} 个答案是空的")
    if all(marker == "=" for marker, _, _ in items):
        accepted = tuple(t for _, t, weight in items if weight is None or weight == 100)
        if not accepted:
            raise ValueError("填空题没有得满分的答案")
        return QuestionData(
            type=QuestionType.FILL, stem=stem_with("____"), answer=(accepted,), **common
        )
    options = tuple(answer_text for _, answer_text, _ in items)
    if any(marker == "=" for marker, _, _ in items):
        right = [i for i, (marker, _, _) in enumerate(items) if marker == "="]
        if len(right) != 1:
            raise ValueError(f"单选题只能有一个“=”正确答案，却有 {len(right)} 个")
        if any(marker == "~" and weight and weight > 0 for marker, _, weight in items):
            warn("单选题中带正分值的“~”选项按错误选项处理")
        return QuestionData(
            type=QuestionType.SINGLE,
            stem=stem_with("（  ）"),
            options=options,
            answer=right[0],
            **common,
        )
    correct = tuple(i for i, (_, _, weight) in enumerate(items) if weight and weight > 0)
    if not correct:
        raise ValueError(
            "没有正确答案：单选题用“=”标出正确答案，多选题用“~%50%”这样的正分值标出每个正确答案"
        )
    return QuestionData(
        type=QuestionType.MULTIPLE,
        stem=stem_with("（  ）"),
        options=options,
        answer=correct,
        **common,
    )


def _gift_item(
    item: str, text_format: str, warn: Callable[[str], None]
) -> tuple[str, str, Decimal | None]:
    """One "=text#feedback" or "~%50%text" answer as (marker, text, weight or None)."""
    marker, rest = item[0], item[1:]
    weight = None
    if match := _GIFT_WEIGHT.match(rest):
        weight = Decimal(match.group(1))
        rest = rest[match.end() :]
    answer_text = rest.split("#", 1)[0]
    return marker, _gift_text(answer_text, text_format, warn), weight


def _gift_escape(text: str) -> str:
    escaped = "".join("\\" + c if c in _GIFT_SPECIAL else c for c in text)
    return escaped.replace("\n", "\\n")


def export_gift(questions: Iterable[QuestionData]) -> str:
    """The questions as GIFT; points, essay reference answers and multi-blank fill-ins are lost."""
    lines = ["// 网上党校题库导出（GIFT 格式）", ""]
    category = ""
    for number, question in enumerate(questions, start=1):
        if question.category != category:
            category = question.category
            lines += [f"$CATEGORY: {_category_path(category)}", ""]
        if question.type is QuestionType.FILL and len(question.answer) > 1:  # type: ignore[arg-type]
            first_line = " ".join(question.stem.split())[:30]
            lines += [f"// 第 {number} 题为多空填空题，GIFT 格式无法表示，已略去：{first_line}", ""]
            continue
        title = _gift_escape(_question_name(number, question))
        # A stem starting with "[" could be read as a format tag such as [html].
        tag = "[plain]" if question.stem.startswith("[") else ""
        stem = _gift_escape(question.stem)
        lines += [f"::{title}::{tag}{stem}{{", *_gift_answers(question), "}", ""]
    return "\n".join(lines)


def _gift_answers(question: QuestionData) -> list[str]:
    kind = question.type
    answer = question.answer
    lines: list[str] = []
    if kind is QuestionType.SINGLE:
        lines = [
            ("=" if index == answer else "~")
            # An option looking like a weight ("%5%…") gets an explicit one before it.
            + (("%100%" if index == answer else "%0%") if _GIFT_WEIGHT.match(option) else "")
            + _gift_escape(option)
            for index, option in enumerate(question.options)
        ]
    elif kind is QuestionType.MULTIPLE:
        right = _fraction_text(Decimal(100) / len(answer))  # type: ignore[arg-type]
        lines = [
            f"~%{right if index in answer else '-100'}%{_gift_escape(option)}"  # type: ignore[operator]
            for index, option in enumerate(question.options)
        ]
    elif kind is QuestionType.TRUE_FALSE:
        lines = ["TRUE" if answer else "FALSE"]
    elif kind is QuestionType.FILL:
        lines = [
            "=" + ("%100%" if _GIFT_WEIGHT.match(accepted) else "") + _gift_escape(accepted)
            for accepted in answer[0]  # type: ignore[index]
        ]
    if question.explanation:
        lines.append("####" + _gift_escape(question.explanation))
    return lines


# --- Aiken ---------------------------------------------------------------------------------

_AIKEN_OPTION = re.compile(r"([A-Za-zＡ-Ｚａ-ｚ])\s*[.)．、）]\s*(.*)", re.S)
_AIKEN_ANSWER = re.compile(r"(?:ANSWER|答案)\s*[:：]\s*(.*)", re.I | re.S)


def _detect_text_format(text: str) -> Callable[[str], ParseResult] | None:
    """GIFT or Aiken for a .txt file, from what its lines look like."""
    lines = [line.strip() for line in text.split("\n")]
    content = [line for line in lines if line and not line.startswith("//")]
    if any(re.fullmatch(r"ANSWER\s*[:：].*", line, re.I) for line in content):
        return _parse_aiken
    if any("{" in line or line.startswith("$CATEGORY:") for line in content):
        return _parse_gift
    if any(_AIKEN_ANSWER.fullmatch(line) for line in content) or any(
        _AIKEN_OPTION.fullmatch(line) for line in content
    ):
        return _parse_aiken
    return None


@dataclass
class _AikenQuestion:
    line: int
    stem: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    problem: str = ""


def _parse_aiken(text: str) -> ParseResult:
    collector = _Collector("aiken")
    pending: _AikenQuestion | None = None
    number = 0

    def finish(question: _AikenQuestion, answer_text: str | None) -> None:
        label = f"第 {number} 题（第 {question.line} 行）"
        if question.problem:
            collector.error(number, label, question.problem)
        elif answer_text is None:
            collector.error(number, label, "缺少答案行（如“ANSWER: B”），每道题的选项之后都要有")
        elif len(question.options) < 2:
            collector.error(number, label, "至少需要 2 个选项（每行一个，如“A. 民主集中制”）")
        else:
            try:
                indices = _letters(answer_text, len(question.options))
            except ValueError as exc:
                collector.error(number, label, str(exc))
                return
            kind = QuestionType.SINGLE if len(indices) == 1 else QuestionType.MULTIPLE
            collector.add(
                number,
                label,
                QuestionData(
                    type=kind,
                    stem="\n".join(question.stem),
                    options=tuple(question.options),
                    answer=indices[0] if len(indices) == 1 else indices,
                ),
            )

    for line_number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        answer = _AIKEN_ANSWER.fullmatch(line)
        option = _AIKEN_OPTION.fullmatch(line)
        if answer:
            if pending is None:
                number += 1
                collector.error(
                    number, f"第 {number} 题（第 {line_number} 行）", "答案行之前没有题干和选项"
                )
                continue
            finish(pending, answer.group(1))
            pending = None
        elif option and pending is not None and pending.stem:
            letter = _nfkc(option.group(1)).upper()
            expected = option_letter(len(pending.options))
            if letter != expected and not pending.problem:
                pending.problem = f"选项字母应为“{expected}”，却是“{letter}”"
            pending.options.append(option.group(2).strip())
        else:
            if pending is not None and pending.options:
                finish(pending, None)
                pending = None
            if pending is None:
                number += 1
                if number > MAX_QUESTIONS:
                    return _file_error(
                        "aiken", f"题目过多：一次最多导入 {MAX_QUESTIONS} 题，请拆分文件"
                    )
                pending = _AikenQuestion(line_number)
            pending.stem.append(line)
    if pending is not None:
        finish(pending, None)
    return collector.result()
