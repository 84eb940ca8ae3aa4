"""Forms for managing exams: banks, a form per question type, papers, exams, essay grades,
and the scores sheet of a class."""

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from exams.models import ExamKind, PaperMode, ReviewPolicy
from exams.questions import (
    MAX_OPTIONS,
    OPTION_LETTERS,
    QuestionData,
    QuestionType,
    option_letter,
)
from partyschool.web.forms import Form

OPTION_ROWS = 6  # option inputs shown for a new choice question; up to MAX_OPTIONS
BLANK_SPLIT = re.compile(r"[\n|｜]")
ALTERNATIVE_SPLIT = re.compile(r"[/／]")

PAPER_MODE_LABELS = {PaperMode.FIXED: "固定试卷（选定题目）", PaperMode.DRAWN: "随机抽题（按规则）"}
EXAM_KIND_LABELS = {ExamKind.FORMAL: "正式考试", ExamKind.MAKEUP: "补考"}
REVIEW_POLICY_LABELS = {
    ReviewPolicy.NOTHING: "交卷后不显示成绩",
    ReviewPolicy.SCORE: "交卷后显示成绩",
    ReviewPolicy.ANSWERS_AFTER_CLOSE: "显示成绩，考试结束后可查看答案",
}


class BankForm(Form):
    """A new question bank (题库)."""

    name = StringField("题库名称", validators=[DataRequired("请填写题库名称"), Length(max=200)])


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


class ImportForm(Form):
    """A question file to import into a bank."""

    file = FileField("题库文件", validators=[FileRequired("请选择要导入的文件")])


class PaperForm(Form):
    """A paper's title, how it is composed, and whether it is shuffled."""

    title = StringField("试卷名称", validators=[DataRequired("请填写试卷名称"), Length(max=200)])
    mode = RadioField(
        "组卷方式",
        choices=[SelectChoice(mode, label) for mode, label in PAPER_MODE_LABELS.items()],
        coerce=PaperMode,
        default=PaperMode.FIXED,
    )
    shuffle_questions = BooleanField("每位学员的题目顺序随机", default=True)
    shuffle_options = BooleanField("每位学员的选项顺序随机", default=True)


class RuleForm(Form):
    """A drawing rule: N questions of a type (and category) from a bank, points each."""

    bank_id = SelectField("题库", coerce=int, validators=[InputRequired("请选择题库")])
    kind = SelectField(
        "题型",
        choices=[SelectChoice(t, t.label) for t in QuestionType],
        validators=[InputRequired()],
    )
    category = StringField("知识点（留空为不限）", validators=[Optional(), Length(max=100)])
    count = IntegerField(
        "抽题数量",
        validators=[InputRequired("请填写数量"), NumberRange(1, 200, "数量应在 1 到 200 之间")],
    )
    points = DecimalField(
        "每题分值",
        places=2,
        validators=[
            InputRequired("请填写分值"),
            NumberRange(0.01, 100, "分值应在 0.01 到 100 之间"),
        ],
    )


class ExamForm(Form):
    """An exam of a class; times are Beijing time."""

    title = StringField("考试名称", validators=[DataRequired("请填写考试名称"), Length(max=200)])
    paper_id = SelectField("试卷", coerce=int, validators=[InputRequired("请选择试卷")])
    kind = SelectField(
        "类型",
        choices=[SelectChoice(k, label) for k, label in EXAM_KIND_LABELS.items()],
        coerce=ExamKind,
    )
    opens_at = DateTimeLocalField("开始时间", validators=[InputRequired("请填写开始时间")])
    closes_at = DateTimeLocalField("结束时间", validators=[InputRequired("请填写结束时间")])
    time_limit_minutes = IntegerField(
        "考试时长（分钟）",
        default=90,
        validators=[
            InputRequired("请填写考试时长"),
            NumberRange(1, 600, "时长应在 1 到 600 分钟之间"),
        ],
    )
    max_attempts = IntegerField(
        "允许作答次数",
        default=1,
        validators=[InputRequired("请填写次数"), NumberRange(1, 10, "次数应在 1 到 10 之间")],
    )
    pass_mark = DecimalField(
        "及格分（按试卷总分计）",
        places=2,
        validators=[InputRequired("请填写及格分"), NumberRange(0.01, 10000, "及格分必须大于 0")],
    )
    review_policy = SelectField(
        "交卷后学员可见",
        choices=[SelectChoice(p, label) for p, label in REVIEW_POLICY_LABELS.items()],
        coerce=ReviewPolicy,
        default=ReviewPolicy.SCORE,
    )
    multiple_partial_credit = BooleanField("多选题部分得分（少选按比例得分，错选扣分）")


class GradeForm(Form):
    """An instructor's grade of an essay answer."""

    score = DecimalField("得分", places=2, validators=[InputRequired("请填写得分")])
    comment = TextAreaField("评语", validators=[Optional(), Length(max=2000)])


def parse_points(form: Mapping[str, str], prefix: str) -> dict[int, str]:
    """Fields named `<prefix><n>` as {n: text}, skipping blank ones."""
    found = {}
    for name, value in form.items():
        if name.startswith(prefix) and name[len(prefix) :].isdigit() and value.strip():
            found[int(name[len(prefix) :])] = value.strip()
    return found


def parse_scores(
    form: Mapping[str, str], enrolment_ids: list[int]
) -> tuple[dict[int, tuple[Decimal | None, Decimal | None]], list[str]]:
    """The scores sheet: `usual-<id>` and `practice-<id>` (blank: not given) per trainee."""
    scores, problems = {}, []
    for enrolment_id in enrolment_ids:
        names = (f"usual-{enrolment_id}", f"practice-{enrolment_id}")
        if not any(name in form for name in names):
            continue
        pair = []
        for name in names:
            text = (form.get(name) or "").strip()
            try:
                value = Decimal(text) if text else None
            except InvalidOperation:
                value = Decimal("NaN")
            if value is not None and not value.is_finite():
                problems.append(f"“{text}”不是有效的分数")
                value = None
            pair.append(value)
        scores[enrolment_id] = (pair[0], pair[1])
    return scores, problems
