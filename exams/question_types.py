"""The question types (题型), one class each, in a registry like CTFd's `FLAG_CLASSES`.

A type's class is its one home: how it grades a response, how its key and a trainee's response
read to people, what of it the trainee's browser may see (never the key), the form staff edit
it with, and how it maps to a cell of our import template. `type_of()` finds the class of a
`QuestionType`; `grade()` grades through it. Grading reads plain values only, never the
database (the shared rules are in `exams.question_grading`).

Responses, in the indices of the question as asked (see `questions.permute`): single: int;
multiple: list[int]; true_false: bool; fill: list[str], one per blank; essay: str.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from exams.question_forms import (
    EssayForm,
    FillForm,
    MultipleForm,
    QuestionForm,
    SingleForm,
    TrueFalseForm,
)
from exams.question_grading import (
    AWAITING_MANUAL,
    CORRECT,
    MALFORMED,
    UNANSWERED,
    WRONG,
    ZERO,
    Grade,
    GradingPolicy,
    PartialCredit,
    all_or_nothing,
    checked_points,
    fill_matches,
    fraction,
)
from exams.questions import (
    OPTION_LETTERS,
    Answer,
    QuestionData,
    QuestionType,
    is_index,
    option_letter,
)

TRUE_WORDS = {"对", "正确", "是", "t", "true", "√", "✓", "✔", "y", "yes"}
FALSE_WORDS = {"错", "错误", "否", "f", "false", "×", "✗", "✘", "x", "n", "no"}
_ANSWER_SEPARATORS = re.compile(r"[\s,，、;；/]+")
_FILL_BLANK_SEPARATORS = "|｜"
_FILL_ALTERNATIVE_SEPARATORS = "/／"
_FILL_ESCAPABLE = _FILL_BLANK_SEPARATORS + _FILL_ALTERNATIVE_SEPARATORS + "\\"


class BaseQuestionType:
    """What every question type says about itself; subclasses register with `@register`."""

    type: ClassVar[QuestionType]
    form: ClassVar[type[QuestionForm]]
    # What question files call the type (after NFKC, without spaces, lower case); the first is
    # the name our template writes.
    import_names: ClassVar[tuple[str, ...]]

    @classmethod
    def grade(
        cls, question: QuestionData, response: Any, points: Decimal, policy: GradingPolicy
    ) -> Grade:
        """The grade of a response worth `points` under the exam's policy."""
        raise NotImplementedError

    @classmethod
    def key_text(cls, question: QuestionData) -> str:
        """The answer key as people write it: B, ACD, 正确, 五/5；共产主义."""
        raise NotImplementedError

    @classmethod
    def response_text(cls, question: QuestionData, response: Any) -> str:
        """A trainee's response (not empty) as people read it."""
        return str(response)

    @classmethod
    def public_fields(cls, question: QuestionData) -> dict[str, Any]:
        """What the trainee's browser may see of the question during an attempt: never the key."""
        return {"stem": question.stem, "options": list(question.options), "blanks": 0}

    @classmethod
    def accepts(cls, response: Any, options: int, blanks: int) -> bool:
        """True when a response (not None) has the form this type's answers take, for a
        question with this many options and blanks."""
        raise NotImplementedError

    @classmethod
    def answer_from_cell(cls, text: str, option_count: int) -> Answer:
        """The key from our template's answer cell; ValueError with a Chinese message."""
        raise NotImplementedError

    @classmethod
    def answer_cell(cls, question: QuestionData) -> str:
        """The key as our template's answer cell writes it (read back by `answer_from_cell`)."""
        return cls.key_text(question)


QUESTION_TYPES: dict[QuestionType, type[BaseQuestionType]] = {}


def register(cls: type[BaseQuestionType]) -> type[BaseQuestionType]:
    """Register the decorated class as the one class of its question type."""
    if cls.type in QUESTION_TYPES:
        raise ValueError(f"question type {cls.type} is already registered")
    QUESTION_TYPES[cls.type] = cls
    return cls


def type_of(question_type: QuestionType | str) -> type[BaseQuestionType]:
    """The class of a question type; ValueError for a type nobody registered."""
    try:
        return QUESTION_TYPES[QuestionType(question_type)]
    except (KeyError, ValueError):
        raise ValueError(f"no question type {question_type!r}") from None


def grade(
    question: QuestionData,
    response: Any,
    points: Decimal | int | None = None,
    policy: GradingPolicy | None = None,
) -> Grade:
    """Grade a response with the question's type (its bank points unless `points` is given)."""
    points = checked_points(question.points if points is None else points)
    return type_of(question.type).grade(question, response, points, policy or GradingPolicy())


def key_text(question: QuestionData) -> str:
    """The question's answer key as people write it."""
    return type_of(question.type).key_text(question)


def response_text(question: QuestionData, response: Any) -> str:
    """A trainee's response as people read it; "" when nothing was given."""
    if response is None or response == [] or response == "":
        return ""
    return type_of(question.type).response_text(question, response)


def public_fields(question: QuestionData) -> dict[str, Any]:
    """The question as the trainee's browser may see it: type, stem, options, blanks."""
    return {"type": str(question.type), **type_of(question.type).public_fields(question)}


def accepts(question_type: str, response: Any, options: int, blanks: int) -> bool:
    """True when the response is no answer (None) or has the form of the type's answers."""
    return response is None or type_of(question_type).accepts(response, options, blanks)


def _option(value: Any, options: int) -> bool:
    # JSON keeps true apart from 1; Python's int does not.
    return type(value) is int and 0 <= value < options


@register
class SingleChoice(BaseQuestionType):
    """A single-choice question (单选题): one right option."""

    type = QuestionType.SINGLE
    form = SingleForm
    import_names = ("单选", "单选题", "单项选择", "单项选择题", "single")

    @classmethod
    def accepts(cls, response, options, blanks):
        """One option's index."""
        return _option(response, options)

    @classmethod
    def grade(cls, question, response, points, policy):
        """One option index; right or wrong."""
        if response is None:
            return Grade(ZERO, points, True, UNANSWERED)
        if not is_index(response) or not 0 <= response < len(question.options):
            return Grade(ZERO, points, True, MALFORMED)
        return all_or_nothing(response == question.answer, points)

    @classmethod
    def key_text(cls, question):
        """The right option's letter."""
        return option_letter(question.answer)

    @classmethod
    def response_text(cls, question, response):
        """The picked option's letter."""
        return option_letter(response) if isinstance(response, int) else str(response)

    @classmethod
    def answer_from_cell(cls, text, option_count):
        """One option letter."""
        indices = parse_letters(text, option_count)
        if len(indices) != 1:
            raise ValueError(f"单选题只能有一个答案，却给出了“{text}”")
        return indices[0]


@register
class MultipleChoice(BaseQuestionType):
    """A multiple-choice question (多选题): every right option, partial credit as the exam says."""

    type = QuestionType.MULTIPLE
    form = MultipleForm
    import_names = ("多选", "多选题", "多项选择", "多项选择题", "不定项选择题", "multiple")

    @classmethod
    def accepts(cls, response, options, blanks):
        """Different options' indices."""
        return (
            isinstance(response, list)
            and all(_option(value, options) for value in response)
            and len(set(response)) == len(response)
        )

    @classmethod
    def grade(cls, question, response, points, policy):
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
        key = set(question.answer)
        right, wrong = len(picked & key), len(picked - key)
        if right == len(key) and not wrong:
            return Grade(points, points, True, CORRECT)
        if not policy.multiple_partial_credit or right == 0:
            return Grade(ZERO, points, True, WRONG)
        mode = policy.multiple_partial_mode
        if mode is PartialCredit.PROPORTIONAL:
            score = fraction(points, right - wrong, len(key))
        elif wrong:
            score = ZERO
        elif mode is PartialCredit.HALF:
            score = fraction(points, 1, 2)
        else:
            score = fraction(points, right, len(key))
        feedback = f"部分正确（选对 {right}/{len(key)} 项，选错 {wrong} 项）" if score else WRONG
        return Grade(score, points, True, feedback)

    @classmethod
    def key_text(cls, question):
        """The right options' letters, in order."""
        return "".join(option_letter(i) for i in question.answer)

    @classmethod
    def response_text(cls, question, response):
        """The picked options' letters, in order."""
        if not isinstance(response, list):
            return str(response)
        return "".join(option_letter(i) for i in sorted(response) if isinstance(i, int))

    @classmethod
    def answer_from_cell(cls, text, option_count):
        """Option letters: ACD, A、C、D."""
        return parse_letters(text, option_count)


@register
class TrueFalse(BaseQuestionType):
    """A true/false question (判断题)."""

    type = QuestionType.TRUE_FALSE
    form = TrueFalseForm
    import_names = ("判断", "判断题", "是非题", "true_false")

    @classmethod
    def accepts(cls, response, options, blanks):
        """True or false."""
        return isinstance(response, bool)

    @classmethod
    def grade(cls, question, response, points, policy):
        """true or false; right or wrong."""
        if response is None:
            return Grade(ZERO, points, True, UNANSWERED)
        if not isinstance(response, bool):
            return Grade(ZERO, points, True, MALFORMED)
        return all_or_nothing(response is question.answer, points)

    @classmethod
    def key_text(cls, question):
        """正确 or 错误."""
        return "正确" if question.answer else "错误"

    @classmethod
    def response_text(cls, question, response):
        """正确 or 错误."""
        if not isinstance(response, bool):
            return str(response)
        return "正确" if response else "错误"

    @classmethod
    def answer_from_cell(cls, text, option_count):
        """对/错, 正确/错误, T/F and the like."""
        return parse_true_false(text)


@register
class FillIn(BaseQuestionType):
    """A fill-in-the-blank question (填空题): accepted answers for each blank."""

    type = QuestionType.FILL
    form = FillForm
    import_names = ("填空", "填空题", "fill")

    @classmethod
    def accepts(cls, response, options, blanks):
        """A text for each blank."""
        return (
            isinstance(response, list)
            and len(response) == blanks
            and all(isinstance(text, str) for text in response)
        )

    @classmethod
    def grade(cls, question, response, points, policy):
        """One text per blank, compared after normalisation; per-blank credit by default."""
        blanks: tuple[tuple[str, ...], ...] = question.answer
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
            fraction(points, right, len(blanks)),
            points,
            True,
            f"部分正确（答对 {right}/{len(blanks)} 空）",
        )

    @classmethod
    def key_text(cls, question):
        """Each blank's accepted answers: 五/5；共产主义."""
        return "；".join("/".join(blank) for blank in question.answer)

    @classmethod
    def response_text(cls, question, response):
        """The blanks' texts."""
        if not isinstance(response, list):
            return str(response)
        return "；".join(str(text) for text in response)

    @classmethod
    def public_fields(cls, question):
        """The stem and how many blanks to show."""
        return {**super().public_fields(question), "blanks": len(question.answer)}

    @classmethod
    def answer_from_cell(cls, text, option_count):
        """民主集中制|四/4: blanks split by "|", alternatives by "/"."""
        blanks = split_fill_answer(text)
        if not blanks:
            raise ValueError("没有填写答案（多个空用“|”分隔，同一空的多个答案用“/”分隔）")
        return blanks

    @classmethod
    def answer_cell(cls, question):
        """Blanks joined by "|", alternatives by "/", those characters escaped."""
        return join_fill_answer(question.answer)


@register
class Essay(BaseQuestionType):
    """An essay question (论述题), graded by an instructor against a reference answer."""

    type = QuestionType.ESSAY
    form = EssayForm
    import_names = ("论述", "论述题", "简答", "简答题", "问答题", "主观题", "essay")

    @classmethod
    def accepts(cls, response, options, blanks):
        """A text."""
        return isinstance(response, str)

    @classmethod
    def grade(cls, question, response, points, policy):
        """Text for an instructor: 0 for now and not final, unless there is nothing to read."""
        if response is None or (isinstance(response, str) and not response.strip()):
            return Grade(ZERO, points, True, UNANSWERED)
        if not isinstance(response, str):
            return Grade(ZERO, points, True, MALFORMED)
        return Grade(ZERO, points, False, AWAITING_MANUAL)

    @classmethod
    def key_text(cls, question):
        """The reference answer."""
        return str(question.answer)

    @classmethod
    def answer_from_cell(cls, text, option_count):
        """The reference answer as written."""
        return text


# How keys are written in question files (the import mapping of the types above).


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse_letters(text: str, option_count: int) -> tuple[int, ...]:
    """Answer letters ("A", "ACD", "A、C") as sorted option indices; ValueError when invalid."""
    cleaned = _ANSWER_SEPARATORS.sub("", _plain(text)).upper()
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


def split_fill_answer(text: str) -> tuple[tuple[str, ...], ...]:
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


def join_fill_answer(blanks: Iterable[Sequence[str]]) -> str:
    """Blanks as `split_fill_answer` reads them back."""

    def escape(text: str) -> str:
        return "".join("\\" + c if c in _FILL_ESCAPABLE else c for c in text)

    return "|".join("/".join(escape(a) for a in blank) for blank in blanks)


def parse_true_false(text: str) -> bool:
    """对/错, 正确/错误, T/F and the like; ValueError with a Chinese message otherwise."""
    word = _plain(text).casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"判断题答案“{text}”无法识别：应为 对/错、正确/错误 或 T/F")
