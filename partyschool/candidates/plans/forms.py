"""The form of a branch school's annual plan: the year's targets and an optional split."""

from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from partyschool.candidates.plans.models import PLANNED_STAGES, TARGET_COLUMNS
from partyschool.candidates.plans.services import MAX_TARGET, MONTHS
from partyschool.candidates.rules import Stage
from partyschool.web.forms import Form

_RANGE = NumberRange(0, MAX_TARGET, f"须为 0 至 {MAX_TARGET} 之间的整数")


class PlanForm(Form):
    """Set or adjust a year's plan (年度发展计划)."""

    activists = IntegerField(
        "全年培养入党积极分子", validators=[InputRequired("请填写人数"), _RANGE]
    )
    candidates = IntegerField("全年发展对象", validators=[InputRequired("请填写人数"), _RANGE])
    members = IntegerField("全年发展党员", validators=[InputRequired("请填写人数"), _RANGE])
    note = TextAreaField("说明", validators=[Optional(), Length(max=500)])
    change_reason = StringField("调整原因", validators=[Optional(), Length(max=500)])

    def month_field(self, month: int, stage: Stage):
        """The field of one month's target for one stage."""
        return self[f"m{month}_{TARGET_COLUMNS[stage]}"]

    def targets(self) -> dict[Stage, int]:
        """The year's targets by stage."""
        return {stage: self[column].data for stage, column in TARGET_COLUMNS.items()}

    def monthly(self) -> dict[int, dict[Stage, int]]:
        """The split by month: only when some month is filled in, and then blanks are 0."""
        if all(self.month_field(m, s).data is None for m in MONTHS for s in PLANNED_STAGES):
            return {}
        return {m: {s: self.month_field(m, s).data or 0 for s in PLANNED_STAGES} for m in MONTHS}

    def fill(self, plan) -> None:
        """Show an existing plan in the form."""
        for column in TARGET_COLUMNS.values():
            self[column].data = getattr(plan, column)
        self.note.data = plan.note
        for row in plan.months:
            for stage in PLANNED_STAGES:
                self.month_field(row.month, stage).data = row.target(stage)


for _month in MONTHS:
    for _stage, _column in TARGET_COLUMNS.items():
        setattr(
            PlanForm,
            f"m{_month}_{_column}",
            IntegerField(
                f"{_month}月{PLANNED_STAGES[_stage]}",
                validators=[Optional(), _RANGE],
            ),
        )
