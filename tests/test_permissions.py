"""Walk every route of the app for every role.

Fails when a route declares no access rule, when a role reaches a route its rule refuses,
and when a user of one branch school can read or change another branch school's records.
New routes with URL parameters need an entry in FOREIGN_IDS, so they are walked too.
"""

import io
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses.models import Attachment, Enrolment, ReadingReport, TrainingClass
from exams.models import (
    Answer,
    Attempt,
    Exam,
    LateAnswer,
    QuestionBank,
)
from exams.questions import QuestionData, QuestionType, to_json
from partyschool.access import rule_for
from partyschool.accounts.models import Notification, Role, User
from partyschool.candidates.archive.models import Material, MaterialKind
from partyschool.candidates.models import (
    Candidate,
    PublicityBatch,
    PublicityNotice,
    PublicityObjection,
    TrainingRecord,
    Veto,
    VolunteerLog,
)
from partyschool.candidates.plans.models import DevelopmentPlan, DevelopmentPlanMonth
from partyschool.candidates.reports.models import ThoughtReport
from partyschool.candidates.rules import Level, Step, VetoHolder
from partyschool.candidates.twoway.models import TwoWayEvaluation, TwoWayFile
from partyschool.certificates.models import Certificate
from partyschool.extensions import db, today, utcnow
from partyschool.organization.models import (
    Building,
    College,
    District,
    PartySchool,
    Room,
    SchoolKind,
)
from tests.factories import (
    make_attempt,
    make_bank,
    make_branch_school,
    make_candidate,
    make_class,
    make_course,
    make_enrolment,
    make_exam,
    make_paper,
    make_user,
    reread,
    school_level,
)

MARKER = "甲校机密"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class World:
    """Two branch schools with a user of every role in each, and the school level."""

    school_a: PartySchool
    school_b: PartySchool
    users_a: dict[Role, User]
    users_b: dict[Role, User]
    school_admin: User
    candidate_a: Candidate
    room_a: Room
    class_a: TrainingClass
    enrolment_a: Enrolment
    report_a: ReadingReport
    attachment_a: Attachment
    bank_a: QuestionBank
    exam_a: Exam
    attempt_a: Attempt
    certificate_a: Certificate
    notification_a: Notification
    plan_a: DevelopmentPlan
    two_way_file_a: TwoWayFile
    material_a: Material
    batch_a: PublicityBatch | None = None
    objection_a: PublicityObjection | None = None
    college: College | None = None


@pytest.fixture
def world(session) -> World:
    top = school_level(session)
    school_a = make_branch_school(session, code="a", name=f"{MARKER}分党校")
    school_b = make_branch_school(session, code="b", name="乙分党校", kind=SchoolKind.GRADUATE)
    branch_roles = [r for r in Role if r is not Role.SCHOOL_ADMIN]
    users_a = {
        r: make_user(session, r, school_a, username=f"a_{r}", display_name=f"{MARKER}{r.label}")
        for r in branch_roles
    }
    users_b = {r: make_user(session, r, school_b, username=f"b_{r}") for r in branch_roles}
    admin = make_user(session, Role.SCHOOL_ADMIN, top, username="top_admin")
    room_a = Room(building=Building(name=f"{MARKER}楼", party_school=school_a), number="101")
    candidate_a = make_candidate(
        session, school_a, name=f"{MARKER}学生", user=users_a[Role.ACTIVIST], room=room_a
    )
    candidate_a.vetoes.append(
        Veto(holder=VetoHolder.COLLEGE, holder_name=MARKER, reason=MARKER, decided_on=today())
    )
    candidate_a.volunteer_logs.append(
        VolunteerLog(activity=MARKER, hours=Decimal(2), served_on=today())
    )
    candidate_a.trainings.append(
        TrainingRecord(
            target_stage="activist",
            class_name=MARKER,
            completed_on=today(),
            issuing_body=MARKER,
            evidence=MARKER,
            evidence_file="e" * 32 + ".pdf",
        )
    )
    course_a = make_course(session, school_a, title=f"{MARKER}课程")
    class_a = make_class(session, course_a, name=f"{MARKER}培训班")
    enrolment_a = make_enrolment(session, class_a, candidate_a)
    report_a = ReadingReport(enrolment=enrolment_a, text=MARKER * 10, signature=[])
    attachment_a = Attachment(
        original_name=f"{MARKER}.pdf",
        stored_name="a" * 32 + ".pdf",
        content_type="application/pdf",
        size=10,
    )
    course_a.lessons[0].attachments.append(attachment_a)
    session.add(report_a)
    exam_objects = make_exam_world(session, school_a, class_a, enrolment_a)
    certificate_a = make_certificate(session, enrolment_a)
    notification_a = Notification(user_id=users_a[Role.ACTIVIST].id, text=MARKER, url="/")
    session.add(notification_a)
    candidate_a.thought_reports.append(
        ThoughtReport(
            title=MARKER,
            body=MARKER,
            submitted_on=today(),
            stored_name="t" * 32 + ".pdf",
            original_name=f"{MARKER}.pdf",
        )
    )
    material_a = make_material(session, candidate_a, MARKER)
    plan_a, two_way_file_a = make_plan_world(session, school_a, candidate_a)
    batch_a, objection_a, college = make_publicity_world(session, school_a, candidate_a)
    session.commit()
    world = World(
        school_a,
        school_b,
        users_a,
        users_b,
        admin,
        candidate_a,
        room_a,
        class_a,
        enrolment_a,
        report_a,
        attachment_a,
        *exam_objects,
        certificate_a,
        notification_a,
        plan_a,
        two_way_file_a,
        material_a,
    )
    world.batch_a, world.objection_a, world.college = batch_a, objection_a, college
    return world


def make_publicity_world(session, school, candidate):
    """A 公示 batch of branch A naming its candidate, with an unresolved objection; a college."""
    # Colleges are the whole university's, shown to every branch: no marker in them.
    college = College(code="law", name="法学院", notice_building="法学楼")
    batch = PublicityBatch(
        party_school_id=school.id,
        step=Step.BECOME_PROBATIONARY,
        starts_on=today(),
        ends_on=today() + timedelta(days=6),
        contact_person=MARKER,
        contact_phone="86598000",
    )
    notice = PublicityNotice(
        batch=batch,
        step=Step.BECOME_PROBATIONARY,
        places=["学区"],
        place_names=[f"{MARKER}学区"],
        issuer=f"{MARKER}党总支",
        starts_on=batch.starts_on,
        ends_on=batch.ends_on,
        has_unresolved_objection=True,
    )
    candidate.publicity_notices.append(notice)
    objection = PublicityObjection(
        candidate_id=candidate.id, raised_on=today(), content=MARKER, raised_by=MARKER
    )
    notice.raised_objections.append(objection)
    session.add_all([college, batch])
    session.flush()
    return batch, objection, college


def make_plan_world(session, school, candidate):
    """School A's development plan for this year and a 双向培养 file of its candidate."""
    plan = DevelopmentPlan(
        party_school_id=school.id, year=today().year, activists=7, candidates=5, members=3
    )
    plan.note = MARKER
    plan.months.append(DevelopmentPlanMonth(month=1, activists=7, candidates=5, members=3))
    two_way_file = TwoWayFile(
        candidate=candidate, direction="to_member", mentor=MARKER, goals=MARKER, started_on=today()
    )
    two_way_file.evaluations.append(
        TwoWayEvaluation(
            year=today().year,
            grade="good",
            evaluation=MARKER,
            evaluator=MARKER,
            evaluated_on=today(),
        )
    )
    session.add_all([plan, two_way_file])
    session.flush()
    return plan, two_way_file


def make_material(session, candidate, marker: str) -> Material:
    """An uploaded document of the candidate's archive (its file is irrelevant here)."""
    material = Material(
        candidate_id=candidate.id,
        kind=MaterialKind.APPLICATION,
        title=marker,
        original_name=f"{marker}.pdf",
        stored_name="m" * 32 + ".pdf",
        content_type="application/pdf",
        size=10,
    )
    session.add(material)
    session.flush()
    return material


def make_certificate(session, enrolment) -> Certificate:
    """A certificate of branch school A (its PDF is irrelevant here)."""
    certificate = Certificate(
        serial="2026-A-001-0001",
        verification_code="code-a",
        enrolment=enrolment,
        training_class=enrolment.training_class,
        candidate_id=enrolment.candidate_id,
        party_school_id=enrolment.training_class.party_school_id,
        snapshot={
            "name": MARKER,
            "student_no": MARKER,
            "class_title": MARKER,
            "hours": "24",
            "issued_on": today().isoformat(),
        },
        pdf=b"%PDF-1.7 " + MARKER.encode(),
    )
    session.add(certificate)
    session.flush()
    return certificate


def make_exam_world(session, school, training_class, enrolment):
    """A bank, a paper, an exam and a submitted attempt with an essay answer, all of school A."""
    question = QuestionData(
        type=QuestionType.ESSAY, stem=f"{MARKER}论述题", answer="", category=MARKER
    )
    bank = make_bank(session, school, [question], name=f"{MARKER}题库")
    [row] = bank.questions
    paper = make_paper(session, school, [row], title=f"{MARKER}试卷", points=10)
    exam = make_exam(session, training_class, paper, title=f"{MARKER}考试", pass_mark=Decimal(6))
    item = {"question_id": row.id, "revision": 1, "points": "10", "order": []}
    attempt = make_attempt(
        session,
        exam,
        enrolment,
        items=[item | {"data": to_json(question)}],
        max_score=Decimal(10),
        score=None,
        is_fully_graded=False,
    )
    attempt.answers.append(Answer(question_id=row.id, response=MARKER))
    attempt.late_answers.append(
        LateAnswer(question_id=row.id, response=MARKER, received_at=utcnow())
    )
    session.flush()
    return bank, exam, attempt


# URL parameter name -> the id of a record that belongs to branch school A.
FOREIGN_IDS = {
    "user_id": lambda w: w.users_a[Role.ACTIVIST].id,
    "school_id": lambda w: w.school_a.id,
    "filename": lambda w: "css/site.css",
    "candidate_id": lambda w: w.candidate_a.id,
    "student_no": lambda w: w.candidate_a.student_no,
    "kind": lambda w: "veto",
    "veto_id": lambda w: w.candidate_a.vetoes[0].id,
    "fact_id": lambda w: w.candidate_a.vetoes[0].id,
    "log_id": lambda w: w.candidate_a.volunteer_logs[0].id,
    "record_id": lambda w: w.candidate_a.trainings[0].id,
    "room_id": lambda w: w.room_a.id,
    "course_id": lambda w: w.class_a.course_id,
    "lesson_id": lambda w: w.class_a.course.lessons[0].id,
    "class_id": lambda w: w.class_a.id,
    "lecture_id": lambda w: w.class_a.lectures[0].id,
    "enrolment_id": lambda w: w.enrolment_a.id,
    "report_id": lambda w: w.report_a.id,
    "attachment_id": lambda w: w.attachment_a.id,
    "exam_id": lambda w: w.exam_a.id,
    "attempt_id": lambda w: w.attempt_a.id,
    "question_id": lambda w: w.attempt_a.answers[0].question_id,
    "answer_id": lambda w: w.attempt_a.answers[0].id,
    "late_id": lambda w: w.attempt_a.late_answers[0].id,
    "bank_id": lambda w: w.bank_a.id,
    "paper_id": lambda w: w.exam_a.paper_id,
    "serial": lambda w: w.certificate_a.serial,
    "certificate_id": lambda w: w.certificate_a.id,
    "notification_id": lambda w: w.notification_a.id,
    "thought_report_id": lambda w: w.candidate_a.thought_reports[0].id,
    "material_id": lambda w: w.material_a.id,
    "year": lambda w: w.plan_a.year,
    "file_id": lambda w: w.two_way_file_a.id,
    "evaluation_id": lambda w: w.two_way_file_a.evaluations[0].id,
    "batch_id": lambda w: w.batch_a.id,
    "objection_id": lambda w: w.objection_a.id,
    "college_id": lambda w: w.college.id,
}


def routes(app):
    """Every (rule, method) the app serves, except HEAD and OPTIONS."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def path_arguments(rule) -> set[str]:
    """The URL parameters in the rule's path (not those given by defaults)."""
    return set(rule.arguments) - set(rule.defaults or {})


def url_for_rule(rule, world: World, ids=FOREIGN_IDS) -> str:
    """The rule's URL with every parameter pointing at a record of branch school A."""
    missing = path_arguments(rule) - ids.keys()
    assert not missing, f"{rule.rule}: add {missing} to FOREIGN_IDS"
    values = {name: ids[name](world) for name in path_arguments(rule)}
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<path:{name}>", str(value))
        path = path.replace(f"<{name}>", str(value))
    return path


def request(client, method: str, path: str, world: World):
    """Send a request as a page of the site would, with a CSRF token and hostile data."""
    response = send(client, method, path, world)
    response.get_data()  # buffer it, so closing the file-backed body loses nothing
    response.close()
    return response


def send(client, method: str, path: str, world: World):
    """The request itself."""
    if method == "GET":
        return client.get(path)
    data = {
        "csrf_token": client.csrf_token("/"),
        "party_school": world.school_a.id,
        "username": "intruder",
        "display_name": "入侵者",
        "role": Role.SCHOOL_ADMIN.value,
        "password": "intruder-password",
        "code": "intruder",
        "name": "入侵",
        "kind": "district",
        "holder": "college",
        "holder_name": "入侵者",
        "reason": "入侵",
        "decided_on": today().isoformat(),
        "lifted_on": today().isoformat(),
        "lift_reason": "入侵",
        "decision": "approved",
        "on": today().isoformat(),
        "override_reason": "入侵",
        "term": "2025-2026-1",
        "grade": "dirty",
        "is_academic_ok": "",
        "activity": "入侵",
        "hours": "5",
        "served_on": today().isoformat(),
        "step": "become_probationary",
        "candidate_ids": str(world.candidate_a.id),
        "starts_on": today().isoformat(),
        "ends_on": (today() + timedelta(days=6)).isoformat(),
        "contact_person": "入侵者",
        "contact_phone": "12345678",
        "notice_id": world.batch_a.notices[0].id,
        "raised_on": today().isoformat(),
        "content": "入侵",
        "finding": "substantiated",
        "finding_note": "入侵",
        "resolved_on": today().isoformat(),
        "notice_building": "入侵楼",
    }
    if path.startswith("/api/"):
        return client.open(
            path, method=method, json=data, headers={"X-CSRFToken": data["csrf_token"]}
        )
    return client.open(path, method=method, data=data)


# Columns a read may legitimately change: caches re-judged on the day, sign-in bookkeeping.
DERIVED = {
    "users": {"last_login_at"},
    "candidates": {
        "evaluated_on",
        "evaluated_ruleset",
        "next_step",
        "is_blocked",
        "blocking_summary",
    },
}
# Tables that only grow with whatever anyone does (their rows name who did it).
LOGS = {"audit_events", "api_tokens"}
# A new row pointing at one of branch A's records through these columns is a cross-branch write.
A_REFERENCES = {
    "party_school_id": lambda w: {w.school_a.id},
    "candidate_id": lambda w: {w.candidate_a.id},
    "class_id": lambda w: {w.class_a.id},
    "enrolment_id": lambda w: {w.enrolment_a.id},
    "exam_id": lambda w: {w.exam_a.id},
    "attempt_id": lambda w: {w.attempt_a.id},
    "bank_id": lambda w: {w.bank_a.id},
    "plan_id": lambda w: {w.plan_a.id},
    "file_id": lambda w: {w.two_way_file_a.id},
}


def snapshot(session) -> dict[tuple[str, tuple], tuple]:
    """Every row of every table (but logs), keyed by table and primary key."""
    reread(session)
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in LOGS:
            continue
        columns = [c for c in table.columns if c.name not in DERIVED.get(table.name, ())]
        keys = [c.name for c in table.primary_key.columns]
        for row in session.execute(select(*columns)).mappings():
            rows[(table.name, tuple(row[k] for k in keys))] = dict(row)
    return rows


def cross_branch_writes(before: dict, after: dict, world: World) -> list[str]:
    """Rows that changed or vanished, and new rows that point at branch A's records."""
    problems = [f"{key} changed" for key, row in before.items() if after.get(key) != row]
    a_ids = {column: ids(world) for column, ids in A_REFERENCES.items()}
    for key, row in after.items():
        if key in before:
            continue
        hits = [c for c, ids in a_ids.items() if row.get(c) in ids]
        if hits:
            problems.append(f"{key} created pointing at branch A through {hits}")
    return problems


def visible_text(response) -> str:
    """What a person would read in the response: pages, JSON, spreadsheets and PDFs alike."""
    data = response.get_data()
    if response.mimetype == "application/pdf":
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True)
        # The world's certificate is a stand-in, not a real PDF: read its bytes then.
        return text.stdout.decode() if text.returncode == 0 else data.decode(errors="replace")
    if response.mimetype.endswith("spreadsheetml.sheet"):
        with zipfile.ZipFile(io.BytesIO(data)) as workbook:
            return "".join(workbook.read(name).decode() for name in workbook.namelist())
    return data.decode(errors="replace")  # binary downloads (attachments) too


def test_every_route_declares_an_access_rule(app):
    undeclared = [r.endpoint for r in app.url_map.iter_rules() if rule_for(app, r.endpoint) is None]
    assert undeclared == []


def test_an_undeclared_route_is_denied():
    from partyschool.app.factory import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    response = app.test_client().get("/forgotten")
    assert response.status_code == 403
    assert b"secret" not in response.data


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r or "anonymous")
def test_each_role_reaches_only_what_its_rules_admit(app, client, world, role):
    if role is not None:
        user = world.school_admin if role is Role.SCHOOL_ADMIN else world.users_b[role]
        assert client.login(user.username).status_code == 302
    for rule, method in routes(app):
        if rule.endpoint in ("accounts.logout", "accounts.login"):
            continue  # these change who is signed in; tested in tests/accounts
        access = rule_for(app, rule.endpoint)
        response = request(client, method, url_for_rule(rule, world), world)
        where = f"{method} {rule.rule} as {role}"
        assert response.status_code < 500, where
        if role is None and not access.is_public:
            assert response.status_code in (302, 401), where
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), where
        elif role is not None and access.roles and role not in access.roles:
            assert response.status_code == 403, where
        else:
            assert response.status_code != 403, where


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.SCHOOL_ADMIN])
def test_another_branch_can_neither_read_nor_change(app, client, session, world, role):
    before = snapshot(session)
    assert client.login(world.users_b[role].username).status_code == 302
    for rule, method in routes(app):
        if rule.endpoint == "accounts.logout" or rule_for(app, rule.endpoint).is_public:
            continue  # public routes (certificate verification) show anyone what they show
        path = url_for_rule(rule, world)
        response = request(client, method, path, world)
        where = f"{method} {path} as {role} of branch B"
        assert MARKER not in visible_text(response), where
        if path_arguments(rule) and method == "GET":
            assert response.status_code in (403, 404), where
    assert cross_branch_writes(before, snapshot(session), world) == []


def test_school_admin_sees_every_branch(client, world):
    client.login(world.school_admin.username)
    page = client.get("/admin/users").get_data(as_text=True)
    assert MARKER in page and "b_activist" in page


# A graduate student of branch B living in a building of branch A's district: branch A's
# organizers review the student's materials (seed 000 §4) and see nothing else of the file.
GRADUATE_MARKER = "乙校研究生机密"
DISTRICT_REVIEW = {"materials.index", "materials.check", "materials.download", "materials.district"}


@pytest.fixture
def graduate(session, world) -> Candidate:
    """The graduate student, with one document in the archive."""
    district = District(code="da", name="甲学区", party_school=world.school_a)
    building = Building(name="研究生公寓甲幢", party_school=world.school_b, district=district)
    student = make_candidate(
        session,
        world.school_b,
        name=f"{GRADUATE_MARKER}学生",
        level=Level.GRADUATE,
        room=Room(building=building, number="501"),
        academic_standing=GRADUATE_MARKER,
    )
    student.vetoes.append(
        Veto(
            holder=VetoHolder.APARTMENT,
            holder_name=GRADUATE_MARKER,
            reason=GRADUATE_MARKER,
            decided_on=today(),
        )
    )
    make_material(session, student, GRADUATE_MARKER)
    session.commit()
    return student


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.SCHOOL_ADMIN])
def test_the_district_reviews_graduate_materials_and_sees_nothing_else(
    app, client, session, world, graduate, role
):
    material = session.scalar(select(Material).where(Material.candidate_id == graduate.id))
    graduates = {
        "candidate_id": lambda w: graduate.id,
        "student_no": lambda w: graduate.student_no,
        "material_id": lambda w: material.id,
        "veto_id": lambda w: graduate.vetoes[0].id,
        "fact_id": lambda w: graduate.vetoes[0].id,
    }
    ids = FOREIGN_IDS | graduates
    allowed = DISTRICT_REVIEW if role is Role.ORGANIZER else set()
    before = graduates_rows(session, graduate)
    assert client.login(world.users_a[role].username).status_code == 302
    reached = set()
    for rule, method in routes(app):
        if rule.endpoint == "accounts.logout" or rule_for(app, rule.endpoint).is_public:
            continue
        path = url_for_rule(rule, world, ids)
        response = request(client, method, path, world)
        where = f"{method} {path} as {role} of the district"
        if rule.endpoint in allowed:
            if method == "GET" and GRADUATE_MARKER in visible_text(response):
                reached.add(rule.endpoint)
            continue
        assert GRADUATE_MARKER not in visible_text(response), where
        if graduates.keys() & path_arguments(rule) and method == "GET":
            assert response.status_code in (403, 404), where
    # The organizer reads the list and the materials page; the file itself is not on disk here.
    assert reached == ({"materials.index", "materials.district"} if allowed else set())
    # Branch A's own records may change as its people work; the graduate's file may not.
    assert graduates_rows(session, graduate) == before


def graduates_rows(session, graduate) -> dict:
    """Every row of the graduate's file: the record and every row naming it."""
    return {
        key: row
        for key, row in snapshot(session).items()
        if key == ("candidates", (graduate.id,)) or row.get("candidate_id") == graduate.id
    }
