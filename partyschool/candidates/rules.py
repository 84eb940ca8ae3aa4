"""The eligibility rules engine: pure functions deciding a candidate's next steps from plain facts.

A rule kind is a pure function ``(facts, params, today) -> Finding | None`` registered under a
name; a rule set (see ``rulesets``) names rule kinds with parameters for each step, and
``evaluate`` runs them all, so every failing rule is reported, not only the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from partyschool.candidates.rulesets import RuleSet


class Stage(StrEnum):
    """A stage of party development (发展党员阶段); compares in pipeline order, not by name."""

    APPLICANT = "applicant"
    ACTIVIST = "activist"
    CANDIDATE = "candidate"
    PROBATIONARY = "probationary"
    MEMBER = "member"

    def __lt__(self, other: str) -> bool:
        return _RANK[self] < _RANK[other]

    def __le__(self, other: str) -> bool:
        return _RANK[self] <= _RANK[other]

    def __gt__(self, other: str) -> bool:
        return _RANK[self] > _RANK[other]

    def __ge__(self, other: str) -> bool:
        return _RANK[self] >= _RANK[other]


_RANK: dict[str, int] = {stage: rank for rank, stage in enumerate(Stage)}


class Level(StrEnum):
    """A student's level of study: undergraduate (本专科) or graduate (研究生)."""

    UNDERGRADUATE = "undergraduate"
    GRADUATE = "graduate"


class Step(StrEnum):
    """A next step in a candidate's development that the engine decides."""

    ENROL_ACTIVIST_CLASS = "enrol_activist_class"
    BECOME_ACTIVIST = "become_activist"
    ENROL_CANDIDATE_CLASS = "enrol_candidate_class"
    BECOME_CANDIDATE = "become_candidate"
    BECOME_PROBATIONARY = "become_probationary"
    CONFIRM = "confirm"
    # Not a move between stages: whether the record lets a trainee complete a class (结业).
    COMPLETE_TRAINING = "complete_training"


class ExperienceKind(StrEnum):
    """One of the three experiences (三个经历) expected of a student who asks to join."""

    VOLUNTEER = "volunteer"
    SUMMER_PRACTICE = "summer_practice"
    CLASS_CONTRIBUTION = "class_contribution"


class DormGrade(StrEnum):
    """A term's dormitory civilization rating (寝室文明); ``DIRTY`` is the 脏乱差 rating."""

    OUTSTANDING = "outstanding"
    GOOD = "good"
    PASSING = "pass"
    DIRTY = "dirty"


class VetoHolder(StrEnum):
    """Who holds a veto (否决权) over a student's development."""

    COLLEGE = "college"
    TEACHER = "teacher"
    APARTMENT = "apartment"


class PublicityOutcome(StrEnum):
    """How a publicity period (公示) ended."""

    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


STAGE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        Stage.APPLICANT: "入党申请人",
        Stage.ACTIVIST: "入党积极分子",
        Stage.CANDIDATE: "发展对象",
        Stage.PROBATIONARY: "预备党员",
        Stage.MEMBER: "正式党员",
    }
)
STEP_LABELS: Mapping[str, str] = MappingProxyType(
    {
        Step.ENROL_ACTIVIST_CLASS: "报名入党积极分子培训班",
        Step.BECOME_ACTIVIST: "确定为入党积极分子",
        Step.ENROL_CANDIDATE_CLASS: "报名发展对象培训班",
        Step.BECOME_CANDIDATE: "确定为发展对象",
        Step.BECOME_PROBATIONARY: "接收为预备党员",
        Step.CONFIRM: "预备党员转正",
        Step.COMPLETE_TRAINING: "党校培训结业",
    }
)
EXPERIENCE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        ExperienceKind.VOLUNTEER: "担任校内外志愿者",
        ExperienceKind.SUMMER_PRACTICE: "正式加入团队参与暑期社会实践",
        ExperienceKind.CLASS_CONTRIBUTION: "带动班级学风建设或帮助困难同学",
    }
)
VETO_HOLDER_LABELS: Mapping[str, str] = MappingProxyType(
    {
        VetoHolder.COLLEGE: "学院党组织",
        VetoHolder.TEACHER: "任课教师",
        VetoHolder.APARTMENT: "研究生公寓管理部门",
    }
)
# The yes/no facts a "flag" rule may require, with the message shown when one is missing.
FLAG_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "academic_ok": "学习态度和学习成绩未达到要求（以学院党组织意见为准）",
        "has_league_recommendation": "共青团员须经团组织推优",
        "political_review_passed": "政治审查尚未通过",
        "pre_review_passed": "上级党组织预审尚未通过",
    }
)
BOOLEAN_FACTS = frozenset({"is_league_member", "is_outstanding_class", *FLAG_MESSAGES})

# The steps worth deciding at each stage; a rule set may leave some out.
NEXT_STEPS: Mapping[str, tuple[Step, ...]] = MappingProxyType(
    {
        Stage.APPLICANT: (Step.ENROL_ACTIVIST_CLASS, Step.BECOME_ACTIVIST),
        Stage.ACTIVIST: (
            Step.ENROL_ACTIVIST_CLASS,
            Step.ENROL_CANDIDATE_CLASS,
            Step.BECOME_CANDIDATE,
        ),
        Stage.CANDIDATE: (Step.ENROL_CANDIDATE_CLASS, Step.BECOME_PROBATIONARY),
        Stage.PROBATIONARY: (Step.CONFIRM,),
        Stage.MEMBER: (),
    }
)


@dataclass(frozen=True, slots=True)
class Experience:
    """A recorded experience with its evidence, counted once an organizer has verified it."""

    kind: ExperienceKind
    is_verified: bool = False
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class DormRating:
    """The dormitory rating for one term ("2025-2026-1"), and when a bad one was rectified."""

    term: str
    grade: DormGrade
    rectified_on: date | None = None


@dataclass(frozen=True, slots=True)
class Veto:
    """A veto against the student's development; it binds until lifted."""

    holder: VetoHolder
    reason: str
    decided_on: date
    lifted_on: date | None = None


@dataclass(frozen=True, slots=True)
class TrainingCompletion:
    """A completed party-school training for a target stage, with its certificate serial."""

    target_stage: Stage
    completed_on: date
    certificate_serial: str


@dataclass(frozen=True, slots=True)
class Publicity:
    """A publicity period for a step, posted in one or more places."""

    step: Step
    places: tuple[str, ...]
    starts_on: date
    ends_on: date
    has_unresolved_objection: bool = False
    outcome: PublicityOutcome = PublicityOutcome.PENDING


@dataclass(frozen=True, slots=True)
class CandidateFacts:
    """A snapshot of a candidate's development record (发展党员档案), as plain values."""

    student_no: str
    level: Level
    stage: Stage
    stage_history: tuple[tuple[Stage, date], ...] = ()
    is_league_member: bool = False
    has_league_recommendation: bool = False  # 团组织推优
    experiences: tuple[Experience, ...] = ()
    dorm_ratings: tuple[DormRating, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    approved_volunteer_hours: Decimal | float = 0
    trainings: tuple[TrainingCompletion, ...] = ()
    publicity: tuple[Publicity, ...] = ()
    political_review_passed: bool = False
    pre_review_passed: bool = False
    academic_ok: bool = False
    is_outstanding_class: bool = False

    @property
    def is_outstanding_dorm_or_class(self) -> bool:
        """Whether the class is outstanding or every rating of the latest term is outstanding."""
        if self.is_outstanding_class:
            return True
        latest = max((rating.term for rating in self.dorm_ratings), default=None)
        return latest is not None and all(
            rating.grade == DormGrade.OUTSTANDING
            for rating in self.dorm_ratings
            if rating.term == latest
        )


class Finding(NamedTuple):
    """What a rule found about a candidate; the engine turns it into a ``Reason``."""

    message: str
    evidence: dict[str, Any]
    blocking: bool = True
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule's verdict on a step: its id, a message for people, and what it looked at."""

    rule: str
    message: str
    evidence: Mapping[str, Any]
    blocking: bool = True
    priority: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the reason as JSON-ready values."""
        return {
            "rule": self.rule,
            "message": self.message,
            "blocking": self.blocking,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a candidate may take a step, with every reason and the enrolment priority."""

    step: Step
    eligible: bool
    reasons: tuple[Reason, ...] = ()
    priority: int = 0

    @property
    def blocking(self) -> tuple[Reason, ...]:
        """The reasons that make the step ineligible."""
        return tuple(reason for reason in self.reasons if reason.blocking)

    def to_dict(self) -> dict[str, Any]:
        """Return the decision as JSON-ready values."""
        return {
            "step": str(self.step),
            "label": STEP_LABELS[self.step],
            "eligible": self.eligible,
            "priority": self.priority,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


class RuleSetError(ValueError):
    """A rule set names an unknown rule kind or step, or gives a rule bad parameters."""


Params = Mapping[str, Any]
RuleFunction = Callable[[CandidateFacts, Params, date], Finding | None]
Converter = Callable[[Any], Any]
_REQUIRED: Any = object()


@dataclass(frozen=True, slots=True)
class RuleKind:
    """A registered kind of rule: its pure function and the parameters it accepts."""

    name: str
    function: RuleFunction
    params: Mapping[str, tuple[Converter, Any]]

    def bind(self, params: Params) -> Params:
        """Return ``params`` checked, converted and completed with defaults."""
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise RuleSetError(f"rule kind {self.name!r} takes no parameter {unknown[0]!r}")
        bound = {}
        for name, (convert, default) in self.params.items():
            if name not in params:
                if default is _REQUIRED:
                    raise RuleSetError(f"rule kind {self.name!r} needs the parameter {name!r}")
                bound[name] = default
                continue
            try:
                bound[name] = convert(params[name])
            except (TypeError, ValueError) as exc:
                raise RuleSetError(f"parameter {name!r} of {self.name!r}: {exc}") from None
        return MappingProxyType(bound)


RULE_KINDS: dict[str, RuleKind] = {}


def rule_kind(
    name: str, **params: Converter | tuple[Converter, Any]
) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule function as kind ``name``; a param is a converter or (converter, default)."""

    def register(function: RuleFunction) -> RuleFunction:
        specs = {
            key: spec if isinstance(spec, tuple) else (spec, _REQUIRED)
            for key, spec in params.items()
        }
        RULE_KINDS[name] = RuleKind(name, function, MappingProxyType(specs))
        return function

    return register


@dataclass(frozen=True, slots=True)
class Check:
    """One entry of a rule set: a rule id, the kind of rule deciding it, its params and levels."""

    rule: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    levels: tuple[Level, ...] = ()  # empty: every level
    function: RuleFunction = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind = RULE_KINDS.get(self.kind)
        if kind is None:
            known = ", ".join(sorted(RULE_KINDS))
            raise RuleSetError(f"rule {self.rule!r}: unknown rule kind {self.kind!r} ({known})")
        try:
            params = kind.bind(self.params)
            levels = tuple(Level(level) for level in self.levels)
        except ValueError as exc:
            raise RuleSetError(f"rule {self.rule!r}: {exc}") from None
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "function", kind.function)

    def to_dict(self) -> dict[str, Any]:
        """Return the check as JSON-ready values."""
        data: dict[str, Any] = {"rule": self.rule, "kind": self.kind}
        if self.params:
            data["params"] = {key: _plain(value) for key, value in self.params.items()}
        if self.levels:
            data["levels"] = [str(level) for level in self.levels]
        return data


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return str(value) if isinstance(value, StrEnum) else value


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
    """Require ``min_days`` days spent at ``stage``; a candidate past that stage has served them."""
    stage, min_days = params["stage"], params["min_days"]
    if _RANK[facts.stage] > _RANK[stage]:
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
        message = f"成为{label}须满{min_days}天，自{entered.isoformat()}起仅{days}天"
    return Finding(
        message,
        {
            "stage": stage,
            "entered_on": entered.isoformat() if entered else None,
            "days": days,
            "min_days": min_days,
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


def evaluate_step(facts: CandidateFacts, ruleset: RuleSet, step: Step, today: date) -> Decision:
    """Decide whether the candidate may take ``step`` under ``ruleset`` on ``today``."""
    reasons = []
    # A step the rule set does not mention has no conditions there (e.g. seed 002 says nothing
    # of what blocks completing a class).
    for check in ruleset.steps.get(step, ()):
        if check.levels and facts.level not in check.levels:
            continue
        finding = check.function(facts, check.params, today)
        if finding is not None:
            reasons.append(Reason(check.rule, *finding))
    return Decision(
        step,
        eligible=not any(reason.blocking for reason in reasons),
        reasons=tuple(reasons),
        priority=sum(reason.priority for reason in reasons),
    )


def evaluate(facts: CandidateFacts, ruleset: RuleSet, today: date) -> dict[Step, Decision]:
    """Decide every next step of the candidate's stage that ``ruleset`` defines."""
    return {
        step: evaluate_step(facts, ruleset, step, today)
        for step in NEXT_STEPS[facts.stage]
        if step in ruleset.steps
    }
