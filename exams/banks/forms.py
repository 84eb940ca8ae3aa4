"""Forms of question banks: a new bank and a file to import (each question type has its own
form, in `exams.question_forms`)."""

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    StringField,
)
from wtforms.validators import DataRequired, Length

from partyschool.web.forms import Form


class BankForm(Form):
    """A new question bank (题库)."""

    name = StringField("题库名称", validators=[DataRequired("请填写题库名称"), Length(max=200)])


class ImportForm(Form):
    """A question file to import into a bank."""

    file = FileField("题库文件", validators=[FileRequired("请选择要导入的文件")])
