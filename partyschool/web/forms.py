"""The base of every form: CSRF from Flask-WTF, messages in Chinese."""

from flask_wtf import FlaskForm


class Form(FlaskForm):
    """A form whose built-in validation messages are Simplified Chinese."""

    class Meta:
        locales = ("zh_CN", "zh")
