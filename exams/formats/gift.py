"""GIFT, Moodle's text format: reading and writing it."""

import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from exams.formats.common import (
    MAX_QUESTIONS,
    Collector,
    ParseResult,
    Skipped,
    category_from_path,
    category_path,
    formatted_text,
    fraction_text,
    question_name,
    too_many,
)
from exams.questions import QuestionData, QuestionType

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
    if text_format in ("html", "markdown"):
        return formatted_text(restored, text_format, warn)
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


def parse_gift(text: str, max_questions: int = MAX_QUESTIONS) -> ParseResult:
    """Questions from GIFT text."""
    blocks = _gift_blocks(text)
    collector = Collector("gift")
    category = ""
    number = 0
    for lines in blocks:
        if lines[0][1].strip().startswith("$CATEGORY:"):
            category = category_from_path(lines[0][1].strip()[len("$CATEGORY:") :])
            # A question may follow its category line without a blank line between.
            lines = lines[1:]
            if not lines:
                continue
        number += 1
        if number > max_questions:
            return too_many("gift", max_questions)
        label = f"第 {number} 题（第 {lines[0][0]} 行）"
        block = "\n".join(line for _, line in lines).strip()
        collector.read(number, label, _gift_question, block, category)
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
    general_format = text_format
    if match := _GIFT_FORMAT.match(general.lstrip()):
        general_format, general = match.group(1).lower(), general.lstrip()[match.end() :]
    explanation = _gift_text(general, general_format, warn)

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
        raise Skipped("数值题（{#…}）不受支持，已跳过")
    if body[0] not in "=~":
        raise ValueError("答案部分格式有误：每个答案应以“=”（正确）或“~”（错误）开头")
    items = [_gift_item(item, text_format, warn) for item in re.split(r"(?=[=~])", body) if item]
    if "->" in inside and all(marker == "=" for marker, _, _ in items):
        raise Skipped("配对题（->）不受支持，已跳过")
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
    # An answer may name its own format ("~[plain]blue"), which holds for it alone.
    if match := _GIFT_FORMAT.match(answer_text.lstrip()):
        text_format = match.group(1).lower()
        answer_text = answer_text.lstrip()[match.end() :]
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
            lines += [f"$CATEGORY: {category_path(category)}", ""]
        if question.type is QuestionType.FILL and len(question.answer) > 1:  # type: ignore[arg-type]
            first_line = " ".join(question.stem.split())[:30]
            lines += [f"// 第 {number} 题为多空填空题，GIFT 格式无法表示，已略去：{first_line}", ""]
            continue
        title = _gift_escape(question_name(number, question))
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
        right = fraction_text(Decimal(100) / len(answer))  # type: ignore[arg-type]
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
