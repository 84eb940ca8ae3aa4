"""The bell tells people what they wait for; opening a notification marks it read."""

from sqlalchemy import select

from courses.models import Enrolment, EnrolmentStatus
from courses.reports import services as reports
from partyschool.accounts.models import Notification, Role
from partyschool.accounts.notifications import notify
from partyschool.extensions import utcnow
from tests.factories import make_candidate, make_class, make_course, make_user, reread


def applicants(session, school, count):
    training_class = make_class(session, make_course(session, school))
    people = []
    for number in range(count):
        user = make_user(session, Role.ACTIVIST, school, username=f"stu{number}")
        candidate = make_candidate(session, school, user=user)
        session.add(
            Enrolment(
                training_class=training_class,
                candidate=candidate,
                status=EnrolmentStatus.PENDING,
            )
        )
        people.append(candidate)
    session.commit()
    return training_class, people


def test_batch_decisions_tell_each_applicant_with_the_reason(app, client, session, school):
    training_class, people = applicants(session, school, 3)
    ids = [e.id for e in session.scalars(select(Enrolment).order_by(Enrolment.id))]
    client.login("badmin")
    home = client.get("/").get_data(as_text=True)
    assert home.count('name="enrolment_id"') == 3
    client.post("/enrolments/decide", {"decision": "approve", "enrolment_id": ids[:2]})
    client.post(
        "/enrolments/decide",
        {"decision": "reject", "enrolment_id": [ids[2]], f"reason-{ids[2]}": "名额已满"},
    )
    statuses = reread(session).scalars(select(Enrolment.status).order_by(Enrolment.id)).all()
    assert statuses == [EnrolmentStatus.APPROVED] * 2 + [EnrolmentStatus.REJECTED]

    trainee = type(client)(app)
    trainee.login("stu2")
    page = trainee.get("/").get_data(as_text=True)
    assert 'data-testid="unread-count">1<' in page
    listing = trainee.get("/notifications").get_data(as_text=True)
    assert "未录取（名额已满）" in listing
    note = reread(session).scalar(
        select(Notification).where(Notification.text.contains("名额已满"))
    )
    opened = trainee.get(f"/notifications/{note.id}")
    assert opened.headers["Location"].endswith(f"/classes/{training_class.id}")
    assert 'data-testid="unread-count"' not in trainee.get("/").get_data(as_text=True)


def test_a_refusal_needs_a_reason_and_another_schools_application_is_untouched(
    client, session, school
):
    _class, _people = applicants(session, school, 1)
    enrolment_id = session.scalar(select(Enrolment.id))
    client.login("badmin")
    page = client.post(
        "/enrolments/decide",
        {"decision": "reject", "enrolment_id": [enrolment_id]},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请填写不予录取的理由" in page
    assert reread(session).scalar(select(Enrolment.status)) is EnrolmentStatus.PENDING


def test_nobody_opens_another_users_notification(app, client, session, school):
    owner = make_user(session, Role.ACTIVIST, school, username="owner")
    make_user(session, Role.ACTIVIST, school, username="other")
    notify(session, owner, "证书已颁发", "/certificates/mine")
    session.commit()
    note_id = session.scalar(select(Notification.id))
    client.login("other")
    assert client.get(f"/notifications/{note_id}").status_code == 404
    assert reread(session).scalar(select(Notification.read_at)) is None


def test_a_returned_report_reaches_the_trainee(client, session, school):
    training_class, (candidate,) = applicants(session, school, 1)
    enrolment = session.scalar(select(Enrolment))
    enrolment.status = EnrolmentStatus.APPROVED
    report = reports.submit(session, enrolment, "学习心得" * 400, utcnow())
    reviewer = make_user(session, Role.INSTRUCTOR, school)
    reports.review(session, report, reviewer, passed=False, comment="请结合实际")
    session.commit()
    client.login("stu0")
    assert "学习心得已退回：请结合实际" in client.get("/notifications").get_data(as_text=True)
