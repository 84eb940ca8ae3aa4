"""Properties of the rules engine that must hold for any development record."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from partyschool.candidates.rules import (
    CandidateFacts,
    DormGrade,
    DormRating,
    Experience,
    ExperienceKind,
    Level,
    Publicity,
    PublicityOutcome,
    Stage,
    Step,
    TrainingCompletion,
    Veto,
    VetoHolder,
)
from partyschool.candidates.rulesets import DEFAULT, RULESETS, evaluate, evaluate_step

TODAY = date(2027, 6, 1)
DAY = timedelta(days=1)
# A thought report every month and an assessment every half-year: nothing ever missing.
MONTHLY_REPORTS = tuple(date(2000, 1, 1) + 30 * k * DAY for k in range(400))
EVERY_HALF_YEAR = tuple(f"{year}-{half}" for year in range(2000, 2031) for half in (1, 2))
# Keep the example database out of the working tree; the examples are cheap to find again.
PROPERTY = settings(database=None, deadline=None, max_examples=150)

PAST = st.dates(date(2019, 1, 1), TODAY)
FUTURE = st.dates(TODAY + DAY, date(2029, 12, 31))
ANY_DATE = PAST | FUTURE
TERMS = st.sampled_from([f"{y}-{y + 1}-{t}" for y in range(2019, 2027) for t in (1, 2)])
PLACES = st.lists(
    st.sampled_from(["学区", "学院楼栋", "学院", "所住楼栋", "校园网"]), max_size=3, unique=True
).map(tuple)
STAGE_BEFORE = {
    Step.ENROL_ACTIVIST_CLASS: Stage.APPLICANT,
    Step.BECOME_ACTIVIST: Stage.APPLICANT,
    Step.ENROL_CANDIDATE_CLASS: Stage.ACTIVIST,
    Step.BECOME_CANDIDATE: Stage.ACTIVIST,
    Step.BECOME_PROBATIONARY: Stage.CANDIDATE,
    Step.CONFIRM: Stage.PROBATIONARY,
    Step.COMPLETE_TRAINING: Stage.ACTIVIST,
}
APPLICABLE_HOLDERS = {
    Level.UNDERGRADUATE: [VetoHolder.COLLEGE, VetoHolder.TEACHER],
    Level.GRADUATE: [VetoHolder.APARTMENT],
}


def tuples(elements: st.SearchStrategy, max_size: int = 4) -> st.SearchStrategy:
    """Tuples of ``elements``."""
    return st.lists(elements, max_size=max_size).map(tuple)


def vetoes(holders: st.SearchStrategy, lifted_on: st.SearchStrategy) -> st.SearchStrategy:
    """Vetoes decided in the past by ``holders``."""
    return st.builds(Veto, holders, st.sampled_from(["学业预警", "违反寝室纪律"]), PAST, lifted_on)


def dirty_ratings(rectified_on: st.SearchStrategy) -> st.SearchStrategy:
    """脏乱差 ratings with a rectification date from ``rectified_on``."""
    return st.builds(DormRating, TERMS, st.just(DormGrade.DIRTY), rectified_on)


STANDING_VETO_LIFTS = st.none() | FUTURE
HARMLESS_VETOES = vetoes(st.sampled_from(VetoHolder), PAST)
RECTIFIED_DIRT = dirty_ratings(PAST)
UNRECTIFIED_DIRT = dirty_ratings(st.none() | FUTURE)

publicity = st.builds(
    Publicity,
    st.sampled_from(Step),
    PLACES,
    ANY_DATE,
    ANY_DATE,
    st.booleans(),
    st.sampled_from(PublicityOutcome),
)

# Any record at all, most of them blocked somewhere.
records = st.builds(
    CandidateFacts,
    student_no=st.just("20230001"),
    level=st.sampled_from(Level),
    stage=st.sampled_from(Stage),
    stage_history=tuples(st.tuples(st.sampled_from(Stage), ANY_DATE), max_size=5),
    is_league_member=st.booleans(),
    has_league_recommendation=st.booleans(),
    experiences=tuples(st.builds(Experience, st.sampled_from(ExperienceKind), st.booleans())),
    dorm_ratings=tuples(
        st.builds(DormRating, TERMS, st.sampled_from(DormGrade), st.none() | ANY_DATE)
    ),
    vetoes=tuples(vetoes(st.sampled_from(VetoHolder), st.none() | ANY_DATE)),
    approved_volunteer_hours=st.decimals(0, 100, places=1),
    trainings=tuples(
        st.builds(TrainingCompletion, st.sampled_from(Stage), ANY_DATE, st.sampled_from(["A", "B"]))
    ),
    publicity=tuples(publicity),
    political_review_passed=st.booleans(),
    pre_review_passed=st.booleans(),
    academic_ok=st.booleans(),
    is_outstanding_class=st.booleans(),
)


@st.composite
def eligible_records(draw: st.DrawFn, step: Step) -> CandidateFacts:
    """A record that meets every rule for ``step``, with noise that must not matter."""
    stage = STAGE_BEFORE[step]
    level = draw(st.sampled_from(Level))
    ended = st.dates(date(2019, 1, 1), TODAY - 365 * DAY)
    done = [
        Publicity(
            on, ("学区", "学院楼栋", "学院", "所住楼栋"), start, end, False, PublicityOutcome.PASSED
        )
        for on in (Step.BECOME_PROBATIONARY, Step.CONFIRM)
        for end in [draw(PAST)]
        for start in [end - draw(st.integers(4, 30)) * DAY]
    ]
    inapplicable = [h for h in VetoHolder if h not in APPLICABLE_HOLDERS[level]]
    return CandidateFacts(
        student_no="20230001",
        level=level,
        stage=stage,
        stage_history=tuple((at, draw(ended)) for at in Stage if at <= stage),
        is_league_member=draw(st.booleans()),
        has_league_recommendation=True,
        experiences=tuple(Experience(kind, True) for kind in ExperienceKind)
        + draw(tuples(st.builds(Experience, st.sampled_from(ExperienceKind), st.just(False)))),
        dorm_ratings=draw(
            tuples(
                st.builds(
                    DormRating,
                    TERMS,
                    st.sampled_from([g for g in DormGrade if g != DormGrade.DIRTY]),
                )
                | RECTIFIED_DIRT
            )
        ),
        vetoes=draw(tuples(HARMLESS_VETOES | vetoes(st.sampled_from(inapplicable), st.none()))),
        approved_volunteer_hours=draw(st.decimals(50, 200, places=1)),
        trainings=tuple(
            TrainingCompletion(target, draw(PAST), "C-1")
            for target in (Stage.ACTIVIST, Stage.CANDIDATE)
            if target <= stage
        )
        + draw(
            tuples(st.builds(TrainingCompletion, st.sampled_from(Stage), FUTURE, st.just("C-2")))
        ),
        publicity=tuple(done) + draw(tuples(publicity)),
        political_review_passed=True,
        pre_review_passed=True,
        academic_ok=True,
        thought_report_dates=MONTHLY_REPORTS,
        assessment_periods=EVERY_HALF_YEAR,
        is_outstanding_class=draw(st.booleans()),
    )


def blocking(facts: CandidateFacts) -> dict[tuple[str, Step], tuple]:
    """Every blocking reason of every step under every rule set."""
    return {
        (ruleset.id, step): evaluate_step(facts, ruleset, step, TODAY).blocking
        for ruleset in RULESETS.values()
        for step in Step
    }


@PROPERTY
@given(st.data(), st.sampled_from(Step))
def test_eligible_records_are_eligible(data: st.DataObject, step: Step) -> None:
    """Lifted vetoes, rectified dormitories and other noise never block a record that is sound."""
    facts = data.draw(eligible_records(step))
    for ruleset in RULESETS.values():
        decision = evaluate_step(facts, ruleset, step, TODAY)
        assert decision.eligible, decision.reasons


@PROPERTY
@given(st.data(), st.sampled_from(Step), st.booleans())
def test_a_standing_veto_or_dirty_dorm_always_blocks(
    data: st.DataObject, step: Step, by_veto: bool
) -> None:
    """An un-lifted applicable veto or an un-rectified 脏乱差 rating never lets anyone through."""
    facts = data.draw(eligible_records(step) | records)
    if by_veto:
        holders = st.sampled_from(APPLICABLE_HOLDERS[facts.level])
        poison = data.draw(vetoes(holders, STANDING_VETO_LIFTS))
        facts = replace(facts, vetoes=(*facts.vetoes, poison))
        rule = (
            "seed000.college_veto"
            if facts.level == Level.UNDERGRADUATE
            else "seed000.apartment_veto"
        )
    else:
        facts = replace(facts, dorm_ratings=(*facts.dorm_ratings, data.draw(UNRECTIFIED_DIRT)))
        rule = "seed000.dorm_dirty"
    decision = evaluate_step(facts, DEFAULT, step, TODAY)
    assert not decision.eligible
    assert rule in [reason.rule for reason in decision.blocking]


@PROPERTY
@given(records, st.data())
def test_lifted_vetoes_and_rectified_dorms_change_nothing_that_blocks(
    facts: CandidateFacts, data: st.DataObject
) -> None:
    """Adding lifted vetoes and rectified 脏乱差 ratings leaves every blocking reason as it was."""
    cleared = replace(
        facts,
        vetoes=facts.vetoes + data.draw(tuples(HARMLESS_VETOES, max_size=3)),
        dorm_ratings=facts.dorm_ratings + data.draw(tuples(RECTIFIED_DIRT, max_size=3)),
    )
    assert blocking(cleared) == blocking(facts)


@PROPERTY
@given(records, st.data())
def test_evaluation_is_deterministic_and_ignores_order(
    facts: CandidateFacts, data: st.DataObject
) -> None:
    """The same record, its collections in any order, gets the same decisions."""
    shuffled = replace(
        facts,
        **{
            name: tuple(data.draw(st.permutations(getattr(facts, name))))
            for name in (
                "stage_history",
                "experiences",
                "dorm_ratings",
                "vetoes",
                "trainings",
                "publicity",
            )
        },
    )
    for ruleset in RULESETS.values():
        decisions = {step: evaluate_step(facts, ruleset, step, TODAY) for step in Step}
        assert decisions == {step: evaluate_step(facts, ruleset, step, TODAY) for step in Step}
        assert decisions == {step: evaluate_step(shuffled, ruleset, step, TODAY) for step in Step}
        assert evaluate(shuffled, ruleset, TODAY) == evaluate(facts, ruleset, TODAY)


@PROPERTY
@given(records)
def test_eligible_exactly_when_nothing_blocks(facts: CandidateFacts) -> None:
    """A step is open exactly when nothing blocks it; every reason names a rule of the step."""
    for ruleset in RULESETS.values():
        for step, checks in ruleset.steps.items():
            decision = evaluate_step(facts, ruleset, step, TODAY)
            assert decision.eligible == (not decision.blocking)
            assert {reason.rule for reason in decision.reasons} <= {c.rule for c in checks}
