"""Graduate students' materials reviewed in the district where they live (seed 000 §4): the
district's organizers list them, open their materials and check each document, and see
nothing else of the graduate branch's records."""

import io
import zipfile

import pytest
from sqlalchemy import select

from partyschool.accounts.models import Role
from partyschool.candidates.archive.models import Material, MaterialStatus
from partyschool.candidates.rules import Level
from partyschool.organization.models import Building, District, Room, SchoolKind
from tests.candidates.material_files import pdf_bytes
from tests.factories import make_branch_school, make_candidate, make_user, reread


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """A fresh upload folder for this test."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


@pytest.fixture
def campus(session, uploads):
    """District school d1 (organizer `org`), the graduate branch (organizer `grad_org`), a
    graduate building in district d1 with a graduate and an undergraduate, and a graduate
    living elsewhere."""
    district_school = make_branch_school(session, code="d1")
    graduate_school = make_branch_school(session, code="grad", kind=SchoolKind.GRADUATE)
    other_school = make_branch_school(session, code="d2")
    make_user(session, Role.ORGANIZER, district_school, username="org")
    make_user(session, Role.BRANCH_ADMIN, district_school, username="badmin")
    make_user(session, Role.ORGANIZER, graduate_school, username="grad_org")
    make_user(session, Role.ORGANIZER, other_school, username="org2")
    district = District(code="d1", name="第一学区", party_school=district_school)
    here = Building(name="研究生公寓A幢", party_school=graduate_school, district=district)
    elsewhere = Building(name="研究生公寓B幢", party_school=graduate_school)
    students = {
        "resident": make_candidate(
            session,
            graduate_school,
            name="王研究生",
            level=Level.GRADUATE,
            room=Room(building=here, number="501"),
            id_number="11010519491231002X",
        ),
        "elsewhere": make_candidate(
            session,
            graduate_school,
            name="赵研究生",
            level=Level.GRADUATE,
            room=Room(building=elsewhere, number="601"),
        ),
        "undergraduate": make_candidate(
            session, graduate_school, name="钱本科生", room=Room(building=here, number="502")
        ),
    }
    session.commit()
    return students


def _upload(client, candidate, text: str):
    return client.post(
        f"/materials/candidates/{candidate.id}/upload",
        {"kind": "application", "file": (io.BytesIO(pdf_bytes(text)), "申请书.pdf")},
        content_type="multipart/form-data",
    )


def _material(session, candidate) -> Material:
    stmt = select(Material).where(Material.candidate_id == candidate.id)
    return reread(session).scalars(stmt).one()


def _switch(client, username: str) -> None:
    client.post("/logout")
    assert client.login(username).status_code == 302


def test_the_district_organizer_lists_and_reviews_graduates_living_there(client, session, campus):
    resident = campus["resident"]
    client.login("grad_org")
    assert _upload(client, resident, "研究生入党申请书").status_code == 302
    _switch(client, "org")
    listing = client.get("/materials/district").get_data(as_text=True)
    assert "王研究生" in listing and "研究生公寓A幢 501" in listing
    assert "赵研究生" not in listing and "钱本科生" not in listing
    page = client.get(f"/materials/candidates/{resident.id}").get_data(as_text=True)
    assert "入党申请书" in page and "负责审核其入党材料" in page
    assert (
        "导出全部材料" not in page and "上传材料" not in page and "11010519491231002X" not in page
    )
    material = _material(session, resident)
    download = client.get(f"/materials/{material.id}/file")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    download.close()
    client.post(
        f"/materials/{material.id}/check", {"status": "returned", "comment": "缺少本人签名"}
    )
    material = _material(session, resident)
    assert material.status is MaterialStatus.RETURNED and material.checked_by.username == "org"
    # The graduate branch sees the district's comment on its own record page.
    _switch(client, "grad_org")
    record = client.get(f"/materials/candidates/{resident.id}").get_data(as_text=True)
    assert "缺少本人签名" in record


def test_the_district_sees_nothing_else_of_the_graduate_branch(client, session, campus):
    resident = campus["resident"]
    client.login("grad_org")
    _upload(client, resident, "研究生入党申请书")
    material = _material(session, resident)
    _switch(client, "org")
    for path in (
        f"/candidates/{resident.id}",
        f"/candidates/{resident.id}/identity",
        f"/materials/candidates/{resident.id}/archive.zip",
        f"/materials/candidates/{resident.id}/archive.pdf",
        f"/api/v1/candidates/{resident.student_no}/eligibility",
    ):
        assert client.get(path).status_code == 404, path
    assert "王研究生" not in client.get("/candidates/").get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(client.get("/candidates/export.xlsx").data)) as workbook:
        assert all("王研究生" not in workbook.read(n).decode() for n in workbook.namelist())
    assert _upload(client, resident, "冒名上传").status_code == 404
    response = client.post(f"/materials/{material.id}/withdraw", {"reason": "试图撤回"})
    assert response.status_code == 404
    assert _material(session, resident).id == material.id


@pytest.mark.parametrize(
    ("username", "student"),
    [
        ("org", "elsewhere"),  # a graduate living outside the district
        ("org", "undergraduate"),  # the district reviews graduates only
        ("badmin", "resident"),  # reviewing is the organizers' work
        ("org2", "resident"),  # another district
    ],
)
def test_no_one_else_reviews(client, session, campus, username, student):
    candidate = campus[student]
    client.login("grad_org")
    _upload(client, candidate, "材料")
    material = _material(session, candidate)
    _switch(client, username)
    assert client.get(f"/materials/candidates/{candidate.id}").status_code == 404
    assert client.get(f"/materials/{material.id}/file").status_code == 404
    response = client.post(f"/materials/{material.id}/check", {"status": "checked"})
    assert response.status_code == 404
    assert _material(session, candidate).status is MaterialStatus.PENDING
