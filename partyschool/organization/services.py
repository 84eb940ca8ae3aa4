"""Reading and changing the organization."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from partyschool.accounts.models import User
from partyschool.organization.models import College, PartySchool, SchoolKind


class OrganizationError(ValueError):
    """A change to the organization was refused; the message is shown to the user."""


def school_level(session: Session) -> PartySchool:
    """The school-level party school (校党校)."""
    return session.scalars(select(PartySchool).where(PartySchool.parent_id.is_(None))).one()


def school_by_code(session: Session, code: str) -> PartySchool | None:
    """The party school with this code."""
    return session.scalar(select(PartySchool).where(PartySchool.code == code))


def branch_schools(session: Session) -> list[tuple[PartySchool, int]]:
    """Every branch school with the number of its accounts."""
    stmt = (
        select(PartySchool, func.count(User.id))
        .outerjoin(User, User.party_school_id == PartySchool.id)
        .where(PartySchool.parent_id.is_not(None))
        .group_by(PartySchool.id)
        .order_by(PartySchool.id)
    )
    return [(school, count) for school, count in session.execute(stmt)]


def save_branch_school(
    session: Session,
    school: PartySchool | None,
    *,
    code: str,
    name: str,
    kind: str,
    is_active: bool,
) -> PartySchool:
    """Create a branch school, or update one, refusing a code already in use."""
    other = school_by_code(session, code)
    if other is not None and other is not school:
        raise OrganizationError(f"代码 {code} 已被 {other.name} 使用")
    if school is None:
        school = PartySchool(parent=school_level(session))
        session.add(school)
    school.code, school.name, school.kind, school.is_active = (
        code,
        name,
        SchoolKind(kind),
        is_active,
    )
    session.flush()
    return school


def colleges(session: Session) -> list[College]:
    """Every college, by code."""
    return list(session.scalars(select(College).order_by(College.code)))


def name_notice_building(session: Session, college: College, name: str) -> None:
    """Name the building where the college posts its undergraduates' 公示 (seed 000 §3)."""
    name = name.strip()
    if not name:
        raise OrganizationError("请填写楼栋名称")
    college.notice_building = name[:100]
    session.flush()
