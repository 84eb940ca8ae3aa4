"""Rule sets as data: which rule kinds, with which parameters, decide each step at a university.

``DEFAULT`` follows seed 000 (Wenzhou University's district-system opinions) on top of the
national minimums; ``SWJTU_2004`` follows seed 002 (Southwest Jiaotong University, 2004). Rule
ids say where a rule comes from: ``national.*``, ``school.*`` (the party school's own
bookkeeping), ``seed000.*``, ``seed002.*``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from partyschool.candidates import rule_kinds  # noqa: F401 - registers the rule kinds
from partyschool.candidates.rules import (
    NEXT_STEPS,
    CandidateFacts,
    Check,
    Decision,
    ExperienceKind,
    Level,
    Reason,
    RuleSetError,
    Stage,
    Step,
    VetoHolder,
)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A university's development rules (发展党员规则): the ordered checks deciding each step."""

    id: str
    version: int
    effective_from: date
    name: str
    steps: Mapping[Step, tuple[Check, ...]]

    def __post_init__(self) -> None:
        steps = {}
        for step, checks in self.steps.items():
            try:
                steps[Step(step)] = tuple(checks)
            except ValueError:
                raise RuleSetError(f"rule set {self.id!r}: unknown step {step!r}") from None
            rules = [check.rule for check in checks]
            if len(set(rules)) != len(rules):
                raise RuleSetError(f"rule set {self.id!r}: a rule id repeats in step {step}")
        object.__setattr__(self, "steps", MappingProxyType(steps))

    def to_dict(self) -> dict[str, Any]:
        """Return the rule set as JSON-ready values, the inverse of ``ruleset_from_dict``."""
        return {
            "id": self.id,
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "name": self.name,
            "steps": {
                str(step): [check.to_dict() for check in checks]
                for step, checks in self.steps.items()
            },
        }


def ruleset_from_dict(data: Mapping[str, Any]) -> RuleSet:
    """Build a rule set from JSON-ready values, raising ``RuleSetError`` on anything unknown."""
    try:
        return RuleSet(
            id=data["id"],
            version=data["version"],
            effective_from=date.fromisoformat(data["effective_from"]),
            name=data["name"],
            steps={
                step: tuple(
                    Check(
                        entry["rule"],
                        entry["kind"],
                        entry.get("params", {}),
                        tuple(entry.get("levels", ())),
                    )
                    for entry in entries
                )
                for step, entries in data["steps"].items()
            },
        )
    except KeyError as exc:
        raise RuleSetError(f"rule set lacks the field {exc.args[0]!r}") from None
    except (TypeError, AttributeError) as exc:
        raise RuleSetError(f"rule set is malformed: {exc}") from None


UNDERGRADUATE = (Level.UNDERGRADUATE,)
GRADUATE = (Level.GRADUATE,)


def _stage(*stages: Stage) -> Check:
    return Check("national.stage", "stage_in", {"stages": stages})


def _no_repeat(stage: Stage) -> Check:
    return Check("school.no_repeat_training", "training", {"stage": stage, "completed": False})


def _publicity(rule: str, step: Step, places: tuple[str, ...], levels: tuple[Level, ...]) -> Check:
    # National practice publicizes for five working days; five calendar days is its floor.
    return Check(rule, "publicity", {"step": step, "places": places, "min_days": 5}, levels)


ACTIVIST_ONE_YEAR = Check(
    "national.activist_one_year", "time_in_stage", {"stage": Stage.ACTIVIST, "min_days": 365}
)
PROBATION_ONE_YEAR = Check(
    "national.probation_one_year",
    "time_in_stage",
    {"stage": Stage.PROBATIONARY, "min_days": 365},
)
ACTIVIST_TRAINING = Check("national.activist_training", "training", {"stage": Stage.ACTIVIST})
CANDIDATE_TRAINING = Check("national.candidate_training", "training", {"stage": Stage.CANDIDATE})
LEAGUE_RECOMMENDATION = Check(
    "national.league_recommendation",
    "flag",
    {"fact": "has_league_recommendation", "when": "is_league_member"},
)
POLITICAL_REVIEW = Check("national.political_review", "flag", {"fact": "political_review_passed"})
PRE_REVIEW = Check("national.pre_review", "flag", {"fact": "pre_review_passed"})

# Seed 000 §3: a dirty dormitory blocks development and confirmation until rectified, and an
# outstanding dormitory or class comes first for party-school admission and activist selection.
CLEAN_DORM = Check("seed000.dorm_dirty", "clean_dorm")
PRIORITY = Check("seed000.outstanding_priority", "priority", {"weight": 1})
# Seed 000 §1 and §4: who may veto depends on the student's level.
VETOES = (
    Check(
        "seed000.college_veto",
        "no_veto",
        {"holders": (VetoHolder.COLLEGE, VetoHolder.TEACHER)},
        UNDERGRADUATE,
    ),
    Check("seed000.apartment_veto", "no_veto", {"holders": (VetoHolder.APARTMENT,)}, GRADUATE),
)
ACADEMIC = Check("seed000.academic", "flag", {"fact": "academic_ok"})
# The Party's rules for developing members (发展党员工作细则 §12-13): an activist reports their
# thinking regularly, and the branch assesses them every half year through the cultivation
# contacts; the school reads "regularly" as once a quarter. Two half-years make the year.
THOUGHT_REPORTS = Check("school.quarterly_thought_reports", "thought_reports", {"every_months": 3})
HALF_YEAR_ASSESSMENTS = Check(
    "national.half_year_assessments", "half_year_assessments", {"min_count": 2}
)
THREE_EXPERIENCES = tuple(
    Check(f"seed000.experience_{kind}", "experience", {"kind": kind}) for kind in ExperienceKind
)


def _two_place_publicity(step: Step) -> tuple[Check, ...]:
    # Seed 000 §3 and §4: undergraduates in the district and the college building, graduates in
    # the college and their residence building, both at once.
    return (
        _publicity("seed000.undergraduate_publicity", step, ("学区", "学院楼栋"), UNDERGRADUATE),
        _publicity("seed000.graduate_publicity", step, ("学院", "所住楼栋"), GRADUATE),
    )


# Seed 000 is undated; every record this platform keeps is later than this.
DEFAULT = RuleSet(
    id="wzu",
    # 2: thought reports and the half-yearly assessments before becoming 发展对象.
    version=2,
    effective_from=date(2012, 1, 1),
    name="温州大学学区学生党员发展规则",
    steps={
        Step.ENROL_ACTIVIST_CLASS: (
            _stage(Stage.APPLICANT, Stage.ACTIVIST),
            _no_repeat(Stage.ACTIVIST),
            CLEAN_DORM,
            *VETOES,
            PRIORITY,
        ),
        # Seed 000 §1 and §3: the college's opinion on studies and its veto, the dormitory and
        # the priority of outstanding dormitories and classes all weigh in choosing activists.
        Step.BECOME_ACTIVIST: (
            _stage(Stage.APPLICANT),
            ACADEMIC,
            CLEAN_DORM,
            *VETOES,
            PRIORITY,
        ),
        # A certificate is not issued while a veto or a 脏乱差 dormitory blocks the record.
        Step.COMPLETE_TRAINING: (CLEAN_DORM, *VETOES),
        Step.ENROL_CANDIDATE_CLASS: (
            _stage(Stage.ACTIVIST, Stage.CANDIDATE),
            ACTIVIST_ONE_YEAR,
            _no_repeat(Stage.CANDIDATE),
            CLEAN_DORM,
            *VETOES,
            PRIORITY,
        ),
        Step.BECOME_CANDIDATE: (
            _stage(Stage.ACTIVIST),
            ACTIVIST_ONE_YEAR,
            ACTIVIST_TRAINING,
            THOUGHT_REPORTS,
            HALF_YEAR_ASSESSMENTS,
            *THREE_EXPERIENCES,
            CLEAN_DORM,
            *VETOES,
            ACADEMIC,
            LEAGUE_RECOMMENDATION,
        ),
        Step.BECOME_PROBATIONARY: (
            _stage(Stage.CANDIDATE),
            CANDIDATE_TRAINING,
            POLITICAL_REVIEW,
            PRE_REVIEW,
            *_two_place_publicity(Step.BECOME_PROBATIONARY),
            CLEAN_DORM,
            *VETOES,
        ),
        Step.CONFIRM: (
            _stage(Stage.PROBATIONARY),
            PROBATION_ONE_YEAR,
            Check("seed000.volunteer_hours", "volunteer_hours", {"min_hours": 50}),
            CLEAN_DORM,
            *VETOES,
            *_two_place_publicity(Step.CONFIRM),
        ),
    },
)

SWJTU_2004 = RuleSet(
    id="swjtu-2004",
    version=1,
    effective_from=date(2004, 4, 22),
    name="西南交通大学在学生中发展党员工作实施意见（2004）",
    steps={
        Step.ENROL_ACTIVIST_CLASS: (
            _stage(Stage.APPLICANT, Stage.ACTIVIST),
            _no_repeat(Stage.ACTIVIST),
        ),
        # Seed 002 §5 sets no condition of its own on choosing activists early.
        Step.BECOME_ACTIVIST: (_stage(Stage.APPLICANT),),
        Step.ENROL_CANDIDATE_CLASS: (
            _stage(Stage.ACTIVIST, Stage.CANDIDATE),
            ACTIVIST_ONE_YEAR,
            _no_repeat(Stage.CANDIDATE),
        ),
        Step.BECOME_CANDIDATE: (
            _stage(Stage.ACTIVIST),
            ACTIVIST_ONE_YEAR,
            ACTIVIST_TRAINING,
            LEAGUE_RECOMMENDATION,
            # Seed 002 §7: the candidate's study attitude and results must meet a standard.
            Check("seed002.academic", "flag", {"fact": "academic_ok"}),
        ),
        Step.BECOME_PROBATIONARY: (
            _stage(Stage.CANDIDATE),
            CANDIDATE_TRAINING,
            POLITICAL_REVIEW,
            PRE_REVIEW,
            # Seed 002 §7 asks for publicity without naming places: one place suffices.
            Check(
                "seed002.publicity",
                "publicity",
                {"step": Step.BECOME_PROBATIONARY, "min_places": 1, "min_days": 5},
            ),
        ),
        Step.CONFIRM: (_stage(Stage.PROBATIONARY), PROBATION_ONE_YEAR),
    },
)

RULESETS: Mapping[str, RuleSet] = MappingProxyType({rs.id: rs for rs in (DEFAULT, SWJTU_2004)})


def evaluate_step(facts: CandidateFacts, ruleset: RuleSet, step: Step, today: date) -> Decision:
    """Decide whether the candidate may take ``step`` under ``ruleset`` on ``today``."""
    reasons = []
    if facts.probation_cancelled_on is not None:  # the Party's rule, whatever the university's
        on = facts.probation_cancelled_on.isoformat()
        reasons.append(
            Reason("national.probation_cancelled", f"已于{on}取消预备党员资格", {"on": on})
        )
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
