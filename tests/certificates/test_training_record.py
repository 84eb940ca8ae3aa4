"""记录党校培训结业 by hand: a valid certificate of this platform that belongs to the
candidate, or an external training with its evidence, shown as 外部培训 on the record."""

import io

import pytest
from sqlalchemy import select

from partyschool.candidates.models import TrainingRecord
from partyschool.certificates.models import Certificate
from partyschool.extensions import today
from tests.certificates.conftest import assert_records_agree
from tests.conftest import Client
from tests.factories import make_candidate, make_completed_enrolment, reread


@pytest.fixture
def organizer(app, school) -> Client:
    client = Client(app)
    client.login("org")
    return client


def record(client, candidate, **form):
    return client.post(
        f"/certificates/candidates/{candidate.id}/trainings/new",
        {"target_stage": "activist", **form},
        follow_redirects=True,
    )


def completions(session, candidate) -> list[TrainingRecord]:
    return (
        reread(session)
        .scalars(select(TrainingRecord).where(TrainingRecord.candidate_id == candidate.id))
        .all()
    )


def test_the_old_fact_form_no_longer_takes_an_invented_serial(organizer, session, school):
    candidate = make_candidate(session, school)
    session.commit()
    organizer.post(
        f"/candidates/{candidate.id}/facts/training",
        {
            "target_stage": "activist",
            "class_name": "第99期入党积极分子培训班",
            "completed_on": today().isoformat(),
            "certificate_serial": "2026-D1-099-9999",
        },
    )
    assert completions(session, candidate) == []


@pytest.mark.parametrize("case", ["unknown", "someone-else's", "revoked"])
def test_a_serial_must_be_a_valid_certificate_of_this_candidate(
    app, organizer, session, ended_class, case
):
    enrolment = make_completed_enrolment(session, ended_class)
    organizer.post(f"/certificates/enrolments/{enrolment.id}/issue")
    serial = reread(session).scalar(select(TrainingRecord.certificate_serial))
    candidate = enrolment.candidate
    if case == "unknown":
        serial = "2026-D1-099-9999"
    elif case == "someone-else's":
        candidate = make_candidate(session, ended_class.party_school)
        session.commit()
    else:
        admin = Client(app)
        admin.login("badmin")
        certificate = session.scalar(select(Certificate))
        admin.post(f"/certificates/{certificate.id}/revoke", {"reason": "代考"})
    before = len(completions(session, candidate))
    text = record(organizer, candidate, source="platform", certificate_serial=serial).get_data(
        as_text=True
    )
    assert "未保存" in text
    assert {"unknown": "本平台没有编号为", "someone-else's": "不属于", "revoked": "已撤销"}[
        case
    ] in text
    assert len(completions(session, candidate)) == before
    assert_records_agree(session)


def test_a_certificate_of_this_platform_is_recorded_from_its_snapshot(
    organizer, session, ended_class
):
    enrolment = make_completed_enrolment(session, ended_class)
    organizer.post(f"/certificates/enrolments/{enrolment.id}/issue")
    (issued,) = completions(session, enrolment.candidate)
    serial = issued.certificate_serial
    # Already in the record: not twice.
    assert "已在档案中" in record(
        organizer, enrolment.candidate, source="platform", certificate_serial=serial
    ).get_data(as_text=True)
    session.delete(issued)  # a completion lost from the record, recorded again by hand
    session.commit()
    text = record(
        organizer,
        enrolment.candidate,
        source="platform",
        certificate_serial=serial,
        class_name="随便写的班",
    ).get_data(as_text=True)
    assert f"已记录党校培训结业（结业证书 {serial}）" in text
    (again,) = completions(session, enrolment.candidate)
    assert again.class_name == ended_class.title and not again.is_external
    assert_records_agree(session)


def test_an_external_training_needs_its_evidence_and_shows_as_external(organizer, session, school):
    candidate = make_candidate(session, school)
    session.commit()
    external = {
        "source": "external",
        "class_name": "第8期入党积极分子培训班",
        "completed_on": "2025-06-30",
        "issuing_body": "",
        "evidence": "",
    }
    assert "请填写举办单位" in record(organizer, candidate, **external).get_data(as_text=True)
    external["issuing_body"] = "某某学院分党校"
    assert "证明材料" in record(organizer, candidate, **external).get_data(as_text=True)
    assert completions(session, candidate) == []

    external["evidence_file"] = (io.BytesIO(b"%PDF-1.4\n%evidence\n"), "结业证明.pdf")
    text = record(organizer, candidate, **external).get_data(as_text=True)
    assert "已记录党校培训结业（外部培训）" in text
    (saved,) = completions(session, candidate)
    assert saved.is_external and saved.issuing_body == "某某学院分党校" and saved.evidence_file
    page = organizer.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "外部培训" in page and "某某学院分党校" in page
    evidence = organizer.get(f"/certificates/trainings/{saved.id}/evidence")
    assert evidence.status_code == 200 and evidence.get_data().startswith(b"%PDF")
    evidence.close()
