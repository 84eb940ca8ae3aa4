"""The eligibility rules engine: pure functions deciding a candidate's next steps from plain facts.

Here: the vocabulary (stages, steps, labels), the plain facts the rules read, and how a rule
kind is registered. A rule kind is a pure function ``(facts, params, today) -> Finding | None``
(the kinds are in ``rule_kinds``); a rule set (``rulesets``) names kinds with parameters for
each step, and ``rulesets.evaluate`` runs them all, so every failing rule is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple


class Stage(StrEnum):
    """A stage of party development (发展党员阶段); compares in pipeline order, not by name."""

    APPLICANT = "applicant"
    ACTIVIST = "activist"
    CANDIDATE = "candidate"
    PROBATIONARY = "probationary"
    MEMBER = "member"

    def __lt__(self, other: str) -> bool:
        return RANK[self] < RANK[other]

    def __le__(self, other: str) -> bool:
        return RANK[self] <= RANK[other]

    def __gt__(self, other: str) -> bool:
        return RANK[self] > RANK[other]

    def __ge__(self, other: str) -> bool:
        return RANK[self] >= RANK[other]


RANK: dict[str, int] = {stage: rank for rank, stage in enumerate(Stage)}


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
    # Probation decisions (seed 000 §3): 延长预备期 lengthens the wait for confirmation, and
    # 取消预备党员资格 ends the way on.
    probation_extension_days: int = 0
    probation_cancelled_on: date | None = None
    # The days thought reports (思想汇报) were handed in, and the half-years ("2026-1" for
    # 上半年, "2026-2" for 下半年) for which a contact wrote a 考察意见.
    thought_report_dates: tuple[date, ...] = ()
    assessment_periods: tuple[str, ...] = ()

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


# --- Half-years (上半年/下半年) and months, the periods of 考察 and 思想汇报 ----------------------


def half_year_of(day: date) -> str:
    """The half-year a day falls in: "2026-1" (上半年) or "2026-2" (下半年)."""
    return f"{day.year}-{1 if day.month <= 6 else 2}"


def half_year_label(period: str) -> str:
    """A half-year in Chinese: "2026-1" -> "2026年上半年"."""
    year, half = period.split("-")
    return f"{year}年{'上' if half == '1' else '下'}半年"


def half_year_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a half-year."""
    year, half = int(period[:4]), period[5:]
    return (
        (date(year, 1, 1), date(year, 6, 30))
        if half == "1"
        else (
            date(year, 7, 1),
            date(year, 12, 31),
        )
    )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
