"""Importing the candidate roster (名单) and dormitory ratings (寝室文明评定) from spreadsheets.

Every row is checked first and every problem is reported; if any row has one, nothing is
written. The writes run in a savepoint under the importer's name (``acting_as``), so a
database error leaves nothing behind either. Functions take the session first and only flush;
the caller commits and then refreshes the eligibility of ``candidate_ids``.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from partyschool.accounts.models import Role, User
from partyschool.accounts.services import AccountError, create_user
from partyschool.audit import acting_as
from partyschool.candidates.models import Candidate, DormRating, StageChange
from partyschool.candidates.rules import STAGE_LABELS, DormGrade, Level, Stage
from partyschool.organization.models import Building, College, District, PartySchool, Room
from partyschool.spreadsheets import RowData, Table

T = TypeVar("T")

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
)
ROSTER_REQUIRED = ("学号", "姓名", "学院", "层次", "阶段", "阶段日期")
DORM_COLUMNS = ("楼栋", "寝室", "学期", "评定", "整改完成日期", "说明")
DORM_REQUIRED = ("楼栋", "寝室", "学期", "评定")

STUDENT_NO_PATTERN = re.compile(r"[A-Za-z0-9]{4,32}")
TERM_PATTERN = re.compile(r"(\d{4})-(\d{4})-([12])")
_DATE_PATTERN = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_GRADE_PATTERN = re.compile(r"(\d{4})级?")
STAGES_BY_LABEL = {label: stage for stage, label in STAGE_LABELS.items()}
LEVELS_BY_LABEL = {
    "本专科": Level.UNDERGRADUATE,
    "本科": Level.UNDERGRADUATE,
    "专科": Level.UNDERGRADUATE,
    "研究生": Level.GRADUATE,
}
DORM_GRADES_BY_LABEL = {
    "优秀": DormGrade.OUTSTANDING,
    "良好": DormGrade.GOOD,
    "合格": DormGrade.PASSING,
    "脏乱差": DormGrade.DIRTY,
}
_YES = {"是": True, "TRUE": True, "否": False, "FALSE": False, "": False}
MAX_NAME_LENGTH = 100
MAX_TEXT_LENGTH = 100
MAX_NOTE_LENGTH = 500
EARLIEST_YEAR = 1950
# SQLite of old builds allows 999 bound parameters in one statement.
_CHUNK = 500


@dataclass(frozen=True)
class RowError:
    """A problem with one cell (or with the header row, where ``column`` is None)."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"「{self.column}」" if self.column else ""
        return f"第 {self.row} 行{where}：{self.message}"


@dataclass
class ImportResult:
    """What an import did, or every reason it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Whose eligibility may have changed: the caller refreshes these after committing.
    candidate_ids: set[int] = field(default_factory=set)
    room_ids: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """True when the import was written."""
        return not self.errors


class _Invalid(ValueError):
    """A cell's value was refused; the message names the value."""


class _WriteRefused(Exception):
    """A row turned out to be impossible while writing; the savepoint is rolled back."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


class _Cells:
    """One row's cells, parsed column by column, each problem recorded as a RowError."""

    def __init__(self, row: RowData, errors: list[RowError]):
        self.row = row
        self.errors = errors
        self.is_valid = True

    def parse(self, column: str, parser: Callable[[str], T]) -> T | None:
        """The parsed cell, or None after recording why it was refused."""
        try:
            return parser(self.row.get(column))
        except _Invalid as exc:
            self.fail(column, str(exc))
            return None

    def fail(self, column: str | None, message: str) -> None:
        """Record a problem with this row."""
        self.is_valid = False
        self.errors.append(RowError(self.row.number, column, message))


# Cell parsers: text in, value out, or _Invalid with a message naming the value.


def _required(text: str) -> str:
    if not text:
        raise _Invalid("不能为空")
    return text


def _student_no(text: str) -> str:
    if not STUDENT_NO_PATTERN.fullmatch(_required(text)):
        raise _Invalid(f"学号“{text}”无效：只能是 4–32 位字母或数字")
    return text


def _text(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise _Invalid(f"“{text[:20]}…”过长：最多 {limit} 个字")
        return text

    return parse


def _name(text: str) -> str:
    return _text(MAX_NAME_LENGTH)(_required(text))


def _date(text: str) -> date | None:
    """YYYY-MM-DD (also with / . or 年月日); Excel date cells arrive in that form."""
    if not text:
        return None
    match = _DATE_PATTERN.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        value = date(*(int(part) for part in match.groups()))
    except ValueError:
        raise _Invalid(f"日期“{text}”无效，应为 YYYY-MM-DD，例如 2024-09-01") from None
    if value.year < EARLIEST_YEAR:
        raise _Invalid(f"日期“{text}”不合理")
    return value


def _choice(choices: dict[str, T], what: str) -> Callable[[str], T]:
    def parse(text: str) -> T:
        if _required(text) not in choices:
            raise _Invalid(f"{what}“{text}”无效，应为{'、'.join(choices)}之一")
        return choices[text]

    return parse


def _yes_no(text: str) -> bool:
    if text.upper() not in _YES:
        raise _Invalid(f"“{text}”无效，应填“是”或“否”")
    return _YES[text.upper()]


def _term(text: str) -> str:
    match = TERM_PATTERN.fullmatch(_required(text))
    if match is None or int(match[2]) != int(match[1]) + 1:
        raise _Invalid(f"学期“{text}”无效，应为如 2024-2025-1 的形式（学年-学期，学期为 1 或 2）")
    return text


def _header_errors(table: Table, columns: Sequence[str], required: Sequence[str]) -> list[RowError]:
    errors = []
    missing = [column for column in required if column not in table.headers]
    if missing:
        errors.append(
            RowError(
                1,
                None,
                f"缺少必填列：{'、'.join(missing)}"
                "（如果表头显示为乱码，请另存为 UTF-8 编码的 CSV）",
            )
        )
    unknown = [header for header in table.headers if header not in columns]
    if unknown:
        errors.append(
            RowError(
                1,
                None,
                f"无法识别的列：{'、'.join(unknown)}；可用的列为：{'、'.join(columns)}",
            )
        )
    if "楼栋" not in required and ("楼栋" in table.headers) != ("寝室" in table.headers):
        errors.append(RowError(1, None, "「楼栋」和「寝室」两列须同时提供"))
    return errors


def _chunks(values: Iterable[T]) -> Iterable[list[T]]:
    values = list(values)
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _assign(obj: Any, attribute: str, value: Any) -> bool:
    """Set an attribute when it differs; True when it did."""
    if getattr(obj, attribute) == value:
        return False
    setattr(obj, attribute, value)
    return True


def _check_school(school: PartySchool) -> None:
    if school.is_school_level:
        raise ValueError("名单只能导入到一个分党校，请先选择分党校")


class _Places:
    """The colleges, districts, buildings and rooms a file may name, loaded once."""

    def __init__(self, session: Session, school: PartySchool):
        self.colleges: dict[str, list[int]] = {}
        for college_id, name in session.execute(select(College.id, College.name)):
            self.colleges.setdefault(name, []).append(college_id)
        self.districts: dict[str, list[int]] = {}
        for district_id, name in session.execute(select(District.id, District.name)):
            self.districts.setdefault(name, []).append(district_id)
        # Only the branch school's own buildings: another branch's rooms are out of reach.
        self.buildings = {
            building.name: building
            for building in session.scalars(
                select(Building).where(Building.party_school_id == school.id)
            )
        }
        building_ids = [building.id for building in self.buildings.values()]
        self.rooms: dict[tuple[int, str], Room] = {}
        for chunk in _chunks(building_ids):
            for room in session.scalars(select(Room).where(Room.building_id.in_(chunk))):
                self.rooms[(room.building_id, room.number)] = room

    def one(self, cells: _Cells, column: str, ids_by_name: dict[str, list[int]]) -> int | None:
        """The id of the one college or district the cell names, if it names one."""
        name = cells.row.get(column)
        if not name:
            return None
        ids = ids_by_name.get(name, [])
        if len(ids) == 1:
            return ids[0]
        cells.fail(column, f"{'有多个同名的' if ids else '找不到'}{column}“{name}”")
        return None

    def room(self, cells: _Cells) -> Room | None:
        """The room named by 楼栋 and 寝室, which are filled in together or not at all."""
        building_name, number = cells.row.get("楼栋"), cells.row.get("寝室")
        if not building_name and not number:
            return None
        if not building_name or not number:
            cells.fail("楼栋" if not building_name else "寝室", "楼栋和寝室须同时填写")
            return None
        building = self.buildings.get(building_name)
        if building is None:
            cells.fail("楼栋", f"本分党校没有楼栋“{building_name}”")
            return None
        room = self.rooms.get((building.id, number))
        if room is None:
            cells.fail("寝室", f"楼栋“{building_name}”没有寝室“{number}”")
        return room


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
    cells: _Cells, places: _Places, headers: Sequence[str], today: date
) -> _RosterRow | None:
    """The row's values, or None after recording every problem in it."""
    student_no = cells.parse("学号", _student_no)
    name = cells.parse("姓名", _name)
    college_id = places.one(cells, "学院", places.colleges)
    if not cells.row.get("学院"):
        cells.fail("学院", "不能为空")
    level = cells.parse("层次", _choice(LEVELS_BY_LABEL, "层次"))
    stage = cells.parse("阶段", _choice(STAGES_BY_LABEL, "阶段"))
    stage_on = cells.parse("阶段日期", lambda text: _date(_required(text)))
    if stage_on is not None and stage_on > today:
        cells.fail("阶段日期", f"阶段日期“{stage_on.isoformat()}”晚于今天")

    # A column in the file sets its field (a blank cell clears it); a missing one keeps it.
    values: dict[str, Any] = {}
    if "专业" in headers:
        values["major"] = cells.parse("专业", _text(MAX_TEXT_LENGTH))
    if "班级" in headers:
        values["class_name"] = cells.parse("班级", _text(MAX_TEXT_LENGTH))
    if "年级" in headers:
        values["grade"] = cells.parse("年级", lambda text: _grade(text, today))
    if "共青团员" in headers:
        values["is_league_member"] = cells.parse("共青团员", _yes_no)
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


def _grade(text: str, today: date) -> int | None:
    if not text:
        return None
    match = _GRADE_PATTERN.fullmatch(text)
    if match is None or not EARLIEST_YEAR <= int(match[1]) <= today.year + 1:
        raise _Invalid(f"年级“{text}”无效，应为四位入学年份，例如 2024")
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
    _check_school(school)
    errors = _header_errors(table, ROSTER_COLUMNS, ROSTER_REQUIRED)
    if errors:
        return ImportResult(errors=errors)

    places = _Places(session, school)
    numbers = {row.get("学号") for row in table.rows if row.get("学号")}
    existing: dict[str, Candidate] = {}
    users: dict[str, User] = {}
    for chunk in _chunks(numbers):
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
    for chunk in _chunks([user.id for user in users.values()]):
        rows = session.execute(
            select(Candidate.user_id, Candidate.student_no).where(Candidate.user_id.in_(chunk))
        )
        linked.update({user_id: student_no for user_id, student_no in rows})

    records: list[_RosterRow] = []
    first_row: dict[str, int] = {}
    for row in table.rows:
        cells = _Cells(row, errors)
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
    except _WriteRefused as refused:
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
        changed |= _assign(candidate, attribute, value)

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
        raise _WriteRefused(RowError(record.number, "学号", str(exc))) from exc


@dataclass
class _RatingRow:
    number: int
    room: Room
    term: str
    grade: DormGrade
    values: dict[str, Any]


def import_dorm_ratings(
    session: Session,
    table: Table,
    *,
    school: PartySchool,
    actor_id: int | None,
    today: date,
) -> ImportResult:
    """Create or update the dormitory ratings of the branch school's rooms, one per term."""
    _check_school(school)
    errors = _header_errors(table, DORM_COLUMNS, DORM_REQUIRED)
    if errors:
        return ImportResult(errors=errors)

    places = _Places(session, school)
    records: list[_RatingRow] = []
    first_row: dict[tuple[int, str], int] = {}
    for row in table.rows:
        cells = _Cells(row, errors)
        room = places.room(cells)
        if not row.get("楼栋") and not row.get("寝室"):
            cells.fail("楼栋", "不能为空")
        term = cells.parse("学期", _term)
        grade = cells.parse("评定", _choice(DORM_GRADES_BY_LABEL, "评定"))
        values: dict[str, Any] = {}
        if "整改完成日期" in table.headers:
            values["rectified_on"] = rectified_on = cells.parse("整改完成日期", _date)
            if rectified_on is not None and grade not in (None, DormGrade.DIRTY):
                cells.fail("整改完成日期", "只有评定为“脏乱差”的寝室才能填写整改完成日期")
            elif rectified_on is not None and rectified_on > today:
                cells.fail("整改完成日期", f"整改完成日期“{rectified_on.isoformat()}”晚于今天")
        elif grade is not DormGrade.DIRTY:
            values["rectified_on"] = None
        if "说明" in table.headers:
            values["note"] = cells.parse("说明", _text(MAX_NOTE_LENGTH))
        if room is not None and term is not None:
            key = (room.id, term)
            if key in first_row:
                cells.fail("学期", f"寝室“{room}”的 {term} 学期评定与第 {first_row[key]} 行重复")
            else:
                first_row[key] = row.number
        if cells.is_valid:
            records.append(_RatingRow(row.number, room, term, grade, values))
    if errors:
        return ImportResult(errors=errors)

    ratings: dict[tuple[int, str], DormRating] = {}
    for chunk in _chunks({record.room.id for record in records}):
        for rating in session.scalars(select(DormRating).where(DormRating.room_id.in_(chunk))):
            ratings[(rating.room_id, rating.term)] = rating

    result = ImportResult()
    with acting_as(actor_id), session.begin_nested():
        for record in records:
            rating = ratings.get((record.room.id, record.term))
            is_new = rating is None
            if is_new:
                rating = DormRating(room_id=record.room.id, term=record.term, note="")
                session.add(rating)
            changed = _assign(rating, "grade", record.grade)
            for attribute, value in record.values.items():
                changed |= _assign(rating, attribute, value)
            if is_new:
                result.created += 1
            elif changed:
                result.updated += 1
            else:
                result.unchanged += 1
            if changed:
                result.room_ids.add(record.room.id)
        session.flush()
    for chunk in _chunks(result.room_ids):
        result.candidate_ids.update(
            session.scalars(select(Candidate.id).where(Candidate.room_id.in_(chunk)))
        )
    return result
