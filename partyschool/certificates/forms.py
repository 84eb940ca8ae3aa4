"""Forms for revoking certificates and adjusting a party school's template."""

import string

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from partyschool.web.forms import Form


class RevokeForm(Form):
    """Revoke a certificate with the reason the public page will show."""

    reason = StringField("撤销理由", validators=[DataRequired("请填写撤销理由"), Length(max=500)])


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
