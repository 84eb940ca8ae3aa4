"""The certificate changes only through its rules: revocations stick, re-issue is an admin's
explicit act, serials never collide, nothing before the class ends, only staff of the class's
scope issue (from the CLI too), and every change is audited in its author's name."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from courses.models import Enrolment
from partyschool.accounts.models import Role, User
from partyschool.audit import AuditEvent
from partyschool.certificates import services
from partyschool.certificates.models import Certificate, CertificateStatus
from partyschool.extensions import db, today, utcnow
from tests.certificates.conftest import (
    assert_records_agree,
    read_certificate,
    text_over_the_qr_code_or_serial,
    valid_certificates,
)
from tests.conftest import Client
from tests.factories import (
    make_completed_enrolment,
    make_ended_class,
    make_user,
    reread,
)


def issue(client, enrolment):
    return client.post(f"/certificates/enrolments/{enrolment.id}/issue", follow_redirects=True)


def batch(client, training_class):
    return client.post(f"/certificates/classes/{training_class.id}/issue-batch").get_json()


def signed_in(app, username) -> Client:
    client = Client(app)
    assert client.login(username).status_code == 302
    return client


# --- 10. a revocation sticks; re-issue is an admin's explicit act ----------------------------


def revoked_by_the_admin(app, session, ended_class):
    """An organizer issued a trainee's certificate and the branch admin revoked it."""
    enrolment = make_completed_enrolment(session, ended_class)
    organizer, admin = signed_in(app, "org"), signed_in(app, "badmin")
    issue(organizer, enrolment)
    certificate = valid_certificates(session, enrolment)[0]
    admin.post(f"/certificates/{certificate.id}/revoke", {"reason": "代考，经查属实"})
    return enrolment, certificate, organizer, admin


def test_the_batch_button_does_not_undo_a_revocation(app, session, ended_class):
    enrolment, _, organizer, _ = revoked_by_the_admin(app, session, ended_class)

    result = batch(organizer, ended_class)  # 为全班颁发证书
    assert result["issued"] == 0 and result["blocked"] == 1
    assert "已撤销" in issue(organizer, enrolment).get_data(as_text=True)
    assert valid_certificates(session, enrolment) == []
    page = organizer.get(f"/certificates/classes/{ended_class.id}").get_data(as_text=True)
    assert "只能由管理员重新颁发" in page
    assert_records_agree(session)


def test_an_admin_reissues_with_a_reason_and_both_certificates_say_so(app, session, ended_class):
    enrolment, old, organizer, admin = revoked_by_the_admin(app, session, ended_class)

    # An organizer may not re-issue, and an admin must give a reason.
    organizer.post(f"/certificates/{old.id}/reissue", {"reason": "复核后恢复"})
    admin.post(f"/certificates/{old.id}/reissue", {"reason": " "})
    assert valid_certificates(session, enrolment) == []

    page = admin.get(f"/certificates/{old.id}").get_data(as_text=True)
    assert "重新颁发" in page and f"/certificates/{old.id}/reissue" in page
    answer = admin.post(
        f"/certificates/{old.id}/reissue", {"reason": "复核后恢复"}, follow_redirects=True
    )
    (new,) = valid_certificates(session, enrolment)
    old = session.get(Certificate, old.id)
    assert old.status is CertificateStatus.SUPERSEDED and old.superseded_by_id == new.id
    assert new.serial != old.serial and new.pdf.startswith(b"%PDF")
    assert f"已重新颁发证书 {new.serial}" in answer.get_data(as_text=True)

    old_page = admin.get(f"/certificates/{old.id}").get_data(as_text=True)
    assert "已被新证书取代" in old_page and new.serial in old_page
    new_page = admin.get(f"/certificates/{new.id}").get_data(as_text=True)
    assert "取代原证书" in new_page and old.serial in new_page
    public = Client(app)
    assert new.serial in public.get(f"/verify/{old.serial}").get_data(as_text=True)
    assert old.serial in public.get(f"/verify/{new.serial}").get_data(as_text=True)
    old_json = public.get(f"/api/v1/certificates/{old.serial}").get_json()
    new_json = public.get(f"/api/v1/certificates/{new.serial}").get_json()
    assert (old_json["status"], old_json["superseded_by"]) == ("superseded", new.serial)
    assert (new_json["status"], new_json["supersedes"]) == ("valid", old.serial)

    reissue_events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.table_name == "certificates", AuditEvent.reason == "复核后恢复"
        )
    ).all()
    assert {e.action for e in reissue_events} == {"create", "update"}
    assert_records_agree(session)


def test_a_superseded_certificate_cannot_be_reissued_again(app, session, ended_class):
    enrolment = make_completed_enrolment(session, ended_class)
    admin = signed_in(app, "badmin")
    issue(admin, enrolment)
    old = valid_certificates(session, enrolment)[0]
    admin.post(f"/certificates/{old.id}/reissue", {"reason": "姓名更正"})
    text = admin.post(
        f"/certificates/{old.id}/reissue", {"reason": "再来一次"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已被新证书" in text and len(valid_certificates(session, enrolment)) == 1
    assert_records_agree(session)


# --- 11. at most one valid certificate per enrolment ------------------------------------------


def test_the_database_holds_at_most_one_valid_certificate_per_enrolment(app, session, ended_class):
    enrolment = make_completed_enrolment(session, ended_class)
    issue(signed_in(app, "org"), enrolment)
    (first,) = valid_certificates(session, enrolment)
    duplicate = {
        c.key: getattr(first, c.key)
        for c in Certificate.__table__.columns
        if c.key not in ("id", "serial", "verification_code")
    }
    session.add(Certificate(**duplicate, serial="X-1", verification_code="x-1"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    # A revoked one leaves room for none but the admin's re-issue: the index counts valid only.
    session.add(
        Certificate(
            **(duplicate | {"status": CertificateStatus.REVOKED}),
            serial="X-2",
            verification_code="x-2",
        )
    )
    session.commit()


def test_an_issuer_who_lost_the_race_is_told_it_is_already_issued(app, session, ended_class):
    """Two issuers read the trainee's standing before either wrote: the second is refused
    with a clear answer, not a duplicate and not an error page."""
    enrolment = make_completed_enrolment(session, ended_class)
    with app.app_context():
        organizer = db.session.scalar(select(User).where(User.username == "org"))
        stale = services.standing(db.session, db.session.get(Enrolment, enrolment.id), today())
        issue(signed_in(app, "org"), enrolment)  # the other issuer wins
        db.session.rollback()
        with pytest.raises(services.CertificateError, match="已颁发证书"):
            services.issue(db.session, stale, organizer, utcnow(), services.renderer())
        db.session.rollback()
    assert len(valid_certificates(session, enrolment)) == 1


# --- 12. serials are unique by construction --------------------------------------------------


def test_two_classes_with_the_same_number_both_issue(app, session, school):
    """An activist class and a 发展对象 class of one branch, both 第12期."""
    activists = make_ended_class(session, school, number=12, name="入党积极分子培训班")
    candidates = make_ended_class(session, school, number=12, name="发展对象培训班")
    first = make_completed_enrolment(session, activists)
    second = make_completed_enrolment(session, candidates)
    organizer = signed_in(app, "org")
    for enrolment in (first, second):
        response = issue(organizer, enrolment)
        assert response.status_code == 200 and "已颁发证书" in response.get_data(as_text=True)
    serials = reread(session).scalars(select(Certificate.serial)).all()
    assert len(serials) == len(set(serials)) == 2
    assert_records_agree(session)


# --- 13. none before the class has ended ----------------------------------------------------


@pytest.mark.parametrize("ends_in_days", [0, 20], ids=["ends-today", "not-started"])
def test_no_certificate_before_the_class_has_ended(app, session, school, ends_in_days):
    training_class = make_ended_class(
        session,
        school,
        starts_on=today() + timedelta(days=ends_in_days - 10),
        ends_on=today() + timedelta(days=ends_in_days),
    )
    enrolment = make_completed_enrolment(session, training_class)
    organizer = signed_in(app, "org")
    text = issue(organizer, enrolment).get_data(as_text=True)
    assert "不能颁发证书" in text and "结束后（次日起）方可颁发证书" in text
    assert batch(organizer, training_class)["issued"] == 0
    assert reread(session).scalar(select(Certificate)) is None


# --- 17. only staff of the class's scope issue, from the CLI too -----------------------------


@pytest.mark.parametrize("who", ["activist", "instructor", "other-branch-organizer"])
def test_the_command_refuses_an_issuer_outside_the_class_scope(app, session, ended_class, who):
    make_completed_enrolment(session, ended_class)
    if who == "activist":
        make_user(session, Role.ACTIVIST, ended_class.party_school, username="who")
    elif who == "instructor":
        make_user(session, Role.INSTRUCTOR, ended_class.party_school, username="who")
    else:
        make_user(session, Role.ORGANIZER, username="who")  # of a branch school of its own
    session.commit()
    result = app.test_cli_runner().invoke(
        args=["certificates", "issue-class", str(ended_class.id), "--as", "who"]
    )
    assert result.exit_code != 0 and "may not issue" in result.output
    assert reread(session).scalar(select(Certificate)) is None


def test_the_command_issues_in_the_organizers_name_and_audits_it(app, session, ended_class):
    enrolment = make_completed_enrolment(session, ended_class)
    result = app.test_cli_runner().invoke(
        args=["certificates", "issue-class", str(ended_class.id), "--as", "org"]
    )
    assert result.exit_code == 0, result.output
    (certificate,) = valid_certificates(session, enrolment)
    organizer = session.scalar(select(User).where(User.username == "org"))
    assert certificate.issued_by_id == organizer.id
    event = session.scalar(
        select(AuditEvent).where(
            AuditEvent.table_name == "certificates",
            AuditEvent.row_id == certificate.id,
            AuditEvent.action == "create",
        )
    )
    assert event.actor_id == organizer.id and event.at is not None
    assert event.after["serial"] == certificate.serial
    assert_records_agree(session)


def test_every_change_is_audited_with_who_when_and_what(app, session, ended_class):
    enrolment = make_completed_enrolment(session, ended_class)
    admin = signed_in(app, "badmin")
    issue(admin, enrolment)
    (first,) = valid_certificates(session, enrolment)
    admin.post(f"/certificates/{first.id}/revoke", {"reason": "代考"})
    admin.post(f"/certificates/{first.id}/reissue", {"reason": "复核恢复"})
    (second,) = valid_certificates(session, enrolment)
    badmin = session.scalar(select(User).where(User.username == "badmin"))
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.table_name == "certificates").order_by(AuditEvent.id)
    ).all()
    trail = [(e.row_id, e.action, (e.after or {}).get("status"), e.reason) for e in events]
    assert (first.id, "create", "valid", None) in trail
    assert (first.id, "update", "revoked", "代考") in trail
    assert (first.id, "update", "superseded", "复核恢复") in trail
    assert (second.id, "create", "valid", "复核恢复") in trail
    assert all(e.actor_id == badmin.id and e.at is not None for e in events)
    assert_records_agree(session)


# --- 16. never a certificate without its QR code and serial ---------------------------------


def test_a_200_character_class_title_leaves_the_qr_code_and_serial_readable(
    app, session, school, tmp_path
):
    training_class = make_ended_class(session, school, name="很长的培训班名称" * 25)
    assert len(training_class.name) == 200
    enrolment = make_completed_enrolment(session, training_class, name="欧阳·长名字很长很长")
    issue(signed_in(app, "org"), enrolment)
    (certificate,) = valid_certificates(session, enrolment)
    (tmp_path / "long-title.pdf").write_bytes(certificate.pdf)  # to look at
    assert text_over_the_qr_code_or_serial(certificate.pdf, tmp_path) == []
    codes, text = read_certificate(certificate.pdf, tmp_path)
    assert f"证书编号：{certificate.serial}" in text
    assert codes == [
        f"http://127.0.0.1:5000/verify/{certificate.serial}?code={certificate.verification_code}"
    ]
    assert "很长的培训班名称" * 25 in "".join(text.split())  # all of it, shrunk to fit


def test_text_that_cannot_fit_is_refused_not_printed_over_the_qr_code(app, session, school):
    template = services.template_for(session, school.id)
    template.body = "{name}同志参加{class_title}学习。" + "培训期间表现优异，" * 110
    training_class = make_ended_class(session, school, name="很长的培训班名称" * 25)
    enrolment = make_completed_enrolment(session, training_class)
    text = issue(signed_in(app, "org"), enrolment).get_data(as_text=True)
    assert "不能颁发证书" in text and "遮挡二维码和证书编号" in text
    assert reread(session).scalar(select(Certificate)) is None
