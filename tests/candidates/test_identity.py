"""The identity a Party file needs: the 身份证号 checked, and masked for everyone but the branch's
organizers and the school admin — on pages, in exports and in JSON, never in a trainee's JSON
or in the audit trail."""

import io
import subprocess
import zipfile
from datetime import date

import pytest
from sqlalchemy import select, update

from partyschool.accounts.models import Role
from partyschool.audit import AuditEvent
from partyschool.candidates import identity
from partyschool.candidates.models import Candidate
from tests.conftest import Client
from tests.factories import make_branch_school, make_candidate, make_user, reread, school_level

MALE = "330302199003071231"  # born 1990-03-07
FEMALE = "11010519491231002X"  # born 1949-12-31
MASKED = "330302********1231"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("33030219900307123", "应为 18 位"),
        ("330302199003071232", "校验位不正确"),
        ("440304200202290510", "出生日期无效"),  # 2002-02-29 does not exist
        ("3.30302199003071E+17", "应为 18 位"),
    ],
)
def test_a_wrong_identity_number_is_refused_with_the_reason(text, message):
    with pytest.raises(identity.IdentityError, match=message):
        identity.check_id_number(text)


def test_a_right_number_gives_the_birth_date_and_gender():
    assert identity.check_id_number(FEMALE.lower()) == FEMALE
    assert (identity.birth_date_of(MALE), identity.gender_of(MALE)) == (date(1990, 3, 7), "male")
    assert identity.gender_of(FEMALE) == "female"
    assert identity.mask(MALE) == MASKED and identity.mask_phone("13800138000") == "138****8000"


@pytest.fixture
def recorded(session, school):
    candidate = make_candidate(session, school, user=make_user(session, Role.ACTIVIST, school))
    session.commit()
    return candidate


def test_the_organizer_records_identity_and_the_trail_keeps_no_number(client, session, recorded):
    client.login("org")
    form = {"id_number": MALE, "ethnicity": "畲族", "phone": "13800138000"}
    assert client.post(f"/candidates/{recorded.id}/identity", form).status_code == 302
    stored = reread(session).get(Candidate, recorded.id)
    assert (stored.id_number, stored.gender, stored.birth_date) == (MALE, "male", date(1990, 3, 7))
    page = client.get(f"/candidates/{recorded.id}").get_data(as_text=True)
    assert MALE in page and "畲族" in page and "13800138000" in page
    trail = " ".join(str(e.after) for e in session.scalars(select(AuditEvent)))
    assert MALE not in trail and "13800138000" not in trail
    refused = client.post(f"/candidates/{recorded.id}/identity", form | {"gender": "female"})
    assert "性别与身份证号不一致" in refused.get_data(as_text=True)


def test_a_number_already_on_another_record_is_refused(client, session, school, recorded):
    make_candidate(session, school, id_number=FEMALE)
    session.commit()
    client.login("org")
    page = client.post(f"/candidates/{recorded.id}/identity", {"id_number": FEMALE})
    assert "已登记在另一名学生的档案中" in page.get_data(as_text=True)


def test_everyone_else_sees_it_masked(app, client, token, session, school, recorded):
    recorded.id_number, recorded.phone = MALE, "13800138000"
    make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top")
    session.commit()

    def seen(username: str) -> tuple[str, str, str]:
        headers = {"Authorization": f"Bearer {token(username)}"}
        body = client.raw.get(f"/api/v1/candidates/{recorded.student_no}", headers=headers)
        return body.get_json().get("id_number"), body.get_json().get("phone"), username

    assert seen("org")[:2] == (MALE, "13800138000")
    assert seen("top")[:2] == (MALE, "13800138000")
    assert seen("badmin")[:2] == (MASKED, "138****8000")  # the branch admin: masked
    assert seen(recorded.user.username)[:2] == (None, None)  # never in a trainee's JSON

    client.login("badmin")
    page = client.get(f"/candidates/{recorded.id}").get_data(as_text=True)
    assert MALE not in page and MASKED in page
    assert client.get(f"/candidates/{recorded.id}/identity").status_code == 403
    export = client.get("/candidates/export.xlsx").get_data()
    with zipfile.ZipFile(io.BytesIO(export)) as workbook:
        text = "".join(workbook.read(n).decode() for n in workbook.namelist())
    assert MALE not in text and MASKED in text


def test_another_branchs_organizer_never_sees_it(token, client, session, recorded):
    other = make_user(session, Role.ORGANIZER, make_branch_school(session), username="far")
    recorded.id_number = MALE
    session.commit()
    headers = {"Authorization": f"Bearer {token(other.username)}"}
    response = client.raw.get(f"/api/v1/candidates/{recorded.student_no}", headers=headers)
    assert response.status_code == 404 and MALE not in response.get_data(as_text=True)


def test_whoever_sees_the_number_masked_sees_only_the_birth_year(
    app, client, token, session, school, recorded
):
    """The masked digits of 11010519491231002X are the birth date: shown next to the mask,
    the full date would give them back."""
    recorded.id_number, recorded.birth_date, recorded.gender = FEMALE, date(1949, 12, 31), "female"
    session.commit()
    full_dates = ("1949-12-31", "19491231", "1949年12月31日")

    def everything_seen(username: str) -> str:
        viewer = Client(app)
        viewer.login(username)
        page = viewer.get(f"/candidates/{recorded.id}").get_data(as_text=True)
        with zipfile.ZipFile(io.BytesIO(viewer.get("/candidates/export.xlsx").data)) as book:
            workbook = "".join(book.read(n).decode() for n in book.namelist())
        headers = {"Authorization": f"Bearer {token(username)}"}
        api = client.raw.get(f"/api/v1/candidates/{recorded.student_no}", headers=headers)
        pdf = viewer.get(f"/materials/candidates/{recorded.id}/archive.pdf").data
        cover = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        return "\n".join([page, workbook, api.get_data(as_text=True), cover])

    organizer = everything_seen("org")
    assert FEMALE in organizer and "1949-12-31" in organizer
    masked = everything_seen("badmin")
    assert FEMALE not in masked and "110105********002X" in masked
    assert not [d for d in full_dates if d in masked]
    page = Client(app)
    page.login("badmin")
    assert "1949年" in page.get(f"/candidates/{recorded.id}").get_data(as_text=True)


def test_the_trail_keeps_no_birth_date(client, session, recorded):
    client.login("org")
    form = {"id_number": FEMALE, "ethnicity": "汉族"}
    assert client.post(f"/candidates/{recorded.id}/identity", form).status_code == 302
    trail = " ".join(str(e.after) for e in session.scalars(select(AuditEvent)))
    assert "1949-12-31" not in trail
    # An entry written before the birth date was kept out of the trail shows no value either.
    event = session.scalars(select(AuditEvent).where(AuditEvent.table_name == "candidates")).first()
    old_entry = (event.after or {}) | {"birth_date": "1949-12-31"}
    session.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(after=old_entry))
    session.commit()
    client.post("/logout")
    client.login("badmin")
    assert "1949-12-31" not in client.get(f"/candidates/{recorded.id}").get_data(as_text=True)
