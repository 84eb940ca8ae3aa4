"""Importing the branch school's roster of students (名单): identities and accounts.

An import never moves a stage: a new student enters as 入党申请人, and a stage already in the
record must match the file; stages change only on the record page, by the rules.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from partyschool.accounts.models import Role, User
from partyschool.accounts.services import AccountError, create_user
from partyschool.audit import acting_as
from partyschool.candidates import identity
from partyschool.candidates.imports.cells import (
    EARLIEST_YEAR,
    GRADE_PATTERN,
    LEVELS_BY_LABEL,
    MAX_TEXT_LENGTH,
    STAGES_BY_LABEL,
    Cells,
    ImportResult,
    Invalid,
    Places,
    RowError,
    WriteRefused,
    assign,
    check_school,
    chunks,
    header_errors,
    parse_choice,
    parse_date,
    parse_name,
    parse_required,
    parse_student_no,
    parse_text,
    parse_yes_no,
)
from partyschool.candidates.models import Candidate, StageChange
from partyschool.candidates.rules import STAGE_LABELS, Level, Stage
from partyschool.organization.models import PartySchool
from partyschool.spreadsheets import Table

ROSTER_COLUMNS = (
    "学号",
    "姓名",
    "学院",
    "专业",
    "班级",
    "年级",
    "层次",
    "学区",
    "楼栋",
    "寝室",
    "阶段",
    "阶段日期",
    "共青团员",
    "身份证号",
    "性别",
    "民族",
    "手机",
)
ROSTER_REQUIRED = ("学号", "姓名", "学院", "层次", "阶段", "阶段日期")


@dataclass
class _RosterRow:
    number: int
    student_no: str
    name: str
    college_id: int
    level: Level
    stage: Stage
    stage_on: date
    values: dict[str, Any]  # the optional columns present in the file, parsed


def _parse_roster_row(
    cells: Cells, places: Places, headers: Sequence[str], today: date
) -> _RosterRow | None:
    """The row's values, or None after recording every problem in it."""
    student_no = cells.parse("学号", parse_student_no)
    name = cells.parse("姓名", parse_name)
    college_id = places.one(cells, "学院", places.colleges)
    if not cells.row.get("学院"):
        cells.fail("学院", "不能为空")
    level = cells.parse("层次", parse_choice(LEVELS_BY_LABEL, "层次"))
    stage = cells.parse("阶段", parse_choice(STAGES_BY_LABEL, "阶段"))
    stage_on = cells.parse("阶段日期", lambda text: parse_date(parse_required(text)))
    if stage_on is not None and stage_on > today:
        cells.fail("阶段日期", f"阶段日期“{stage_on.isoformat()}”晚于今天")

    # A column in the file sets its field (a blank cell clears it); a missing one keeps it.
    values: dict[str, Any] = {}
    if "专业" in headers:
        values["major"] = cells.parse("专业", parse_text(MAX_TEXT_LENGTH))
    if "班级" in headers:
        values["class_name"] = cells.parse("班级", parse_text(MAX_TEXT_LENGTH))
    if "年级" in headers:
        values["grade"] = cells.parse("年级", lambda text: _grade(text, today))
    if "共青团员" in headers:
        values["is_league_member"] = cells.parse("共青团员", parse_yes_no)
    if "身份证号" in headers:
        values.update(_identity(cells, headers))
    if "民族" in headers:
        values["ethnicity"] = cells.parse("民族", parse_text(20)) or None
    if "手机" in headers:
        values["phone"] = cells.parse("手机", _phone)
    if "学区" in headers:
        values["district_id"] = places.one(cells, "学区", places.districts)
    if "楼栋" in headers:
        room = places.room(cells)
        values["room_id"] = room.id if room else None
        building_district_id = room.building.district_id if room else None
        if building_district_id is not None:
            if values.get("district_id") is None and not cells.row.get("学区"):
                values["district_id"] = building_district_id
            elif values.get("district_id") not in (None, building_district_id):
                cells.fail("楼栋", f"楼栋“{room.building.name}”不在学区“{cells.row.get('学区')}”")

    if not cells.is_valid:
        return None
    return _RosterRow(
        cells.row.number, student_no, name, college_id, level, stage, stage_on, values
    )


def _identity(cells: Cells, headers: Sequence[str]) -> dict[str, Any]:
    """The 身份证号 (checked) with the birth date and gender it holds; 性别 must agree."""
    number = cells.parse("身份证号", _id_number)
    if number is None:
        return {"id_number": None} if not cells.row.get("身份证号") else {}
    gender = identity.gender_of(number)
    if "性别" in headers and cells.row.get("性别") not in ("", identity.GENDERS[gender]):
        cells.fail("性别", f"性别“{cells.row.get('性别')}”与身份证号不一致")
    return {"id_number": number, "gender": gender, "birth_date": identity.birth_date_of(number)}


def _id_number(text: str) -> str | None:
    if not text:
        return None
    try:
        return identity.check_id_number(text)
    except identity.IdentityError as error:
        hint = "；在 Excel 中请把这一列设为“文本”" if "E+" in text.upper() else ""
        raise Invalid(f"{error}{hint}") from None


def _phone(text: str) -> str | None:
    if text and not identity.PHONE.fullmatch(text):
        raise Invalid(f"手机号码“{text}”无效")
    return text or None


def _grade(text: str, today: date) -> int | None:
    if not text:
        return None
    match = GRADE_PATTERN.fullmatch(text)
    if match is None or not EARLIEST_YEAR <= int(match[1]) <= today.year + 1:
        raise Invalid(f"年级“{text}”无效，应为四位入学年份，例如 2024")
    return int(match[1])


def import_roster(
    session: Session,
    table: Table,
    *,
    school: PartySchool,
    actor_id: int | None,
    today: date,
) -> ImportResult:
    """Create or update the branch school's candidates (and their accounts) from a roster."""
    check_school(school)
    errors = header_errors(table, ROSTER_COLUMNS, ROSTER_REQUIRED)
    if errors:
        return ImportResult(errors=errors)

    places = Places(session, school)
    numbers = {row.get("学号") for row in table.rows if row.get("学号")}
    existing: dict[str, Candidate] = {}
    users: dict[str, User] = {}
    for chunk in chunks(numbers):
        existing.update(
            (candidate.student_no, candidate)
            for candidate in session.scalars(
                select(Candidate)
                .where(Candidate.student_no.in_(chunk))
                .options(selectinload(Candidate.stage_changes), selectinload(Candidate.user))
            )
        )
        users.update(
            (user.username, user)
            for user in session.scalars(select(User).where(User.username.in_(chunk)))
        )
    linked: dict[int, str] = {}  # user id -> the student number of the candidate holding it
    for chunk in chunks([user.id for user in users.values()]):
        rows = session.execute(
            select(Candidate.user_id, Candidate.student_no).where(Candidate.user_id.in_(chunk))
        )
        linked.update({user_id: student_no for user_id, student_no in rows})

    records: list[_RosterRow] = []
    first_row: dict[str, int] = {}
    # Who holds each identity number: the records already kept, then the file's own rows.
    id_holders: dict[str, str] = {}
    numbers_in_file = [row.get("身份证号").upper() for row in table.rows if row.get("身份证号")]
    for chunk in chunks(numbers_in_file):
        stmt = select(Candidate.id_number, Candidate.student_no)
        id_holders.update(session.execute(stmt.where(Candidate.id_number.in_(chunk))).all())
    for row in table.rows:
        cells = Cells(row, errors)
        record = _parse_roster_row(cells, places, table.headers, today)
        student_no = row.get("学号")
        if student_no in first_row:
            cells.fail("学号", f"学号“{student_no}”与第 {first_row[student_no]} 行重复")
            continue
        if student_no:
            first_row[student_no] = row.number
        if record is None:
            continue
        candidate = existing.get(record.student_no)
        if candidate is not None and candidate.party_school_id != school.id:
            cells.fail("学号", f"学号“{record.student_no}”已在其他分党校登记，不能导入")
            continue
        number = record.values.get("id_number")
        holder = id_holders.get(number) if number else None
        if holder not in (None, record.student_no):
            cells.fail("身份证号", f"该身份证号已登记在学号“{holder}”的档案中")
            continue
        if number:
            id_holders[number] = record.student_no
        # An import never moves a stage: only the rules do, on the record page.
        if candidate is None and record.stage is not Stage.APPLICANT:
            cells.fail(
                "阶段",
                f"新登记的学生从“入党申请人”开始（表中为“{STAGE_LABELS[record.stage]}”）；"
                "此前已达到的阶段由校党校管理员通过“历史档案迁移”导入",
            )
            continue
        if candidate is not None and record.stage != candidate.stage:
            cells.fail(
                "阶段",
                f"档案中为“{STAGE_LABELS[candidate.stage]}”，表中为“{STAGE_LABELS[record.stage]}”："
                "导入不能变更阶段，阶段只能在档案页按发展规则变更",
            )
            continue
        user = users.get(record.student_no)
        # An account with the student number as its name is linked when the candidate has none.
        if user is not None and (candidate is None or candidate.user_id is None):
            holder = linked.get(user.id)
            if user.role is not Role.ACTIVIST or user.party_school_id != school.id:
                cells.fail("学号", f"用户名“{record.student_no}”已被其他账号使用")
                continue
            if holder is not None and holder != record.student_no:
                cells.fail("学号", f"账号“{record.student_no}”已关联到学号“{holder}”")
                continue
        records.append(record)
    if errors:
        return ImportResult(errors=errors)

    result = ImportResult()
    try:
        with acting_as(actor_id), session.begin_nested():
            # Accounts first: each is flushed alone, and the candidates then go in one flush.
            for record in records:
                candidate = existing.get(record.student_no)
                needs_account = candidate is None or candidate.user_id is None
                if needs_account and record.student_no not in users:
                    users[record.student_no] = _new_account(session, record, school)
            touched = [
                _write_roster_row(session, record, existing, users, school, actor_id, result)
                for record in records
            ]
            session.flush()
    except WriteRefused as refused:
        return ImportResult(errors=[refused.error])
    result.candidate_ids = {candidate.id for candidate in touched if candidate is not None}
    return result


def _write_roster_row(
    session: Session,
    record: _RosterRow,
    existing: dict[str, Candidate],
    users: dict[str, User],
    school: PartySchool,
    actor_id: int | None,
    result: ImportResult,
) -> Candidate | None:
    """Apply one checked row; the candidate when something changed, else None."""
    candidate = existing.get(record.student_no)
    is_new = candidate is None
    if is_new:
        candidate = Candidate(
            student_no=record.student_no,
            party_school_id=school.id,
            stage=record.stage,
            major="",
            class_name="",
            is_league_member=False,
        )
        candidate.stage_changes.append(_stage_change(record, actor_id))
        session.add(candidate)
    changed = False
    fields = {
        "name": record.name,
        "college_id": record.college_id,
        "level": record.level,
        **record.values,
    }
    for attribute, value in fields.items():
        changed |= assign(candidate, attribute, value)

    if candidate.user_id is None:
        candidate.user = users[record.student_no]
        changed = True
    candidate.user.display_name = record.name

    if is_new:
        result.created += 1
    elif changed:
        result.updated += 1
    else:
        result.unchanged += 1
    return candidate if changed else None


def _stage_change(record: _RosterRow, actor_id: int | None) -> StageChange:
    return StageChange(stage=record.stage, entered_on=record.stage_on, recorded_by_id=actor_id)


def _new_account(session: Session, record: _RosterRow, school: PartySchool) -> User:
    """An activist account named by the student number, with a password nobody knows.

    Hashing that password costs as much as any other (argon2): about 0.1 s per new account.
    """
    try:
        return create_user(
            session,
            username=record.student_no,
            password=None,
            role=Role.ACTIVIST,
            school=school,
            display_name=record.name,
        )
    except AccountError as exc:
        raise WriteRefused(RowError(record.number, "学号", str(exc))) from exc
