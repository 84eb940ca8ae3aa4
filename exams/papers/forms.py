"""Forms of exam papers: title and composition, drawing rules, and the points fields of items."""

from collections.abc import Mapping

from wtforms import BooleanField, DecimalField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from exams.models import PaperMode
from exams.questions import QuestionType
from partyschool.web.forms import Form

PAPER_MODE_LABELS = {PaperMode.FIXED: "固定试卷（选定题目）", PaperMode.DRAWN: "随机抽题（按规则）"}


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


def parse_points(form: Mapping[str, str], prefix: str) -> dict[int, str]:
    """Fields named `<prefix><n>` as {n: text}, skipping blank ones."""
    found = {}
    for name, value in form.items():
        if name.startswith(prefix) and name[len(prefix) :].isdigit() and value.strip():
            found[int(name[len(prefix) :])] = value.strip()
    return found
