"""Importing dormitory civilization ratings (寝室文明评定) of the branch school's rooms."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool.audit import acting_as
from partyschool.candidates.imports.cells import (
    MAX_NOTE_LENGTH,
    Cells,
    ImportResult,
    Places,
    assign,
    check_school,
    chunks,
    header_errors,
    parse_choice,
    parse_date,
    parse_term,
    parse_text,
)
from partyschool.candidates.models import Candidate, DormRating
from partyschool.candidates.rules import DormGrade
from partyschool.organization.models import PartySchool, Room
from partyschool.spreadsheets import Table

DORM_COLUMNS = ("楼栋", "寝室", "学期", "评定", "整改完成日期", "说明")
DORM_REQUIRED = ("楼栋", "寝室", "学期", "评定")
DORM_GRADES_BY_LABEL = {
    "优秀": DormGrade.OUTSTANDING,
    "良好": DormGrade.GOOD,
    "合格": DormGrade.PASSING,
    "脏乱差": DormGrade.DIRTY,
}


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
    check_school(school)
    errors = header_errors(table, DORM_COLUMNS, DORM_REQUIRED)
    if errors:
        return ImportResult(errors=errors)

    places = Places(session, school)
    records: list[_RatingRow] = []
    first_row: dict[tuple[int, str], int] = {}
    for row in table.rows:
        cells = Cells(row, errors)
        room = places.room(cells)
        if not row.get("楼栋") and not row.get("寝室"):
            cells.fail("楼栋", "不能为空")
        term = cells.parse("学期", parse_term)
        grade = cells.parse("评定", parse_choice(DORM_GRADES_BY_LABEL, "评定"))
        values: dict[str, Any] = {}
        if "整改完成日期" in table.headers:
            values["rectified_on"] = rectified_on = cells.parse("整改完成日期", parse_date)
            if rectified_on is not None and grade not in (None, DormGrade.DIRTY):
                cells.fail("整改完成日期", "只有评定为“脏乱差”的寝室才能填写整改完成日期")
            elif rectified_on is not None and rectified_on > today:
                cells.fail("整改完成日期", f"整改完成日期“{rectified_on.isoformat()}”晚于今天")
        elif grade is not DormGrade.DIRTY:
            values["rectified_on"] = None
        if "说明" in table.headers:
            values["note"] = cells.parse("说明", parse_text(MAX_NOTE_LENGTH))
        if room is not None and term is not None:
            key = (room.id, parse_term)
            if key in first_row:
                cells.fail("学期", f"寝室“{room}”的 {term} 学期评定与第 {first_row[key]} 行重复")
            else:
                first_row[key] = row.number
        if cells.is_valid:
            records.append(_RatingRow(row.number, room, term, grade, values))
    if errors:
        return ImportResult(errors=errors)

    ratings: dict[tuple[int, str], DormRating] = {}
    for chunk in chunks({record.room.id for record in records}):
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
            changed = assign(rating, "grade", record.grade)
            for attribute, value in record.values.items():
                changed |= assign(rating, attribute, value)
            if is_new:
                result.created += 1
            elif changed:
                result.updated += 1
            else:
                result.unchanged += 1
            if changed:
                result.room_ids.add(record.room.id)
        session.flush()
    for chunk in chunks(result.room_ids):
        result.candidate_ids.update(
            session.scalars(select(Candidate.id).where(Candidate.room_id.in_(chunk)))
        )
    return result
