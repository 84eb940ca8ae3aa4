"""Grading a response to a question: a registry of pure functions keyed by question type.

As with CTFd's challenge and flag types, each question type registers one grader with
`@grader(QuestionType.X)`; `grade()` dispatches. Graders read plain values only, never the
database, and never raise on a response: responses come from browsers and may be anything
JSON can hold. A response that is not of the expected form scores 0.

Expected responses, in the indices of the question as graded (see `questions.permute`):
single: int; multiple: list[int]; true_false: bool; fill: list[str], one per blank;
essay: str.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from exams.questions import (
    POINTS_STEP,
    QuestionData,
    QuestionType,
    is_index,
)

ZERO = Decimal(0)


class PartialCredit(StrEnum):
    """How a partly right multiple-choice response scores when partial credit is on."""

    # (right picks − wrong picks) / all right options, never below 0.
    PROPORTIONAL = "proportional"
    # Any wrong pick scores 0; otherwise right picks / all right options.
    NO_WRONG = "no_wrong"
    # Any wrong pick scores 0; some but not all right options score half (少选得一半分).
    HALF = "half"


@dataclass(frozen=True)
class GradingPolicy:
    """An exam's grading rules (评分规则)."""

    multiple_partial_credit: bool = False
    multiple_partial_mode: PartialCredit = PartialCredit.PROPORTIONAL
    fill_case_sensitive: bool = False
    fill_partial_credit: bool = True


@dataclass(frozen=True)
class Grade:
    """The score of one response; essays are not final until an instructor grades them."""

    score: Decimal
    max_score: Decimal
    is_final: bool
    feedback: str

    @property
    def is_correct(self) -> bool:
        """True when the response earned every point."""
        return self.is_final and self.score == self.max_score


Grader = Callable[[QuestionData, Any, Decimal, GradingPolicy], Grade]
GRADERS: dict[QuestionType, Grader] = {}

CORRECT = "回答正确"
WRONG = "回答错误"
UNANSWERED = "未作答"
MALFORMED = "答案格式无效"
AWAITING_MANUAL = "待人工评阅"


def grader(question_type: QuestionType) -> Callable[[Grader], Grader]:
    """Register the decorated function as the grader of one question type."""

    def register(function: Grader) -> Grader:
        if question_type in GRADERS:
            raise ValueError(f"a grader for {question_type} is already registered")
        GRADERS[question_type] = function
        return function

    return register


def grade(
    question: QuestionData,
    response: Any,
    points: Decimal | int | None = None,
    policy: GradingPolicy | None = None,
) -> Grade:
    """Grade a response with the registered grader of the question's type."""
    points = _checked_points(question.points if points is None else points)
    function = GRADERS.get(question.type)
    if function is None:
        raise ValueError(f"no grader for question type {question.type!r}")
    return function(question, response, points, policy or GradingPolicy())


def manual_grade(score: Decimal | int | str, points: Decimal | int, feedback: str = "") -> Grade:
    """An instructor's grade of an essay; ValueError with a Chinese message when out of range."""
    points = _checked_points(points)
    try:
        value = Decimal(str(score).strip())
    except ArithmeticError as exc:
        raise ValueError(f"得分“{score}”不是有效的数字") from exc
    if not value.is_finite() or not ZERO <= value <= points:
        raise ValueError(f"得分必须在 0 到 {points} 之间")
    if value != value.quantize(POINTS_STEP):
        raise ValueError("得分最多保留两位小数")
    return Grade(value, points, True, feedback)


def _checked_points(points: Decimal | int) -> Decimal:
    if isinstance(points, bool) or not isinstance(points, Decimal | int):
        raise ValueError(f"points must be a Decimal, not {points!r}")
    points = Decimal(points)
    if not points.is_finite() or points < 0:
        raise ValueError(f"points must be a finite number >= 0, not {points}")
    return points


def _fraction(points: Decimal, numerator: int, denominator: int) -> Decimal:
    """points × numerator / denominator, rounded to 0.01 and kept within [0, points]."""
    if numerator <= 0:
        return ZERO
    if numerator >= denominator:
        return points
    score = (points * numerator / denominator).quantize(POINTS_STEP, rounding=ROUND_HALF_UP)
    return min(max(score, ZERO), points)


def _all_or_nothing(is_right: bool, points: Decimal) -> Grade:
    return Grade(points if is_right else ZERO, points, True, CORRECT if is_right else WRONG)


@grader(QuestionType.SINGLE)
def grade_single(
    question: QuestionData, response: Any, points: Decimal, policy: GradingPolicy
) -> Grade:
    """One option index; right or wrong."""
    if response is None:
        return Grade(ZERO, points, True, UNANSWERED)
    if not is_index(response) or not 0 <= response < len(question.options):
        return Grade(ZERO, points, True, MALFORMED)
    return _all_or_nothing(response == question.answer, points)


@grader(QuestionType.MULTIPLE)
def grade_multiple(
    question: QuestionData, response: Any, points: Decimal, policy: GradingPolicy
) -> Grade:
    """A list of option indices; all or nothing unless the policy gives partial credit."""
    if response is None or (isinstance(response, list | tuple) and not response):
        return Grade(ZERO, points, True, UNANSWERED)
    if not isinstance(response, list | tuple) or not all(
        is_index(i) and 0 <= i < len(question.options) for i in response
    ):
        return Grade(ZERO, points, True, MALFORMED)
    picked = set(response)
    if len(picked) != len(response):
        return Grade(ZERO, points, True, MALFORMED)
    key = set(question.answer)  # type: ignore[arg-type]
    right, wrong = len(picked & key), len(picked - key)
    if right == len(key) and not wrong:
        return Grade(points, points, True, CORRECT)
    if not policy.multiple_partial_credit or right == 0:
        return Grade(ZERO, points, True, WRONG)
    mode = policy.multiple_partial_mode
    if mode is PartialCredit.PROPORTIONAL:
        score = _fraction(points, right - wrong, len(key))
    elif wrong:
        score = ZERO
    elif mode is PartialCredit.HALF:
        score = _fraction(points, 1, 2)
    else:
        score = _fraction(points, right, len(key))
    feedback = f"部分正确（选对 {right}/{len(key)} 项，选错 {wrong} 项）" if score else WRONG
    return Grade(score, points, True, feedback)


@grader(QuestionType.TRUE_FALSE)
def grade_true_false(
    question: QuestionData, response: Any, points: Decimal, policy: GradingPolicy
) -> Grade:
    """true or false; right or wrong."""
    if response is None:
        return Grade(ZERO, points, True, UNANSWERED)
    if not isinstance(response, bool):
        return Grade(ZERO, points, True, MALFORMED)
    return _all_or_nothing(response is question.answer, points)


@grader(QuestionType.FILL)
def grade_fill(
    question: QuestionData, response: Any, points: Decimal, policy: GradingPolicy
) -> Grade:
    """One text per blank, compared after normalisation; per-blank credit by default."""
    blanks: tuple[tuple[str, ...], ...] = question.answer  # type: ignore[assignment]
    if response is None:
        return Grade(ZERO, points, True, UNANSWERED)
    if not isinstance(response, list | tuple) or len(response) != len(blanks):
        return Grade(ZERO, points, True, MALFORMED)
    if not any(isinstance(text, str) and text.strip() for text in response):
        return Grade(ZERO, points, True, UNANSWERED)
    case_sensitive = policy.fill_case_sensitive
    right = sum(
        1
        for text, accepted in zip(response, blanks, strict=True)
        if isinstance(text, str) and fill_matches(text, accepted, case_sensitive=case_sensitive)
    )
    if right == len(blanks):
        return Grade(points, points, True, CORRECT)
    if not policy.fill_partial_credit or right == 0:
        return Grade(ZERO, points, True, WRONG)
    return Grade(
        _fraction(points, right, len(blanks)),
        points,
        True,
        f"部分正确（答对 {right}/{len(blanks)} 空）",
    )


@grader(QuestionType.ESSAY)
def grade_essay(
    question: QuestionData, response: Any, points: Decimal, policy: GradingPolicy
) -> Grade:
    """Text for an instructor: 0 for now and not final, unless there is nothing to read."""
    if response is None or (isinstance(response, str) and not response.strip()):
        return Grade(ZERO, points, True, UNANSWERED)
    if not isinstance(response, str):
        return Grade(ZERO, points, True, MALFORMED)
    return Grade(ZERO, points, False, AWAITING_MANUAL)


# Chinese punctuation NFKC leaves alone, mapped to the ASCII a trainee may type instead.
_PUNCTUATION = str.maketrans(
    {
        "。": ".",
        "、": ",",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "《": "<",
        "》": ">",
        "〈": "<",
        "〉": ">",
        "【": "[",
        "】": "]",
        "〔": "[",
        "〕": "]",
        "〖": "[",
        "〗": "]",
        "—": "-",
        "–": "-",
        "―": "-",
        "‐": "-",
        "‑": "-",
        "・": "·",
        "•": "·",
        "‧": "·",
        "〜": "~",
    }
)
_CJK = (
    r"\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    r"\U00020000-\U0003134f"
)
# Chinese is written without spaces: a space next to a Chinese character is a slip.
_SPACE_BY_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")
_TRAILING_STOPS = ".,;:!?"


def normalize_fill(text: str, *, case_sensitive: bool = False) -> str:
    """A fill-in answer as compared: NFKC, Chinese punctuation as ASCII, spaces tidied."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION)
    text = " ".join(_SPACE_BY_CJK.sub("", text).split())
    text = text.rstrip(_TRAILING_STOPS).rstrip() or text
    return text if case_sensitive else text.casefold()


def fill_matches(text: str, accepted: tuple[str, ...], *, case_sensitive: bool = False) -> bool:
    """True when a blank's response equals one of its accepted answers after normalisation."""
    given = normalize_fill(text, case_sensitive=case_sensitive)
    if not given:
        return False
    return any(given == normalize_fill(a, case_sensitive=case_sensitive) for a in accepted)
