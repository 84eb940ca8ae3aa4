"""Demo data of the core: the seed university's organization and the demo accounts.

Every function is idempotent: it looks records up by their natural key before creating them.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool.accounts import services as accounts
from partyschool.accounts.models import Role, User
from partyschool.candidates import demo as candidate_demo
from partyschool.candidates.archive import demo as archive_demo
from partyschool.candidates.plans import demo as plan_demo
from partyschool.candidates.twoway import demo as twoway_demo
from partyschool.extensions import today
from partyschool.organization.models import (
    Building,
    College,
    District,
    PartyBranch,
    PartySchool,
    Room,
    SchoolKind,
)

DEMO_PASSWORD = "partyschool-demo"  # noqa: S105 - published in README for the demo
SCHOOL_LEVEL = ("school", "校党校")
BRANCH_SCHOOLS = (
    ("district1", "第一学区分党校", SchoolKind.DISTRICT),
    ("district2", "第二学区分党校", SchoolKind.DISTRICT),
    ("district3", "第三学区分党校", SchoolKind.DISTRICT),
    ("graduate", "研究生分党校", SchoolKind.GRADUATE),
)
# (code, name, the building where the college posts its undergraduates' 公示)
COLLEGES = (
    ("marxism", "马克思主义学院", "北区2号楼"),
    ("humanities", "人文学院", "北区2号楼"),
    ("math", "数理学院", "南区5号楼"),
    ("chemistry", "化学与材料工程学院", "南区5号楼"),
    ("cs", "计算机与人工智能学院", "北区1号楼"),
    ("business", "商学院", "东区8号楼"),
)
DISTRICTS = (
    ("d1", "第一学区", "district1"),
    ("d2", "第二学区", "district2"),
    ("d3", "第三学区", "district3"),
)
# (branch school, district code or None, building, rooms)
BUILDINGS = (
    ("district1", "d1", "北区1号楼", ("101", "102", "201", "202")),
    ("district1", "d1", "北区2号楼", ("101", "102", "201")),
    ("district2", "d2", "南区5号楼", ("301", "302")),
    ("district3", "d3", "东区8号楼", ("101", "102")),
    # Graduate students live in a district too; its organizers review their materials.
    ("graduate", "d1", "研究生公寓A幢", ("501", "502", "601")),
)
BRANCHES = (
    ("第一学区本科生第一党支部", "district1", "cs"),
    ("第一学区本科生第二党支部", "district1", "humanities"),
    ("第二学区本科生党支部", "district2", "math"),
    ("第三学区本科生党支部", "district3", "business"),
    ("计算机与人工智能学院研究生党支部", "graduate", "cs"),
)
ACCOUNTS = (
    ("admin", "校党校管理员", Role.SCHOOL_ADMIN, "school"),
    ("branch_admin", "第一学区分党校管理员", Role.BRANCH_ADMIN, "district1"),
    ("teacher", "王老师", Role.INSTRUCTOR, "district1"),
    ("organizer", "李组织员", Role.ORGANIZER, "district1"),
    ("activist", "张三", Role.ACTIVIST, "district1"),
    ("grad_organizer", "陈组织员", Role.ORGANIZER, "graduate"),
    ("grad_admin", "研究生分党校管理员", Role.BRANCH_ADMIN, "graduate"),
)


def _get_or_add(session: Session, model, lookup: dict, **values):
    row = session.scalar(select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values)
        session.add(row)
        session.flush()
    return row


def seed_organization(session: Session) -> dict[str, PartySchool]:
    """The school level, its four branch schools, colleges, districts, dormitories, branches."""
    code, name = SCHOOL_LEVEL
    top = _get_or_add(session, PartySchool, {"code": code}, name=name, kind=SchoolKind.SCHOOL)
    schools = {code: top}
    for code, name, kind in BRANCH_SCHOOLS:
        schools[code] = _get_or_add(
            session, PartySchool, {"code": code}, name=name, kind=kind, parent=top
        )
    colleges = {
        code: _get_or_add(session, College, {"code": code}, name=name, notice_building=building)
        for code, name, building in COLLEGES
    }
    districts = {
        code: _get_or_add(
            session, District, {"code": code}, name=name, party_school=schools[school]
        )
        for code, name, school in DISTRICTS
    }
    for school, district, building_name, rooms in BUILDINGS:
        building = _get_or_add(
            session,
            Building,
            {"party_school_id": schools[school].id, "name": building_name},
            district=districts.get(district),
        )
        for number in rooms:
            _get_or_add(session, Room, {"building_id": building.id, "number": number})
    for name, school, college in BRANCHES:
        _get_or_add(
            session,
            PartyBranch,
            {"name": name},
            party_school=schools[school],
            college=colleges[college],
        )
    return schools


def seed_accounts(session: Session, schools: dict[str, PartySchool]) -> dict[str, User]:
    """The demo accounts of DESIGN.md, all with the demo password."""
    users = {}
    for username, display_name, role, school in ACCOUNTS:
        user = session.scalar(select(User).where(User.username == username))
        users[username] = user or accounts.create_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            school=schools[school],
            display_name=display_name,
        )
    return users


def seed(session: Session) -> tuple[dict[str, PartySchool], dict[str, User]]:
    """All demo data of the core: organization, accounts, candidates' records."""
    schools = seed_organization(session)
    users = seed_accounts(session, schools)
    candidate_demo.seed(session, schools, users, today())
    archive_demo.seed(session, users, today())
    plan_demo.seed(session, schools, users, today())
    twoway_demo.seed(session, users, today())
    return schools, users
