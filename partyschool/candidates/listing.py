"""The organizers' candidate list: filters, pages in a fixed number of queries, XLSX export."""

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.datastructures import MultiDict

from partyschool.access import scope_to_user
from partyschool.accounts.models import User
from partyschool.candidates import identity, services, workbench
from partyschool.candidates.models import Candidate
from partyschool.candidates.rules import STAGE_LABELS, STEP_LABELS, Stage
from partyschool.extensions import as_id
from partyschool.organization.models import Building, College, PartySchool, Room
from partyschool.spreadsheets import write_xlsx

PAGE_SIZE = 50
STATUSES = {"eligible": "可进入下一步", "blocked": "受阻"}


def _int(value: str | None) -> int | None:
    return as_id(value)


def search(text: str) -> ColumnElement[bool]:
    """Candidates whose name or student number contains the text (LIKE wildcards escaped)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        Candidate.name.like(pattern, escape="\\"),
        Candidate.student_no.like(pattern, escape="\\"),
    )


@dataclass(frozen=True)
class CandidateQuery:
    """What the organizer filters by; anything malformed in the URL is ignored."""

    stage: Stage | None = None
    college_id: int | None = None
    class_name: str | None = None
    building_id: int | None = None
    status: str | None = None
    q: str | None = None  # a name or a student number, or part of one
    school_id: int | None = None  # a branch school, for the school level's people
    reason: str | None = None  # a kind of blocking reason (workbench.BLOCK_KINDS)
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict) -> "CandidateQuery":
        """Read the filters from query-string arguments."""
        stage = args.get("stage")
        status = args.get("status")
        return cls(
            stage=Stage(stage) if stage in set(Stage) else None,
            college_id=_int(args.get("college_id")),
            class_name=(args.get("class_name") or "").strip()[:100] or None,
            building_id=_int(args.get("building_id")),
            status=status if status in STATUSES else None,
            q=(args.get("q") or "").strip()[:100] or None,
            school_id=_int(args.get("school_id")),
            reason=args.get("reason") if args.get("reason") in workbench.BLOCK_KINDS else None,
            page=max(_int(args.get("page")) or 1, 1),
        )

    def args(self, **changes) -> dict:
        """The query-string arguments of this query, with some changed (for links)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return {key: value for key, value in values.items() if value not in (None, "")}

    def statement(self, user: User) -> Select:
        """The candidates this user may see that match the filters, in a stable order."""
        stmt = scope_to_user(select(Candidate), Candidate.party_school_id, user)
        if self.stage:
            stmt = stmt.where(Candidate.stage == self.stage)
        if self.college_id:
            stmt = stmt.where(Candidate.college_id == self.college_id)
        if self.class_name:
            stmt = stmt.where(Candidate.class_name == self.class_name)
        if self.building_id:
            rooms = select(Room.id).where(Room.building_id == self.building_id)
            stmt = stmt.where(Candidate.room_id.in_(rooms))
        if self.q:
            stmt = stmt.where(search(self.q))
        if self.school_id:
            stmt = stmt.where(Candidate.party_school_id == self.school_id)
        if self.reason:
            stmt = stmt.where(workbench.blocked_for(self.reason))
        if self.status:
            stmt = stmt.where(
                Candidate.next_step.is_not(None), Candidate.is_blocked == (self.status == "blocked")
            )
        return stmt.order_by(Candidate.is_blocked.desc(), Candidate.student_no)


@dataclass(frozen=True)
class Page:
    """One page of assessed candidates."""

    items: list[services.Assessment]
    total: int
    number: int

    @property
    def pages(self) -> int:
        """How many pages the whole list has."""
        return max((self.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)


IDENTITY_OPTIONS = (
    joinedload(Candidate.college),
    joinedload(Candidate.party_school),
    joinedload(Candidate.room).joinedload(Room.building),
)


def count(session: Session, stmt: Select) -> int:
    """How many rows a query selects, whatever it joins or orders by."""
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def rejudge_stale(session: Session, user: User, today: date) -> None:
    """Re-judge the standings in the user's scope that the rules in force have not judged on
    this day: filters and exports read the stored standing. The caller commits."""
    scope = scope_to_user(select(Candidate), Candidate.party_school_id, user)
    services.refresh_stale(session, scope, today)


def page(session: Session, user: User, query: CandidateQuery, today: date) -> Page:
    """A page of the list, each candidate assessed afresh, in a constant number of queries
    (after `rejudge_stale`)."""
    stmt, total, number = paged(session, query.statement(user), query.page)
    rows = services.load(session, stmt.options(*IDENTITY_OPTIONS))
    return Page(services.assess(session, rows, today), total, number)


def paged(session: Session, stmt: Select, page: int) -> tuple[Select, int, int]:
    """The page of a query (past the end: the last page), the total and the page's number."""
    total = count(session, stmt)
    number = min(page, max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))
    return stmt.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE), total, number


def filter_options(session: Session, user: User) -> dict:
    """The choices of the filter form: colleges, and the buildings of the user's scope."""
    buildings = scope_to_user(select(Building), Building.party_school_id, user)
    schools = (
        session.scalars(
            select(PartySchool).where(PartySchool.parent_id.is_not(None)).order_by(PartySchool.id)
        ).all()
        if user.has_school_scope
        else []
    )
    return {
        "reasons": {kind: label for kind, (label, _patterns) in workbench.BLOCK_KINDS.items()},
        "schools": schools,
        "stages": STAGE_LABELS,
        "statuses": STATUSES,
        "colleges": session.scalars(select(College).order_by(College.id)).all(),
        "buildings": session.scalars(buildings.order_by(Building.name)).all(),
    }


EXPORT_HEADERS = [
    "学号",
    "姓名",
    "学院",
    "专业",
    "班级",
    "层次",
    "阶段",
    "寝室",
    "身份证号",
    "手机",
    "下一步",
    "状态",
    "受阻原因",
]


def _identity(user: User, candidate: Candidate) -> tuple[str, str]:
    if identity.may_see_identity(user, candidate.party_school_id):
        return candidate.id_number or "", candidate.phone or ""
    return identity.mask(candidate.id_number), identity.mask_phone(candidate.phone)


def export_xlsx(session: Session, user: User, query: CandidateQuery) -> bytes:
    """Every candidate matching the filters (not just one page) as an XLSX workbook (after
    `rejudge_stale`)."""
    candidates = session.scalars(query.statement(user).options(*IDENTITY_OPTIONS))
    rows = (
        [
            c.student_no,
            c.name,
            c.college.name if c.college else "",
            c.major,
            c.class_name,
            "研究生" if c.level == "graduate" else "本专科",
            STAGE_LABELS[c.stage],
            str(c.room) if c.room else "",
            *_identity(user, c),
            STEP_LABELS[c.next_step] if c.next_step else "",
            ("受阻" if c.is_blocked else "可进入下一步") if c.next_step else "",
            c.blocking_summary,
        ]
        for c in candidates
    )
    return write_xlsx(EXPORT_HEADERS, rows, title="发展对象名单")
