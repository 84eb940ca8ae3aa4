"""Forms for the facts of a record. Field names are the model's attribute names."""

from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from partyschool.candidates.models import DORM_GRADE_LABELS
from partyschool.candidates.rules import (
    EXPERIENCE_LABELS,
    VETO_HOLDER_LABELS,
    Step,
)
from partyschool.candidates.rulesets import RULESETS
from partyschool.web.forms import Form

PUBLICITY_PLACES = ("学区", "学院楼栋", "学院", "所住楼栋")


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


def _required(label: str, length: int = 500):
    return [DataRequired(f"请填写{label}"), Length(max=length)]


class ExperienceForm(Form):
    """Record one of the three experiences (三个经历)."""

    kind = SelectField("经历类型", choices=_choices(EXPERIENCE_LABELS))
    description = StringField("具体内容", validators=_required("具体内容"))
    evidence = StringField("佐证材料", validators=_required("佐证材料"))
    occurred_on = DateField("时间", validators=[InputRequired("请填写日期")])
    is_verified = BooleanField("已核实")


class VetoForm(Form):
    """Record a veto (否决权) exercised against the candidate."""

    holder = SelectField("否决方", choices=_choices(VETO_HOLDER_LABELS))
    holder_name = StringField("否决单位或教师", validators=_required("否决单位或教师", 100))
    reason = TextAreaField("理由", validators=_required("理由"))
    decided_on = DateField("决定日期", validators=[InputRequired("请填写日期")])


class LiftVetoForm(Form):
    """Lift a veto, with the reason."""

    lifted_on = DateField("撤销日期", validators=[InputRequired("请填写日期")])
    lift_reason = TextAreaField("撤销理由", validators=_required("撤销理由"))


class VolunteerForm(Form):
    """Log volunteer service (义工)."""

    activity = StringField("服务内容", validators=_required("服务内容", 200))
    hours = DecimalField(
        "小时数", places=1, validators=[InputRequired("请填写小时数"), NumberRange(0.5, 24)]
    )
    served_on = DateField("服务日期", validators=[InputRequired("请填写日期")])


class PublicityForm(Form):
    """Record a publicity period (公示) and its outcome."""

    step = SelectField(
        "公示事项",
        choices=_choices({Step.BECOME_PROBATIONARY: "接收预备党员", Step.CONFIRM: "预备党员转正"}),
    )
    places = SelectMultipleField(
        "公示地点",
        choices=[SelectChoice(p, p) for p in PUBLICITY_PLACES],
        validators=[DataRequired("请选择公示地点")],
    )
    starts_on = DateField("开始日期", validators=[InputRequired("请填写日期")])
    ends_on = DateField("结束日期", validators=[InputRequired("请填写日期")])
    objections = TextAreaField("反映的问题", validators=[Optional(), Length(max=2000)])
    has_unresolved_objection = BooleanField("有未查清的问题")
    outcome = SelectField(
        "结果",
        choices=_choices({"pending": "公示中", "passed": "无异议/已查清", "failed": "未通过"}),
    )

    def validate_ends_on(self, field):
        """A period ends after it starts."""
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValueError("结束日期不能早于开始日期")


class TalkForm(Form):
    """Record a talk (谈话)."""

    talked_on = DateField("谈话日期", validators=[InputRequired("请填写日期")])
    talker = StringField("谈话人", validators=_required("谈话人", 100))
    summary = TextAreaField("谈话内容", validators=_required("谈话内容", 5000))


class ReviewForm(Form):
    """Record a political review (政审) or pre-review (预审)."""

    kind = SelectField("类别", choices=_choices({"political": "政治审查", "pre": "预审"}))
    is_passed = BooleanField("通过")
    decided_on = DateField("日期", validators=[InputRequired("请填写日期")])
    note = StringField("说明", validators=[Optional(), Length(max=500)])


def _optional_id(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class ContactForm(Form):
    """Assign a cultivation contact (培养联系人) or sponsor (入党介绍人)."""

    kind = SelectField("类别", choices=_choices({"contact": "培养联系人", "sponsor": "入党介绍人"}))
    person_name = StringField("姓名", validators=_required("姓名", 100))
    assigned_on = DateField("确定日期", validators=[InputRequired("请填写日期")])
    user_id = SelectField(
        "本站账号（培养联系人凭此批阅思想汇报、填写考察意见）", coerce=_optional_id
    )

    def offer_accounts(self, accounts) -> None:
        """The staff accounts a contact may be tied to (the page knows the candidate)."""
        self.user_id.choices = [
            ("", "（无：联系人不在本站登录）"),
            *((u.id, f"{u.display_name or u.username}（{u.username}）") for u in accounts),
        ]


class OpinionForm(Form):
    """Record the college's or a teacher's opinion on the studies."""

    source = SelectField(
        "意见来源", choices=_choices({"college": "学院党组织", "teacher": "任课教师"})
    )
    author = StringField("提出人", validators=_required("提出人", 100))
    content = TextAreaField("意见", validators=_required("意见", 5000))
    is_favourable = BooleanField("同意", default=True)
    given_on = DateField("日期", validators=[InputRequired("请填写日期")])
    resolved_on = DateField(
        "不同意意见已解决的日期", validators=[Optional()], description="解决前，不同意意见阻止发展"
    )


class StandingForm(Form):
    """League recommendation and academic standing, kept on the record itself."""

    is_league_member = BooleanField("共青团员")
    league_recommended_on = DateField("团组织推优日期", validators=[Optional()])
    academic_standing = StringField("学业情况", validators=[Optional(), Length(max=500)])
    is_academic_ok = SelectField(
        "学习成绩（学院党组织意见）",
        choices=[
            SelectChoice("", "尚未确认"),
            SelectChoice("1", "符合要求"),
            SelectChoice("0", "不符合要求"),
        ],
        coerce=lambda value: None if value in (None, "", "None") else value in (True, "1", "True"),
    )
    is_outstanding_class = BooleanField("所在班级为寝室文明建设先进班级")


class IdentityForm(Form):
    """The identity a Party file needs."""

    id_number = StringField(
        "身份证号", validators=[Optional(), Length(max=18)], description="18 位，末位可为 X"
    )
    # No choice validation: a record without a gender yet holds None; the service checks it.
    gender = SelectField(
        "性别",
        validate_choice=False,
        choices=[
            SelectChoice("", "（按身份证号）"),
            SelectChoice("male", "男"),
            SelectChoice("female", "女"),
        ],
    )
    birth_date = DateField("出生日期", validators=[Optional()], description="留空则按身份证号")
    ethnicity = StringField("民族", validators=[Optional(), Length(max=20)], description="如 汉族")
    phone = StringField("手机", validators=[Optional(), Length(max=20)])


class DormRatingForm(Form):
    """Rate a room for a term, or record its rectification."""

    term = StringField("学期", validators=_required("学期", 16), description="如 2025-2026-1")
    grade = SelectField("评定", choices=_choices(DORM_GRADE_LABELS))
    rectified_on = DateField("整改完成日期", validators=[Optional()])
    note = StringField("说明", validators=[Optional(), Length(max=500)])


class ProbationForm(Form):
    """延长预备期 or 取消预备党员资格, with the reason."""

    action = SelectField(
        "决定",
        choices=[SelectChoice("extend", "延长预备期"), SelectChoice("cancel", "取消预备党员资格")],
    )
    months = IntegerField("延长月数（延长时填写，累计不超过 12 个月）", validators=[Optional()])
    decided_on = DateField("决定日期", validators=[InputRequired("请填写日期")])
    reason = TextAreaField("理由", validators=_required("理由", 500))


class PromoteForm(Form):
    """Move the candidate to the next stage."""

    on = DateField("日期", validators=[InputRequired("请填写日期")])
    # The stage the organizer saw: a second click, or another organizer's, changes nothing.
    stage = HiddenField()
    override_reason = TextAreaField(
        "强制变更理由（仅校党校管理员，规则不允许时必填）", validators=[Optional(), Length(max=500)]
    )


class ReviewVolunteerForm(Form):
    """Approve or reject a logged volunteer activity."""

    decision = SelectField("审核", choices=_choices({"approved": "通过", "rejected": "不通过"}))
    review_note = StringField("说明", validators=[Optional(), Length(max=500)])


def _spreadsheet(label: str = "文件（XLSX 或 CSV，UTF-8 / GBK）") -> FileField:
    return FileField(
        label,
        validators=[
            FileRequired("请选择文件"),
            FileAllowed(["xlsx", "csv"], "只支持 XLSX 或 CSV 文件"),
            FileSize(5 * 1024 * 1024, message="文件不能超过 5 MB"),
        ],
    )


class RuleSetForm(Form):
    """Put a rule set in force from a date: a built-in one or the university's own JSON."""

    builtin = SelectField(
        "规则集",
        default="",
        choices=[SelectChoice("", "上传本校规则集（JSON）")]
        + [SelectChoice(key, rs.name) for key, rs in RULESETS.items()],
    )
    file = FileField(
        "本校规则集文件（JSON，格式同 RuleSet.to_dict()）",
        validators=[FileAllowed(["json"], "只支持 JSON 文件"), FileSize(1024 * 1024)],
    )
    effective_from = DateField("生效日期", validators=[InputRequired("请填写生效日期")])
    reason = TextAreaField("理由（如依据的文件）", validators=_required("理由", 500))


class HistoryImportForm(Form):
    """Upload the stages students reached before the platform (校党校管理员 only)."""

    file = _spreadsheet()


class ImportForm(Form):
    """Upload a roster or a sheet of dormitory ratings."""

    kind = SelectField(
        "导入内容", choices=_choices({"roster": "学生/发展对象名单", "dorm": "寝室文明评定"})
    )
    file = _spreadsheet()


FACT_FORMS = {
    "experience": ExperienceForm,
    "veto": VetoForm,
    "volunteer": VolunteerForm,
    "publicity": PublicityForm,
    "talk": TalkForm,
    "review": ReviewForm,
    "contact": ContactForm,
    "opinion": OpinionForm,
}


class ReasonForm(Form):
    """Why a fact is corrected or withdrawn; the audit trail keeps it."""

    change_reason = TextAreaField("原因", validators=_required("原因", 500))


def correction_form(kind: str, fact) -> Form | None:
    """The fact's own form, filled with its values, with the reason for the correction; None
    for a fact that is corrected elsewhere (withdrawn here, recorded again there)."""
    if kind not in FACT_FORMS:
        return None

    class CorrectionForm(FACT_FORMS[kind]):
        change_reason = TextAreaField("更正原因", validators=_required("更正原因", 500))

    return CorrectionForm(obj=fact)


def values_of(form: Form) -> dict:
    """The submitted values of a form's own fields (no CSRF token, no reason for a change)."""
    return {
        name: field.data
        for name, field in form._fields.items()
        if name not in ("csrf_token", "change_reason")
    }


class PublicityBatchForm(Form):
    """Start one 公示 for several candidates: the step, the period and whom to tell objections.
    The candidates are the checked `candidate_ids` of the page."""

    step = HiddenField()
    starts_on = DateField("公示开始日期", validators=[InputRequired("请填写开始日期")])
    ends_on = DateField("公示结束日期", validators=[InputRequired("请填写结束日期")])
    contact_person = StringField("受理异议的联系人", validators=_required("联系人", 100))
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=40)])
    contact_email = StringField("电子邮箱", validators=[Optional(), Length(max=120)])


class ObjectionForm(Form):
    """An objection raised during a 公示 about one of its people."""

    notice_id = SelectField("被反映人", coerce=int)
    raised_by = StringField("反映人（可不填）", validators=[Optional(), Length(max=100)])
    raised_on = DateField("反映日期", validators=[InputRequired("请填写反映日期")])
    content = TextAreaField("反映的问题", validators=_required("反映的问题", 5000))


class ObjectionFindingForm(Form):
    """What checking an objection found, and a note."""

    finding = SelectField(
        "核查结论",
        choices=[SelectChoice("unfounded", "不属实"), SelectChoice("substantiated", "查实")],
    )
    finding_note = TextAreaField("核查说明", validators=_required("核查说明"))
    resolved_on = DateField("处理日期", validators=[InputRequired("请填写处理日期")])
