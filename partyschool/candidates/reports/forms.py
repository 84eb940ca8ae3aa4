"""Forms for handing in a thought report, commenting it, and the half-yearly assessment."""

from datetime import date

from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from partyschool.candidates.rules import half_year_label, half_year_of
from partyschool.uploads import REPORT_FILES
from partyschool.web.forms import Form


class ReportForm(Form):
    """A thought report (思想汇报) the activist hands in on the site: its text, a file, or
    both. It carries no date: the report is dated the day the server receives it."""

    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=200)])
    body = TextAreaField("内容", validators=[Optional(), Length(max=20_000)])
    file = FileField(f"或上传文件（{REPORT_FILES.allowed()}，不超过 10 MB）")


class PaperReportForm(ReportForm):
    """A report handed in on paper earlier, recorded by staff with the day it was handed in."""

    submitted_on = DateField("递交日期", validators=[InputRequired("请填写递交日期")])


class CommentForm(Form):
    """A contact's or organizer's comment (批阅意见)."""

    text = TextAreaField("批阅意见", validators=[DataRequired("请填写批阅意见"), Length(max=5000)])


def recent_half_years(today: date, count: int = 6) -> list[tuple[str, str]]:
    """The current half-year and those before it, newest first, as (value, label)."""
    period, periods = half_year_of(today), []
    for _ in range(count):
        periods.append((period, half_year_label(period)))
        year, half = int(period[:4]), period[5:]
        period = f"{year}-1" if half == "2" else f"{year - 1}-2"
    return periods


class AssessmentForm(Form):
    """The half-yearly assessment (半年考察意见) for one half-year."""

    period = SelectField("考察期", choices=[])
    written_on = DateField("填写日期", validators=[InputRequired("请填写日期")])
    content = TextAreaField(
        "考察意见", validators=[DataRequired("请填写考察意见"), Length(max=5000)]
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.period.choices = recent_half_years(today)
