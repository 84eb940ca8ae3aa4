"""Sign-in, password and account forms."""

from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from partyschool.accounts.services import MIN_PASSWORD_LENGTH
from partyschool.web.forms import Form


class LoginForm(Form):
    """Sign in with username and password."""

    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=256)])


class PasswordForm(Form):
    """Change one's own password."""

    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField(
        "新密码", validators=[DataRequired(), Length(MIN_PASSWORD_LENGTH, 256, "密码至少 8 个字符")]
    )
    confirm = PasswordField("确认新密码", validators=[EqualTo("new", "两次输入的新密码不一致")])


class UserForm(Form):
    """Create or edit an account; the choices come from what the editor may grant."""

    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(3, 64)])
    display_name = StringField("姓名", validators=[DataRequired("请输入姓名"), Length(max=100)])
    role = SelectField("角色")
    party_school = SelectField("所属党校", coerce=int)
    password = PasswordField("初始密码 / 重置密码", validators=[Length(max=256)])
    is_disabled = BooleanField("停用此账号")
