"""The kinds of rule a rule set may name: each a pure function ``(facts, params, today) ->
Finding | None`` registered with the parameters it accepts. Importing this module registers
them (``rulesets`` does, before building any rule set)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from partyschool.candidates.rules import (
    BOOLEAN_FACTS,
    EXPERIENCE_LABELS,
    FLAG_MESSAGES,
    RANK,
    STAGE_LABELS,
    STEP_LABELS,
    VETO_HOLDER_LABELS,
    CandidateFacts,
    Converter,
    DormGrade,
    ExperienceKind,
    Finding,
    Params,
    Publicity,
    PublicityOutcome,
    Stage,
    Step,
    VetoHolder,
    add_months,
    half_year_bounds,
    half_year_label,
    half_year_of,
    rule_kind,
)


def _each(convert: Converter) -> Converter:
    def convert_each(values: Any) -> tuple[Any, ...]:
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise ValueError(f"expected a list, got {values!r}")
        return tuple(convert(value) for value in values)

    return convert_each


def _of_type(*types: type) -> Converter:
    def check(value: Any) -> Any:
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            raise ValueError(f"expected {' or '.join(t.__name__ for t in types)}, got {value!r}")
        return value

    return check


def _one_of(names: Iterable[str]) -> Converter:
    allowed = frozenset(names)

    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(sorted(allowed))}, got {value!r}")
        return value

    return check


def _optional(convert: Converter) -> tuple[Converter, None]:
    return (lambda value: None if value is None else convert(value)), None


_count = _of_type(int)
_text = _of_type(str)


@rule_kind("stage_in", stages=_each(Stage))
def stage_in(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Require the candidate to be at one of ``stages``."""
    if facts.stage in params["stages"]:
        return None
    allowed = "或".join(STAGE_LABELS[stage] for stage in params["stages"])
    return Finding(
        f"当前为{STAGE_LABELS[facts.stage]}，此步骤须为{allowed}",
        {"stage": facts.stage, "allowed": list(params["stages"])},
    )


@rule_kind("time_in_stage", stage=Stage, min_days=_count)
def time_in_stage(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Require ``min_days`` days spent at ``stage`` (for probation, plus any extension); a
    candidate past that stage has served them."""
    stage, min_days = params["stage"], params["min_days"]
    extension = facts.probation_extension_days if stage == Stage.PROBATIONARY else 0
    min_days += extension
    if RANK[facts.stage] > RANK[stage]:
        return None
    entered = None
    if facts.stage == stage:
        entered = max((on for at, on in facts.stage_history if at == stage), default=None)
    days = (today - entered).days if entered else None
    if days is not None and days >= min_days:
        return None
    label = STAGE_LABELS[stage]
    if facts.stage != stage:
        message = f"尚未成为{label}"
    elif entered is None:
        message = f"档案缺少成为{label}的日期"
    else:
        extended = f"（含延长预备期{extension}天）" if extension else ""
        message = f"成为{label}须满{min_days}天{extended}，自{entered.isoformat()}起仅{days}天"
    return Finding(
        message,
        {
            "stage": stage,
            "entered_on": entered.isoformat() if entered else None,
            "days": days,
            "min_days": min_days,
            "extension_days": extension,
        },
    )


@rule_kind("training", stage=Stage, completed=(_of_type(bool), True))
def training(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Require a completed party-school training for ``stage`` (with completed=False: none yet)."""
    stage = params["stage"]
    done = min(
        (
            (course.completed_on, course.certificate_serial)
            for course in facts.trainings
            if course.target_stage == stage and course.completed_on <= today
        ),
        default=None,
    )
    if (done is not None) == params["completed"]:
        return None
    label = STAGE_LABELS[stage]
    if done is None:
        return Finding(
            f"尚未完成党校{label}培训（未取得结业证书）",
            {"stage": stage, "completed_on": None, "certificate_serial": None},
        )
    return Finding(
        f"已于{done[0].isoformat()}完成党校{label}培训（证书{done[1]}），无需重复参加",
        {"stage": stage, "completed_on": done[0].isoformat(), "certificate_serial": done[1]},
    )


@rule_kind("experience", kind=ExperienceKind)
def experience(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Require a verified experience of ``kind``."""
    kind = params["kind"]
    recorded = [item for item in facts.experiences if item.kind == kind]
    if any(item.is_verified for item in recorded):
        return None
    label = EXPERIENCE_LABELS[kind]
    message = f"“{label}”的经历尚未核实" if recorded else f"缺少“{label}”的经历"
    return Finding(message, {"kind": kind, "recorded": len(recorded), "verified": 0})


@rule_kind("clean_dorm")
def clean_dorm(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Block while any dirty dormitory rating has not been rectified."""
    terms = sorted(
        rating.term
        for rating in facts.dorm_ratings
        if rating.grade == DormGrade.DIRTY
        and (rating.rectified_on is None or rating.rectified_on > today)
    )
    if not terms:
        return None
    return Finding(f"所在寝室{'、'.join(terms)}学期被评为“脏乱差”，尚未完成整治", {"terms": terms})


@rule_kind("no_veto", holders=_each(VetoHolder))
def no_veto(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Block while a veto by one of ``holders`` stands (decided and not yet lifted)."""
    holders = params["holders"]
    vetoes = sorted(
        (
            (veto.decided_on, veto.holder, veto.reason)
            for veto in facts.vetoes
            if veto.holder in holders
            and veto.decided_on <= today
            and (veto.lifted_on is None or veto.lifted_on > today)
        ),
    )
    if not vetoes:
        return None
    return Finding(
        "；".join(
            f"{VETO_HOLDER_LABELS[holder]}于{on.isoformat()}行使否决权：{reason}"
            for on, holder, reason in vetoes
        ),
        {
            "vetoes": [
                {"holder": holder, "decided_on": on.isoformat(), "reason": reason}
                for on, holder, reason in vetoes
            ]
        },
    )


@rule_kind("flag", fact=_one_of(FLAG_MESSAGES), when=_optional(_one_of(BOOLEAN_FACTS)))
def flag(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Require a yes/no fact of the record, only for candidates of whom ``when`` holds if given."""
    fact, when = params["fact"], params["when"]
    if getattr(facts, fact) or (when is not None and not getattr(facts, when)):
        return None
    return Finding(FLAG_MESSAGES[fact], {fact: False})


def _publicity_problem(notice: Publicity, today: date, min_days: int) -> str | None:
    if notice.has_unresolved_objection:
        return "有未处理的异议"
    if notice.outcome == PublicityOutcome.FAILED:
        return "公示未通过"
    if notice.ends_on > today:
        return "公示期未结束"
    if (notice.ends_on - notice.starts_on).days + 1 < min_days:
        return f"公示期不足{min_days}天"
    if notice.outcome != PublicityOutcome.PASSED:
        return "公示结果未确认"
    return None


@rule_kind(
    "publicity",
    step=Step,
    places=(_each(_text), ()),
    min_places=_optional(_count),
    min_days=(_count, 1),
)
def publicity(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Require a completed publicity for ``step`` in ``places`` (``min_places`` of them, or any)."""
    step, required, min_days = params["step"], params["places"], params["min_days"]
    problems: dict[str, set[str | None]] = {}
    for notice in facts.publicity:
        if notice.step == step:
            problem = _publicity_problem(notice, today, min_days)
            for place in notice.places:
                problems.setdefault(place, set()).add(problem)
    places = required or sorted(problems)
    done = [place for place in places if None in problems.get(place, ())]
    needed = params["min_places"] or len(required) or 1
    if len(done) >= needed:
        return None
    where = "和".join(required) if needed == len(required) else f"至少{needed}处"
    unfinished = "、".join(
        f"{place}（{'、'.join(sorted(filter(None, problems.get(place, ())))) or '未公示'}）"
        for place in places
        if place not in done
    )
    return Finding(
        f"“{STEP_LABELS[step]}”须在{where}完成公示，尚未完成：{unfinished or '未公示'}",
        {"step": step, "required": list(required), "min_places": needed, "done": done},
    )


@rule_kind("volunteer_hours", min_hours=_of_type(int, float))
def volunteer_hours(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Require at least ``min_hours`` approved volunteer hours."""
    hours, needed = facts.approved_volunteer_hours, params["min_hours"]
    if hours >= needed:
        return None
    return Finding(
        f"已认定义工{float(hours):g}小时，须满{needed:g}小时",
        {"hours": float(hours), "min_hours": needed},
    )


@rule_kind("priority", weight=(_count, 1))
def priority(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Give ``weight`` priority, never blocking, to members of an outstanding dormitory or class."""
    if not facts.is_outstanding_dorm_or_class:
        return None
    weight = params["weight"]
    return Finding(
        "所在寝室或班级在寝室文明建设中表现突出，优先考虑",
        {"is_outstanding_class": facts.is_outstanding_class, "weight": weight},
        blocking=False,
        priority=weight,
    )


def _entered(facts: CandidateFacts, stage: Stage) -> date | None:
    return max((on for at, on in facts.stage_history if at == stage), default=None)


@rule_kind("thought_reports", stage=(Stage, Stage.ACTIVIST), every_months=(_count, 3))
def thought_reports(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Require a thought report (思想汇报) in every full ``every_months`` period since the
    candidate entered ``stage`` (while at that stage; later stages have done their part)."""
    stage, months = params["stage"], params["every_months"]
    entered = _entered(facts, stage) if facts.stage == stage else None
    if entered is None:
        return None
    missing, start, index = [], entered, 1
    while (end := add_months(entered, months * index)) <= today:
        if not any(start <= day < end for day in facts.thought_report_dates):
            missing.append((start, end - timedelta(days=1)))
        start, index = end, index + 1
    if not missing:
        return None
    spans = "、".join(f"{a.isoformat()}至{b.isoformat()}" for a, b in missing[:4])
    more = f"等{len(missing)}个时段" if len(missing) > 4 else ""
    return Finding(
        f"缺少思想汇报：{spans}{more}没有递交（成为{STAGE_LABELS[stage]}后每{months}个月至少一份）",
        {
            "stage": stage,
            "every_months": months,
            "missing": [[a.isoformat(), b.isoformat()] for a, b in missing],
            "submitted": len(facts.thought_report_dates),
        },
    )


@rule_kind("half_year_assessments", stage=(Stage, Stage.ACTIVIST), min_count=(_count, 2))
def half_year_assessments(facts: CandidateFacts, params: Params, today: date) -> Finding | None:
    """Require ``min_count`` half-yearly 考察意见 by the contacts since entering ``stage`` (while
    at that stage), naming the ended half-years that have none."""
    stage, needed = params["stage"], params["min_count"]
    entered = _entered(facts, stage) if facts.stage == stage else None
    if entered is None:
        return None
    since = half_year_of(entered)
    written = sorted({p for p in facts.assessment_periods if p >= since})
    if len(written) >= needed:
        return None
    missing, period = [], since
    while half_year_bounds(period)[1] < today:
        if period not in written:
            missing.append(period)
        year, half = int(period[:4]), period[5:]
        period = f"{year}-2" if half == "1" else f"{year + 1}-1"
    gaps = f"（缺少{'、'.join(half_year_label(p) for p in missing)}）" if missing else ""
    return Finding(
        f"半年考察意见仅{len(written)}次，成为{STAGE_LABELS[stage]}后须满{needed}次{gaps}",
        {"stage": stage, "min_count": needed, "written": written, "missing": missing},
    )


# --- What each kind asks, in words, for the page that shows the rules in force --------------

FLAG_REQUIREMENTS = {
    "academic_ok": "学习态度和学习成绩经学院党组织确认符合要求",
    "has_league_recommendation": "经团组织推优",
    "political_review_passed": "政治审查通过",
    "pre_review_passed": "上级党组织预审通过",
}
_STAGES = lambda stages: "或".join(STAGE_LABELS[s] for s in stages)  # noqa: E731
REQUIREMENTS = {
    "stage_in": lambda p: f"当前阶段为{_STAGES(p['stages'])}",
    "time_in_stage": lambda p: f"成为{STAGE_LABELS[p['stage']]}满 {p['min_days']} 天",
    "training": lambda p: (
        f"已参加{STAGE_LABELS[p['stage']]}培训并结业"
        if p["completed"]
        else f"尚未参加过{STAGE_LABELS[p['stage']]}培训（不重复参加）"
    ),
    "experience": lambda p: f"具有经核实的“{EXPERIENCE_LABELS[p['kind']]}”经历",
    "clean_dorm": lambda p: "所在寝室没有未整改的“脏乱差”评定",
    "no_veto": lambda p: (
        "、".join(VETO_HOLDER_LABELS[h] for h in p["holders"])
        + "未行使否决权（含未解决的不同意意见）"
    ),
    "flag": lambda p: FLAG_REQUIREMENTS[p["fact"]] + ("（共青团员）" if p["when"] else ""),
    "publicity": lambda p: (
        f"“{STEP_LABELS[p['step']]}”已在"
        + ("和".join(p["places"]) if p["places"] else f"至少 {p['min_places'] or 1} 处")
        + f"公示不少于 {p['min_days']} 天且无异议"
    ),
    "volunteer_hours": lambda p: f"经认定的义工服务满 {p['min_hours']:g} 小时",
    "priority": lambda p: "寝室或班级在寝室文明建设中表现突出者优先（不阻止）",
    "thought_reports": lambda p: (
        f"成为{STAGE_LABELS[p['stage']]}后每 {p['every_months']} 个月至少递交一份思想汇报"
    ),
    "half_year_assessments": lambda p: (
        f"成为{STAGE_LABELS[p['stage']]}后有培养联系人的半年考察意见不少于 {p['min_count']} 次"
    ),
}


def requirement(kind: str, params: Params) -> str:
    """What a check of this kind with these parameters asks of a record, in Chinese."""
    return REQUIREMENTS[kind](params)
