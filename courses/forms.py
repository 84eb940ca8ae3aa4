"""Forms for training classes, lectures, announcements and enrolment decisions."""

from wtforms import (
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from partyschool.web.forms import Form


class ClassForm(Form):
    """Create or edit a training class (培训班); course and teacher choices come from the view."""

    course_id = SelectField("课程", coerce=int)
    name = StringField(
        "班级名称",
        validators=[DataRequired("请填写名称"), Length(max=200)],
        description="如：入党积极分子培训班",
    )
    number = IntegerField("期数", validators=[InputRequired("请填写期数"), NumberRange(1, 999)])
    starts_on = DateField("开班日期", validators=[InputRequired("请填写日期")])
    ends_on = DateField("结业日期", validators=[InputRequired("请填写日期")])
    capacity = IntegerField("名额", validators=[InputRequired("请填写名额"), NumberRange(1, 2000)])
    enrol_opens_on = DateField("报名开始", validators=[InputRequired("请填写日期")])
    enrol_closes_on = DateField("报名截止", validators=[InputRequired("请填写日期")])
    head_teacher_id = SelectField("班主任", coerce=int)
    instructor_ids = SelectMultipleField("授课教师", coerce=int)
    usual_weight = IntegerField(
        "平时成绩占比（%）", validators=[InputRequired(), NumberRange(0, 100)]
    )
    practice_weight = IntegerField(
        "实践成绩占比（%）", validators=[InputRequired(), NumberRange(0, 100)]
    )
    exam_weight = IntegerField(
        "考试成绩占比（%）", validators=[InputRequired(), NumberRange(0, 100)]
    )
    pass_mark = IntegerField("合格分数线", validators=[InputRequired(), NumberRange(0, 100)])
    requires_study_hours = SelectField(
        "考试前须完成学时", choices=[SelectChoice("1", "是"), SelectChoice("0", "否")], default="1"
    )
    report_min_chars = IntegerField(
        "学习心得最少字数（0 为不要求）", validators=[InputRequired(), NumberRange(0, 20000)]
    )

    def validate(self, extra_validators=None) -> bool:
        """Dates in order and weights adding up to 100."""
        if not super().validate(extra_validators):
            return False
        problems = []
        if self.ends_on.data < self.starts_on.data:
            problems.append((self.ends_on, "结业日期不能早于开班日期"))
        if self.enrol_closes_on.data < self.enrol_opens_on.data:
            problems.append((self.enrol_closes_on, "报名截止不能早于报名开始"))
        weights = self.usual_weight.data + self.practice_weight.data + self.exam_weight.data
        if weights != 100:
            problems.append((self.exam_weight, f"三项成绩占比之和须为 100%，当前为 {weights}%"))
        for field, message in problems:
            field.errors.append(message)
        return not problems


class LectureForm(Form):
    """Schedule an offline lecture."""

    title = StringField("主题", validators=[DataRequired("请填写主题"), Length(max=200)])
    starts_at = DateTimeLocalField("时间", validators=[InputRequired("请填写时间")])
    place = StringField("地点", validators=[DataRequired("请填写地点"), Length(max=200)])
    hours = DecimalField("学时", places=1, validators=[InputRequired(), NumberRange(0.5, 12)])


class AnnouncementForm(Form):
    """Publish a notice (通知公告) on the branch school's page."""

    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=200)])
    body = TextAreaField("内容", validators=[Optional(), Length(max=5000)])


class NominateForm(Form):
    """Nominate several candidates at once by student number."""

    student_nos = TextAreaField(
        "学号（每行一个，或用逗号、空格分隔）", validators=[DataRequired("请填写学号")]
    )


class DecisionForm(Form):
    """Approve or reject an application."""

    decision = SelectField(
        "审核", choices=[SelectChoice("approve", "录取"), SelectChoice("reject", "不予录取")]
    )
    reason = StringField("理由（不予录取时必填）", validators=[Optional(), Length(max=500)])
