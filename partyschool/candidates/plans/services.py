"""Setting a branch school's annual plan, and counting what happened against it.

The actual figures are the stage changes on the records, counted when asked: a change
withdrawn or corrected on a record moves the figures with it. Each page is a fixed number of
queries (one grouped count), however many candidates there are.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import extract, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from partyschool.access import can_see_school
from partyschool.accounts.models import User
from partyschool.audit import set_reason
from partyschool.candidates.models import Candidate, StageChange
from partyschool.candidates.plans.models import (
    PLANNED_STAGES,
    TARGET_COLUMNS,
    DevelopmentPlan,
    DevelopmentPlanMonth,
)
from partyschool.candidates.rules import Stage
from partyschool.candidates.services import RecordError
from partyschool.organization.models import PartySchool, SchoolKind
from partyschool.spreadsheets import write_xlsx

MONTHS = range(1, 13)
MAX_TARGET = 100_000
PLAN_KINDS = (SchoolKind.DISTRICT, SchoolKind.GRADUATE)

Targets = Mapping[Stage, int]


def plannable_years(today: date) -> range:
    """The years a plan may be set or adjusted for: last year's (closing it), this, next."""
    return range(today.year - 1, today.year + 2)


def plan_of(session: Session, school_id: int, year: int) -> DevelopmentPlan | None:
    """The branch school's plan for the year, with its months, if it has one."""
    return session.scalar(
        select(DevelopmentPlan)
        .where(DevelopmentPlan.party_school_id == school_id, DevelopmentPlan.year == year)
        .options(selectinload(DevelopmentPlan.months))
    )


def _checked_targets(targets: Targets, where: str) -> dict[Stage, int]:
    checked = {}
    for stage, label in PLANNED_STAGES.items():
        value = targets.get(stage)
        if value is None or not 0 <= value <= MAX_TARGET:
            raise RecordError(f"{where}“{label}”须为 0 至 {MAX_TARGET} 之间的整数")
        checked[stage] = value
    return checked


def set_plan(
    session: Session,
    school: PartySchool,
    year: int,
    targets: Targets,
    monthly: Mapping[int, Targets] | None,
    note: str,
    reason: str | None,
    actor: User,
    today: date,
) -> DevelopmentPlan:
    """Set (or adjust, with the reason) a branch school's plan for a year; a split by month,
    when given, must add up to the year's targets."""
    if school.kind not in PLAN_KINDS or school.is_school_level:
        raise RecordError("年度发展计划由学区分党校和研究生分党校制定")
    if not can_see_school(actor, school.id):
        raise RecordError("只能制定本分党校的年度发展计划")
    if year not in plannable_years(today):
        years = plannable_years(today)
        raise RecordError(f"只能制定或调整 {years[0]} 至 {years[-1]} 年的计划")
    annual = _checked_targets(targets, "全年计划")
    months = {m: _checked_targets(t, f"{m}月计划") for m, t in (monthly or {}).items()}
    if set(months) - set(MONTHS):
        raise RecordError("月份须为 1 至 12")
    if months:
        for stage, label in PLANNED_STAGES.items():
            total = sum(t[stage] for t in months.values())
            if total != annual[stage]:
                raise RecordError(
                    f"“{label}”各月计划之和（{total}）与全年计划（{annual[stage]}）不一致"
                )
    note = (note or "").strip()
    if len(note) > 500:
        raise RecordError("说明不能超过 500 字")
    plan = plan_of(session, school.id, year)
    if plan is None:
        plan = DevelopmentPlan(party_school_id=school.id, year=year)
        session.add(plan)
    else:
        reason = (reason or "").strip()
        if not reason:
            raise RecordError("调整已制定的计划，请填写调整原因")
        set_reason(session, reason[:500])
    for stage, column in TARGET_COLUMNS.items():
        setattr(plan, column, annual[stage])
    plan.note, plan.set_by_id = note, actor.id
    _set_months(plan, months)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise RecordError("该年度计划刚由他人制定，请刷新页面后调整") from None
    return plan


def _set_months(plan: DevelopmentPlan, months: Mapping[int, Mapping[Stage, int]]) -> None:
    existing = {m.month: m for m in plan.months}
    for number, row in existing.items():
        if number not in months:
            plan.months.remove(row)
    for number in sorted(months):
        row = existing.get(number)
        if row is None:
            row = DevelopmentPlanMonth(month=number)
            plan.months.append(row)
        for stage, column in TARGET_COLUMNS.items():
            setattr(row, column, months[number][stage])


def actual_counts(
    session: Session, year: int, school_id: int | None = None
) -> dict[tuple[int, Stage, int], int]:
    """How many candidates entered each planned stage, by (party school, stage, month) of the
    year, in one grouped query; counted by the school the candidate belongs to now."""
    month = extract("month", StageChange.entered_on)
    stmt = (
        select(Candidate.party_school_id, StageChange.stage, month, func.count())
        .join(Candidate, Candidate.id == StageChange.candidate_id)
        .where(
            StageChange.stage.in_(list(PLANNED_STAGES)),
            StageChange.entered_on >= date(year, 1, 1),
            StageChange.entered_on <= date(year, 12, 31),
        )
        .group_by(Candidate.party_school_id, StageChange.stage, month)
    )
    if school_id is not None:
        stmt = stmt.where(Candidate.party_school_id == school_id)
    return {(s, Stage(stage), int(m)): n for s, stage, m, n in session.execute(stmt)}


def percent(done: int, target: int | None) -> str:
    """Done as a share of the target, as people read it ("—" without a target)."""
    return f"{done * 100 / target:.0f}%" if target else "—"


@dataclass(frozen=True)
class MonthRow:
    """One month of a year: entries into each planned stage against the plan."""

    month: int
    actual: dict[Stage, int]
    cumulative: dict[Stage, int]
    planned: dict[Stage, int] | None  # None when the plan is not split by month
    planned_cumulative: dict[Stage, int] | None


@dataclass(frozen=True)
class Progress:
    """A branch school's year: its plan (if set), each month, and the year's totals."""

    school: PartySchool
    year: int
    plan: DevelopmentPlan | None
    months: list[MonthRow]
    totals: dict[Stage, int]

    def target(self, stage: Stage) -> int | None:
        """The year's target for the stage, or None without a plan."""
        return self.plan.target(stage) if self.plan else None

    def share(self, stage: Stage, done: int | None = None) -> str:
        """What was done (by default, the whole year's) as a share of the year's target."""
        return percent(self.totals[stage] if done is None else done, self.target(stage))


def progress(session: Session, school: PartySchool, year: int) -> Progress:
    """The branch school's plan against what the records say, month by month (two queries)."""
    plan = plan_of(session, school.id, year)
    counts = actual_counts(session, year, school.id)
    by_month = {m.month: m for m in plan.months} if plan else {}
    is_split = bool(by_month)
    running = dict.fromkeys(PLANNED_STAGES, 0)
    planned_running = dict.fromkeys(PLANNED_STAGES, 0)
    rows = []
    for month in MONTHS:
        actual = {s: counts.get((school.id, s, month), 0) for s in PLANNED_STAGES}
        running = {s: running[s] + actual[s] for s in PLANNED_STAGES}
        planned = None
        if is_split:
            share = by_month.get(month)
            planned = {s: share.target(s) if share else 0 for s in PLANNED_STAGES}
            planned_running = {s: planned_running[s] + planned[s] for s in PLANNED_STAGES}
        rows.append(
            MonthRow(month, actual, running, planned, dict(planned_running) if is_split else None)
        )
    return Progress(school, year, plan, rows, dict(running))


@dataclass(frozen=True)
class BranchRow:
    """One branch school's year in the school-level overview."""

    school: PartySchool
    plan: DevelopmentPlan | None
    totals: dict[Stage, int]

    def target(self, stage: Stage) -> int | None:
        """The year's target for the stage, or None without a plan."""
        return self.plan.target(stage) if self.plan else None

    def share(self, stage: Stage) -> str:
        """The year's entries into the stage as a share of its target."""
        return percent(self.totals[stage], self.target(stage))


def overview(session: Session, year: int, school_id: int | None = None) -> list[BranchRow]:
    """Every branch school's plan and actual figures for the year (or one school's), in three
    queries whatever the number of schools and candidates."""
    stmt = select(PartySchool).where(
        PartySchool.parent_id.is_not(None), PartySchool.kind.in_(PLAN_KINDS)
    )
    if school_id is not None:
        stmt = stmt.where(PartySchool.id == school_id)
    schools = session.scalars(stmt.order_by(PartySchool.kind, PartySchool.code)).all()
    plans = {
        p.party_school_id: p
        for p in session.scalars(select(DevelopmentPlan).where(DevelopmentPlan.year == year))
    }
    counts = actual_counts(session, year, school_id)
    rows = []
    for school in schools:
        totals = {
            s: sum(n for (sid, stage, _), n in counts.items() if sid == school.id and stage is s)
            for s in PLANNED_STAGES
        }
        rows.append(BranchRow(school, plans.get(school.id), totals))
    return rows


def _figures(target: int | None, done: int) -> list:
    return ["" if target is None else target, done, percent(done, target)]


def export_progress(progress: Progress) -> bytes:
    """A branch school's year by month as an XLSX workbook."""
    headers = ["月份"]
    for label in PLANNED_STAGES.values():
        headers += [f"{label}·本月计划", f"{label}·本月完成", f"{label}·累计完成", "完成率"]
    rows = []
    for row in progress.months:
        cells: list = [f"{row.month}月"]
        for stage in PLANNED_STAGES:
            planned = "" if row.planned is None else row.planned[stage]
            cells += [planned, row.actual[stage], row.cumulative[stage]]
            cells.append(progress.share(stage, row.cumulative[stage]))
        rows.append(cells)
    total: list = ["全年"]
    for stage in PLANNED_STAGES:
        target = progress.target(stage)
        done = progress.totals[stage]
        total += ["" if target is None else target, done, done, progress.share(stage)]
    rows.append(total)
    title = f"{progress.school.name}{progress.year}年发展计划"
    return write_xlsx(headers, rows, title=title)


def export_overview(rows: list[BranchRow], year: int) -> bytes:
    """Every branch school's plan against actual for the year as an XLSX workbook."""
    headers = ["分党校", "类型"]
    for label in PLANNED_STAGES.values():
        headers += [f"{label}·计划", f"{label}·完成", f"{label}·完成率"]
    data = []
    for row in rows:
        cells: list = [row.school.name, row.school.kind.label]
        for stage in PLANNED_STAGES:
            cells += _figures(row.target(stage), row.totals[stage])
        data.append(cells)
    return write_xlsx(headers, data, title=f"{year}年各分党校发展计划完成情况")
