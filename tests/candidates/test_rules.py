"""Every rule of both rule sets, on a model candidate who passes all until one fact changes."""

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from partyschool.candidates.rules import (
    CandidateFacts,
    Check,
    DormGrade,
    DormRating,
    Experience,
    ExperienceKind,
    Level,
    Publicity,
    PublicityOutcome,
    RuleSetError,
    Stage,
    Step,
    TrainingCompletion,
    Veto,
    VetoHolder,
    add_months,
)
from partyschool.candidates.rulesets import (
    DEFAULT,
    RULESETS,
    SWJTU_2004,
    RuleSet,
    evaluate,
    evaluate_step,
    ruleset_from_dict,
)

TODAY = date(2027, 6, 1)
DAY = timedelta(days=1)
# A thought report every month and an assessment every half-year: nothing ever missing.
MONTHLY_REPORTS = tuple(date(2000, 1, 1) + 30 * k * DAY for k in range(400))
EVERY_HALF_YEAR = tuple(f"{year}-{half}" for year in range(2000, 2031) for half in (1, 2))
HISTORY = (
    (Stage.APPLICANT, date(2023, 10, 1)),
    (Stage.ACTIVIST, date(2024, 5, 1)),
    (Stage.CANDIDATE, date(2025, 6, 1)),
    (Stage.PROBATIONARY, date(2026, 5, 1)),
)
TRAININGS = (
    TrainingCompletion(Stage.ACTIVIST, date(2024, 6, 30), "WZU-2024-0001"),
    TrainingCompletion(Stage.CANDIDATE, date(2025, 5, 20), "WZU-2025-0001"),
)
EVERY_PLACE = ("学区", "学院楼栋", "学院", "所住楼栋")
STAGE_BEFORE = {
    Step.ENROL_ACTIVIST_CLASS: Stage.APPLICANT,
    Step.BECOME_ACTIVIST: Stage.APPLICANT,
    Step.ENROL_CANDIDATE_CLASS: Stage.ACTIVIST,
    Step.BECOME_CANDIDATE: Stage.ACTIVIST,
    Step.BECOME_PROBATIONARY: Stage.CANDIDATE,
    Step.CONFIRM: Stage.PROBATIONARY,
    Step.COMPLETE_TRAINING: Stage.ACTIVIST,
}
Change = Callable[[CandidateFacts], CandidateFacts]


def notice(step: Step, places: tuple[str, ...] = EVERY_PLACE, **changes: object) -> Publicity:
    """A publicity that ran for a week, ended a week ago and passed."""
    week = Publicity(
        step, places, TODAY - 14 * DAY, TODAY - 7 * DAY, False, PublicityOutcome.PASSED
    )
    return replace(week, **changes)


def model(step: Step, level: Level = Level.UNDERGRADUATE) -> CandidateFacts:
    """A candidate at the stage before ``step`` who meets every rule of both rule sets."""
    stage = STAGE_BEFORE[step]
    return CandidateFacts(
        student_no="20230001",
        level=level,
        stage=stage,
        stage_history=tuple(entry for entry in HISTORY if entry[0] <= stage),
        is_league_member=True,
        has_league_recommendation=True,
        experiences=tuple(Experience(kind, True, "活动证明") for kind in ExperienceKind),
        dorm_ratings=(DormRating("2026-2027-1", DormGrade.GOOD),),
        approved_volunteer_hours=Decimal(60),
        trainings=tuple(course for course in TRAININGS if course.target_stage <= stage),
        publicity=(notice(Step.BECOME_PROBATIONARY), notice(Step.CONFIRM)),
        political_review_passed=True,
        pre_review_passed=True,
        academic_ok=True,
        thought_report_dates=MONTHLY_REPORTS,
        assessment_periods=EVERY_HALF_YEAR,
    )


def rules(reasons: tuple) -> list[str]:
    """The rule ids of ``reasons``, in order."""
    return [reason.rule for reason in reasons]


# Changes to the model candidate, as facts -> facts.
def same(facts: CandidateFacts) -> CandidateFacts:
    """Leave the facts alone."""
    return facts


def setting(**changes: object) -> Change:
    """Set fields of the facts."""
    return lambda facts: replace(facts, **changes)


def adding(name: str, *items: object) -> Change:
    """Append items to a tuple field of the facts."""
    return lambda facts: replace(facts, **{name: getattr(facts, name) + items})


def entering(stage: Stage, on: date) -> Change:
    """Move the date the candidate entered ``stage``."""
    return lambda facts: replace(
        facts, stage_history=tuple((at, on if at == stage else d) for at, d in facts.stage_history)
    )


def untrained(stage: Stage) -> Change:
    """Drop the trainings for ``stage``."""
    return lambda facts: replace(
        facts, trainings=tuple(c for c in facts.trainings if c.target_stage != stage)
    )


def unverified(kind: ExperienceKind) -> Change:
    """Mark every experience of ``kind`` as not yet verified."""
    return lambda facts: replace(
        facts,
        experiences=tuple(
            replace(e, is_verified=e.is_verified and e.kind != kind) for e in facts.experiences
        ),
    )


def publicized(**changes: object) -> Change:
    """Change every publicity of the record."""
    return lambda facts: replace(
        facts, publicity=tuple(replace(p, **changes) for p in facts.publicity)
    )


def unposted(place: str) -> Change:
    """Remove ``place`` from every publicity."""
    return lambda facts: replace(
        facts,
        publicity=tuple(
            replace(p, places=tuple(x for x in p.places if x != place)) for p in facts.publicity
        ),
    )


def veto(holder: VetoHolder, lifted_on: date | None = None) -> Veto:
    """A veto decided a month ago."""
    return Veto(holder, "学业预警", TODAY - 30 * DAY, lifted_on)


DIRTY = DormRating("2025-2026-2", DormGrade.DIRTY)
ACTIVIST_ON = dict(HISTORY)[Stage.ACTIVIST]


def quarterly(skip: int | None = None) -> tuple[date, ...]:
    """A thought report on the last day of each quarter since becoming an activist (none in
    quarter ``skip``)."""
    return tuple(add_months(ACTIVIST_ON, 3 * (k + 1)) - DAY for k in range(13) if k != skip)


# For every rule id: a change the rule must let through, and a change that must trigger it.
CASES: dict[str, tuple[Change, Change]] = {
    "national.stage": (same, setting(stage=Stage.MEMBER)),
    "national.activist_one_year": (
        entering(Stage.ACTIVIST, TODAY - 365 * DAY),
        entering(Stage.ACTIVIST, TODAY - 364 * DAY),
    ),
    "national.probation_one_year": (
        entering(Stage.PROBATIONARY, TODAY - 365 * DAY),
        entering(Stage.PROBATIONARY, TODAY - 364 * DAY),
    ),
    "national.activist_training": (same, untrained(Stage.ACTIVIST)),
    "national.candidate_training": (same, untrained(Stage.CANDIDATE)),
    "school.no_repeat_training": (
        adding("trainings", TrainingCompletion(Stage.CANDIDATE, TODAY + DAY, "not-yet")),
        adding("trainings", *TRAININGS),
    ),
    "national.league_recommendation": (
        setting(is_league_member=False, has_league_recommendation=False),
        setting(has_league_recommendation=False),
    ),
    "national.political_review": (same, setting(political_review_passed=False)),
    "national.pre_review": (same, setting(pre_review_passed=False)),
    "seed000.academic": (same, setting(academic_ok=False)),
    "seed002.academic": (same, setting(academic_ok=False)),
    **{
        f"seed000.experience_{kind}": (
            adding("experiences", Experience(kind, False, "待核实")),
            unverified(kind),
        )
        for kind in ExperienceKind
    },
    "seed000.dorm_dirty": (
        adding("dorm_ratings", replace(DIRTY, rectified_on=TODAY)),
        adding("dorm_ratings", DIRTY),
    ),
    "seed000.college_veto": (
        adding("vetoes", veto(VetoHolder.COLLEGE, lifted_on=TODAY), veto(VetoHolder.APARTMENT)),
        adding("vetoes", veto(VetoHolder.TEACHER)),
    ),
    "seed000.apartment_veto": (
        adding(
            "vetoes",
            veto(VetoHolder.APARTMENT, lifted_on=TODAY),
            veto(VetoHolder.COLLEGE),
            veto(VetoHolder.TEACHER),
        ),
        adding("vetoes", veto(VetoHolder.APARTMENT, lifted_on=TODAY + DAY)),
    ),
    "seed000.undergraduate_publicity": (publicized(ends_on=TODAY), unposted("学院楼栋")),
    "seed000.graduate_publicity": (publicized(ends_on=TODAY), unposted("所住楼栋")),
    "seed002.publicity": (publicized(places=("学院",)), publicized(ends_on=TODAY + DAY)),
    "seed000.volunteer_hours": (
        setting(approved_volunteer_hours=Decimal(50)),
        setting(approved_volunteer_hours=Decimal("49.5")),
    ),
    "seed000.outstanding_priority": (same, setting(is_outstanding_class=True)),
    "school.quarterly_thought_reports": (
        setting(thought_report_dates=quarterly()),
        setting(thought_report_dates=quarterly(skip=5)),
    ),
    "national.half_year_assessments": (
        setting(assessment_periods=("2024-1", "2024-2")),
        setting(assessment_periods=("2023-2", "2024-1")),  # one from before becoming an activist
    ),
}

ENTRIES = [
    pytest.param(ruleset, step, check, level, id=f"{ruleset.id}-{step}-{check.rule}-{level}")
    for ruleset in RULESETS.values()
    for step, checks in ruleset.steps.items()
    for check in checks
    for level in check.levels or tuple(Level)
]


def test_every_rule_has_cases() -> None:
    """The table covers exactly the rules of the rule sets."""
    assert {check.rule for _, _, check, _ in (entry.values for entry in ENTRIES)} == set(CASES)


@pytest.mark.parametrize("ruleset", RULESETS.values(), ids=lambda ruleset: ruleset.id)
@pytest.mark.parametrize("level", Level)
@pytest.mark.parametrize("step", Step)
def test_model_candidate_is_eligible(ruleset: RuleSet, level: Level, step: Step) -> None:
    """The model candidate may take every step, with no reason given."""
    decision = evaluate_step(model(step, level), ruleset, step, TODAY)
    assert decision.eligible
    assert decision.reasons == ()


@pytest.mark.parametrize(("ruleset", "step", "check", "level"), ENTRIES)
def test_rule_lets_the_passing_case_through(
    ruleset: RuleSet, step: Step, check: Check, level: Level
) -> None:
    """Each rule's boundary case that should pass gives no reason and keeps the step open."""
    facts = CASES[check.rule][0](model(step, level))
    decision = evaluate_step(facts, ruleset, step, TODAY)
    assert check.rule not in rules(decision.reasons)
    assert decision.eligible


@pytest.mark.parametrize(("ruleset", "step", "check", "level"), ENTRIES)
def test_rule_reports_the_failing_case(
    ruleset: RuleSet, step: Step, check: Check, level: Level
) -> None:
    """Each rule's failing case gives its reason, in Chinese, and only that rule's."""
    facts = CASES[check.rule][1](model(step, level))
    decision = evaluate_step(facts, ruleset, step, TODAY)
    [reason] = [reason for reason in decision.reasons if reason.rule == check.rule]
    assert rules(decision.blocking) == ([check.rule] if reason.blocking else [])
    assert decision.eligible is not reason.blocking
    assert any("\u4e00" <= char <= "\u9fff" for char in reason.message)
    json.dumps(reason.to_dict())


def test_every_failing_rule_is_reported_at_once() -> None:
    """A candidate failing three rules hears about all three, in rule-set order."""
    facts = replace(
        model(Step.BECOME_CANDIDATE),
        trainings=(),
        dorm_ratings=(DIRTY,),
        vetoes=(veto(VetoHolder.TEACHER),),
    )
    decision = evaluate_step(facts, DEFAULT, Step.BECOME_CANDIDATE, TODAY)
    assert not decision.eligible
    assert rules(decision.blocking) == [
        "national.activist_training",
        "seed000.dorm_dirty",
        "seed000.college_veto",
    ]


def test_each_missing_experience_is_its_own_reason() -> None:
    """The three experiences are reported one by one."""
    facts = replace(model(Step.BECOME_CANDIDATE), experiences=())
    decision = evaluate_step(facts, DEFAULT, Step.BECOME_CANDIDATE, TODAY)
    assert rules(decision.blocking) == [f"seed000.experience_{kind}" for kind in ExperienceKind]
    assert "志愿者" in decision.blocking[0].message


@pytest.mark.parametrize(
    ("stage", "steps"),
    [
        (Stage.APPLICANT, [Step.ENROL_ACTIVIST_CLASS, Step.BECOME_ACTIVIST]),
        (
            Stage.ACTIVIST,
            [Step.ENROL_ACTIVIST_CLASS, Step.ENROL_CANDIDATE_CLASS, Step.BECOME_CANDIDATE],
        ),
        (Stage.CANDIDATE, [Step.ENROL_CANDIDATE_CLASS, Step.BECOME_PROBATIONARY]),
        (Stage.PROBATIONARY, [Step.CONFIRM]),
        (Stage.MEMBER, []),
    ],
)
def test_evaluate_decides_the_next_steps_of_the_stage(stage: Stage, steps: list[Step]) -> None:
    """Only the steps that follow the candidate's stage are decided."""
    facts = replace(model(Step.CONFIRM), stage=stage)
    assert list(evaluate(facts, DEFAULT, TODAY)) == steps


def test_an_activist_already_trained_is_not_enrolled_again() -> None:
    """An activist with a certificate sees why the activist class is closed, the rest open."""
    retrained = TrainingCompletion(Stage.ACTIVIST, date(2025, 1, 1), "WZU-2025-0100")
    facts = adding("trainings", retrained)(model(Step.BECOME_CANDIDATE))
    decisions = evaluate(facts, DEFAULT, TODAY)
    assert rules(decisions[Step.ENROL_ACTIVIST_CLASS].reasons) == ["school.no_repeat_training"]
    assert "WZU-2024-0001" in decisions[Step.ENROL_ACTIVIST_CLASS].reasons[0].message
    assert decisions[Step.ENROL_CANDIDATE_CLASS].eligible
    assert decisions[Step.BECOME_CANDIDATE].eligible


def test_a_candidate_may_enrol_in_the_candidate_class_whatever_the_activist_date() -> None:
    """The year as activist is served once the candidate has moved on."""
    facts = replace(model(Step.BECOME_PROBATIONARY), stage_history=(), trainings=TRAININGS[:1])
    assert evaluate_step(facts, DEFAULT, Step.ENROL_CANDIDATE_CLASS, TODAY).eligible


def test_time_in_stage_explains_itself() -> None:
    """The message says how long the candidate has been an activist, and the evidence too."""
    facts = entering(Stage.ACTIVIST, TODAY - 100 * DAY)(model(Step.BECOME_CANDIDATE))
    [reason] = evaluate_step(facts, SWJTU_2004, Step.BECOME_CANDIDATE, TODAY).reasons
    assert "须满365天" in reason.message and "仅100天" in reason.message
    assert reason.evidence["days"] == 100
    missing = replace(facts, stage_history=())
    [reason] = evaluate_step(missing, SWJTU_2004, Step.BECOME_CANDIDATE, TODAY).reasons
    assert reason.rule == "national.activist_one_year" and "缺少" in reason.message


def test_the_latest_entry_into_a_stage_counts() -> None:
    """A candidate who became an activist again 100 days ago has not served the year."""
    facts = adding("stage_history", (Stage.ACTIVIST, TODAY - 100 * DAY))(
        model(Step.BECOME_CANDIDATE)
    )
    decision = evaluate_step(facts, DEFAULT, Step.BECOME_CANDIDATE, TODAY)
    assert rules(decision.blocking) == ["national.activist_one_year"]


def test_a_veto_decided_later_does_not_count_as_of_an_earlier_day() -> None:
    """Deciding as of a past day ignores vetoes decided after it."""
    step = Step.ENROL_ACTIVIST_CLASS
    facts = adding("vetoes", veto(VetoHolder.COLLEGE))(model(step))
    assert not evaluate_step(facts, DEFAULT, step, TODAY).eligible
    assert evaluate_step(facts, DEFAULT, step, TODAY - 31 * DAY).eligible


@pytest.mark.parametrize(
    ("step", "change", "rule"),
    [
        (Step.BECOME_CANDIDATE, setting(experiences=()), "seed000.experience_volunteer"),
        (Step.BECOME_PROBATIONARY, adding("dorm_ratings", DIRTY), "seed000.dorm_dirty"),
        (
            Step.ENROL_ACTIVIST_CLASS,
            adding("vetoes", veto(VetoHolder.COLLEGE)),
            "seed000.college_veto",
        ),
        (Step.CONFIRM, setting(approved_volunteer_hours=20), "seed000.volunteer_hours"),
        (Step.CONFIRM, setting(publicity=()), "seed000.undergraduate_publicity"),
        (
            Step.BECOME_PROBATIONARY,
            publicized(places=("学区",)),
            "seed000.undergraduate_publicity",
        ),
    ],
)
def test_swjtu_does_without_the_wenzhou_rules(step: Step, change: Change, rule: str) -> None:
    """What blocks a Wenzhou candidate does not block one under the 2004 Jiaotong rules."""
    facts = change(model(step))
    assert rule in rules(evaluate_step(facts, DEFAULT, step, TODAY).blocking)
    assert evaluate_step(facts, SWJTU_2004, step, TODAY).eligible


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"has_unresolved_objection": True}, "有未处理的异议"),
        ({"outcome": PublicityOutcome.FAILED}, "公示未通过"),
        ({"outcome": PublicityOutcome.PENDING}, "公示结果未确认"),
        ({"ends_on": TODAY + DAY}, "公示期未结束"),
        ({"starts_on": TODAY - 10 * DAY, "ends_on": TODAY - 7 * DAY}, "公示期不足5天"),
        ({"step": Step.CONFIRM}, "未公示"),
    ],
)
def test_unfinished_publicity_blocks_with_its_problem(changes: dict, problem: str) -> None:
    """A publicity running, objected to, failed, too short or for another step does not count."""
    facts = replace(
        model(Step.BECOME_PROBATIONARY),
        publicity=(replace(notice(Step.BECOME_PROBATIONARY), **changes),),
    )
    for ruleset, rule in (
        (DEFAULT, "seed000.undergraduate_publicity"),
        (SWJTU_2004, "seed002.publicity"),
    ):
        decision = evaluate_step(facts, ruleset, Step.BECOME_PROBATIONARY, TODAY)
        assert rules(decision.blocking) == [rule]
        assert problem in decision.blocking[0].message


def test_the_two_places_may_be_publicized_separately() -> None:
    """A graduate publicized in the college and the residence building, one notice each, passes."""
    facts = replace(
        model(Step.CONFIRM, Level.GRADUATE),
        publicity=(
            notice(Step.CONFIRM, ("学院",)),
            notice(Step.CONFIRM, ("所住楼栋",), ends_on=TODAY),
        ),
    )
    assert evaluate_step(facts, DEFAULT, Step.CONFIRM, TODAY).eligible
    message = (
        evaluate_step(unposted("学院")(facts), DEFAULT, Step.CONFIRM, TODAY).blocking[0].message
    )
    assert "学院和所住楼栋" in message and "学院（未公示）" in message


@pytest.mark.parametrize(
    ("ratings", "outstanding_class", "priority"),
    [
        ((), False, 0),
        ((DormRating("2026-2027-1", DormGrade.OUTSTANDING),), False, 1),
        (
            (
                DormRating("2026-2027-1", DormGrade.GOOD),
                DormRating("2025-2026-2", DormGrade.OUTSTANDING),
            ),
            False,
            0,
        ),
        (
            (
                DormRating("2026-2027-1", DormGrade.OUTSTANDING),
                DormRating("2025-2026-2", DormGrade.GOOD),
            ),
            False,
            1,
        ),
        ((DormRating("2026-2027-1", DormGrade.PASSING),), True, 1),
    ],
)
def test_outstanding_dorm_or_class_comes_first(
    ratings: tuple[DormRating, ...], outstanding_class: bool, priority: int
) -> None:
    """Only the latest term's rating or the class's honour counts, and it never blocks."""
    facts = replace(
        model(Step.ENROL_ACTIVIST_CLASS),
        dorm_ratings=ratings,
        is_outstanding_class=outstanding_class,
    )
    decision = evaluate_step(facts, DEFAULT, Step.ENROL_ACTIVIST_CLASS, TODAY)
    assert decision.eligible
    assert decision.priority == priority
    assert evaluate_step(facts, SWJTU_2004, Step.ENROL_ACTIVIST_CLASS, TODAY).priority == 0


def test_vetoes_apply_by_level() -> None:
    """The apartment department vetoes graduates only; college and teachers undergraduates only."""
    for level, holder, blocked in (
        (Level.UNDERGRADUATE, VetoHolder.APARTMENT, False),
        (Level.UNDERGRADUATE, VetoHolder.TEACHER, True),
        (Level.GRADUATE, VetoHolder.COLLEGE, False),
        (Level.GRADUATE, VetoHolder.APARTMENT, True),
    ):
        facts = replace(model(Step.CONFIRM, level), vetoes=(veto(holder),))
        decision = evaluate_step(facts, DEFAULT, Step.CONFIRM, TODAY)
        assert decision.eligible is not blocked, (level, holder)


def test_volunteer_hours_may_be_a_float() -> None:
    """Hours recorded as a float compare like a Decimal."""
    facts = replace(model(Step.CONFIRM), approved_volunteer_hours=49.75)
    [reason] = evaluate_step(facts, DEFAULT, Step.CONFIRM, TODAY).reasons
    assert reason.evidence == {"hours": 49.75, "min_hours": 50}
    assert "49.75小时" in reason.message


def test_stages_compare_in_pipeline_order() -> None:
    """Stages sort as the pipeline runs, not alphabetically."""
    assert sorted([Stage.MEMBER, Stage.APPLICANT, Stage.CANDIDATE, Stage.ACTIVIST]) == [
        Stage.APPLICANT,
        Stage.ACTIVIST,
        Stage.CANDIDATE,
        Stage.MEMBER,
    ]
    assert Stage.PROBATIONARY > Stage.CANDIDATE >= Stage.CANDIDATE


def test_decision_serialises_to_json() -> None:
    """A decision is plain JSON for the API, with the step's Chinese label."""
    facts = replace(model(Step.CONFIRM), approved_volunteer_hours=Decimal("12.5"))
    data = json.loads(json.dumps(evaluate(facts, DEFAULT, TODAY)[Step.CONFIRM].to_dict()))
    assert data["step"] == "confirm" and data["label"] == "预备党员转正"
    assert data["eligible"] is False
    assert data["reasons"][0]["rule"] == "seed000.volunteer_hours"
    assert data["reasons"][0]["evidence"] == {"hours": 12.5, "min_hours": 50}


@pytest.mark.parametrize("ruleset", RULESETS.values(), ids=lambda ruleset: ruleset.id)
def test_ruleset_round_trips_through_json(ruleset: RuleSet) -> None:
    """A rule set survives being stored as JSON."""
    assert ruleset_from_dict(json.loads(json.dumps(ruleset.to_dict()))) == ruleset


def test_a_university_can_store_its_own_rules() -> None:
    """A rule set edited as JSON decides with its own parameters."""
    data = DEFAULT.to_dict()
    data.update(id="wzu-100h", version=2)
    for entry in data["steps"]["confirm"]:
        if entry["kind"] == "volunteer_hours":
            entry["params"]["min_hours"] = 100
    custom = ruleset_from_dict(data)
    decision = evaluate_step(model(Step.CONFIRM), custom, Step.CONFIRM, TODAY)
    assert rules(decision.blocking) == ["seed000.volunteer_hours"]
    assert "须满100小时" in decision.blocking[0].message


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"rule": "x.stars", "kind": "horoscope"}, "unknown rule kind 'horoscope'"),
        ({"rule": "x.kind"}, "lacks the field 'kind'"),
        ({"rule": "x.t", "kind": "time_in_stage", "params": {"stage": "activist"}}, "'min_days'"),
        ({"rule": "x.s", "kind": "stage_in", "params": {"stages": ["cadre"]}}, "'cadre'"),
        ({"rule": "x.s", "kind": "stage_in", "params": {"stages": "activist"}}, "a list"),
        (
            {"rule": "x.d", "kind": "clean_dorm", "params": {"grade": "dirty"}},
            "no parameter 'grade'",
        ),
        ({"rule": "x.f", "kind": "flag", "params": {"fact": "is_rich"}}, "'is_rich'"),
        ({"rule": "x.h", "kind": "volunteer_hours", "params": {"min_hours": "50"}}, "int or float"),
        ({"rule": "x.l", "kind": "clean_dorm", "levels": ["postdoc"]}, "'postdoc'"),
        ({"rule": "national.stage", "kind": "clean_dorm"}, "repeats"),
    ],
)
def test_bad_rule_entries_are_refused_clearly(entry: dict, error: str) -> None:
    """Unknown kinds, parameters, values and levels raise a RuleSetError naming the culprit."""
    data = SWJTU_2004.to_dict()
    data["steps"]["confirm"].append(entry)
    with pytest.raises(RuleSetError, match=error):
        ruleset_from_dict(data)


def test_unknown_step_is_refused() -> None:
    """A rule set for a step the engine does not know is refused."""
    data = SWJTU_2004.to_dict()
    data["steps"]["become_cadre"] = []
    with pytest.raises(RuleSetError, match="unknown step 'become_cadre'"):
        ruleset_from_dict(data)


def test_rulesets_are_registered_by_id() -> None:
    """Both rule sets are found by their id."""
    assert RULESETS == {"wzu": DEFAULT, "swjtu-2004": SWJTU_2004}
