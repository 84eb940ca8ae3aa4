"""Organizers import rosters and dormitory ratings: all rows or none, every problem named."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from partyschool.accounts.models import Role, User
from partyschool.accounts.services import AccountError
from partyschool.audit import AuditEvent
from partyschool.candidates.imports import dorms, roster
from partyschool.candidates.imports.dorms import import_dorm_ratings
from partyschool.candidates.imports.roster import import_roster
from partyschool.candidates.models import Candidate, DormRating, StageChange
from partyschool.candidates.rules import DormGrade, Level, Stage
from partyschool.organization.models import Building, College, District, Room
from partyschool.spreadsheets import SpreadsheetError, read_table, write_xlsx
from tests.factories import make_branch_school, make_candidate, make_user, school_level

TODAY = date(2025, 6, 1)
HEADERS = ["学号", "姓名", "学院", "专业", "班级", "年级", "层次", "学区", "楼栋", "寝室"]
HEADERS += ["阶段", "阶段日期", "共青团员"]


def _row(**overrides) -> dict[str, str]:
    values = {
        "学号": "2021001",
        "姓名": "张𠮷",
        "学院": "数学学院",
        "专业": "数学与应用数学",
        "班级": "数学2101",
        "年级": "2021",
        "层次": "本专科",
        "学区": "东区",
        "楼栋": "东1舍",
        "寝室": "301",
        "阶段": "入党申请人",
        "阶段日期": "2024-10-08",
        "共青团员": "是",
    }
    return values | overrides


GOOD_ROWS = [
    _row(),
    _row(学号="2021002", 姓名="王䶮", 学院="计算机学院", 层次="研究生", 楼栋="", 寝室="", 学区=""),
]


def _csv(rows: list[dict], headers: list[str] = HEADERS, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=headers, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    """A workbook as an organizer would fill it: years as numbers and real date cells."""

    def typed(header: str, value: str):
        if header == "阶段日期" and value:
            return date.fromisoformat(value)
        if header == "年级" and value.isdigit():
            return int(value)
        return value

    return write_xlsx(
        headers, [[typed(h, row.get(h, "")) for h in headers] for row in rows], "名单"
    )


@pytest.fixture
def place(session):
    """A branch school with colleges, a district, a room, its organizer, and another branch."""
    school = make_branch_school(session, name="东区分党校")
    other = make_branch_school(session, name="西区分党校")
    district = District(code="east", name="东区", party_school=school)
    building = Building(name="东1舍", party_school=school, district=district)
    other_building = Building(name="西9舍", party_school=other)
    session.add_all(
        [
            College(code="math", name="数学学院"),
            College(code="cs", name="计算机学院"),
            district,
            Room(building=building, number="301"),
            Room(building=building, number="302"),
            Room(building=other_building, number="101"),
        ]
    )
    organizer = make_user(session, Role.ORGANIZER, school, username="organizer")
    session.commit()
    return school, other, organizer


def _import(session, place, data: bytes, filename: str = "名单.csv", today: date = TODAY):
    school, _, organizer = place
    table = read_table(data, filename)
    return import_roster(session, table, school=school, actor_id=organizer.id, today=today)


def _counts(session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Candidate, User, StageChange, DormRating, AuditEvent)
    )


def _candidate(session, student_no: str) -> Candidate | None:
    return session.scalar(select(Candidate).where(Candidate.student_no == student_no))


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("名单.csv", _csv(GOOD_ROWS, encoding="utf-8")),
        ("名单.csv", _csv(GOOD_ROWS, encoding="utf-8-sig")),
        ("名单.csv", _csv(GOOD_ROWS, encoding="gb18030")),
        ("名单.xlsx", _xlsx(GOOD_ROWS)),
    ],
    ids=["utf-8", "utf-8-bom", "gbk", "xlsx"],
)
def test_a_roster_creates_candidates_with_accounts(session, place, filename, data):
    school, _, organizer = place
    result = _import(session, place, data, filename)
    session.commit()

    assert result.ok and (result.created, result.updated) == (2, 0)
    first, second = _candidate(session, "2021001"), _candidate(session, "2021002")
    assert result.candidate_ids == {first.id, second.id}
    assert (first.name, second.name) == ("张𠮷", "王䶮")
    assert first.party_school_id == school.id
    assert first.college.name == "数学学院" and second.college.name == "计算机学院"
    assert (first.major, first.class_name, first.grade) == ("数学与应用数学", "数学2101", 2021)
    assert (first.level, second.level) == (Level.UNDERGRADUATE, Level.GRADUATE)
    assert str(first.room) == "东1舍 301" and first.district.name == "东区"
    assert second.room is None and second.district is None
    assert first.is_league_member and first.stage is Stage.APPLICANT
    [change] = first.stage_changes
    assert (change.stage, change.entered_on) == (Stage.APPLICANT, date(2024, 10, 8))
    assert first.is_academic_ok is None  # unknown until the college says
    assert change.recorded_by_id == organizer.id
    account = first.user
    assert (account.username, account.display_name) == ("2021001", "张𠮷")
    assert account.role is Role.ACTIVIST and account.party_school_id == school.id
    assert second.user.display_name == "王䶮"


def test_a_plain_gbk_roster_from_chinese_windows(session, place):
    rows = [_row(姓名="李四")]
    result = _import(session, place, _csv(rows, encoding="gbk"))
    assert result.ok
    assert _candidate(session, "2021001").name == "李四"


def test_reimport_updates_without_duplicates_and_never_moves_a_stage(session, place):
    assert _import(session, place, _csv(GOOD_ROWS)).ok
    session.commit()
    before = _counts(session)

    changed = [_row(班级="数学2102", 寝室="302"), GOOD_ROWS[1]]
    result = _import(session, place, _csv(changed))
    session.commit()

    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 1, 1)
    candidate = _candidate(session, "2021001")
    assert result.candidate_ids == {candidate.id}
    assert candidate.class_name == "数学2102" and candidate.room.number == "302"
    assert _counts(session)[:3] == before[:3]

    again = _import(session, place, _csv(changed))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert again.candidate_ids == set()


@pytest.mark.parametrize("stage", ["正式党员", "入党积极分子", "预备党员"])
def test_a_reimport_never_moves_a_stage(session, place, stage):
    assert _import(session, place, _csv(GOOD_ROWS)).ok
    session.commit()
    _assert_refused(
        session,
        place,
        [_row(阶段=stage, 阶段日期="2025-05-20")],
        [
            f"第 2 行「阶段」：档案中为“入党申请人”，表中为“{stage}”："
            "导入不能变更阶段，阶段只能在档案页按发展规则变更"
        ],
    )
    assert _candidate(session, "2021001").stage is Stage.APPLICANT


def test_a_new_student_enters_as_an_applicant_only(session, place):
    _assert_refused(
        session,
        place,
        [_row(阶段="正式党员")],
        [
            "第 2 行「阶段」：新登记的学生从“入党申请人”开始（表中为“正式党员”）；"
            "此前已达到的阶段由校党校管理员通过“历史档案迁移”导入"
        ],
    )


def test_columns_left_out_of_a_reimport_keep_their_values(session, place):
    assert _import(session, place, _csv(GOOD_ROWS)).ok
    session.commit()
    slim = ["学号", "姓名", "学院", "层次", "阶段", "阶段日期"]
    result = _import(session, place, _csv([_row(姓名="张𠮷𠮷")], headers=slim))
    assert result.ok and result.updated == 1
    candidate = _candidate(session, "2021001")
    assert candidate.name == "张𠮷𠮷" and candidate.user.display_name == "张𠮷𠮷"
    assert candidate.room.number == "301" and candidate.major == "数学与应用数学"


def test_the_district_follows_the_building_when_left_blank(session, place):
    assert _import(session, place, _csv([_row(学区="")])).ok
    assert _candidate(session, "2021001").district.name == "东区"


def test_the_audit_trail_names_the_importer(session, place):
    _, _, organizer = place
    before = session.scalar(select(func.max(AuditEvent.id))) or 0
    assert _import(session, place, _csv(GOOD_ROWS)).ok
    session.commit()
    events = session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    tables = {event.table_name for event in events}
    assert {"candidates", "stage_changes", "users"} <= tables  # accounts opened for students
    assert {event.actor_id for event in events} == {organizer.id}
    candidate = _candidate(session, "2021001")
    timeline = [event for event in events if event.candidate_id == candidate.id]
    assert {event.table_name for event in timeline} == {"candidates", "stage_changes"}


def _assert_refused(session, place, rows, expected: list[str], headers=HEADERS):
    """The import reports exactly these problems and leaves the database as it was."""
    session.commit()
    before = _counts(session)
    result = _import(session, place, _csv(rows, headers=headers))
    assert not result.ok
    assert [str(error) for error in result.errors] == expected
    assert (result.created, result.updated, result.candidate_ids) == (0, 0, set())
    session.commit()
    assert _counts(session) == before
    return result


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"学号": "20-01"}, "第 3 行「学号」：学号“20-01”无效：只能是 4–32 位字母或数字"),
        ({"学号": ""}, "第 3 行「学号」：不能为空"),
        ({"姓名": ""}, "第 3 行「姓名」：不能为空"),
        (
            {"姓名": "名" * 101},
            "第 3 行「姓名」：“名名名名名名名名名名名名名名名名名名名名…”过长：最多 100 个字",
        ),
        ({"学院": "数学系"}, "第 3 行「学院」：找不到学院“数学系”"),
        ({"学院": ""}, "第 3 行「学院」：不能为空"),
        ({"年级": "21级"}, "第 3 行「年级」：年级“21级”无效，应为四位入学年份，例如 2024"),
        (
            {"层次": "博士"},
            "第 3 行「层次」：层次“博士”无效，应为本专科、本科、专科、研究生之一",
        ),
        ({"学区": "北区"}, "第 3 行「学区」：找不到学区“北区”"),
        ({"楼栋": "", "寝室": "301"}, "第 3 行「楼栋」：楼栋和寝室须同时填写"),
        ({"寝室": ""}, "第 3 行「寝室」：楼栋和寝室须同时填写"),
        ({"楼栋": "西9舍", "寝室": "101"}, "第 3 行「楼栋」：本分党校没有楼栋“西9舍”"),
        ({"寝室": "999"}, "第 3 行「寝室」：楼栋“东1舍”没有寝室“999”"),
        (
            {"阶段": "党员"},
            "第 3 行「阶段」：阶段“党员”无效，应为入党申请人、入党积极分子、发展对象、"
            "预备党员、正式党员之一",
        ),
        (
            {"阶段日期": "2024-13-01"},
            "第 3 行「阶段日期」：日期“2024-13-01”无效，应为 YYYY-MM-DD，例如 2024-09-01",
        ),
        (
            {"阶段日期": "10/08/2024"},
            "第 3 行「阶段日期」：日期“10/08/2024”无效，应为 YYYY-MM-DD，例如 2024-09-01",
        ),
        ({"阶段日期": ""}, "第 3 行「阶段日期」：不能为空"),
        ({"阶段日期": "2025-06-02"}, "第 3 行「阶段日期」：阶段日期“2025-06-02”晚于今天"),
        ({"共青团员": "团员"}, "第 3 行「共青团员」：“团员”无效，应填“是”或“否”"),
    ],
)
def test_a_bad_cell_is_named_and_nothing_is_written(session, place, overrides, message):
    rows = [GOOD_ROWS[1], _row(**overrides)]
    _assert_refused(session, place, rows, [message])


def test_other_date_spellings_and_excel_booleans_are_accepted(session, place):
    rows = [_row(阶段日期="2024/10/8", 共青团员="FALSE", 年级="2021级")]
    assert _import(session, place, _csv(rows)).ok
    candidate = _candidate(session, "2021001")
    assert candidate.stage_changes[0].entered_on == date(2024, 10, 8)
    assert candidate.grade == 2021 and not candidate.is_league_member


def test_every_problem_of_every_row_is_reported(session, place):
    rows = [
        _row(学院="数学系", 阶段="党员"),
        _row(学号="2021002"),
        _row(学号="2021003", 层次="", 楼栋="西9舍", 寝室="101"),
    ]
    _assert_refused(
        session,
        place,
        rows,
        [
            "第 2 行「学院」：找不到学院“数学系”",
            "第 2 行「阶段」：阶段“党员”无效，应为入党申请人、入党积极分子、发展对象、"
            "预备党员、正式党员之一",
            "第 4 行「层次」：不能为空",
            "第 4 行「楼栋」：本分党校没有楼栋“西9舍”",
        ],
    )


def test_a_student_number_twice_in_the_file_is_refused(session, place):
    rows = [_row(), GOOD_ROWS[1], _row(姓名="张三")]
    _assert_refused(session, place, rows, ["第 4 行「学号」：学号“2021001”与第 2 行重复"])


def test_a_student_of_another_branch_school_is_left_alone(session, place):
    _, other, _ = place
    theirs = make_candidate(session, other, student_no="2021001", name="别人")
    _assert_refused(
        session,
        place,
        GOOD_ROWS,
        ["第 2 行「学号」：学号“2021001”已在其他分党校登记，不能导入"],
    )
    session.refresh(theirs)
    assert theirs.name == "别人" and theirs.party_school_id == other.id


def test_a_username_taken_by_staff_is_refused(session, place):
    school, _, _ = place
    make_user(session, Role.INSTRUCTOR, school, username="2021002")
    _assert_refused(session, place, GOOD_ROWS, ["第 3 行「学号」：用户名“2021002”已被其他账号使用"])


def test_an_activist_account_of_another_branch_is_refused(session, place):
    _, other, _ = place
    make_user(session, Role.ACTIVIST, other, username="2021002")
    _assert_refused(session, place, GOOD_ROWS, ["第 3 行「学号」：用户名“2021002”已被其他账号使用"])


def test_an_existing_activist_account_of_the_branch_is_linked(session, place):
    school, _, _ = place
    account = make_user(session, Role.ACTIVIST, school, username="2021001")
    session.commit()
    users_before = _counts(session)[1]
    assert _import(session, place, _csv(GOOD_ROWS)).ok
    assert _candidate(session, "2021001").user_id == account.id
    assert _counts(session)[1] == users_before + 1  # only the second student's account


def test_missing_and_unknown_columns_are_named(session, place):
    headers = [h for h in HEADERS if h not in ("学院", "阶段日期")] + ["手机号"]
    _assert_refused(
        session,
        place,
        [_row(手机号="13800000000")],
        [
            "第 1 行：缺少必填列：学院、阶段日期（如果表头显示为乱码，请另存为 UTF-8 编码的 CSV）",
            "第 1 行：无法识别的列：手机号；可用的列为：" + "、".join(roster.ROSTER_COLUMNS),
        ],
        headers=[*headers],
    )


def test_a_building_column_without_a_room_column_is_refused(session, place):
    headers = [h for h in HEADERS if h != "寝室"]
    _assert_refused(
        session, place, GOOD_ROWS, ["第 1 行：「楼栋」和「寝室」两列须同时提供"], headers=headers
    )


def test_a_file_in_another_encoding_is_refused(session, place):
    before = _counts(session)
    big5 = "學號,姓名,學院\n2021001,張三,數學學院\n".encode("big5")
    result = _import(session, place, big5)
    assert not result.ok and "乱码" in str(result.errors[0])
    with pytest.raises(SpreadsheetError, match="编码"):
        _import(session, place, b"\xb3\xa3\x80\x80,\xff\xfe\x00\n")
    with pytest.raises(SpreadsheetError, match="UTF-16"):
        _import(session, place, _csv(GOOD_ROWS, encoding="utf-16"))
    assert _counts(session) == before


def test_a_failure_while_writing_leaves_nothing(session, place, monkeypatch):
    calls = []
    real = roster.create_user

    def create_then_fail(session, **kwargs):
        calls.append(kwargs["username"])
        if len(calls) == 2:
            raise AccountError("用户名 2021002 已存在")
        return real(session, **kwargs)

    monkeypatch.setattr(roster, "create_user", create_then_fail)
    session.commit()
    before = _counts(session)
    result = _import(session, place, _csv(GOOD_ROWS))
    assert [str(error) for error in result.errors] == ["第 3 行「学号」：用户名 2021002 已存在"]
    assert _counts(session) == before
    session.commit()
    assert _counts(session) == before


def test_a_database_error_while_writing_leaves_nothing(session, place, monkeypatch):
    def broken(session, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(roster, "create_user", broken)
    session.commit()
    before = _counts(session)
    with pytest.raises(RuntimeError):
        _import(session, place, _csv(GOOD_ROWS))
    assert _counts(session) == before


def test_the_school_level_cannot_hold_a_roster(session, place):
    table = read_table(_csv(GOOD_ROWS), "a.csv")
    with pytest.raises(ValueError, match="分党校"):
        import_roster(session, table, school=school_level(session), actor_id=None, today=TODAY)


# Dormitory ratings

DORM_HEADERS = ["楼栋", "寝室", "学期", "评定", "整改完成日期", "说明"]


def _dorm(rows: list[dict], headers=DORM_HEADERS) -> bytes:
    return _csv(rows, headers=headers)


def _rating(**overrides) -> dict[str, str]:
    values = {"楼栋": "东1舍", "寝室": "301", "学期": "2024-2025-2", "评定": "优秀"}
    return values | {"整改完成日期": "", "说明": ""} | overrides


def _import_ratings(session, place, data: bytes, filename: str = "寝室.csv"):
    school, _, organizer = place
    table = read_table(data, filename)
    return import_dorm_ratings(session, table, school=school, actor_id=organizer.id, today=TODAY)


def test_dorm_ratings_are_created_then_updated_in_place(session, place):
    _, _, organizer = place
    assert _import(session, place, _csv(GOOD_ROWS)).ok
    resident = _candidate(session, "2021001")
    rows = [
        _rating(评定="脏乱差", 说明="垃圾未清理"),
        _rating(寝室="302", 学期="2024-2025-1", 评定="良好"),
    ]
    result = _import_ratings(session, place, _dorm(rows))
    session.commit()
    assert result.ok and (result.created, result.updated) == (2, 0)
    assert result.candidate_ids == {resident.id}
    rating = session.scalar(select(DormRating).where(DormRating.room_id == resident.room_id))
    assert (rating.term, rating.grade, rating.note) == (
        "2024-2025-2",
        DormGrade.DIRTY,
        "垃圾未清理",
    )
    assert rating.rectified_on is None

    fixed = [_rating(评定="脏乱差", 整改完成日期="2025-05-30", 说明="已整改"), rows[1]]
    result = _import_ratings(session, place, _xlsx(fixed, DORM_HEADERS), "寝室.xlsx")
    session.commit()
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert result.room_ids == {resident.room_id}
    session.refresh(rating)
    assert rating.rectified_on == date(2025, 5, 30) and rating.note == "已整改"
    assert session.scalar(select(func.count()).select_from(DormRating)) == 2
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.table_name == "dorm_ratings")
    ).all()
    assert len(events) == 3 and {event.actor_id for event in events} == {organizer.id}


def _assert_ratings_refused(session, place, rows, expected: list[str], headers=DORM_HEADERS):
    session.commit()
    before = _counts(session)
    result = _import_ratings(session, place, _dorm(rows, headers))
    assert [str(error) for error in result.errors] == expected
    session.commit()
    assert _counts(session) == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"楼栋": "西9舍", "寝室": "101"}, "第 3 行「楼栋」：本分党校没有楼栋“西9舍”"),
        ({"楼栋": "", "寝室": ""}, "第 3 行「楼栋」：不能为空"),
        ({"寝室": ""}, "第 3 行「寝室」：楼栋和寝室须同时填写"),
        (
            {"学期": "2024-2026-1"},
            "第 3 行「学期」：学期“2024-2026-1”无效，"
            "应为如 2024-2025-1 的形式（学年-学期，学期为 1 或 2）",
        ),
        (
            {"学期": "2024秋"},
            "第 3 行「学期」：学期“2024秋”无效，"
            "应为如 2024-2025-1 的形式（学年-学期，学期为 1 或 2）",
        ),
        ({"评定": "差"}, "第 3 行「评定」：评定“差”无效，应为优秀、良好、合格、脏乱差之一"),
        (
            {"整改完成日期": "2025-05-01"},
            "第 3 行「整改完成日期」：只有评定为“脏乱差”的寝室才能填写整改完成日期",
        ),
        (
            {"评定": "脏乱差", "整改完成日期": "2025-07-01"},
            "第 3 行「整改完成日期」：整改完成日期“2025-07-01”晚于今天",
        ),
        ({"寝室": "302"}, "第 3 行「学期」：寝室“东1舍 302”的 2024-2025-2 学期评定与第 2 行重复"),
    ],
)
def test_a_bad_rating_is_named_and_nothing_is_written(session, place, overrides, message):
    rows = [_rating(寝室="302"), _rating(**overrides)]
    _assert_ratings_refused(session, place, rows, [message])


def test_rating_columns_are_checked(session, place):
    headers = ["楼栋", "寝室", "评定", "分数"]
    _assert_ratings_refused(
        session,
        place,
        [_rating(分数="90")],
        [
            "第 1 行：缺少必填列：学期（如果表头显示为乱码，请另存为 UTF-8 编码的 CSV）",
            "第 1 行：无法识别的列：分数；可用的列为：" + "、".join(dorms.DORM_COLUMNS),
        ],
        headers=headers,
    )


IDENTITY_HEADERS = [*HEADERS, "身份证号", "性别", "民族", "手机"]


def test_identity_columns_are_imported_and_checked(session, place):
    rows = [
        _row(身份证号="330302199003071231", 性别="男", 民族="畲族", 手机="13800138000"),
        _row(学号="2021002", 姓名="王䶮", 身份证号="11010519491231002x", 性别="", 民族="", 手机=""),
    ]
    assert _import(session, place, _csv(rows, headers=IDENTITY_HEADERS, encoding="gb18030")).ok
    first, second = _candidate(session, "2021001"), _candidate(session, "2021002")
    assert (first.id_number, first.gender, first.ethnicity) == (
        "330302199003071231",
        "male",
        "畲族",
    )
    assert (second.id_number, second.gender, second.birth_date) == (
        "11010519491231002X",
        "female",
        date(1949, 12, 31),
    )


def test_bad_identity_cells_are_named(session, place):
    rows = [
        _row(身份证号="330302199003071232", 性别="", 民族="", 手机=""),
        _row(学号="2021002", 身份证号="3.30302199003071E+17", 性别="", 民族="", 手机=""),
        _row(学号="2021003", 身份证号="330302199003071231", 性别="女", 民族="", 手机="电话"),
    ]
    _assert_refused(
        session,
        place,
        rows,
        [
            "第 2 行「身份证号」：身份证号校验位不正确，请核对",
            "第 3 行「身份证号」：身份证号应为 18 位，前 17 位为数字，末位为数字或 X；"
            "在 Excel 中请把这一列设为“文本”",
            "第 4 行「性别」：性别“女”与身份证号不一致",
            "第 4 行「手机」：手机号码“电话”无效",
        ],
        headers=IDENTITY_HEADERS,
    )


def test_an_identity_number_held_by_another_student_is_refused(session, place):
    rows = [
        _row(身份证号="330302199003071231", 性别="", 民族="", 手机=""),
        _row(学号="2021002", 身份证号="330302199003071231", 性别="", 民族="", 手机=""),
    ]
    _assert_refused(
        session,
        place,
        rows,
        ["第 3 行「身份证号」：该身份证号已登记在学号“2021001”的档案中"],
        headers=IDENTITY_HEADERS,
    )
