"""What every spreadsheet import of records shares: per-row errors, cell parsers, the places a
file may name.

Every row is checked first and every problem is reported; if any row has one, nothing is
written. The writes run in a savepoint under the importer's name (``acting_as``), so a
database error leaves nothing behind either. Importers take the session first and only flush;
the caller commits and then refreshes the eligibility of ``candidate_ids``.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool.candidates.rules import STAGE_LABELS, Level
from partyschool.organization.models import Building, College, District, PartySchool, Room
from partyschool.spreadsheets import RowData, Table

T = TypeVar("T")


STUDENT_NO_PATTERN = re.compile(r"[A-Za-z0-9]{4,32}")
TERM_PATTERN = re.compile(r"(\d{4})-(\d{4})-([12])")
DATE_PATTERN = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
GRADE_PATTERN = re.compile(r"(\d{4})级?")
STAGES_BY_LABEL = {label: stage for stage, label in STAGE_LABELS.items()}
LEVELS_BY_LABEL = {
    "本专科": Level.UNDERGRADUATE,
    "本科": Level.UNDERGRADUATE,
    "专科": Level.UNDERGRADUATE,
    "研究生": Level.GRADUATE,
}
YES = {"是": True, "TRUE": True, "否": False, "FALSE": False, "": False}
MAX_NAME_LENGTH = 100
MAX_TEXT_LENGTH = 100
MAX_NOTE_LENGTH = 500
EARLIEST_YEAR = 1950
# SQLite of old builds allows 999 bound parameters in one statement.
CHUNK = 500


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


class Invalid(ValueError):
    """A cell's value was refused; the message names the value."""


class WriteRefused(Exception):
    """A row turned out to be impossible while writing; the savepoint is rolled back."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


class Cells:
    """One row's cells, parsed column by column, each problem recorded as a RowError."""

    def __init__(self, row: RowData, errors: list[RowError]):
        self.row = row
        self.errors = errors
        self.is_valid = True

    def parse(self, column: str, parser: Callable[[str], T]) -> T | None:
        """The parsed cell, or None after recording why it was refused."""
        try:
            return parser(self.row.get(column))
        except Invalid as exc:
            self.fail(column, str(exc))
            return None

    def fail(self, column: str | None, message: str) -> None:
        """Record a problem with this row."""
        self.is_valid = False
        self.errors.append(RowError(self.row.number, column, message))


# Cell parsers: text in, value out, or Invalid with a message naming the value.


def parse_required(text: str) -> str:
    if not text:
        raise Invalid("不能为空")
    return text


def parse_student_no(text: str) -> str:
    if not STUDENT_NO_PATTERN.fullmatch(parse_required(text)):
        raise Invalid(f"学号“{text}”无效：只能是 4–32 位字母或数字")
    return text


def parse_text(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise Invalid(f"“{text[:20]}…”过长：最多 {limit} 个字")
        return text

    return parse


def parse_name(text: str) -> str:
    return parse_text(MAX_NAME_LENGTH)(parse_required(text))


def parse_date(text: str) -> date | None:
    """YYYY-MM-DD (also with / . or 年月日); Excel date cells arrive in that form."""
    if not text:
        return None
    match = DATE_PATTERN.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        value = date(*(int(part) for part in match.groups()))
    except ValueError:
        raise Invalid(f"日期“{text}”无效，应为 YYYY-MM-DD，例如 2024-09-01") from None
    if value.year < EARLIEST_YEAR:
        raise Invalid(f"日期“{text}”不合理")
    return value


def parse_choice(choices: dict[str, T], what: str) -> Callable[[str], T]:
    def parse(text: str) -> T:
        if parse_required(text) not in choices:
            raise Invalid(f"{what}“{text}”无效，应为{'、'.join(choices)}之一")
        return choices[text]

    return parse


def parse_yes_no(text: str) -> bool:
    if text.upper() not in YES:
        raise Invalid(f"“{text}”无效，应填“是”或“否”")
    return YES[text.upper()]


def parse_term(text: str) -> str:
    match = TERM_PATTERN.fullmatch(parse_required(text))
    if match is None or int(match[2]) != int(match[1]) + 1:
        raise Invalid(f"学期“{text}”无效，应为如 2024-2025-1 的形式（学年-学期，学期为 1 或 2）")
    return text


def header_errors(table: Table, columns: Sequence[str], required: Sequence[str]) -> list[RowError]:
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


def chunks(values: Iterable[T]) -> Iterable[list[T]]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def assign(obj: Any, attribute: str, value: Any) -> bool:
    """Set an attribute when it differs; True when it did."""
    if getattr(obj, attribute) == value:
        return False
    setattr(obj, attribute, value)
    return True


def check_school(school: PartySchool) -> None:
    if school.is_school_level:
        raise ValueError("名单只能导入到一个分党校，请先选择分党校")


class Places:
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
        for chunk in chunks(building_ids):
            for room in session.scalars(select(Room).where(Room.building_id.in_(chunk))):
                self.rooms[(room.building_id, room.number)] = room

    def one(self, cells: Cells, column: str, ids_by_name: dict[str, list[int]]) -> int | None:
        """The id of the one college or district the cell names, if it names one."""
        name = cells.row.get(column)
        if not name:
            return None
        ids = ids_by_name.get(name, [])
        if len(ids) == 1:
            return ids[0]
        cells.fail(column, f"{'有多个同名的' if ids else '找不到'}{column}“{name}”")
        return None

    def room(self, cells: Cells) -> Room | None:
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
