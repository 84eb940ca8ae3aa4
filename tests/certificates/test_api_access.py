"""The certificates API follows the pages' rule: the holder, and the organizers and admins of
the certificate's scope; instructors see only certificates of their own."""

from sqlalchemy import select

from partyschool.accounts.models import User
from partyschool.candidates.models import Candidate
from partyschool.certificates.models import Certificate

DEMO = "partyschool-demo"


def call(client, token, path):
    return client.raw.get(path, headers={"Authorization": f"Bearer {token}"})


def test_instructors_get_neither_the_list_nor_the_pdfs(client, token, demo_data, session):
    serials = session.scalars(select(Certificate.serial)).all()
    assert serials
    teacher = token("teacher", DEMO)
    assert call(client, teacher, "/api/v1/certificates").get_json()["items"] == []
    for serial in serials:
        assert call(client, teacher, f"/api/v1/certificates/{serial}/pdf").status_code == 404
    # The page refuses them too.
    client.login("teacher", DEMO)
    assert client.get("/certificates/").status_code == 403


def test_organizers_and_admins_of_the_scope_and_the_holder_do(client, token, demo_data, session):
    certificate = session.scalar(select(Certificate).limit(1))
    for username in ("organizer", "branch_admin", "admin"):
        reply = call(client, token(username, DEMO), "/api/v1/certificates").get_json()
        assert certificate.serial in {item["serial"] for item in reply["items"]}, username
        pdf = call(client, token(username, DEMO), f"/api/v1/certificates/{certificate.serial}/pdf")
        assert pdf.status_code == 200, username
    other_branch = token("grad_organizer", DEMO)
    assert certificate.serial not in {
        item["serial"]
        for item in call(client, other_branch, "/api/v1/certificates").get_json()["items"]
    }
    own = set(
        session.scalars(
            select(Certificate.serial)
            .join(Candidate, Candidate.id == Certificate.candidate_id)
            .join(User, User.id == Candidate.user_id)
            .where(User.username == "activist")
        )
    )
    activist = token("activist", DEMO)
    listed = {
        item["serial"]
        for item in call(client, activist, "/api/v1/certificates").get_json()["items"]
    }
    assert listed == own
    for serial in own:
        assert call(client, activist, f"/api/v1/certificates/{serial}/pdf").status_code == 200
    others = set(session.scalars(select(Certificate.serial))) - own
    assert others
    for serial in others:
        assert call(client, activist, f"/api/v1/certificates/{serial}/pdf").status_code == 404
