"""The 双向培养 archive of graduate students (seed 002 §6): files with direction, mentor and
goals, evaluated once a year, kept only by the graduate branch and the school level."""

import io
import zipfile
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from partyschool.accounts.models import Role, User
from partyschool.audit import AuditEvent
from partyschool.candidates.models import Candidate
from partyschool.candidates.rules import Level, Stage
from partyschool.candidates.services import RecordError
from partyschool.candidates.twoway import services
from partyschool.candidates.twoway.models import TwoWayEvaluation, TwoWayFile
from partyschool.extensions import today
from tests.factories import make_branch_school, make_candidate, make_user, reread, school_level

RARE = "䶮𠮷㛃𪚥"
YEAR = today().year


@pytest.fixture
def graduate(session):
    """The graduate branch school with an organizer `gorg` and two graduate students."""
    school = make_branch_school(session, code="grad", name="研究生分党校", kind="graduate")
    make_user(session, Role.ORGANIZER, school, username="gorg")
    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    for number, stage in (("G001", Stage.ACTIVIST), ("G002", Stage.MEMBER)):
        make_candidate(
            session,
            school,
            student_no=number,
            name=f"研究生{number}",
            stage=stage,
            level=Level.GRADUATE,
        )
    session.commit()
    return school


def _open(client, student_no="G001", **fields):
    values = {
        "student_no": student_no,
        "direction": "to_member",
        "mentor": "王教授",
        "goals": "学业优秀，争取早日入党",
        "started_on": date(YEAR, 1, 5).isoformat(),
    } | fields
    return client.post("/twoway/new", values, follow_redirects=True)


def _evaluate(client, file_id, **fields):
    values = {
        "year": str(YEAR),
        "grade": "excellent",
        "evaluation": "科研进展顺利，思想积极",
        "evaluator": "研究生党总支",
        "evaluated_on": today().isoformat(),
    } | fields
    return client.post(f"/twoway/{file_id}", values, follow_redirects=True)


def _file(session, student_no="G001") -> TwoWayFile:
    return reread(session).scalar(
        select(TwoWayFile).where(TwoWayFile.candidate.has(student_no=student_no))
    )


def test_the_graduate_branch_opens_a_file_and_evaluates_it_each_year(client, session, graduate):
    client.login("gorg")
    page = _open(client).get_data(as_text=True)
    assert "已建立双向培养档案" in page and "培养成党员" in page and "王教授" in page
    file = _file(session)
    page = _evaluate(client, file.id).get_data(as_text=True)
    assert "已记录年度评价" in page and "科研进展顺利" in page
    assert "新增双向培养年度评价" in page and "新增双向培养档案" in page  # the timeline
    listing = client.get("/twoway/").get_data(as_text=True)
    assert "研究生G001" in listing and f"{YEAR}年" in listing and "优秀" in listing
    events = (
        reread(session)
        .scalars(select(AuditEvent.candidate_id).where(AuditEvent.table_name.like("two_way_%")))
        .all()
    )
    assert events == [file.candidate_id, file.candidate_id]


def test_the_direction_follows_whether_the_student_is_a_member(client, session, graduate):
    client.login("gorg")
    page = _open(client, direction="to_scholar").get_data(as_text=True)
    assert "“培养成学术骨干”针对党员学生（含预备党员），该生尚未入党" in page
    page = _open(client, "G002").get_data(as_text=True)
    assert "该生已是党员，培养方向应为“培养成学术骨干”" in page
    assert "已建立双向培养档案" in _open(client, "G002", direction="to_scholar").get_data(
        as_text=True
    )
    assert "该生已有双向培养档案" in _open(client, "G002", direction="to_scholar").get_data(
        as_text=True
    )
    assert session.scalar(select(func.count(TwoWayFile.id))) == 1


def test_a_year_is_evaluated_once_then_corrected_with_a_reason(client, session, graduate):
    client.login("gorg")
    _open(client)
    file = _file(session)
    _evaluate(client, file.id)
    page = _evaluate(client, file.id, grade="good").get_data(as_text=True)
    assert f"{YEAR}年度已有评价，如有错误请更正该评价" in page
    [evaluation] = _file(session).evaluations
    url = f"/twoway/{file.id}/evaluations/{evaluation.id}"
    values = {
        "year": str(YEAR),
        "grade": "good",
        "evaluation": "科研进展顺利",
        "evaluator": "研究生党总支",
        "evaluated_on": today().isoformat(),
    }
    assert "请填写更正原因" in client.post(url, values).get_data(as_text=True)
    client.post(url, values | {"change_reason": "等次录入有误"})
    event = (
        reread(session)
        .scalars(
            select(AuditEvent)
            .where(AuditEvent.table_name == "two_way_evaluations")
            .order_by(AuditEvent.id)
        )
        .all()[-1]
    )
    assert event.before["grade"] == "excellent" and event.after["grade"] == "good"
    assert event.reason == "等次录入有误"
    later = _evaluate(client, file.id, year=str(YEAR + 1)).get_data(as_text=True)
    assert f"评价年度须在建档年度（{YEAR}）至今年之间" in later


def test_the_database_holds_one_file_per_student_and_one_evaluation_per_year(session, graduate):
    student = make_candidate(session, graduate, level=Level.GRADUATE)
    file = TwoWayFile(
        candidate=student, direction="to_member", mentor="甲", goals="乙", started_on=today()
    )
    session.add(file)
    session.commit()
    for _ in range(2):
        file.evaluations.append(
            TwoWayEvaluation(
                year=YEAR, grade="good", evaluation="好", evaluator="丙", evaluated_on=today()
            )
        )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(
        TwoWayFile(
            candidate_id=student.id,
            direction="to_member",
            mentor="甲",
            goals="乙",
            started_on=today(),
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_district_branches_neither_see_nor_keep_files(app, client, session, graduate, school):
    district_student = make_candidate(session, school, student_no="D001")
    session.commit()
    client.login("gorg")
    _open(client)
    file = _file(session)
    district = type(client)(app)
    district.login("org")
    assert district.get("/twoway/").status_code == 404
    assert district.get(f"/twoway/{file.id}").status_code == 404
    assert district.get("/twoway/export.xlsx").status_code == 404
    assert _open(district, "D001").status_code == 404
    assert "双向培养" not in district.get("/").get_data(as_text=True)
    assert 'href="/twoway/"' not in district.get("/candidates/").get_data(as_text=True)
    assert "双向培养" in client.get("/").get_data(as_text=True)
    # Not even the school level opens a file for a district student.
    admin = reread(session).scalar(select(User).filter_by(username="top"))
    with pytest.raises(RecordError, match="只为研究生分党校的学生建立"):
        services.open_file(
            session,
            district_student,
            {"direction": "to_member", "mentor": "甲", "goals": "乙", "started_on": today()},
            admin,
            today(),
        )
    # A second graduate branch does not see the first's files.
    other = make_branch_school(session, kind="graduate")
    make_user(session, Role.ORGANIZER, other, username="gorg2")
    session.commit()
    second = type(client)(app)
    second.login("gorg2")
    assert second.get(f"/twoway/{file.id}").status_code == 404
    assert "研究生G001" not in second.get("/twoway/").get_data(as_text=True)
    assert "本分党校没有这个学号的学生" in _open(second, "G001").get_data(as_text=True)


def test_the_school_admin_sees_every_file(app, client, session, graduate):
    client.login("gorg")
    _open(client)
    admin = type(client)(app)
    admin.login("top")
    assert 'href="/twoway/"' in admin.get("/candidates/").get_data(as_text=True)
    assert "研究生G001" in admin.get("/twoway/").get_data(as_text=True)
    assert admin.get(f"/twoway/{_file(session).id}").status_code == 200


def test_filters_and_the_export_with_the_latest_evaluation(client, session, graduate):
    client.login("gorg")
    _open(client, started_on=date(YEAR - 1, 3, 1).isoformat(), mentor='=HYPERLINK("x")')
    _open(client, "G002", direction="to_scholar", mentor=f"李{RARE}", goals=f"目标{RARE}")
    first = _file(session)
    _evaluate(client, first.id, year=str(YEAR - 1), grade="fail")
    _evaluate(client, first.id, grade="good")
    assert "研究生G001" in client.get("/twoway/?grade=good").get_data(as_text=True)
    assert "研究生G001" not in client.get("/twoway/?grade=fail").get_data(as_text=True)
    none = client.get("/twoway/?grade=none").get_data(as_text=True)
    assert "研究生G002" in none and "研究生G001" not in none
    assert "研究生G001" not in client.get("/twoway/?direction=to_scholar").get_data(as_text=True)
    assert "研究生G002" in client.get(f"/twoway/?q={RARE[1]}").get_data(as_text=True)
    data = client.get("/twoway/export.xlsx").data
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    by_no = {r[0]: r for r in rows[1:]}
    assert by_no["G001"][6] == '\'=HYPERLINK("x")'
    assert by_no["G001"][9:11] == (YEAR, "良好")
    assert by_no["G002"][6:8] == (f"李{RARE}", f"目标{RARE}")
    assert by_no["G002"][9] is None
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in "".join(archive.read(n).decode() for n in archive.namelist())
    filtered = client.get("/twoway/export.xlsx?direction=to_scholar").data
    assert len(list(openpyxl.load_workbook(io.BytesIO(filtered)).active.rows)) == 2


def test_a_huge_text_is_refused_in_chinese_and_nothing_is_lost(client, session, graduate):
    client.login("gorg")
    huge = "党" * (10 * 1024 * 1024)
    response = _open(client, goals=huge)
    assert response.status_code == 413
    assert "提交的内容过大" in response.get_data(as_text=True)
    page = _open(client, goals="党" * 2001).get_data(as_text=True)
    assert "培养目标不能超过 2000 字（现有 2001 字）" in page
    assert "王教授" in page  # what was typed stays on the form
    student = reread(session).scalar(select(TwoWayFile.id))
    assert student is None
    with pytest.raises(RecordError, match="培养目标不能超过 2000 字"):
        services._file_values(
            {"direction": "to_member", "mentor": "甲", "goals": huge, "started_on": today()},
            make_candidate(session, graduate, level=Level.GRADUATE),
            today(),
        )


def test_a_graduate_students_record_leads_to_their_file(app, client, session, graduate, school):
    district_student = make_candidate(session, school)
    session.commit()
    client.login("gorg")
    student = reread(session).scalar(select(Candidate).filter_by(student_no="G001"))
    record = client.get(f"/candidates/{student.id}").get_data(as_text=True)
    assert 'href="/twoway/new?student_no=G001"' in record
    form = client.get("/twoway/new?student_no=G001").get_data(as_text=True)
    assert 'value="G001"' in form
    _open(client)
    opened = client.get("/twoway/new?student_no=G001")
    assert opened.headers["Location"] == f"/twoway/{_file(session).id}"
    organizer = type(client)(app)
    organizer.login("org")
    page = organizer.get(f"/candidates/{district_student.id}").get_data(as_text=True)
    assert "双向培养档案" not in page
