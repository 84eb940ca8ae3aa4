"""The staff form of each question type; each type's class in `exams.question_types` names
its form."""

import re
from decimal import Decimal

from wtforms import (
    DecimalField,
    FieldList,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from exams.questions import MAX_OPTIONS, OPTION_LETTERS, QuestionData, QuestionType, option_letter
from partyschool.web.forms import Form

OPTION_ROWS = 6  # option inputs shown for a new choice question; up to MAX_OPTIONS
BLANK_SPLIT = re.compile(r"[\n|｜]")
ALTERNATIVE_SPLIT = re.compile(r"[/／]")


class QuestionForm(Form):
    """What every question has: stem, category, default points, explanation."""

    type: QuestionType
    stem = TextAreaField("题干", validators=[DataRequired("请填写题干"), Length(max=5000)])
    category = StringField("知识点", validators=[Optional(), Length(max=100)])
    points = DecimalField(
        "默认分值",
        places=2,
        default=Decimal(1),
        validators=[
            InputRequired("请填写分值"),
            NumberRange(0.01, 100, "分值应在 0.01 到 100 之间"),
        ],
    )
    explanation = TextAreaField("解析", validators=[Optional(), Length(max=5000)])

    def answer(self):
        """The answer key as `QuestionData.answer`; ValueError with a message when unusable."""
        raise NotImplementedError

    def options_data(self) -> tuple[str, ...]:
        """The options of the question (none for most types)."""
        return ()

    def to_data(self) -> QuestionData:
        """The question as plain data, to be validated by `exams.questions.validate`."""
        return QuestionData(
            type=self.type,
            stem=(self.stem.data or "").strip(),
            options=self.options_data(),
            answer=self.answer(),
            category=(self.category.data or "").strip(),
            points=self.points.data,
            explanation=(self.explanation.data or "").strip(),
        )

    def load(self, data: QuestionData) -> None:
        """Fill the form from a saved question."""
        self.stem.data, self.category.data = data.stem, data.category
        self.points.data, self.explanation.data = data.points, data.explanation


class _ChoiceForm(QuestionForm):
    options = FieldList(
        StringField(validators=[Optional(), Length(max=1000)]),
        min_entries=OPTION_ROWS,
        max_entries=MAX_OPTIONS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        while len(self.options) < OPTION_ROWS:
            self.options.append_entry()

    def options_data(self) -> tuple[str, ...]:
        texts = [(entry.data or "").strip() for entry in self.options]
        while texts and not texts[-1]:
            texts.pop()
        return tuple(texts)

    def letters(self) -> list[str]:
        """The letters of the option inputs shown."""
        return [option_letter(i) for i in range(len(self.options))]

    def load(self, data: QuestionData) -> None:
        super().load(data)
        while len(self.options) < min(MAX_OPTIONS, max(OPTION_ROWS, len(data.options) + 1)):
            self.options.append_entry()
        for entry, text in zip(self.options, data.options, strict=False):
            entry.data = text


class SingleForm(_ChoiceForm):
    """A single-choice question: options and the one right option."""

    type = QuestionType.SINGLE
    correct = RadioField(
        "正确答案",
        choices=[option_letter(i) for i in range(MAX_OPTIONS)],
        validators=[InputRequired("请选择正确答案")],
    )

    def answer(self):
        return OPTION_LETTERS.index(self.correct.data) if self.correct.data else -1

    def load(self, data: QuestionData) -> None:
        super().load(data)
        self.correct.data = option_letter(data.answer)


class MultipleForm(_ChoiceForm):
    """A multiple-choice question: options and every right option."""

    type = QuestionType.MULTIPLE
    correct = SelectMultipleField(
        "正确答案",
        choices=[option_letter(i) for i in range(MAX_OPTIONS)],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[InputRequired("请选择正确答案")],
    )

    def answer(self):
        return tuple(sorted(OPTION_LETTERS.index(x) for x in self.correct.data or []))

    def load(self, data: QuestionData) -> None:
        super().load(data)
        self.correct.data = [option_letter(i) for i in data.answer]


class TrueFalseForm(QuestionForm):
    """A true/false question."""

    type = QuestionType.TRUE_FALSE
    correct = RadioField(
        "正确答案",
        choices=[SelectChoice("true", "正确"), SelectChoice("false", "错误")],
        validators=[InputRequired("请选择正确答案")],
    )

    def answer(self):
        return self.correct.data == "true"

    def load(self, data: QuestionData) -> None:
        super().load(data)
        self.correct.data = "true" if data.answer else "false"


def parse_blanks(text: str) -> tuple[tuple[str, ...], ...]:
    """Accepted answers, a line (or "|") per blank, alternatives separated by "/"."""
    lines = [line.strip() for line in BLANK_SPLIT.split(text or "")]
    while lines and not lines[-1]:
        lines.pop()
    return tuple(
        tuple(a.strip() for a in ALTERNATIVE_SPLIT.split(line) if a.strip()) for line in lines
    )


class FillForm(QuestionForm):
    """A fill-in question: blanks marked ____ in the stem, accepted answers for each."""

    type = QuestionType.FILL
    blanks = TextAreaField(
        "各空的可接受答案",
        validators=[DataRequired("请填写答案")],
        description="每行一个空，按题干中空的顺序；同一空的多个可接受答案用“/”分隔，如：五/5",
    )

    def answer(self):
        return parse_blanks(self.blanks.data)

    def load(self, data: QuestionData) -> None:
        super().load(data)
        self.blanks.data = "\n".join("/".join(blank) for blank in data.answer)


class EssayForm(QuestionForm):
    """An essay question, graded by an instructor against a reference answer."""

    type = QuestionType.ESSAY
    reference = TextAreaField("参考答案（评分要点）", validators=[Optional(), Length(max=10000)])

    def answer(self):
        return (self.reference.data or "").strip()

    def load(self, data: QuestionData) -> None:
        super().load(data)
        self.reference.data = data.answer
