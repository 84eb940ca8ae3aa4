"""Forms for revoking and re-issuing certificates, recording a training completion by hand,
and adjusting a party school's template."""

import string

from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from partyschool.candidates.rules import STAGE_LABELS, Stage
from partyschool.web.forms import Form


class RevokeForm(Form):
    """Revoke a certificate with the reason the public page will show."""

    reason = StringField("撤销理由", validators=[DataRequired("请填写撤销理由"), Length(max=500)])


class ReissueForm(Form):
    """Re-issue a certificate (an admin's explicit act), with the reason for the trail."""

    reason = StringField(
        "重新颁发理由", validators=[DataRequired("请填写重新颁发理由"), Length(max=500)]
    )


class TrainingCompletionForm(Form):
    """Record a completed party-school training by hand: a certificate of this platform, or
    an external training (外部培训) with its evidence."""

    source = RadioField(
        "结业依据",
        choices=[
            SelectChoice("platform", "本平台颁发的结业证书"),
            SelectChoice("external", "外部培训（须提供证明材料）"),
        ],
        default="platform",
    )
    certificate_serial = StringField(
        "本平台结业证书编号",
        validators=[Optional(), Length(max=64)],
        description="须为该学员本人的有效证书；培训班与结业日期以证书为准",
    )
    target_stage = SelectField(
        "培训类别（外部培训）",
        choices=[
            SelectChoice(str(s), f"{STAGE_LABELS[s]}培训")
            for s in (Stage.ACTIVIST, Stage.CANDIDATE)
        ],
    )
    class_name = StringField("培训班（外部培训）", validators=[Optional(), Length(max=200)])
    completed_on = DateField("结业日期（外部培训）", validators=[Optional()])
    issuing_body = StringField("举办单位（外部培训）", validators=[Optional(), Length(max=200)])
    evidence = TextAreaField(
        "证明材料说明（外部培训）",
        validators=[Optional(), Length(max=1000)],
        description="如：结业证书原件已核验，编号……；或培训主办方出具的证明",
    )
    evidence_file = FileField(
        "证明材料文件（外部培训，可选）", description="PDF、图片或 Office 文件"
    )

    def validate(self, extra_validators=None) -> bool:
        """The fields the chosen source needs are required (Optional() would skip inline
        validators of empty fields)."""
        is_valid = super().validate(extra_validators)
        required = (
            {"certificate_serial": "请填写结业证书编号"}
            if self.source.data == "platform"
            else {
                "class_name": "请填写培训班名称",
                "completed_on": "请填写结业日期",
                "issuing_body": "请填写举办单位",
            }
        )
        for name, message in required.items():
            field = self[name]
            if not field.errors and not (
                field.data.strip() if isinstance(field.data, str) else field.data
            ):
                field.errors = [*field.errors, message]
                is_valid = False
        return is_valid


class TemplateForm(Form):
    """A party school's certificate wording, signature and seal."""

    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=100)])
    body = TextAreaField(
        "正文",
        validators=[DataRequired("请填写正文"), Length(max=1000)],
        description="可用占位符：{name} {class_title} {starts_on} {ends_on} {hours} {grade}",
    )
    seal_text = StringField("印章文字", validators=[Optional(), Length(max=100)])
    signer_title = StringField("签发人职务", validators=[Optional(), Length(max=100)])
    signer_name = StringField("签发人", validators=[Optional(), Length(max=100)])

    def validate_body(self, field):
        """Only the known placeholders may appear."""
        allowed = {"name", "class_title", "starts_on", "ends_on", "hours", "grade"}
        try:
            names = {n for _, n, _, _ in string.Formatter().parse(field.data) if n is not None}
        except ValueError:
            raise ValueError("正文中的花括号不成对") from None
        if unknown := names - allowed:
            raise ValueError(f"未知的占位符：{'、'.join(sorted(unknown))}")
