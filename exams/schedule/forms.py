"""The form of an exam of a class."""

from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from exams.models import ExamKind, ReviewPolicy
from partyschool.web.forms import Form

EXAM_KIND_LABELS = {ExamKind.FORMAL: "正式考试", ExamKind.MAKEUP: "补考"}
REVIEW_POLICY_LABELS = {
    ReviewPolicy.NOTHING: "交卷后不显示成绩",
    ReviewPolicy.SCORE: "交卷后显示成绩",
    ReviewPolicy.ANSWERS_AFTER_CLOSE: "显示成绩，考试结束后可查看答案",
}


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
    late_grace_seconds = IntegerField(
        "迟交宽限（秒）：截止前作答、截止后此时间内送达的答案自动计分",
        default=0,
        validators=[Optional(), NumberRange(0, 600, "宽限应在 0 到 600 秒之间")],
    )
