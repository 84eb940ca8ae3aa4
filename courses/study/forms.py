"""Forms of lecture attendance: the QR sign-in and the roll call."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class SignInForm(FlaskForm):
    """Confirms a QR sign-in; the code travels from the scanned link."""

    code = HiddenField()


class RollCallForm(FlaskForm):
    """The instructor's roll call: the trainees present."""

    present = SelectMultipleField(
        "出勤学员",
        coerce=int,
        choices=[],
        validate_choice=False,  # the service ignores ids outside the class
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
