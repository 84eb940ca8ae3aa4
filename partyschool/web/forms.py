"""The base of every form: CSRF from Flask-WTF, messages in Chinese, and no text a browser
could not have typed."""

import re

from flask_wtf import FlaskForm

INVALID_TEXT = "含有无效字符，请删除后重新输入"
# NUL, lone surrogates (how undecodable bytes appear when decoded with surrogateescape), and
# U+FFFD (how the multipart parser replaces undecodable bytes).
_INVALID_CHARACTER = re.compile("[\x00\ud800-\udfff\ufffd]")
# Werkzeug puts undecodable bytes of a urlencoded body back as percent escapes ("%ED%A0%80"):
# a run of escapes holding a byte above 0x7F that is not valid UTF-8 can only come from there,
# since a browser sends valid UTF-8 and percent-encodes a typed "%".
_ESCAPED_BYTES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def is_invalid_text(value: str) -> bool:
    """True when a submitted text holds a NUL or a character no valid UTF-8 input decodes to."""
    if _INVALID_CHARACTER.search(value):
        return True
    for run in _ESCAPED_BYTES.findall(value):
        raw = bytes.fromhex(run.replace("%", ""))
        if max(raw) > 0x7F:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return True
    return False


class Form(FlaskForm):
    """A form whose built-in validation messages are Simplified Chinese, and which refuses a
    text field holding a NUL or an undecodable character (the rest of the form is kept)."""

    class Meta:
        locales = ("zh_CN", "zh")

    def validate(self, extra_validators=None) -> bool:
        """The fields' own validation, then every text field checked for invalid characters."""
        is_valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and is_invalid_text(field.data):
                field.errors = [*field.errors, INVALID_TEXT]
                is_valid = False
        return is_valid
