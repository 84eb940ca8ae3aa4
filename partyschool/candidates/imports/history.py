"""Migrating the stages students reached before the platform (历史档案迁移).

A school admin's explicit action, not a way around the rules: each row names a student already
on a roster and the date on which each stage was reached; the dates run in the stages' order,
none in the future. The stage changes are marked as migrated, with the file they came from. A
record whose stages the platform itself has judged is not migrated: history precedes it.
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from partyschool.accounts.models import Role, User
from partyschool.audit import acting_as, set_reason
from partyschool.candidates.imports.cells import (
    Cells,
    ImportResult,
    chunks,
    header_errors,
    parse_date,
    parse_student_no,
)
from partyschool.candidates.models import Candidate, StageChange
from partyschool.candidates.rules import RANK, STAGE_LABELS, Stage
from partyschool.spreadsheets import Table

# One column per stage, holding the date it was reached.
HISTORY_COLUMNS = ("学号", *(STAGE_LABELS[stage] for stage in Stage))
HISTORY_REQUIRED = ("学号", STAGE_LABELS[Stage.APPLICANT])


def _is_judged_here(candidate: Candidate) -> bool:
    """True when the platform has decided on this record (a stage change or a probation
    decision): its history is no longer to migrate."""
    return bool(candidate.probation_decisions) or any(
        change.ruleset or change.override_reason for change in candidate.stage_changes
    )


def _reached(cells: Cells, headers, today: date) -> list[tuple[Stage, date]]:
    """The stages the row gives dates for, checked for gaps, order and the future."""
    reached: list[tuple[Stage, date]] = []
    gap: Stage | None = None
    for stage in Stage:
        label = STAGE_LABELS[stage]
        on = cells.parse(label, parse_date) if label in headers else None
        if on is None:
            gap = gap or stage
            continue
        if gap is not None:
            cells.fail(label, f"缺少“{STAGE_LABELS[gap]}”的日期，阶段不能跳过")
        elif on > today:
            cells.fail(label, f"日期“{on.isoformat()}”晚于今天")
        elif reached and on < reached[-1][1]:
            previous = STAGE_LABELS[reached[-1][0]]
            cells.fail(label, f"日期“{on.isoformat()}”早于“{previous}”的日期")
        reached.append((stage, on))
    if not reached:
        cells.fail(STAGE_LABELS[Stage.APPLICANT], "不能为空")
    return reached


def import_history(
    session: Session, table: Table, *, filename: str, actor: User, today: date
) -> ImportResult:
    """Record the stages each listed student reached before the platform, all or nothing."""
    if actor.role is not Role.SCHOOL_ADMIN:
        raise PermissionError("只有校党校管理员可以迁移历史档案")
    errors = header_errors(table, HISTORY_COLUMNS, HISTORY_REQUIRED)
    if errors:
        return ImportResult(errors=errors)

    numbers = {row.get("学号") for row in table.rows if row.get("学号")}
    candidates: dict[str, Candidate] = {}
    for chunk in chunks(numbers):
        stmt = (
            select(Candidate)
            .where(Candidate.student_no.in_(chunk))
            .options(
                selectinload(Candidate.stage_changes), selectinload(Candidate.probation_decisions)
            )
        )
        candidates.update((c.student_no, c) for c in session.scalars(stmt))

    plans: list[tuple[Candidate, list[tuple[Stage, date]]]] = []
    first_row: dict[str, int] = {}
    for row in table.rows:
        cells = Cells(row, errors)
        student_no = cells.parse("学号", parse_student_no)
        reached = _reached(cells, table.headers, today)
        candidate = candidates.get(student_no or "")
        if student_no in first_row:
            cells.fail("学号", f"学号“{student_no}”与第 {first_row[student_no]} 行重复")
        elif student_no and candidate is None:
            cells.fail("学号", f"找不到学号“{student_no}”，请先由分党校导入名单")
        elif candidate is not None and _is_judged_here(candidate):
            cells.fail("学号", "该学生的阶段已在本平台按规则变更，不能再迁移历史档案")
        elif candidate is not None and reached and RANK[reached[-1][0]] < RANK[candidate.stage]:
            cells.fail(
                STAGE_LABELS[reached[-1][0]],
                f"档案中已是“{STAGE_LABELS[candidate.stage]}”：迁移不能使阶段倒退",
            )
        if student_no:
            first_row.setdefault(student_no, row.number)
        if cells.is_valid:
            plans.append((candidate, reached))
    if errors:
        return ImportResult(errors=errors)

    result = ImportResult()
    with acting_as(actor.id), session.begin_nested():
        set_reason(session, f"历史档案迁移：{filename}"[:500])
        for candidate, reached in plans:
            _migrate(session, candidate, reached, filename, actor)
            result.updated += 1
            result.candidate_ids.add(candidate.id)
        session.flush()
    return result


def _migrate(session: Session, candidate: Candidate, reached, filename: str, actor: User) -> None:
    """Make the record's history the file's: each stage on its date, marked as migrated."""
    existing = {change.stage: change for change in candidate.stage_changes}
    for stage, on in reached:
        change = existing.pop(stage, None)
        if change is None:
            change = StageChange(stage=stage, entered_on=on)
            candidate.stage_changes.append(change)
        change.entered_on, change.recorded_by_id = on, actor.id
        change.is_migrated, change.source_file = True, filename[:200]
    for change in existing.values():  # stages the file says were not reached
        candidate.stage_changes.remove(change)
        session.delete(change)
    candidate.stage = reached[-1][0]
