"""Forms of the materials archive."""

from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from partyschool.candidates.archive.models import KIND_LABELS, MaterialStatus
from partyschool.web.forms import Form


class UploadForm(Form):
    """Upload one document to a candidate's archive."""

    kind = SelectField(
        "材料", choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()]
    )
    title = StringField(
        "说明（可选，如“2026年第一季度”）", validators=[Optional(), Length(max=200)]
    )
    file = FileField(
        "文件（PDF、JPG、PNG 或 DOCX，不超过 20 MB）", validators=[FileRequired("请选择文件")]
    )


class CheckForm(Form):
    """Check a document, or return it with a comment."""

    status = RadioField(
        "审核结果",
        choices=[
            SelectChoice(MaterialStatus.CHECKED.value, "已审核"),
            SelectChoice(MaterialStatus.RETURNED.value, "退回"),
        ],
        validators=[DataRequired("请选择审核结果")],
    )
    comment = TextAreaField("意见（退回时必填）", validators=[Optional(), Length(max=500)])


class WithdrawForm(Form):
    """Withdraw a document uploaded by mistake."""

    reason = StringField("撤回原因", validators=[DataRequired("请填写原因"), Length(max=500)])
