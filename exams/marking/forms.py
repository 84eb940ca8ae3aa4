"""The form of an instructor's grade."""

from wtforms import DecimalField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from partyschool.web.forms import Form


class GradeForm(Form):
    """An instructor's grade of an essay answer."""

    score = DecimalField("得分", places=2, validators=[InputRequired("请填写得分")])
    comment = TextAreaField("评语", validators=[Optional(), Length(max=2000)])
