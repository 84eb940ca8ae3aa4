"""The one door for a candidate's archived materials: upload, check or return, withdraw; and
who may review them: the candidate's branch school, and for a graduate student the organizers
of the district where the student lives (seed 000 §4).

Functions take the session first and only flush; the request (or command) commits once.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from partyschool.access import can_see_school
from partyschool.accounts.models import ORGANIZERS, Role, User
from partyschool.audit import set_reason
from partyschool.candidates.archive.models import (
    KIND_STAGES,
    Material,
    MaterialKind,
    MaterialStatus,
)
from partyschool.candidates.models import Candidate
from partyschool.candidates.rules import Level, Stage
from partyschool.candidates.services import RecordError
from partyschool.extensions import utcnow
from partyschool.organization.models import Building, District, Room
from partyschool.uploads import MATERIALS, UploadError, remove_files, store_upload


def keeps_file(user: User, candidate: Candidate) -> bool:
    """True when the user works for the candidate's branch school (or the school level): they
    keep the whole file, upload to it and export it."""
    return user.role in ORGANIZERS and can_see_school(user, candidate.party_school_id)


def reviews_for_district(user: User, candidate: Candidate) -> bool:
    """True when the user is an organizer of the district where this graduate student lives:
    they review the student's materials and see nothing else of the graduate branch's file."""
    if user.role is not Role.ORGANIZER or candidate.level is not Level.GRADUATE:
        return False
    room = candidate.room
    district = room.building.district if room is not None else None
    return district is not None and district.party_school_id == user.party_school_id


def may_review(user: User, candidate: Candidate) -> bool:
    """True when the user may open the candidate's materials and check them."""
    return keeps_file(user, candidate) or reviews_for_district(user, candidate)


def district_graduates(user: User) -> Select:
    """The graduate students living in buildings of the user's district(s), by student number."""
    return (
        select(Candidate)
        .join(Room, Candidate.room_id == Room.id)
        .join(Building, Room.building_id == Building.id)
        .join(District, Building.district_id == District.id)
        .where(Candidate.level == Level.GRADUATE, District.party_school_id == user.party_school_id)
        .order_by(Candidate.student_no)
        .options(selectinload(Candidate.room).selectinload(Room.building))
    )


def materials_of(session: Session, candidate_ids: Iterable[int]) -> dict[int, list[Material]]:
    """The materials of these candidates, in upload order, in one query."""
    ids = set(candidate_ids)
    found: dict[int, list[Material]] = {candidate_id: [] for candidate_id in ids}
    if ids:
        stmt = select(Material).where(Material.candidate_id.in_(ids)).order_by(Material.id)
        for material in session.scalars(stmt):
            found[material.candidate_id].append(material)
    return found


@dataclass(frozen=True)
class ChecklistItem:
    """One required document of a stage and how far it has got."""

    kind: MaterialKind
    materials: tuple[Material, ...]

    @property
    def status(self) -> MaterialStatus | None:
        """The best standing among its uploads: checked, then pending, then returned; None when
        nothing has been uploaded."""
        for status in (MaterialStatus.CHECKED, MaterialStatus.PENDING, MaterialStatus.RETURNED):
            if any(m.status is status for m in self.materials):
                return status
        return None

    @property
    def is_missing(self) -> bool:
        """True when nothing usable is on file: no upload, or every upload returned."""
        return self.status in (None, MaterialStatus.RETURNED)


@dataclass(frozen=True)
class StageChecklist:
    """The documents one stage needs."""

    stage: Stage
    items: tuple[ChecklistItem, ...]
    is_reached: bool

    @property
    def missing(self) -> list[ChecklistItem]:
        """The items with nothing usable on file."""
        return [item for item in self.items if item.is_missing]

    @property
    def is_complete(self) -> bool:
        """True when every document of the stage is on file and checked."""
        return all(item.status is MaterialStatus.CHECKED for item in self.items)


def checklist(candidate: Candidate, materials: Sequence[Material]) -> list[StageChecklist]:
    """Per stage, the required documents with their uploads; stages the candidate has reached
    are marked, as only their missing documents are overdue."""
    stages = sorted(set(KIND_STAGES.values()))
    return [
        StageChecklist(
            stage=stage,
            items=tuple(
                ChecklistItem(kind, tuple(m for m in materials if m.kind is kind))
                for kind in MaterialKind
                if kind.stage is stage
            ),
            is_reached=stage <= candidate.stage,
        )
        for stage in stages
    ]


def missing_count(candidate: Candidate, materials: Sequence[Material]) -> int:
    """How many documents of the stages reached are missing."""
    return sum(len(s.missing) for s in checklist(candidate, materials) if s.is_reached)


def upload_material(
    session: Session,
    candidate: Candidate,
    kind: MaterialKind,
    upload,
    title: str,
    actor: User,
    folder: Path | None = None,
) -> Material:
    """Store an uploaded document (PDF, JPG/PNG or DOCX) in the candidate's archive, waiting for
    an organizer to check it. Raises RecordError, leaving no file behind."""
    if not keeps_file(actor, candidate):
        raise RecordError("只有学员所在分党校的组织员和管理员可以上传入党材料")
    try:
        stored = store_upload(upload, MATERIALS, folder)
    except UploadError as error:
        raise RecordError(str(error)) from None
    material = Material(
        candidate_id=candidate.id,
        kind=kind,
        title=(title or "").strip()[:200],
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        uploaded_by_id=actor.id,
    )
    session.add(material)
    try:
        session.flush()
    except Exception:
        remove_files([stored.stored_name], folder)
        raise
    return material


def check_material(
    session: Session,
    candidate: Candidate,
    material: Material,
    status: MaterialStatus,
    comment: str,
    actor: User,
) -> None:
    """Mark a document checked (已审核) or return it (退回, saying why) — by the candidate's
    branch school or, for a graduate student, the organizers of the student's district."""
    if material.candidate_id != candidate.id:
        raise RecordError("该材料不属于此学员")
    if not may_review(actor, candidate):
        raise RecordError("您无权审核该学员的入党材料")
    if status is MaterialStatus.PENDING:
        raise RecordError("请选择“已审核”或“退回”")
    comment = (comment or "").strip()
    if status is MaterialStatus.RETURNED and not comment:
        raise RecordError("退回材料时请填写意见，说明需要如何修改")
    material.status, material.check_comment = status, comment[:500]
    material.checked_by_id, material.checked_at = actor.id, utcnow()
    session.flush()


def withdraw_material(
    session: Session, candidate: Candidate, material: Material, reason: str, actor: User
) -> str:
    """Take a document uploaded by mistake out of the archive, with the reason; the audit trail
    keeps what it was. Returns the stored name, for deleting the file after the commit."""
    if material.candidate_id != candidate.id:
        raise RecordError("该材料不属于此学员")
    if not keeps_file(actor, candidate):
        raise RecordError("只有学员所在分党校的组织员和管理员可以撤回入党材料")
    reason = (reason or "").strip()
    if not reason:
        raise RecordError("请填写原因")
    set_reason(session, reason[:500])
    session.delete(material)
    session.flush()
    return material.stored_name
