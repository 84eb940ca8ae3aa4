"""公示 in batches (seed 000 §3 and §4): places named from the record, all or nobody, a period
at least the rule's, and objections that hold the step until resolved."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from partyschool.accounts.models import Role
from partyschool.audit import AuditEvent
from partyschool.candidates import publicity_batches as batches
from partyschool.candidates import services
from partyschool.candidates.models import (
    Candidate,
    ObjectionFinding,
    PublicityBatch,
    PublicityNotice,
    PublicityObjection,
)
from partyschool.candidates.rules import Level, PublicityOutcome, Stage, Step
from partyschool.extensions import today
from tests.factories import (
    make_candidate,
    make_development_candidate,
    make_places,
    make_user,
    reread,
)

CONTACT = batches.ObjectionContact("王老师", "0577-86598000", "dangxiao@example.edu.cn")


@pytest.fixture
def places(session, school):
    """第一学区, 数理学院 (posting at 数理学院楼) and a room in 北区3号楼."""
    return make_places(session, school)


def _development_candidate(session, school, places, **overrides):
    return make_development_candidate(session, school, places, **overrides)


def _start(
    app, session, candidates, *, starts_on=None, ends_on=None, step=Step.BECOME_PROBATIONARY
):
    starts_on = starts_on or today()
    ends_on = ends_on or starts_on + timedelta(days=6)
    actor = make_user(session, Role.ORGANIZER, candidates[0].party_school)
    with app.app_context():
        batch = batches.start_batch(
            session, candidates, step, starts_on, ends_on, CONTACT, actor, today()
        )
    session.commit()
    return batch


def _blocking(app, session, candidate, step=Step.BECOME_PROBATIONARY, on=None) -> list[str]:
    with app.app_context():
        decision = services.decide_step(
            session, reread(session).get(Candidate, candidate.id), step, on or today()
        )
    return [reason.message for reason in decision.blocking]


def test_undergraduates_are_publicized_in_their_district_and_at_their_college_building(
    app, session, school, places
):
    candidate = _development_candidate(session, school, places)
    batch = _start(app, session, [candidate])
    [notice] = reread(session).get(PublicityBatch, batch.id).notices
    assert notice.places == ["学区", "学院楼栋"]
    assert notice.place_names == ["第一学区", "数理学院楼"]
    assert notice.issuer == "第一学区党总支"


def test_graduates_are_publicized_in_their_college_and_their_residence_building(
    app, session, school, places
):
    candidate = _development_candidate(session, school, places, level=Level.GRADUATE)
    batch = _start(app, session, [candidate])
    [notice] = reread(session).get(PublicityBatch, batch.id).notices
    assert notice.places == ["学院", "所住楼栋"]
    assert notice.place_names == ["数理学院", "北区3号楼"]
    assert notice.issuer == "数理学院党总支"


def test_a_batch_with_one_ineligible_candidate_publicizes_nobody_and_says_why(
    app, session, school, places
):
    ready = _development_candidate(session, school, places)
    activist = make_candidate(session, school, name="李未到", stage=Stage.ACTIVIST)
    unreviewed = _development_candidate(session, school, places, name="张未审")
    unreviewed.reviews.clear()
    _, college, _ = places
    session.commit()
    with pytest.raises(batches.BatchRefused) as refused:
        _start(app, session, [ready, activist, unreviewed])
    by_name = {c.name: reasons for c, reasons in refused.value.refusals.items()}
    assert set(by_name) == {"李未到", "张未审"}
    assert any("当前阶段" in r or "发展对象" in r for r in by_name["李未到"])
    assert "未登记学区" in by_name["李未到"]
    assert "政治审查尚未通过" in by_name["张未审"]
    assert "本批次未创建" in str(refused.value)
    session.rollback()
    assert session.scalars(select(PublicityNotice)).all() == []
    assert session.scalars(select(PublicityBatch)).all() == []


def test_a_college_without_a_named_building_is_a_reason(app, session, school, places):
    _, college, _ = places
    college.notice_building = ""
    candidate = _development_candidate(session, school, places)
    session.commit()
    with pytest.raises(batches.BatchRefused) as refused:
        _start(app, session, [candidate])
    assert list(refused.value.refusals.values()) == [["学院（数理学院）未设置公示楼栋"]]


def test_a_candidate_already_publicized_for_the_step_is_refused(app, session, school, places):
    candidate = _development_candidate(session, school, places)
    _start(app, session, [candidate])
    with pytest.raises(batches.BatchRefused, match="已有“接收为预备党员”的公示"):
        _start(app, session, [reread(session).get(Candidate, candidate.id)])


@pytest.mark.parametrize(
    ("starts", "days", "message"),
    [
        (-1, 7, "不能早于今天"),
        (31, 7, "不能晚于30天后"),
        (0, 4, "公示期不得少于5天"),
        (3, -1, "结束日期不能早于开始日期"),
    ],
)
def test_the_period_starts_between_today_and_a_month_and_lasts_the_rules_length(
    app, session, school, places, starts, days, message
):
    candidate = _development_candidate(session, school, places)
    session.commit()
    starts_on = today() + timedelta(days=starts)
    with pytest.raises(services.RecordError, match=message):
        _start(
            app, session, [candidate], starts_on=starts_on, ends_on=starts_on + timedelta(days - 1)
        )


def test_the_contact_for_objections_is_required(app, session, school, places):
    candidate = _development_candidate(session, school, places)
    organizer = make_user(session, Role.ORGANIZER, school)
    session.commit()
    with app.app_context(), pytest.raises(services.RecordError, match="联系电话或电子邮箱"):
        batches.start_batch(
            session,
            [candidate],
            Step.BECOME_PROBATIONARY,
            today(),
            today() + timedelta(days=6),
            batches.ObjectionContact("王老师"),
            organizer,
            today(),
        )


def _ended_notice(session, school, places):
    """A candidate whose 公示 ran from ten days ago to three days ago, still pending."""
    candidate = _development_candidate(session, school, places)
    notice = PublicityNotice(
        step=Step.BECOME_PROBATIONARY,
        places=["学区", "学院楼栋"],
        place_names=["第一学区", "数理学院楼"],
        issuer="第一学区党总支",
        starts_on=today() - timedelta(days=10),
        ends_on=today() - timedelta(days=3),
    )
    candidate.publicity_notices.append(notice)
    batch = PublicityBatch(
        party_school_id=school.id,
        step=Step.BECOME_PROBATIONARY,
        starts_on=notice.starts_on,
        ends_on=notice.ends_on,
        contact_person="王老师",
        contact_phone="86598000",
    )
    batch.notices.append(notice)
    session.add(batch)
    session.commit()
    return candidate, notice, batch


def test_an_objection_holds_the_step_until_resolved_and_the_result_is_recorded(
    app, session, school, places
):
    candidate, notice, batch = _ended_notice(session, school, places)
    organizer = make_user(session, Role.ORGANIZER, school)
    with app.app_context():
        objection = batches.raise_objection(
            session,
            notice,
            "",
            today() - timedelta(days=5),
            "寝室卫生长期不合格",
            organizer,
            today(),
        )
    session.commit()
    assert any("有未处理的异议" in m for m in _blocking(app, session, candidate))
    with app.app_context(), pytest.raises(services.RecordError, match="异议尚未处理"):
        batches.conclude_batch(session, reread(session).get(PublicityBatch, batch.id), today())
    session.rollback()
    objection = session.get(PublicityObjection, objection.id)
    with app.app_context():
        batches.resolve_objection(
            session,
            objection,
            ObjectionFinding.UNFOUNDED,
            "经核查寝室已评为良好",
            today(),
            organizer,
            today(),
        )
        counts = batches.conclude_batch(session, session.get(PublicityBatch, batch.id), today())
    session.commit()
    assert counts == {"passed": 1, "failed": 0}
    assert _blocking(app, session, candidate) == []
    trail = session.scalars(
        select(AuditEvent).where(AuditEvent.table_name == "publicity_objections")
    ).all()
    assert [e.action for e in trail] == ["create", "update"]
    assert trail[-1].reason == "经核查寝室已评为良好"
    assert trail[-1].candidate_id == candidate.id


def test_a_substantiated_objection_fails_the_notice(app, session, school, places):
    candidate, notice, batch = _ended_notice(session, school, places)
    organizer = make_user(session, Role.ORGANIZER, school)
    with app.app_context():
        objection = batches.raise_objection(
            session, notice, "同班同学", today() - timedelta(days=4), "考试作弊", organizer, today()
        )
        batches.resolve_objection(
            session,
            objection,
            ObjectionFinding.SUBSTANTIATED,
            "经查属实",
            today(),
            organizer,
            today(),
        )
        # Nobody is left pending: the result is already known, and concluding changes nothing.
        with pytest.raises(services.RecordError, match="通过0人，未通过1人"):
            batches.conclude_batch(session, batch, today())
    session.commit()
    assert reread(session).get(PublicityNotice, notice.id).outcome is PublicityOutcome.FAILED
    assert any("公示未通过" in m for m in _blocking(app, session, candidate))


def test_an_objection_raised_after_the_period_is_refused(app, session, school, places):
    _, notice, _ = _ended_notice(session, school, places)
    organizer = make_user(session, Role.ORGANIZER, school)
    with app.app_context(), pytest.raises(services.RecordError, match="期满后反映的问题"):
        batches.raise_objection(session, notice, "", today(), "有问题", organizer, today())


def test_an_objection_is_neither_dated_in_the_future_nor_before_the_period(
    app, session, school, places
):
    _, notice, _ = _ended_notice(session, school, places)
    organizer = make_user(session, Role.ORGANIZER, school)
    with app.app_context():
        for raised_on, message in (
            (today() + timedelta(days=1), "不能晚于今天"),
            (notice.starts_on - timedelta(days=1), "不能早于"),
        ):
            with pytest.raises(services.RecordError, match=message):
                batches.raise_objection(
                    session, notice, "", raised_on, "有问题", organizer, today()
                )


def test_the_result_waits_for_the_end_of_the_period(app, session, school, places):
    candidate = _development_candidate(session, school, places)
    batch = _start(app, session, [candidate])
    with app.app_context(), pytest.raises(services.RecordError, match="期满后才能确认结果"):
        batches.conclude_batch(session, reread(session).get(PublicityBatch, batch.id), today())
    assert any("公示期未结束" in m for m in _blocking(app, session, candidate))


def test_the_posted_notices_are_one_per_place(app, session, school, places):
    first = _development_candidate(session, school, places, name="甲")
    second = _development_candidate(session, school, places, name="乙", level=Level.GRADUATE)
    batch = _start(app, session, [first, second])
    notices = batches.posted_notices(session, reread(session).get(PublicityBatch, batch.id))
    assert [(n.issuer, n.place) for n in notices] == [
        ("数理学院党总支", "数理学院"),
        ("数理学院党总支", "北区3号楼"),
        ("第一学区党总支", "第一学区"),
        ("第一学区党总支", "数理学院楼"),
    ]
    assert {p.name for n in notices for p in n.people} == {"甲", "乙"}
    assert notices[0].contact.person == "王老师"


def _passed_notice(candidate, places_, names):
    """A passed 公示 for becoming probationary at these places, ended a week ago."""
    candidate.publicity_notices.append(
        PublicityNotice(
            step=Step.BECOME_PROBATIONARY,
            places=places_,
            place_names=names,
            issuer="第一学区党总支",
            starts_on=today() - timedelta(days=20),
            ends_on=today() - timedelta(days=7),
            outcome=PublicityOutcome.PASSED,
        )
    )


def test_a_batch_completes_a_publicity_passed_at_one_place(app, session, school, places):
    candidate = _development_candidate(session, school, places)
    _passed_notice(candidate, ["学区"], ["第一学区"])
    session.commit()
    assert any("学院楼栋（未公示）" in m for m in _blocking(app, session, candidate))
    assert batches.needs_publicity(candidate, Step.BECOME_PROBATIONARY)
    batch = _start(app, session, [reread(session).get(Candidate, candidate.id)])
    [notice] = reread(session).get(PublicityBatch, batch.id).notices
    assert notice.places == ["学院楼栋"] and notice.place_names == ["数理学院楼"]


def test_a_publicity_passed_at_every_place_is_refused(app, session, school, places):
    candidate = _development_candidate(session, school, places)
    _passed_notice(candidate, ["学区", "学院楼栋"], ["第一学区", "数理学院楼"])
    session.commit()
    assert not batches.needs_publicity(candidate, Step.BECOME_PROBATIONARY)
    with pytest.raises(batches.BatchRefused, match="已有“接收为预备党员”的公示"):
        _start(app, session, [reread(session).get(Candidate, candidate.id)])


def _ended_batch(session, school, places, names):
    """Candidates in one batch whose 公示 ran from ten days ago to three days ago."""
    batch = PublicityBatch(
        party_school_id=school.id,
        step=Step.BECOME_PROBATIONARY,
        starts_on=today() - timedelta(days=10),
        ends_on=today() - timedelta(days=3),
        contact_person="王老师",
        contact_phone="86598000",
    )
    session.add(batch)
    notices = []
    for name in names:
        candidate = _development_candidate(session, school, places, name=name)
        notice = PublicityNotice(
            step=Step.BECOME_PROBATIONARY,
            places=["学区", "学院楼栋"],
            place_names=["第一学区", "数理学院楼"],
            issuer="第一学区党总支",
            starts_on=batch.starts_on,
            ends_on=batch.ends_on,
        )
        candidate.publicity_notices.append(notice)
        batch.notices.append(notice)
        notices.append(notice)
    session.commit()
    return batch, notices


def test_the_result_counts_every_passed_and_failed_notice_once(app, session, school, places):
    batch, notices = _ended_batch(session, school, places, ["甲", "乙", "丙"])
    organizer = make_user(session, Role.ORGANIZER, school)
    raised_on = today() - timedelta(days=5)
    with app.app_context():
        for notice, finding in zip(
            notices, [ObjectionFinding.SUBSTANTIATED, ObjectionFinding.UNFOUNDED], strict=False
        ):
            objection = batches.raise_objection(
                session, notice, "", raised_on, "有问题", organizer, today()
            )
            batches.resolve_objection(
                session, objection, finding, "已核查", today(), organizer, today()
            )
        counts = batches.conclude_batch(session, batch, today())
        assert counts == {"passed": 2, "failed": 1}
        session.commit()
        with pytest.raises(services.RecordError, match="已经确认"):
            batches.conclude_batch(session, reread(session).get(PublicityBatch, batch.id), today())
    outcomes = [reread(session).get(PublicityNotice, n.id).outcome for n in notices]
    assert outcomes == [PublicityOutcome.FAILED, PublicityOutcome.PASSED, PublicityOutcome.PASSED]
