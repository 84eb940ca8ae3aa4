"""Forms of reading reports: the trainee's text and the reviewer's decision."""

from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from partyschool.web.forms import Form

MAX_CHARS = 20_000


class ReportForm(Form):
    """Write a reading report (学习心得); the minimum length is checked by the service."""

    text = TextAreaField(
        "心得正文",
        validators=[
            DataRequired("请填写心得正文"),
            Length(max=MAX_CHARS, message=f"心得不能超过 {MAX_CHARS} 字"),
        ],
    )


class ReviewForm(Form):
    """Pass a report or return it with a comment; the service requires the comment to return."""

    decision = RadioField(
        "审阅结果",
        choices=[SelectChoice("pass", "通过"), SelectChoice("return", "退回修改")],
        validators=[DataRequired("请选择审阅结果")],
    )
    # No Optional(): it would stop the chain before validate_comment sees an empty comment.
    comment = TextAreaField("评语", validators=[Length(max=2000)])

    def validate_comment(self, field):
        """A returned report tells the trainee what to change."""
        if self.decision.data == "return" and not (field.data or "").strip():
            raise ValidationError("退回时请填写评语，说明需要修改之处")


class DraftForm(Form):
    """A reading report being written, kept on the server on request (any length)."""

    text = TextAreaField(
        "心得正文",
        validators=[Length(max=MAX_CHARS, message=f"心得不能超过 {MAX_CHARS} 字")],
    )
