"""Demo candidates: every stage, and an eligible and a blocked case of each main rule.

Dates count back from today, so the demo tells the same story whenever it is loaded.
"""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool.accounts.models import Role, User
from partyschool.audit import acting_as
from partyschool.candidates import publicity_batches, services
from partyschool.candidates.models import (
    Candidate,
    ContactKind,
    DormRating,
    ReviewKind,
    StageChange,
    TrainingRecord,
)
from partyschool.candidates.reports import services as reports
from partyschool.candidates.rules import (
    DormGrade,
    ExperienceKind,
    Level,
    PublicityOutcome,
    Stage,
    Step,
    VetoHolder,
    add_months,
    half_year_bounds,
    half_year_of,
)
from partyschool.organization.models import Building, College, PartySchool, Room

ALL_EXPERIENCES = tuple(ExperienceKind)
UNDERGRADUATE_PLACES = ["学区", "学院楼栋"]
DEMO_SOURCE = "演示数据"

# student no, name, school, level, college, class, (building, room), stage, days in stage,
# and the facts that make the case.
CASES = (
    (
        "2023010101",
        "张三",
        "district1",
        Level.UNDERGRADUATE,
        "cs",
        "计科2301",
        ("北区1号楼", "101"),
        Stage.ACTIVIST,
        200,
        {
            "user": "activist",
            "experiences": (ExperienceKind.VOLUNTEER,),
            "league": True,
            # The demo teacher is the contact; a quarter's thought report and a 考察 are missing.
            "contact": "teacher",
            "reports": "some",
        },
    ),
    (
        "2024010102",
        "李四",
        "district1",
        Level.UNDERGRADUATE,
        "cs",
        "计科2401",
        ("北区1号楼", "101"),
        Stage.APPLICANT,
        60,
        {},
    ),
    (
        "2022010103",
        "王五",
        "district1",
        Level.UNDERGRADUATE,
        "humanities",
        "汉语言2201",
        ("北区1号楼", "201"),
        Stage.ACTIVIST,
        500,
        {
            "experiences": ALL_EXPERIENCES,
            "trainings": (Stage.ACTIVIST,),
            "league": True,
            "reports": "all",
        },
    ),
    (
        "2022010104",
        "赵六",
        "district1",
        Level.UNDERGRADUATE,
        "humanities",
        "汉语言2201",
        ("北区1号楼", "102"),
        Stage.ACTIVIST,
        500,
        {"experiences": ALL_EXPERIENCES, "trainings": (Stage.ACTIVIST,), "reports": "all"},
    ),
    (
        "2022010105",
        "钱七",
        "district1",
        Level.UNDERGRADUATE,
        "cs",
        "计科2201",
        ("北区2号楼", "101"),
        Stage.ACTIVIST,
        520,
        {
            "experiences": ALL_EXPERIENCES,
            "trainings": (Stage.ACTIVIST,),
            "veto": VetoHolder.COLLEGE,
            "reports": "all",
        },
    ),
    (
        "2021010106",
        "孙八",
        "district1",
        Level.UNDERGRADUATE,
        "cs",
        "计科2101",
        ("北区2号楼", "102"),
        Stage.CANDIDATE,
        200,
        {
            "experiences": ALL_EXPERIENCES,
            "trainings": (Stage.ACTIVIST, Stage.CANDIDATE),
            "reviews": True,
            "publicity": (Step.BECOME_PROBATIONARY, UNDERGRADUATE_PLACES),
        },
    ),
    # 发展对象 who meet every rule but the 公示, publicized together below (PUBLICIZED).
    (
        "2021010111",
        "郭晓",
        "district1",
        Level.UNDERGRADUATE,
        "cs",
        "计科2102",
        ("北区2号楼", "101"),
        Stage.CANDIDATE,
        210,
        {
            "experiences": ALL_EXPERIENCES,
            "trainings": (Stage.ACTIVIST, Stage.CANDIDATE),
            "reviews": True,
        },
    ),
    (
        "2021010112",
        "邓䶮",
        "district1",
        Level.UNDERGRADUATE,
        "humanities",
        "汉语言2102",
        ("北区1号楼", "201"),
        Stage.CANDIDATE,
        210,
        {
            "experiences": ALL_EXPERIENCES,
            "trainings": (Stage.ACTIVIST, Stage.CANDIDATE),
            "reviews": True,
        },
    ),
    (
        "2021010107",
        "周九",
        "district1",
        Level.UNDERGRADUATE,
        "humanities",
        "汉语言2101",
        ("北区2号楼", "201"),
        Stage.CANDIDATE,
        200,
        {
            "experiences": ALL_EXPERIENCES,
            "trainings": (Stage.ACTIVIST, Stage.CANDIDATE),
            "reviews": True,
            "publicity": (Step.BECOME_PROBATIONARY, ["学区"]),
        },
    ),
    (
        "2021010108",
        "吴十",
        "district1",
        Level.UNDERGRADUATE,
        "cs",
        "计科2101",
        ("北区1号楼", "202"),
        Stage.PROBATIONARY,
        400,
        {"hours": (Decimal(32), Decimal(10)), "publicity": (Step.CONFIRM, UNDERGRADUATE_PLACES)},
    ),
    (
        "2020010109",
        "郑一",
        "district1",
        Level.UNDERGRADUATE,
        "humanities",
        "汉语言2001",
        ("北区1号楼", "202"),
        Stage.PROBATIONARY,
        380,
        {"hours": (Decimal(56), Decimal(0)), "publicity": (Step.CONFIRM, UNDERGRADUATE_PLACES)},
    ),
    (
        "2019010110",
        "冯二",
        "district1",
        Level.UNDERGRADUATE,
        "cs",
        "计科1901",
        None,
        Stage.MEMBER,
        300,
        {},
    ),
    (
        "2023020201",
        "何静",
        "district2",
        Level.UNDERGRADUATE,
        "math",
        "数学2301",
        ("南区5号楼", "301"),
        Stage.ACTIVIST,
        100,
        {},
    ),
    (
        "2024100301",
        "陈研",
        "graduate",
        Level.GRADUATE,
        "cs",
        "计算机研2401",
        ("研究生公寓A幢", "501"),
        Stage.ACTIVIST,
        420,
        {
            "experiences": ALL_EXPERIENCES,
            "trainings": (Stage.ACTIVIST,),
            "veto": VetoHolder.APARTMENT,
            "reports": "all",
        },
    ),
    (
        "2024100302",
        "林研",
        "graduate",
        Level.GRADUATE,
        "cs",
        "计算机研2401",
        ("研究生公寓A幢", "502"),
        Stage.ACTIVIST,
        420,
        {"experiences": ALL_EXPERIENCES, "trainings": (Stage.ACTIVIST,), "reports": "all"},
    ),
    (  # admitted this year: the graduate branch's plan shows progress; a 双向培养 file
        "2023100303",
        "周研",
        "graduate",
        Level.GRADUATE,
        "cs",
        "计算机研2301",
        ("研究生公寓A幢", "601"),
        Stage.PROBATIONARY,
        20,
        {},
    ),
)
# A 公示 running from the day the demo is loaded, with an objection awaiting its finding.
PUBLICIZED = ("2021010111", "2021010112")
PUBLICITY_CONTACT = publicity_batches.ObjectionContact("李组织员", "0577-86598000")
DIRTY_ROOM = ("北区1号楼", "102")
OUTSTANDING_ROOM = ("北区1号楼", "201")


def _room(session: Session, school: PartySchool, where: tuple[str, str] | None) -> Room | None:
    if where is None:
        return None
    building, number = where
    return session.scalar(
        select(Room)
        .join(Building)
        .where(
            Building.party_school_id == school.id, Building.name == building, Room.number == number
        )
    )


def _rate(session: Session, room: Room, grade: DormGrade, term: str) -> None:
    if session.scalar(select(DormRating).where(DormRating.room == room, DormRating.term == term)):
        return
    session.add(DormRating(room=room, term=term, grade=grade, note="示例评定"))


def seed(session: Session, schools: dict[str, PartySchool], users: dict[str, User], on: date):
    """Create the demo candidates (skipping those that exist) and store their standing, in the
    demo organizer's name."""
    with acting_as(users["organizer"].id):
        return _seed(session, schools, users, on)


def _seed(session: Session, schools: dict[str, PartySchool], users: dict[str, User], on: date):
    colleges = {c.code: c for c in session.scalars(select(College))}
    organizer = users["organizer"]
    term = f"{on.year - 1}-{on.year}-2" if on.month < 9 else f"{on.year}-{on.year + 1}-1"
    _rate(session, _room(session, schools["district1"], DIRTY_ROOM), DormGrade.DIRTY, term)
    _rate(
        session, _room(session, schools["district1"], OUTSTANDING_ROOM), DormGrade.OUTSTANDING, term
    )
    created = []
    for student_no, name, school, level, college, class_name, where, stage, days, facts in CASES:
        if session.scalar(select(Candidate.id).where(Candidate.student_no == student_no)):
            continue
        since = on - timedelta(days=days)
        candidate = Candidate(
            student_no=student_no,
            name=name,
            party_school=schools[school],
            level=level,
            college=colleges[college],
            class_name=class_name,
            major=class_name.rstrip("0123456789"),
            grade=int("20" + class_name[-4:-2]) if class_name[-4:].isdigit() else None,
            room=_room(session, schools[school], where),
            stage=stage,
            user=users.get(facts.get("user", "")),
            is_league_member=facts.get("league", False),
            league_recommended_on=since - timedelta(days=30) if facts.get("league") else None,
            is_academic_ok=facts.get("academic_ok", True),
        )
        ladder = list(Stage)[: list(Stage).index(stage) + 1]
        for rank, reached in enumerate(ladder):
            entered = since - timedelta(days=365 * (len(ladder) - 1 - rank))
            # The demo's histories were reached before the platform: migrated, and marked so.
            candidate.stage_changes.append(
                StageChange(
                    stage=reached,
                    entered_on=entered,
                    recorded_by=organizer,
                    is_migrated=True,
                    source_file=DEMO_SOURCE,
                )
            )
        session.add(candidate)
        session.flush()
        _add_facts(session, candidate, facts, since, on, organizer)
        if kind := facts.get("reports"):
            writer = users.get(facts.get("contact", "")) or (
                users["grad_organizer"] if school == "graduate" else organizer
            )
            _add_reports(session, candidate, kind == "all", since, on, writer)
        created.append(candidate)
    session.flush()
    services.refresh(session, created, on)
    _publicize(session, [c for c in created if c.student_no in PUBLICIZED], organizer, on)
    return created


def _publicize(session: Session, candidates: list[Candidate], organizer: User, on: date) -> None:
    """Start the demo's running 公示 through its door, and record an objection raised today."""
    if len(candidates) != len(PUBLICIZED):
        return  # loaded before: the batch exists
    batch = publicity_batches.start_batch(
        session,
        candidates,
        Step.BECOME_PROBATIONARY,
        on,
        on + timedelta(days=6),
        PUBLICITY_CONTACT,
        organizer,
        on,
    )
    [notice] = [n for n in batch.notices if n.candidate_id == candidates[-1].id]
    publicity_batches.raise_objection(
        session, notice, "", on, "反映该同志所在寝室近期卫生检查不合格，请核实", organizer, on
    )


def _add_facts(
    session: Session, candidate: Candidate, facts: dict, since: date, on: date, organizer: User
) -> None:
    """The example facts, recorded through the record's one door (dates checked, audited)."""

    def record(fact: str, actor: User = organizer, **values) -> None:
        services.record_fact(session, candidate, fact, values, actor, on)

    def day(offset: int) -> date:
        return min(since + timedelta(days=offset), on)

    for kind in facts.get("experiences", ()):
        record(
            "experience",
            kind=kind,
            description="示例经历",
            evidence="证明材料已存档",
            occurred_on=day(30),
            is_verified=True,
        )
    # Trainings completed before the platform: historical records, with what stands behind them.
    for target in facts.get("trainings", ()):
        label = "第35期入党积极分子培训班" if target is Stage.ACTIVIST else "第12期发展对象培训班"
        candidate.trainings.append(
            TrainingRecord(
                target_stage=target,
                class_name=label,
                completed_on=day(60 if target is Stage.ACTIVIST else 20),
                issuing_body="第一学区分党校（平台启用前）",
                evidence="结业证书原件已存档",
                recorded_by_id=organizer.id,
            )
        )
    if holder := facts.get("veto"):
        record(
            "veto",
            holder=holder,
            holder_name="学院党总支" if holder is VetoHolder.COLLEGE else "研究生公寓管理中心",
            reason="示例：近期有违纪记录，暂缓发展",
            decided_on=day(200),
        )
    if facts.get("reviews"):
        for kind in ReviewKind:
            record("review", kind=kind, is_passed=True, decided_on=day(40), note="")
        record("contact", kind=ContactKind.SPONSOR, person_name="王老师", assigned_on=since)
    if publicity := facts.get("publicity"):
        step, places = publicity
        ends_on = day(157)
        record(
            "publicity",
            step=step,
            places=places,
            starts_on=ends_on - timedelta(days=7),
            ends_on=ends_on,
            outcome=PublicityOutcome.PASSED,
        )
    approved, pending = facts.get("hours", (Decimal(0), Decimal(0)))
    if approved:
        record("volunteer", activity="社区志愿服务", hours=approved, served_on=day(90))
    if pending and candidate.user is not None:  # logged by the student, awaiting review
        record(
            "volunteer", candidate.user, activity="社区志愿服务", hours=pending, served_on=day(90)
        )


def _add_reports(
    session: Session, candidate: Candidate, complete: bool, since: date, on: date, writer: User
) -> None:
    """Thought reports handed in on paper each quarter since becoming an activist (all of them,
    or only the first quarter's), commented, and the half-yearly 考察 by the contact (the first
    two half-years, or only the first); through the reports' door."""
    if writer is not None and writer.role is not Role.ORGANIZER:
        services.record_fact(
            session,
            candidate,
            "contact",
            {
                "kind": ContactKind.CONTACT,
                "person_name": writer.display_name,
                "assigned_on": since,
                "user_id": writer.id,
            },
            writer,
            on,
        )
    quarter = 0
    while (day := add_months(since, 3 * quarter) + timedelta(days=10)) <= on:
        if complete or quarter == 0:
            report = reports.submit_report(
                session,
                candidate,
                writer,
                title=f"第{quarter + 1}季度思想汇报",
                body="通过学习党章和党史，我对党的性质和宗旨有了更深的认识，今后将在学习和生活中严格要求自己。",
                submitted_on=day,
                today=on,
            )
            if quarter == 0:
                reports.comment_report(
                    session, report, candidate, writer, "认识较深刻，望结合专业学习继续努力。"
                )
        quarter += 1
    period = half_year_of(since)
    for _ in range(2 if complete else 1):
        starts, ends = half_year_bounds(period)
        if starts > on:
            break
        reports.record_assessment(
            session,
            candidate,
            writer,
            period=period,
            written_on=max(min(ends, on), since),
            content="政治立场坚定，学习认真，积极参加志愿服务，群众基础较好。",
            today=on,
        )
        year, half = int(period[:4]), period[5:]
        period = f"{year}-2" if half == "1" else f"{year + 1}-1"
