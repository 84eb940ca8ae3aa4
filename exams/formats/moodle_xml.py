"""Moodle XML: reading it (with defusedxml, DTDs refused) and writing it."""

import re
import xml.etree.ElementTree as ET  # noqa: S405 - only builds XML; parsing goes through defusedxml
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from exams.formats.common import (
    MAX_QUESTIONS,
    MAX_TEXT_BYTES,
    Collector,
    FileError,
    ParseResult,
    Skipped,
    category_from_path,
    category_path,
    file_error,
    formatted_text,
    fraction_text,
    parse_points,
    question_name,
    too_many,
)
from exams.question_types import parse_true_false
from exams.questions import BLANK_MARKER, QuestionData, QuestionType

_CLOZE_CODE = re.compile(r"\{(\d*):([A-Za-z_]+):((?:\\.|[^\\}])*)\}", re.S)
_CLOZE_SHORT_ANSWER = {"SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC"}


def parse_moodle_xml(data: bytes, max_questions: int = MAX_QUESTIONS) -> ParseResult:
    """Questions from a Moodle XML export."""
    if len(data) > MAX_TEXT_BYTES:
        return file_error("moodle_xml", f"文件过大：不能超过 {MAX_TEXT_BYTES // (1024 * 1024)} MB")
    try:
        root = _xml_root(data)
    except FileError as exc:
        return file_error("moodle_xml", str(exc))
    except DefusedXmlException:
        return file_error(
            "moodle_xml", "XML 文件含有 DTD、实体定义或外部引用，出于安全原因拒绝处理"
        )
    except ET.ParseError as exc:
        line, column = exc.position
        return file_error(
            "moodle_xml",
            f"XML 格式错误（第 {line} 行第 {column + 1} 列附近）：文件不完整或已损坏",
        )
    if root.tag != "quiz":
        return file_error("moodle_xml", "不是 Moodle XML 题库文件：根元素应为 <quiz>")
    elements = root.findall("question")
    if sum(element.get("type") != "category" for element in elements) > max_questions:
        return too_many("moodle_xml", max_questions)
    collector = Collector("moodle_xml")
    category = ""
    number = 0
    lines = _question_lines(data, len(root.findall("question")))
    for index, element in enumerate(elements):
        kind = (element.get("type") or "").strip()
        if kind == "category":
            category = category_from_path(_child_text(element, "category"))
            continue
        number += 1
        name = " ".join(_child_text(element, "name").split())
        where = [f"第 {lines[index]} 行"] if lines else []
        if name:
            where.append(name[:30])
        label = f"第 {number} 题" + (f"（{'，'.join(where)}）" if where else "")
        reader = _MOODLE_READERS.get(kind)
        if reader is None:
            message = (
                "说明文字不是题目，已跳过"
                if kind == "description"
                else f"不支持的题型“{kind or '未注明'}”，已跳过"
            )
            collector.skip(number, label, message)
            continue
        collector.read(number, label, reader, element, category)
    return collector.result()


def _question_lines(data: bytes, count: int) -> list[int]:
    """The line each <question> starts on, so problems can name it as GIFT and Aiken do;
    empty when the raw text cannot be matched to the elements (UTF-16, markup in CDATA) or
    questions share a line."""
    starts = [match.start() for match in re.finditer(rb"<question[\s>/]", data)]
    if len(starts) != count:
        return []
    lines = [data.count(b"\n", 0, start) + 1 for start in starts]
    return lines if len(set(lines)) == len(lines) else []  # else they name no one question


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
            raise FileError(
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
    return formatted_text(_child_text(element, tag), child.get("format", "html"), warn)


def _moodle_points(element: ET.Element) -> Decimal:
    text = _child_text(element, "defaultgrade").strip()
    return parse_points(text) if text else Decimal(1)


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
        answers.append((formatted_text(raw, answer.get("format", "html"), warn), fraction))
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
    return QuestionData(type=QuestionType.TRUE_FALSE, answer=parse_true_false(right[0]), **common)


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
        raise Skipped(
            "Cloze（完形填空）题中含有填空以外的小题（"
            + "、".join(sorted(kinds - _CLOZE_SHORT_ANSWER))
            + "），本系统只能导入每空为填空（SHORTANSWER）的 Cloze 题，已跳过"
        )
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
    "multianswer": _moodle_cloze,  # what Moodle calls its Cloze questions
}


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
            _text_field(holder, "category", category_path(category))
        _moodle_question(quiz, number, question)
    ET.indent(quiz)
    body = ET.tostring(quiz, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


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
    _text_field(element, "name", question_name(number, question))
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
                element, "answer", option, fraction=fraction_text(fraction), format="plain_text"
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
