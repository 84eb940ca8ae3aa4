"""Issuing rests on the whole record: every gate, the snapshot, the write-back, the series."""

import io
import subprocess
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from courses.models import EnrolmentStatus, ReadingReport, ReportStatus
from partyschool.accounts.models import Role
from partyschool.audit import AuditEvent
from partyschool.candidates.models import DormRating, TrainingRecord, Veto
from partyschool.candidates.rules import DormGrade, Stage, VetoHolder
from partyschool.certificates.models import Certificate, CertificateStatus
from partyschool.extensions import today
from partyschool.organization.models import Building, Room
from tests.factories import (
    make_branch_school,
    make_completed_enrolment,
    make_ended_class,
    make_user,
    reread,
)


@pytest.fixture
def training_class(session, school):
    training_class = make_ended_class(session, school)
    session.commit()
    return training_class


def issue(client, enrolment):
    return client.post(f"/certificates/enrolments/{enrolment.id}/issue", follow_redirects=True)


def test_a_complete_trainee_gets_a_certificate_with_a_snapshot(client, session, training_class):
    enrolment = make_completed_enrolment(session, training_class, name="𠮷䶮")
    client.login("org")
    text = issue(client, enrolment).get_data(as_text=True)
    assert "已颁发证书" in text
    certificate = reread(session).scalar(select(Certificate))
    year = today().year
    assert certificate.serial == f"{year}-D1-{training_class.number:03d}-0001"
    assert certificate.snapshot["name"] == "𠮷䶮"
    assert certificate.snapshot["hours"] == "1.50" or certificate.snapshot["hours"].startswith(
        "1.5"
    )
    assert certificate.snapshot["ruleset"] == "wzu" and certificate.snapshot["issuer"]
    assert certificate.pdf.startswith(b"%PDF")
    words = subprocess.run(
        ["pdftotext", "-", "-"], input=certificate.pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "𠮷䶮" in words.replace(" ", "") and certificate.serial in words
    record = session.scalar(select(TrainingRecord))
    assert record.certificate_serial == certificate.serial
    assert record.target_stage is Stage.ACTIVIST


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        ("not_approved", "已录取"),
        ("hours", "学时"),
        ("grade", "成绩"),
        ("report", "学习心得"),
        ("veto", "否决权"),
        ("dirty_dorm", "脏乱差"),
    ],
)
def test_each_gate_refuses_with_its_reason(client, session, training_class, spoil, reason):
    enrolment = make_completed_enrolment(
        session, training_class, hours=spoil != "hours", score=30 if spoil == "grade" else 90
    )
    candidate = enrolment.candidate
    if spoil == "not_approved":
        enrolment.status = EnrolmentStatus.WITHDRAWN
    elif spoil == "report":
        training_class.report_min_chars = 100
    elif spoil == "veto":
        candidate.vetoes.append(
            Veto(
                holder=VetoHolder.COLLEGE, holder_name="学院", reason="处分期内", decided_on=today()
            )
        )
    elif spoil == "dirty_dorm":
        room = Room(
            building=Building(name="1号楼", party_school=training_class.party_school), number="101"
        )
        session.add(DormRating(room=room, term="2025-2026-1", grade=DormGrade.DIRTY))
        candidate.room = room
    session.commit()
    client.login("org")
    text = issue(client, enrolment).get_data(as_text=True)
    assert "不能颁发证书" in text and reason in text
    assert reread(session).scalar(select(Certificate)) is None


def test_a_returned_report_blocks_and_a_passed_one_lets_through(client, session, training_class):
    training_class.report_min_chars = 10
    enrolment = make_completed_enrolment(session, training_class)
    session.add(
        ReadingReport(
            enrolment=enrolment, text="心得" * 10, signature=[], status=ReportStatus.RETURNED
        )
    )
    session.commit()
    client.login("org")
    assert "学习心得" in issue(client, enrolment).get_data(as_text=True)
    session.add(
        ReadingReport(
            enrolment=enrolment, text="心得" * 20, signature=[], status=ReportStatus.PASSED
        )
    )
    session.commit()
    assert "已颁发证书" in issue(client, enrolment).get_data(as_text=True)


def test_issued_only_once_and_the_series_counts_up(client, session, training_class):
    first, second = (
        make_completed_enrolment(session, training_class),
        make_completed_enrolment(session, training_class),
    )
    client.login("org")
    issue(client, first)
    assert "已颁发证书" in issue(client, first).get_data(as_text=True)  # the flash of the 1st
    issue(client, second)
    serials = sorted(reread(session).scalars(select(Certificate.serial)))
    assert [s[-4:] for s in serials] == ["0001", "0002"]


def test_the_completion_feeds_the_next_stage(client, session, training_class):
    """After the certificate, the activist-training rule no longer blocks 发展对象."""
    enrolment = make_completed_enrolment(session, training_class, days_in_stage=400)
    client.login("org")
    url = f"/api/v1/candidates/{enrolment.candidate.student_no}/eligibility"
    before = {s["step"]: s for s in client.get(url).get_json()["steps"]}
    assert "national.activist_training" in {
        r["rule"] for r in before["become_candidate"]["reasons"]
    }
    issue(client, enrolment)
    after = {s["step"]: s for s in client.get(url).get_json()["steps"]}
    assert "national.activist_training" not in {
        r["rule"] for r in after["become_candidate"]["reasons"]
    }


def test_revoke_needs_an_admin_and_a_reason_and_is_audited(app, client, session, training_class):
    enrolment = make_completed_enrolment(session, training_class)
    client.login("org")
    issue(client, enrolment)
    certificate = reread(session).scalar(select(Certificate))
    client.post(f"/certificates/{certificate.id}/revoke", {"reason": "组织员无权撤销"})
    assert reread(session).get(Certificate, certificate.id).status is CertificateStatus.VALID
    admin = type(client)(app)
    admin.login("badmin")
    admin.post(f"/certificates/{certificate.id}/revoke", {"reason": ""})
    assert reread(session).get(Certificate, certificate.id).status is CertificateStatus.VALID
    admin.post(f"/certificates/{certificate.id}/revoke", {"reason": "培训期间代考，经查属实"})
    revoked = reread(session).get(Certificate, certificate.id)
    assert revoked.status is CertificateStatus.REVOKED
    assert revoked.revoked_reason == "培训期间代考，经查属实"
    assert session.scalar(select(TrainingRecord)) is None  # the completion left the record
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.table_name == "certificates", AuditEvent.action == "update"
        )
    )
    assert event.reason == "培训期间代考，经查属实" and event.after["status"] == "revoked"


def test_batch_issue_zip_and_completion_export(client, session, training_class):
    for number in range(3):
        make_completed_enrolment(session, training_class, name=f"学员{number}")
    make_completed_enrolment(session, training_class, name="差学时", hours=False)
    client.login("org")
    first = client.post(f"/certificates/classes/{training_class.id}/issue-batch").get_json()
    assert first["done"] == 3 and first["remaining"] == 0 and first["blocked"] == 1
    again = client.post(f"/certificates/classes/{training_class.id}/issue-batch").get_json()
    assert again["issued"] == 0 and again["done"] == 3
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/certificates/classes/{training_class.id}/certificates.zip").data)
    )
    assert len(archive.namelist()) == 3
    assert all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/certificates/classes/{training_class.id}/completion.xlsx").data)
    ).active
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["差学时"][8] in ("", None) and "学时" in rows["差学时"][9]
    page = client.get("/certificates/").get_data(as_text=True)
    assert 'data-testid="class-chart"' in page and "75%" in page


def test_api_lists_own_or_scoped_certificates_and_guards_the_pdf(
    client, session, training_class, token
):
    owner = make_user(session, Role.ACTIVIST, training_class.party_school, username="stu")
    enrolment = make_completed_enrolment(session, training_class, user=owner)
    other_school = make_branch_school(session)
    make_user(session, Role.ORGANIZER, other_school, username="stranger")
    session.commit()
    client.login("org")
    issue(client, enrolment)
    serial = reread(session).scalar(select(Certificate.serial))
    for username, visible in (("stu", True), ("org", True), ("stranger", False)):
        bearer = {"Authorization": f"Bearer {token(username)}"}
        items = client.get("/api/v1/certificates", headers=bearer).get_json()["items"]
        assert ([i["serial"] for i in items] == [serial]) is visible
        pdf = client.get(f"/api/v1/certificates/{serial}/pdf", headers=bearer)
        assert (pdf.status_code == 200) is visible
