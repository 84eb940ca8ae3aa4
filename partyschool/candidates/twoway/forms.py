"""Forms of the 双向培养 archive. Field names are the model's attribute names."""

from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from partyschool.candidates.twoway.models import DIRECTION_LABELS, GRADE_LABELS
from partyschool.web.forms import Form

# Longer than the services' limits, so the service answers with the exact count.
_LOOSE = 100_000


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


class FileForm(Form):
    """Open or correct a student's 双向培养 file."""

    direction = SelectField("培养方向", choices=_choices(DIRECTION_LABELS))
    mentor = StringField("导师", validators=[DataRequired("请填写导师"), Length(max=_LOOSE)])
    goals = TextAreaField(
        "培养目标", validators=[DataRequired("请填写培养目标"), Length(max=_LOOSE)]
    )
    started_on = DateField("建档日期", validators=[InputRequired("请填写日期")])

    def values(self) -> dict:
        """The file's fields as the service takes them."""
        names = ("direction", "mentor", "goals", "started_on")
        return {name: self[name].data for name in names}


class NewFileForm(FileForm):
    """Open a file for the student with this 学号."""

    student_no = StringField("学号", validators=[DataRequired("请填写学号"), Length(max=32)])


class CorrectFileForm(FileForm):
    """Correct a file, with the reason."""

    change_reason = StringField("更正原因", validators=[DataRequired("请填写更正原因")])


class EvaluationForm(Form):
    """One year's evaluation (年度评价)."""

    year = IntegerField("年度", validators=[InputRequired("请填写年度")])
    grade = SelectField("等次", choices=_choices(GRADE_LABELS))
    evaluation = TextAreaField("评价", validators=[DataRequired("请填写评价"), Length(max=_LOOSE)])
    evaluator = StringField("评价人", validators=[DataRequired("请填写评价人"), Length(max=_LOOSE)])
    evaluated_on = DateField("评价日期", validators=[InputRequired("请填写日期")])

    def values(self) -> dict:
        """The evaluation's fields as the service takes them."""
        names = ("year", "grade", "evaluation", "evaluator", "evaluated_on")
        return {name: self[name].data for name in names}


class CorrectEvaluationForm(EvaluationForm):
    """Correct a year's evaluation, with the reason."""

    change_reason = StringField("更正原因", validators=[DataRequired("请填写更正原因")])
