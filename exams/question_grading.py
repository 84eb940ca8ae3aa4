"""Grading a response to one question: the grade, the exam's grading policy, and the rules
every question type shares (partial credit, fill-in normalisation, an instructor's grade).

Each question type grades its own responses (`exams.question_types`); these are the pure
pieces they are built of: no database, and never an exception on a response, since responses
come from browsers and may be anything JSON can hold. A response not of the expected form
scores 0.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from exams.questions import POINTS_STEP

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


CORRECT = "回答正确"
WRONG = "回答错误"
UNANSWERED = "未作答"
MALFORMED = "答案格式无效"
AWAITING_MANUAL = "待人工评阅"


def manual_grade(score: Decimal | int | str, points: Decimal | int, feedback: str = "") -> Grade:
    """An instructor's grade of an essay; ValueError with a Chinese message when out of range."""
    points = checked_points(points)
    try:
        value = Decimal(str(score).strip())
    except ArithmeticError as exc:
        raise ValueError(f"得分“{score}”不是有效的数字") from exc
    if not value.is_finite() or not ZERO <= value <= points:
        raise ValueError(f"得分必须在 0 到 {points} 之间")
    if value != value.quantize(POINTS_STEP):
        raise ValueError("得分最多保留两位小数")
    return Grade(value, points, True, feedback)


def checked_points(points: Decimal | int) -> Decimal:
    """Points as a Decimal; ValueError when not a finite number >= 0."""
    if isinstance(points, bool) or not isinstance(points, Decimal | int):
        raise ValueError(f"points must be a Decimal, not {points!r}")
    points = Decimal(points)
    if not points.is_finite() or points < 0:
        raise ValueError(f"points must be a finite number >= 0, not {points}")
    return points


def fraction(points: Decimal, numerator: int, denominator: int) -> Decimal:
    """points × numerator / denominator, rounded to 0.01 and kept within [0, points]."""
    if numerator <= 0:
        return ZERO
    if numerator >= denominator:
        return points
    score = (points * numerator / denominator).quantize(POINTS_STEP, rounding=ROUND_HALF_UP)
    return min(max(score, ZERO), points)


def all_or_nothing(is_right: bool, points: Decimal) -> Grade:
    """Full points or none."""
    return Grade(points if is_right else ZERO, points, True, CORRECT if is_right else WRONG)


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
