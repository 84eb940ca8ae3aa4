"""Questions as plain data: types, validation, JSON form and a trainee's option order.

A question's answer key is typed by its question type:

- single: the index of the correct option (int);
- multiple: the sorted indices of the correct options (tuple[int, ...]);
- true_false: bool;
- fill: one tuple of accepted answers per blank (tuple[tuple[str, ...], ...]); the stem marks
  blanks with "____" (three or more underscores) or "（  ）"; a stem without a marker is one
  blank, the question as a whole;
- essay: the reference answer for the grader (str, may be "").

Pure data and functions: no Flask, no database. The database stores `to_json(question)`.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

MAX_OPTIONS = 10
MAX_BLANKS = 20
MAX_ALTERNATIVES = 20
MAX_STEM_CHARS = 5_000
MAX_OPTION_CHARS = 1_000
MAX_ALTERNATIVE_CHARS = 200
MAX_REFERENCE_CHARS = 10_000
MAX_EXPLANATION_CHARS = 5_000
MAX_CATEGORY_CHARS = 100
MAX_POINTS = Decimal(100)
POINTS_STEP = Decimal("0.01")

OPTION_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Three or more underscores, or empty full-width parentheses as Chinese papers print them.
BLANK_MARKER = re.compile(r"_{3,}|（[ \u3000]*）|\([ \u3000]+\)")
# Control characters other than tab and newline cannot be stored in XML or shown sensibly.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class QuestionType(StrEnum):
    """The kind of a question (题型)."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    FILL = "fill"
    ESSAY = "essay"

    @property
    def label(self) -> str:
        """The Chinese name shown to users."""
        return _LABELS[self]

    @property
    def has_options(self) -> bool:
        """True for the choice types, whose options are shown and may be shuffled."""
        return self in (QuestionType.SINGLE, QuestionType.MULTIPLE)


_LABELS = {
    QuestionType.SINGLE: "单选题",
    QuestionType.MULTIPLE: "多选题",
    QuestionType.TRUE_FALSE: "判断题",
    QuestionType.FILL: "填空题",
    QuestionType.ESSAY: "论述题",
}

Answer = int | bool | str | tuple[int, ...] | tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class QuestionData:
    """One question of a bank (试题) with its answer key, as plain values."""

    type: QuestionType
    stem: str
    options: tuple[str, ...] = ()
    answer: Answer = ""
    category: str = ""
    points: Decimal = Decimal(1)
    explanation: str = ""


def as_points(value: Any) -> Decimal:
    """Points as stored in JSON (a string or a number), as an exact Decimal."""
    return Decimal(str(value))


def option_letter(index: int) -> str:
    """The letter users see for an option index: 0 → "A"."""
    return OPTION_LETTERS[index] if 0 <= index < len(OPTION_LETTERS) else f"#{index + 1}"


def blank_count(stem: str) -> int:
    """How many blanks a fill-in stem marks ("____" or "（  ）")."""
    return len(BLANK_MARKER.findall(stem))


def expected_blanks(stem: str) -> int:
    """How many answers a fill-in question takes: its marked blanks, or 1 when none is marked."""
    return max(1, blank_count(stem))


def is_index(value: Any) -> bool:
    """True for a plain int (bool is an int to Python, never an option index here)."""
    return type(value) is int


def validate(question: QuestionData) -> list[str]:
    """Every problem of a question, in Chinese; an empty list when it can be saved."""
    if not isinstance(question.type, QuestionType):
        return [f"未知的题型“{question.type}”"]
    problems = _text_problems(question)
    problems += _points_problems(question.points)
    if question.type.has_options:
        problems += _option_problems(question.options)
    elif question.options:
        problems.append(f"{question.type.label}不应有选项")
    problems += _ANSWER_CHECKS[question.type](question)
    return problems


def _text_problems(question: QuestionData) -> list[str]:
    problems = []
    fields = (
        ("题干", question.stem, MAX_STEM_CHARS),
        ("知识点", question.category, MAX_CATEGORY_CHARS),
        ("解析", question.explanation, MAX_EXPLANATION_CHARS),
    )
    for name, value, limit in fields:
        if not isinstance(value, str):
            problems.append(f"{name}必须是文本")
        elif len(value) > limit:
            problems.append(f"{name}过长：最多 {limit} 个字")
        elif _CONTROL.search(value):
            problems.append(f"{name}含有不可见的控制字符")
    if isinstance(question.stem, str) and not question.stem.strip():
        problems.append("题干不能为空")
    if isinstance(question.category, str) and "\n" in question.category:
        problems.append("知识点不能换行")
    return problems


def _points_problems(points: Any) -> list[str]:
    if isinstance(points, bool) or not isinstance(points, Decimal | int):
        return ["分值必须是数字"]
    points = Decimal(points)
    if not points.is_finite() or points <= 0:
        return ["分值必须大于 0"]
    if points > MAX_POINTS:
        return [f"分值不能超过 {MAX_POINTS}"]
    if points != points.quantize(POINTS_STEP):
        return ["分值最多保留两位小数"]
    return []


def _option_problems(options: Any) -> list[str]:
    if not isinstance(options, tuple) or not all(isinstance(o, str) for o in options):
        return ["选项格式无效"]
    if len(options) < 2:
        return ["选项至少需要 2 个"]
    if len(options) > MAX_OPTIONS:
        return [f"选项最多 {MAX_OPTIONS} 个"]
    problems = []
    seen: dict[str, int] = {}
    for index, option in enumerate(options):
        letter = option_letter(index)
        text = " ".join(option.split())
        if not text:
            problems.append(f"选项{letter}为空")
        elif len(option) > MAX_OPTION_CHARS:
            problems.append(f"选项{letter}过长：最多 {MAX_OPTION_CHARS} 个字")
        elif _CONTROL.search(option):
            problems.append(f"选项{letter}含有不可见的控制字符")
        elif text in seen:
            problems.append(f"选项{letter}与选项{option_letter(seen[text])}重复")
        else:
            seen[text] = index
    return problems


def _single_problems(question: QuestionData) -> list[str]:
    if not is_index(question.answer):
        return ["单选题的答案必须是一个选项"]
    if not 0 <= question.answer < len(question.options):
        return ["答案超出选项范围"]
    return []


def _multiple_problems(question: QuestionData) -> list[str]:
    answer = question.answer
    if not isinstance(answer, tuple) or not all(is_index(i) for i in answer):
        return ["多选题的答案必须是若干选项"]
    if not answer:
        return ["多选题至少需要 1 个正确答案"]
    if any(not 0 <= i < len(question.options) for i in answer):
        return ["答案超出选项范围"]
    if len(set(answer)) != len(answer):
        return ["答案中有重复的选项"]
    if list(answer) != sorted(answer):
        return ["多选题的答案应按选项顺序排列"]
    return []


def _true_false_problems(question: QuestionData) -> list[str]:
    return [] if isinstance(question.answer, bool) else ["判断题的答案必须是“正确”或“错误”"]


def _fill_problems(question: QuestionData) -> list[str]:
    answer = question.answer
    if not isinstance(answer, tuple) or not all(
        isinstance(blank, tuple) and all(isinstance(a, str) for a in blank) for blank in answer
    ):
        return ["填空题的答案格式无效"]
    problems = []
    expected = expected_blanks(question.stem) if isinstance(question.stem, str) else 1
    if len(answer) != expected:
        problems.append(f"题干有 {expected} 个空，但给出了 {len(answer)} 个空的答案")
    if len(answer) > MAX_BLANKS:
        problems.append(f"填空题最多 {MAX_BLANKS} 个空")
    for number, blank in enumerate(answer, start=1):
        if not blank or not all(a.strip() for a in blank):
            problems.append(f"第 {number} 空的答案不能为空")
        elif len(blank) > MAX_ALTERNATIVES:
            problems.append(f"第 {number} 空最多 {MAX_ALTERNATIVES} 个可接受答案")
        elif any(len(a) > MAX_ALTERNATIVE_CHARS for a in blank):
            problems.append(f"第 {number} 空的答案过长：最多 {MAX_ALTERNATIVE_CHARS} 个字")
        elif any(_CONTROL.search(a) for a in blank):
            problems.append(f"第 {number} 空的答案含有不可见的控制字符")
    return problems


def _essay_problems(question: QuestionData) -> list[str]:
    if not isinstance(question.answer, str):
        return ["论述题的参考答案必须是文本"]
    if len(question.answer) > MAX_REFERENCE_CHARS:
        return [f"参考答案过长：最多 {MAX_REFERENCE_CHARS} 个字"]
    if _CONTROL.search(question.answer):
        return ["参考答案含有不可见的控制字符"]
    return []


_ANSWER_CHECKS = {
    QuestionType.SINGLE: _single_problems,
    QuestionType.MULTIPLE: _multiple_problems,
    QuestionType.TRUE_FALSE: _true_false_problems,
    QuestionType.FILL: _fill_problems,
    QuestionType.ESSAY: _essay_problems,
}


def to_json(question: QuestionData) -> dict[str, Any]:
    """The question as JSON-ready values (points as a string, to stay exact)."""
    answer: Any = question.answer
    if question.type is QuestionType.MULTIPLE:
        answer = list(answer)
    elif question.type is QuestionType.FILL:
        answer = [list(blank) for blank in answer]
    return {
        "type": str(question.type),
        "stem": question.stem,
        "options": list(question.options),
        "answer": answer,
        "category": question.category,
        "points": str(question.points),
        "explanation": question.explanation,
    }


def from_json(data: Any) -> QuestionData:
    """A question from `to_json` output; ValueError when the shape is wrong (not validated)."""
    if not isinstance(data, dict):
        raise ValueError("question JSON must be an object")
    try:
        question_type = QuestionType(data["type"])
        raw_answer = data["answer"]
        points = Decimal(str(data.get("points", "1")))
        options = tuple(_strings(data.get("options", []), "options"))
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise ValueError(f"malformed question JSON: {exc!r}") from exc
    answer: Answer
    if question_type is QuestionType.SINGLE:
        answer = _index(raw_answer)
    elif question_type is QuestionType.MULTIPLE:
        if not isinstance(raw_answer, list):
            raise ValueError("multiple-choice answer must be a list")
        answer = tuple(_index(i) for i in raw_answer)
    elif question_type is QuestionType.TRUE_FALSE:
        if not isinstance(raw_answer, bool):
            raise ValueError("true/false answer must be a boolean")
        answer = raw_answer
    elif question_type is QuestionType.FILL:
        if not isinstance(raw_answer, list):
            raise ValueError("fill-in answer must be a list of lists")
        answer = tuple(tuple(_strings(blank, "blank")) for blank in raw_answer)
    else:
        if not isinstance(raw_answer, str):
            raise ValueError("essay reference answer must be a string")
        answer = raw_answer
    return QuestionData(
        type=question_type,
        stem=_string(data.get("stem"), "stem"),
        options=options,
        answer=answer,
        category=_string(data.get("category", ""), "category"),
        points=points,
        explanation=_string(data.get("explanation", ""), "explanation"),
    )


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _strings(values: Any, name: str) -> list[str]:
    if not isinstance(values, list):
        raise ValueError(f"{name} must be a list of strings")
    return [_string(value, name) for value in values]


def _index(value: Any) -> int:
    if not is_index(value):
        raise ValueError("an option index must be an integer")
    return value


def permute(question: QuestionData, order: Sequence[int]) -> tuple[QuestionData, tuple[int, ...]]:
    """The question with its options shown in `order`, and the display→original index map.

    `order[i]` is the original index of the option displayed at position i; the key is mapped
    along, so grading the permuted question with displayed indices equals grading the original
    with the response mapped through `order`. Questions without options come back unchanged
    with ().
    """
    if not question.type.has_options:
        return question, ()
    to_original = tuple(order)
    if sorted(to_original) != list(range(len(question.options))) or not all(
        is_index(i) for i in to_original
    ):
        raise ValueError("order must be a permutation of the option indices")
    to_display = {original: display for display, original in enumerate(to_original)}
    answer: Answer
    if question.type is QuestionType.SINGLE:
        answer = to_display[question.answer]  # type: ignore[index]
    else:
        answer = tuple(sorted(to_display[i] for i in question.answer))  # type: ignore[union-attr]
    options = tuple(question.options[i] for i in to_original)
    return replace(question, options=options, answer=answer), to_original
