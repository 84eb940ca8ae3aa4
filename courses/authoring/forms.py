"""Forms for writing courses and lessons. Course field names are the model's attribute names."""

from urllib.parse import urlsplit

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from partyschool.candidates.rules import Stage
from partyschool.web.forms import Form

# The stages a course is written for, with what such training is called.
COURSE_STAGE_LABELS = {
    Stage.ACTIVIST: "入党积极分子培训",
    Stage.CANDIDATE: "发展对象培训",
    Stage.APPLICANT: "党务知识普及（入党申请人）",
}


class CourseForm(Form):
    """A course's title, description, target stage and required hours (学时)."""

    title = StringField("课程名称", validators=[DataRequired("请填写课程名称"), Length(max=200)])
    description = TextAreaField("课程简介", validators=[Optional(), Length(max=5000)])
    target_stage = SelectField(
        "培训对象",
        choices=[SelectChoice(stage, label) for stage, label in COURSE_STAGE_LABELS.items()],
        coerce=Stage,
    )
    required_hours = DecimalField(
        "总学时",
        places=1,
        validators=[
            InputRequired("请填写总学时"),
            NumberRange(0.5, 999, "总学时应在 0.5 到 999 之间"),
        ],
        description="入党积极分子、发展对象培训一般不少于3天或24学时",
    )


def _http_url(form, field) -> None:
    """Only web links: a javascript: or data: link must never reach a trainee's page."""
    if not field.data:
        return
    parts = urlsplit(field.data.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError("视频链接必须以 http:// 或 https:// 开头")


class LessonForm(Form):
    """A lesson's text, required study time, and its video (a file or a link)."""

    title = StringField("课时标题", validators=[DataRequired("请填写课时标题"), Length(max=200)])
    body = TextAreaField(
        "正文（Markdown）",
        validators=[Optional(), Length(max=100_000)],
        description="支持 Markdown：# 标题、**加粗**、- 列表、[链接](https://…)、表格",
    )
    required_minutes = IntegerField(
        "要求学习时间（分钟）",
        default=45,
        validators=[
            InputRequired("请填写要求学习时间"),
            NumberRange(1, 600, "学习时间应在 1 到 600 分钟之间"),
        ],
    )
    video = FileField("上传视频（MP4 或 WebM，不超过 200 MB）")
    video_url = StringField(
        "或填写视频链接",
        validators=[Optional(), Length(max=500), _http_url],
        description="http:// 或 https:// 开头的网址",
    )
    remove_video = BooleanField("删除现有视频")

    def validate_video_url(self, field) -> None:
        """A lesson has one video: an uploaded file or a link, not both."""
        if field.data and self.video.data:
            raise ValidationError("请在上传视频和填写视频链接中只选一种")


class AttachmentForm(Form):
    """Upload an attachment to a lesson."""

    file = FileField(
        "上传附件（PDF、DOCX、PPTX、XLSX、PNG、JPG，不超过 20 MB）",
        validators=[FileRequired("请选择要上传的文件")],
    )


class MoveForm(Form):
    """Move a lesson one place up or down."""

    direction = StringField(validators=[AnyOf(["up", "down"], "无效的移动方向")])
