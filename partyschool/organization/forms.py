"""Forms for the party schools."""

from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from partyschool.organization.models import SchoolKind
from partyschool.web.forms import Form


class BranchSchoolForm(Form):
    """Create or edit a branch school (分党校)."""

    code = StringField(
        "代码",
        validators=[
            DataRequired("请输入代码"),
            Regexp(r"^[a-z0-9_-]{2,32}$", message="代码只能包含小写字母、数字、下划线和连字符"),
        ],
    )
    name = StringField("名称", validators=[DataRequired("请输入名称"), Length(max=100)])
    kind = SelectField(
        "类型",
        choices=[SelectChoice(k.value, k.label) for k in SchoolKind if k is not SchoolKind.SCHOOL],
    )
    is_active = BooleanField("启用", default=True)


class CollegeBuildingForm(Form):
    """Name the building where a college posts its undergraduates' 公示 (学院楼栋)."""

    notice_building = StringField(
        "公示楼栋", validators=[DataRequired("请填写楼栋名称"), Length(max=100)]
    )
