"""Study hours the server can vouch for: heartbeats, QR sign-in, roll call, class progress."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from courses.models import (
    Attendance,
    Enrolment,
    EnrolmentStatus,
    Lecture,
    Lesson,
    LessonProgress,
    TrainingClass,
)
from courses.study import attendance
from courses.study import services as study
from partyschool.accounts.models import Role, User
from partyschool.extensions import BEIJING
from partyschool.organization.models import PartySchool
from tests.courses import trainees
from tests.factories import (
    make_branch_school,
    make_class,
    make_course,
    make_enrolment,
    make_user,
    reread,
)

T0 = datetime(2025, 3, 3, 2, 0, 5, tzinfo=UTC)  # 10:00:05 Beijing time
SECRET = "test-secret"  # the app's SECRET_KEY in tests/conftest.py


@dataclass
class Trainee:
    """An activist with an approved enrolment in a class of a two-lesson course."""

    school: PartySchool
    user: User
    training_class: TrainingClass
    enrolment: Enrolment
    lessons: list[Lesson]
    lecture: Lecture


def make_trainee(session, school=None, training_class=None, username=None) -> Trainee:
    """A trainee of a new class (of the given school, or a new one) or of the given class."""
    if training_class is None:
        course = make_course(session, school or make_branch_school(session))
        training_class = make_class(session, course)
        # Study hours count only while the class runs: it runs from before T0 until next month.
        training_class.starts_on = T0.date() - timedelta(days=7)
        # Its lecture is on at T0: it began ten minutes before.
        training_class.lectures[0].starts_at = T0 - timedelta(minutes=10)
    enrolment = trainees.make_trainee(
        session, training_class, **({"username": username} if username else {})
    )
    return Trainee(
        training_class.party_school,
        enrolment.candidate.user,
        training_class,
        enrolment,
        list(training_class.course.lessons),
        training_class.lectures[0],
    )


@pytest.fixture
def trainee(session) -> Trainee:
    made = make_trainee(session, username="xueyuan")
    session.commit()
    return made


class Page:
    """A lesson page open in a browser tab, as the service sees its beats."""

    def __init__(self, session, trainee: Trainee, lesson: Lesson):
        self.session, self.trainee, self.lesson = session, trainee, lesson
        self.token = study.issue_page_token(SECRET, trainee.user.id, lesson.id)
        self.sequence = 0

    def beat(self, at: datetime, visible=True, active=True, sequence=None, **extra):
        """Send the next heartbeat at server time `at`."""
        if sequence is None:
            self.sequence += 1
            sequence = self.sequence
        beat = study.Beat(self.token, sequence, visible, active, **extra)
        return study.record_heartbeat(
            self.session, self.trainee.user.id, self.trainee.enrolment, self.lesson, beat, at
        )


def seconds_on(session, trainee: Trainee, lesson: Lesson) -> int:
    """Seconds credited to the trainee on the lesson."""
    return (
        session.scalar(
            select(LessonProgress.seconds).where(
                LessonProgress.enrolment_id == trainee.enrolment.id,
                LessonProgress.lesson_id == lesson.id,
            )
        )
        or 0
    )


def every(seconds: int, count: int, start: datetime = T0):
    """`count` instants `seconds` apart."""
    return [start + timedelta(seconds=seconds * i) for i in range(count)]


# --- The heartbeat service ---------------------------------------------------------------------


def test_visible_active_page_counts_the_time_between_beats(session, trainee):
    page = Page(session, trainee, trainee.lessons[0])
    states = [page.beat(at).state for at in every(30, 5)]
    assert states == ["started", "counting", "counting", "counting", "counting"]
    assert seconds_on(session, trainee, trainee.lessons[0]) == 120


def test_credit_never_exceeds_wall_clock_time(session, trainee):
    page = Page(session, trainee, trainee.lessons[0])
    # Beats sent far too often, at the same instant, and fractions of seconds apart.
    for _ in range(20):
        page.beat(T0)
    for i in range(1, 101):
        page.beat(T0 + timedelta(seconds=i * 0.3))
    assert seconds_on(session, trainee, trainee.lessons[0]) == 30
    # A long silence (a closed laptop) counts for at most one beat's gap.
    page.beat(T0 + timedelta(hours=2))
    assert seconds_on(session, trainee, trainee.lessons[0]) == 30 + study.MAX_GAP_SECONDS
    elapsed = (timedelta(hours=2)).total_seconds()
    assert seconds_on(session, trainee, trainee.lessons[0]) <= elapsed


def test_replayed_heartbeats_add_nothing(session, trainee):
    page = Page(session, trainee, trainee.lessons[0])
    page.beat(T0)
    assert page.beat(T0 + timedelta(seconds=30)).credited_seconds == 30
    for replay_at in every(30, 10, T0 + timedelta(seconds=60)):
        result = page.beat(replay_at, sequence=2)  # the same beat again, and again
        assert (result.state, result.credited_seconds) == ("replay", 0)
    assert page.beat(T0 + timedelta(seconds=400), sequence=1).credited_seconds == 0
    assert seconds_on(session, trainee, trainee.lessons[0]) == 30


def test_a_hidden_tab_adds_nothing(session, trainee):
    page = Page(session, trainee, trainee.lessons[0])
    for at in every(30, 20):
        assert page.beat(at, visible=False).credited_seconds == 0
    assert seconds_on(session, trainee, trainee.lessons[0]) == 0


def test_time_while_hidden_is_not_credited_when_the_page_comes_back(session, trainee):
    page = Page(session, trainee, trainee.lessons[0])
    page.beat(T0)
    page.beat(T0 + timedelta(seconds=30))  # 30 s in view
    page.beat(T0 + timedelta(seconds=31), visible=False)  # switched away
    back = page.beat(T0 + timedelta(seconds=70))  # back after 39 s, less than the max gap
    assert (back.state, back.credited_seconds) == ("started", 0)
    page.beat(T0 + timedelta(seconds=100))
    assert seconds_on(session, trainee, trainee.lessons[0]) == 60


def test_an_idle_page_adds_nothing(session, trainee):
    page = Page(session, trainee, trainee.lessons[0])
    page.beat(T0)
    for at in every(30, 10, T0 + timedelta(seconds=30)):
        result = page.beat(at, active=False)
        assert (result.state, result.credited_seconds) == ("idle", 0)
    # Coming back from idle restarts the count; the idle time is never credited later.
    assert page.beat(T0 + timedelta(seconds=330)).credited_seconds == 0
    assert page.beat(T0 + timedelta(seconds=360)).credited_seconds == 30
    assert seconds_on(session, trainee, trainee.lessons[0]) == 30


def test_two_lessons_open_at_once_never_both_count(session, trainee):
    first = Page(session, trainee, trainee.lessons[0])
    second = Page(session, trainee, trainee.lessons[1])
    start = T0
    for i in range(20):  # both tabs claim to be visible and in use, 15 s apart
        first.beat(start + timedelta(seconds=30 * i))
        second.beat(start + timedelta(seconds=30 * i + 15))
    total = seconds_on(session, trainee, trainee.lessons[0]) + seconds_on(
        session, trainee, trainee.lessons[1]
    )
    wall = 30 * 19 + 15
    assert total <= wall
    assert total == 0  # each beat takes the lease from the other page: neither counts


def test_the_page_in_view_keeps_counting_while_another_is_hidden(session, trainee):
    studied = Page(session, trainee, trainee.lessons[0])
    background = Page(session, trainee, trainee.lessons[1])
    for i in range(11):
        studied.beat(T0 + timedelta(seconds=30 * i))
        background.beat(T0 + timedelta(seconds=30 * i + 10), visible=False)
    assert seconds_on(session, trainee, trainee.lessons[0]) == 300
    assert seconds_on(session, trainee, trainee.lessons[1]) == 0


def test_opening_another_lesson_takes_over(session, trainee):
    first = Page(session, trainee, trainee.lessons[0])
    second = Page(session, trainee, trainee.lessons[1])
    first.beat(T0)
    first.beat(T0 + timedelta(seconds=30))
    assert second.beat(T0 + timedelta(seconds=40)).state == "taken_over"
    assert first.beat(T0 + timedelta(seconds=60), visible=False).credited_seconds == 0
    assert second.beat(T0 + timedelta(seconds=70)).credited_seconds == 30
    assert seconds_on(session, trainee, trainee.lessons[0]) == 30
    assert seconds_on(session, trainee, trainee.lessons[1]) == 30


def test_video_position_is_recorded_but_claims_nothing(session, trainee):
    page = Page(session, trainee, trainee.lessons[0])
    page.beat(T0, video_position=600)
    page.beat(T0 + timedelta(seconds=5), video_position=-20)
    progress = session.scalar(select(LessonProgress))
    assert (progress.seconds, progress.video_position) == (5, 0)
    page.beat(T0 + timedelta(seconds=10), video_position=2700)
    assert (progress.seconds, progress.video_position) == (10, 2700)


@pytest.mark.parametrize(
    ("starts", "ends"), [(1, 30), (-30, -1)], ids=["before it starts", "after it ended"]
)
def test_no_study_time_outside_the_class_dates(session, trainee, starts, ends):
    on = T0.astimezone(BEIJING).date()
    trainee.training_class.starts_on = on + timedelta(days=starts)
    trainee.training_class.ends_on = on + timedelta(days=ends)
    page = Page(session, trainee, trainee.lessons[0])
    for at in every(30, 5):
        result = page.beat(at)
    assert result.state == "outside_class" and result.credited_seconds == 0
    assert seconds_on(session, trainee, trainee.lessons[0]) == 0


def test_the_first_and_last_class_day_count(session, trainee):
    on = T0.astimezone(BEIJING).date()
    trainee.training_class.starts_on = trainee.training_class.ends_on = on
    page = Page(session, trainee, trainee.lessons[0])
    for at in every(30, 3):
        page.beat(at)
    assert seconds_on(session, trainee, trainee.lessons[0]) == 60


def test_time_goes_to_the_class_the_lesson_was_opened_for(client, session, trainee, clock):
    """A trainee in two classes of one course: the older class's lesson page credits it."""
    newer = make_class(session, trainee.training_class.course)
    newer.starts_on = trainee.training_class.starts_on
    second = make_enrolment(session, newer, trainee.enrolment.candidate)
    session.commit()
    assert second.id > trainee.enrolment.id
    lesson = trainee.lessons[0]
    client.login("xueyuan")
    page = client.get(f"/lessons/{lesson.id}?class={trainee.training_class.id}")
    assert trainee.training_class.title in page.get_data(as_text=True)
    token = re.search(r'data-page-token="([^"]+)"', page.get_data(as_text=True)).group(1)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)
    for sequence in (1, 2):
        beat(
            client, lesson.id, csrf, page_token=token, sequence=sequence, visible=True, active=True
        )
        clock.advance(30)
    reread(session)
    assert seconds_on(session, trainee, lesson) == 30
    assert not session.scalar(
        select(LessonProgress).where(LessonProgress.enrolment_id == second.id)
    )
    assert client.get(f"/lessons/{lesson.id}?class={2**63}").status_code == 404
    # A link from the class's progress page names the class.
    progress = client.get(f"/classes/{trainee.training_class.id}/my-progress").get_data(
        as_text=True
    )
    assert f"/lessons/{lesson.id}?class={trainee.training_class.id}" in progress


def test_a_video_is_watched_while_it_plays_by_the_servers_clock(session, trainee):
    lesson = trainee.lessons[0]
    lesson.video_file, lesson.video_seconds = "talk.mp4", 70
    page = Page(session, trainee, lesson)
    page.beat(T0, playing=True, video_position=0)
    # The page claims it is near the end; only the 30 s it really played count.
    result = page.beat(T0 + timedelta(seconds=30), playing=True, video_position=69)
    assert (result.video_watched_seconds, result.video_seconds) == (30, 70)
    page.beat(T0 + timedelta(seconds=60), playing=False)  # paused: reading, not watching
    result = page.beat(T0 + timedelta(seconds=90), playing=True)
    assert result.video_watched_seconds == 60
    for at in every(30, 4, T0 + timedelta(seconds=120)):
        result = page.beat(at, playing=True)
    assert result.video_watched_seconds == 70  # never more than the video lasts
    status = study.lesson_statuses(session, trainee.enrolment)[0]
    assert status.video_share == 1.0


def test_the_length_of_an_uploaded_mp4_is_read_from_the_file(tmp_path):
    from partyschool.uploads import mp4_duration

    def box(kind: bytes, payload: bytes) -> bytes:
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    mvhd = box(
        b"mvhd",
        bytes(4)
        + (0).to_bytes(4, "big") * 2
        + (1000).to_bytes(4, "big")
        + (754_500).to_bytes(4, "big")
        + bytes(80),
    )
    video = tmp_path / "a.mp4"
    video.write_bytes(box(b"ftyp", b"isom" + bytes(8)) + box(b"moov", mvhd))
    assert mp4_duration(video) == 754  # 12:34.5
    video.write_bytes(b"not a video at all")
    assert mp4_duration(video) is None


def test_hours_cap_each_lesson_at_its_required_time(session, trainee):
    first, second = trainee.lessons
    session.add_all(
        [
            LessonProgress(enrolment_id=trainee.enrolment.id, lesson_id=first.id, seconds=36_000),
            LessonProgress(enrolment_id=trainee.enrolment.id, lesson_id=second.id, seconds=900),
        ]
    )
    session.add(
        Attendance(lecture_id=trainee.lecture.id, enrolment_id=trainee.enrolment.id, method="qr")
    )
    session.flush()
    online, offline, required = study.class_hours(session, trainee.enrolment)
    assert online == Decimal("1.00")  # 45 min (capped from 10 h) + 15 min
    assert offline == Decimal("2.00")
    assert required == Decimal(24)
    statuses = study.lesson_statuses(session, trainee.enrolment)
    assert [s.seconds for s in statuses] == [36_000, 900]  # the seconds keep counting
    assert [s.is_done for s in statuses] == [True, False]


def test_batch_hours_use_a_constant_number_of_queries(app, session):
    school = make_branch_school(session)
    training_class = make_class(session, make_course(session, school))

    def queries_for(count: int) -> tuple[int, dict]:
        for _ in range(count):
            made = make_trainee(session, training_class=training_class)
            session.add(
                LessonProgress(
                    enrolment_id=made.enrolment.id, lesson_id=made.lessons[0].id, seconds=1800
                )
            )
        session.flush()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(session.get_bind(), "before_cursor_execute", listener)
        try:
            hours = study.class_hours_for_class(session, training_class)
            study.class_progress(session, training_class)
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", listener)
        return len(statements), hours

    few, hours = queries_for(2)
    many, hours = queries_for(20)
    assert few == many
    assert len(hours) == 22
    assert {h.online for h in hours.values()} == {Decimal("0.50")}


def test_class_progress_lists_who_is_behind_first(session):
    school = make_branch_school(session)
    training_class = make_class(session, make_course(session, school, required_hours=Decimal(3)))
    ahead = make_trainee(session, training_class=training_class)
    behind = make_trainee(session, training_class=training_class)
    middle = make_trainee(session, training_class=training_class)
    for made, seconds in ((ahead, 2700), (middle, 1800)):
        for lesson in made.lessons:
            session.add(
                LessonProgress(enrolment_id=made.enrolment.id, lesson_id=lesson.id, seconds=seconds)
            )
    session.add(
        Attendance(lecture_id=ahead.lecture.id, enrolment_id=ahead.enrolment.id, method="qr")
    )
    make_enrolment(session, training_class, status=EnrolmentStatus.PENDING)
    session.flush()
    lines = study.class_progress(session, training_class)
    assert [line.enrolment.id for line in lines] == [
        behind.enrolment.id,
        middle.enrolment.id,
        ahead.enrolment.id,
    ]
    assert [line.hours.total for line in lines] == [Decimal(0), Decimal(1), Decimal("3.5")]
    assert [line.hours.is_complete for line in lines] == [False, False, True]
    assert [line.lessons_done for line in lines] == [0, 0, 2]


def test_sign_in_codes_change_every_15_seconds_and_live_at_most_30(session, trainee):
    lecture = trainee.lecture
    codes = {attendance.sign_in_code(lecture, T0 + timedelta(seconds=15 * i)) for i in range(240)}
    assert len(codes) == 240
    for shown_after in range(15):  # whenever in its period a code is first shown
        shown = T0 + timedelta(seconds=shown_after)
        code = attendance.sign_in_code(lecture, shown)
        assert attendance.is_code_valid(lecture, code, shown + timedelta(seconds=10))
        assert not attendance.is_code_valid(lecture, code, shown + timedelta(seconds=30))
    assert not attendance.is_code_valid(lecture, "0" * 12, T0)
    other = make_class(session).lectures[0]
    assert not attendance.is_code_valid(other, attendance.sign_in_code(lecture, T0), T0)


def test_a_forwarded_link_is_refused_half_a_minute_later(client, session, trainee, clock):
    lecture = trainee.lecture
    forwarded = f"/lectures/{lecture.id}/sign-in?code={attendance.sign_in_code(lecture, T0)}"
    friend = make_trainee(session, training_class=trainee.training_class, username="friend")
    session.commit()
    clock.advance(30)
    client.login(friend.user.username)
    assert client.get(forwarded).status_code == 400
    code = attendance.sign_in_code(lecture, T0)
    assert client.post(forwarded, data={"code": code}).status_code == 400
    assert reread(session).scalar(select(func.count()).select_from(Attendance)) == 0


@pytest.mark.parametrize(
    ("starts_in", "message"),
    [(timedelta(days=7), "签到尚未开始"), (-timedelta(hours=3), "签到已关闭")],
    ids=["next week", "after it ended"],
)
def test_sign_in_only_while_the_lecture_is_on(
    client, session, trainee, head_teacher, clock, starts_in, message
):
    lecture = trainee.lecture
    lecture.starts_at = T0 + starts_in
    session.commit()
    url = f"/lectures/{lecture.id}/sign-in?code={attendance.sign_in_code(lecture, T0)}"
    client.login("xueyuan")
    refused = client.get(url)
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    posted = client.post(url, data={"code": attendance.sign_in_code(lecture, T0)})
    assert posted.status_code == 400 and message in posted.get_data(as_text=True)
    with pytest.raises(attendance.SignInError, match=message):
        attendance.sign_in(session, lecture, trainee.enrolment, "x", T0)
    assert reread(session).scalar(select(func.count()).select_from(Attendance)) == 0


def test_the_qr_page_lists_who_signed_in_and_when(
    app, client, session, trainee, head_teacher, clock
):
    lecture = trainee.lecture
    attendance.sign_in(
        session, lecture, trainee.enrolment, attendance.sign_in_code(lecture, T0), T0
    )
    session.commit()
    client.login("banzhuren")
    shown = client.get(f"/lectures/{lecture.id}/qr").get_data(as_text=True)
    assert trainee.enrolment.candidate.name in shown and "扫码签到" in shown
    assert 'http-equiv="refresh" content="' in shown
    refresh = int(re.search(r'http-equiv="refresh" content="(\d+)"', shown).group(1))
    assert refresh <= 15
    lecture.starts_at = T0 + timedelta(days=7)
    session.commit()
    closed = client.get(f"/lectures/{lecture.id}/qr").get_data(as_text=True)
    assert "签到尚未开始" in closed and "sign-in-qr" not in closed


# --- Pages and the API ---------------------------------------------------------------------------


class FakeClock:
    """The server's clock, moved by the test; the app reads it from `STUDY_CLOCK`."""

    def __init__(self, at: datetime = T0):
        self.now = at

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let time pass."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app, monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setitem(app.config, "STUDY_CLOCK", fake)
    return fake


def open_lesson(client, lesson_id: int) -> tuple[str, str]:
    """Open a lesson page; its page token and CSRF token."""
    response = client.get(f"/lessons/{lesson_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    token = re.search(r'data-page-token="([^"]+)"', page).group(1)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return token, csrf


def beat(client, lesson_id, csrf, **body):
    """Send a heartbeat as the page's script does."""
    return client.raw.post(
        f"/api/v1/lessons/{lesson_id}/heartbeats", json=body, headers={"X-CSRFToken": csrf}
    )


def test_lesson_page_shows_the_lesson_and_a_fresh_page_token(client, session, trainee):
    lesson = trainee.lessons[0]
    lesson.body = (
        "## 党章学习\n\n*认真*学习<script>alert('x')</script>\n\n[链接](javascript:alert(1))"
        '\n\n<img src=x onerror="alert(1)">'
    )
    session.commit()
    client.login("xueyuan")
    first, _ = open_lesson(client, lesson.id)
    second, _ = open_lesson(client, lesson.id)
    assert first != second
    page = client.get(f"/lessons/{lesson.id}").get_data(as_text=True)
    assert "<h2>党章学习</h2>" in page and "<em>认真</em>" in page
    assert "<script>alert" not in page and "onerror=" not in page
    assert 'href="javascript:' not in page
    assert "study.js" in page and "study.css" in page
    assert f"/api/v1/lessons/{lesson.id}/heartbeats" in page


def test_lesson_page_needs_an_approved_enrolment(client, session, trainee):
    trainee.enrolment.status = EnrolmentStatus.PENDING
    other = make_trainee(session)  # a trainee of another class in another branch
    session.commit()
    client.login("xueyuan")
    assert client.get(f"/lessons/{trainee.lessons[0].id}").status_code == 404
    assert client.get(f"/lessons/{other.lessons[0].id}").status_code == 404
    assert client.get("/lessons/999999").status_code == 404


def test_heartbeats_through_the_api_count_server_time_only(client, session, trainee, clock):
    lesson = trainee.lessons[0]
    client.login("xueyuan")
    token, csrf = open_lesson(client, lesson.id)
    forged = {"seconds": 99_999, "lesson_seconds": 99_999, "progress": 1.0, "credited": 2700}
    first = beat(
        client, lesson.id, csrf, page_token=token, sequence=1, visible=True, active=True, **forged
    )
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["credited_seconds"] == 0
    clock.advance(30)
    body = beat(
        client,
        lesson.id,
        csrf,
        page_token=token,
        sequence=2,
        visible=True,
        active=True,
        video_position=95,
        **forged,
    ).get_json()
    assert body == {
        "state": "counting",
        "credited_seconds": 30,
        "lesson_seconds": 30,
        "lesson_required_seconds": 2700,
        "online_hours": 0.0,
        "offline_hours": 0.0,
        "class_hours": 0.0,
        "class_required_hours": 24.0,
        "video_watched_seconds": 0,
        "video_seconds": None,  # a lesson without a video
    }
    clock.advance(30)
    replay = beat(client, lesson.id, csrf, page_token=token, sequence=2, visible=True, active=True)
    assert replay.get_json()["credited_seconds"] == 0
    progress = reread(session).scalar(select(LessonProgress))
    assert (progress.seconds, progress.video_position) == (30, 95)


def test_concurrent_copies_of_a_beat_credit_once(app, session, trainee, clock, token):
    lesson = trainee.lessons[0]
    headers = {"Authorization": f"Bearer {token('xueyuan')}"}
    page_token = study.issue_page_token(SECRET, trainee.user.id, lesson.id)
    url = f"/api/v1/lessons/{lesson.id}/heartbeats"
    body = {"page_token": page_token, "visible": True, "active": True}
    first = app.test_client().post(url, json=body | {"sequence": 1}, headers=headers)
    assert first.status_code == 200
    clock.advance(30)
    barrier = threading.Barrier(8)

    def send():
        barrier.wait()
        response = app.test_client().post(url, json=body | {"sequence": 2}, headers=headers)
        return response.get_json()["credited_seconds"]

    with ThreadPoolExecutor(8) as pool:
        credited = list(pool.map(lambda _: send(), range(8)))
    assert sorted(credited) == [0] * 7 + [30]
    assert seconds_on(reread(session), trainee, lesson) == 30


def test_heartbeat_refuses_forged_page_tokens_and_strangers(client, session, trainee, clock):
    lesson, other_lesson = trainee.lessons
    client.login("xueyuan")
    token, csrf = open_lesson(client, lesson.id)
    made_up = "abc.0123456789abcdef0123456789abcdef"
    for lesson_id, page_token in ((lesson.id, made_up), (other_lesson.id, token)):
        response = beat(
            client, lesson_id, csrf, page_token=page_token, sequence=1, visible=True, active=True
        )
        assert response.status_code == 400
        assert response.get_json()["error"] == "invalid_page_token"
    missing = beat(client, lesson.id, csrf, page_token=token, sequence=1)
    assert missing.status_code == 422
    no_csrf = client.raw.post(
        f"/api/v1/lessons/{lesson.id}/heartbeats",
        json={"page_token": token, "sequence": 1, "visible": True, "active": True},
    )
    assert no_csrf.status_code == 400
    stranger = make_trainee(session, username="stranger")
    session.commit()
    client.post("/logout")
    client.login("stranger")
    _, csrf = open_lesson(client, stranger.lessons[0].id)
    response = beat(
        client, lesson.id, csrf, page_token=token, sequence=1, visible=True, active=True
    )
    assert response.status_code == 404
    assert reread(session).scalar(select(func.count()).select_from(LessonProgress)) == 0


def test_heartbeat_with_a_bearer_token(client, session, trainee, clock, token):
    lesson = trainee.lessons[0]
    headers = {"Authorization": f"Bearer {token('xueyuan')}"}
    page_token = study.issue_page_token(SECRET, trainee.user.id, lesson.id)
    url = f"/api/v1/lessons/{lesson.id}/heartbeats"
    for sequence in (1, 2, 3):
        body = {"page_token": page_token, "sequence": sequence, "visible": True, "active": True}
        response = client.raw.post(url, json=body, headers=headers)
        assert response.status_code == 200, response.get_json()
        clock.advance(20)
    assert response.get_json()["lesson_seconds"] == 40


def test_staff_cannot_send_heartbeats(client, session, trainee):
    make_user(session, Role.INSTRUCTOR, trainee.school, username="teacher1")
    session.commit()
    client.login("teacher1")
    csrf = client.csrf_token("/")
    response = beat(
        client, trainee.lessons[0].id, csrf, page_token="x", sequence=1, visible=True, active=True
    )
    assert response.status_code == 403


def test_my_progress_shows_lessons_and_lectures(client, session, trainee):
    session.add(
        LessonProgress(
            enrolment_id=trainee.enrolment.id, lesson_id=trainee.lessons[0].id, seconds=2700
        )
    )
    session.commit()
    client.login("xueyuan")
    page = client.get(f"/classes/{trainee.training_class.id}/my-progress").get_data(as_text=True)
    assert "已完成" in page and "0.75" in page and "未签到" in page
    assert trainee.lecture.title in page
    index = client.get("/study").get_data(as_text=True)
    assert trainee.training_class.title in index
    other = make_class(session)
    session.commit()
    assert client.get(f"/classes/{other.id}/my-progress").status_code == 404


# --- Lectures: QR sign-in and roll call -----------------------------------------------------------


@pytest.fixture
def head_teacher(session, trainee) -> User:
    teacher = make_user(session, Role.INSTRUCTOR, trainee.school, username="banzhuren")
    trainee.training_class.head_teacher_id = teacher.id
    session.commit()
    return teacher


def qr_url(client, lecture_id: int) -> str:
    """The sign-in URL the QR code page encodes."""
    response = client.get(f"/lectures/{lecture_id}/qr")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<svg" in page and 'class="qr-code"' in page
    url = re.search(r'data-sign-in-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    return url.removeprefix("http://localhost")


def test_qr_code_changes_every_minute_and_old_codes_are_refused(
    app, client, session, trainee, head_teacher, clock
):
    lecture = trainee.lecture
    client.login("banzhuren")
    first = qr_url(client, lecture.id)
    assert first == f"/lectures/{lecture.id}/sign-in?code={attendance.sign_in_code(lecture, T0)}"
    clock.advance(60)
    second = qr_url(client, lecture.id)
    assert second != first
    student = app.test_client()
    assert (
        student.post(
            "/login",
            data={
                "username": "xueyuan",
                "password": "correct-horse-42",
                "csrf_token": csrf_of(student),
            },
        ).status_code
        == 302
    )
    clock.advance(65)  # the first code is now two minutes old
    stale = student.get(first)
    assert stale.status_code == 400
    assert "签到码无效或已过期" in stale.get_data(as_text=True)
    forged = student.get(f"/lectures/{lecture.id}/sign-in?code=000000000000")
    assert forged.status_code == 400
    posted = student.post(
        f"/lectures/{lecture.id}/sign-in",
        data={"code": attendance.sign_in_code(lecture, T0), "csrf_token": csrf_of(student)},
    )
    assert posted.status_code == 400
    assert reread(session).scalar(select(func.count()).select_from(Attendance)) == 0


def csrf_of(test_client) -> str:
    """The CSRF token of the client's session, from any page."""
    page = test_client.get("/login", follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_trainee_signs_in_once_with_the_scanned_code(client, session, trainee, clock):
    lecture = trainee.lecture
    client.login("xueyuan")
    url = f"/lectures/{lecture.id}/sign-in?code={attendance.sign_in_code(lecture, T0)}"
    clock.advance(15)  # scanned late in the period, loaded in the next
    confirm = client.get(url)
    assert confirm.status_code == 200 and "data-autosubmit" in confirm.get_data(as_text=True)
    assert reread(session).scalar(select(func.count()).select_from(Attendance)) == 0
    code = attendance.sign_in_code(lecture, T0)
    done = client.post(url, data={"code": code})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/classes/{trainee.training_class.id}/my-progress")
    again = client.post(url, data={"code": code})
    assert again.status_code == 200 and "您已于" in again.get_data(as_text=True)
    signed = reread(session).scalars(select(Attendance)).one()
    assert (signed.enrolment_id, signed.method) == (trainee.enrolment.id, "qr")
    _, offline, _ = study.class_hours(session, trainee.enrolment)
    assert offline == lecture.hours


def test_only_trainees_of_the_class_can_sign_in(client, session, trainee, clock):
    lecture = trainee.lecture
    outsider = make_trainee(session, school=trainee.school, username="outsider")
    session.commit()
    client.login(outsider.user.username)
    url = f"/lectures/{lecture.id}/sign-in?code={attendance.sign_in_code(lecture, T0)}"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"code": attendance.sign_in_code(lecture, T0)}).status_code == 404
    assert reread(session).scalar(select(func.count()).select_from(Attendance)) == 0


def test_roll_call_records_who_is_present(client, session, trainee, head_teacher, clock):
    lecture = trainee.lecture
    present = make_trainee(session, training_class=trainee.training_class)
    absent = make_trainee(session, training_class=trainee.training_class)
    stranger = make_trainee(session)  # of another class: its id must be ignored
    session.add(Attendance(lecture_id=lecture.id, enrolment_id=trainee.enrolment.id, method="qr"))
    session.commit()
    client.login("banzhuren")
    page = client.get(f"/lectures/{lecture.id}/roll-call").get_data(as_text=True)
    assert present.enrolment.candidate.name in page and "扫码签到" in page
    ticked = [trainee.enrolment.id, present.enrolment.id, stranger.enrolment.id]
    response = client.post(f"/lectures/{lecture.id}/roll-call", data={"present": ticked})
    assert response.status_code == 302
    rows = reread(session).scalars(select(Attendance).order_by(Attendance.enrolment_id)).all()
    assert {(a.enrolment_id, a.method) for a in rows} == {
        (trainee.enrolment.id, "qr"),
        (present.enrolment.id, "roll_call"),
    }
    assert next(a for a in rows if a.method == "roll_call").recorded_by_id == head_teacher.id
    # Unticking corrects a mistake.
    client.post(f"/lectures/{lecture.id}/roll-call", data={"present": [trainee.enrolment.id]})
    ids = reread(session).scalars(select(Attendance.enrolment_id)).all()
    assert ids == [trainee.enrolment.id]
    assert absent.enrolment.id not in ids
    # Without the CSRF token nothing changes.
    refused = client.raw.post(f"/lectures/{lecture.id}/roll-call", data={"present": []})
    assert refused.status_code == 400
    assert reread(session).scalars(select(Attendance.enrolment_id)).all() == ids


def test_class_progress_page_for_the_head_teacher(client, session, trainee, head_teacher):
    session.add(
        LessonProgress(
            enrolment_id=trainee.enrolment.id, lesson_id=trainee.lessons[0].id, seconds=2700
        )
    )
    slacker = make_trainee(session, training_class=trainee.training_class)
    session.commit()
    client.login("banzhuren")
    page = client.get(f"/classes/{trainee.training_class.id}/progress").get_data(as_text=True)
    assert 'data-testid="behind-count">2<' in page
    assert page.index(slacker.enrolment.candidate.name) < page.index(
        trainee.enrolment.candidate.name
    )
    assert "0.75" in page
    listing = client.get("/study/classes").get_data(as_text=True)
    assert trainee.training_class.title in listing and "签到二维码" in listing


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.ORGANIZER, Role.BRANCH_ADMIN])
def test_another_branch_cannot_reach_the_class(client, session, trainee, role):
    make_user(session, role, username="other_staff")  # in a new branch school
    session.commit()
    client.login("other_staff")
    class_id, lecture_id = trainee.training_class.id, trainee.lecture.id
    for path in (
        f"/classes/{class_id}/progress",
        f"/lectures/{lecture_id}/qr",
        f"/lectures/{lecture_id}/roll-call",
    ):
        assert client.get(path).status_code in (403, 404), path
    assert client.post(
        f"/lectures/{lecture_id}/roll-call", data={"present": [trainee.enrolment.id]}
    ).status_code in (403, 404)
    assert (
        client.get("/study/classes").get_data(as_text=True).count(trainee.training_class.title) == 0
    )


def test_instructor_of_the_branch_who_does_not_teach_the_class_is_refused(
    client, session, trainee, head_teacher
):
    make_user(session, Role.INSTRUCTOR, trainee.school, username="colleague")
    make_user(session, Role.ORGANIZER, trainee.school, username="zuzhiyuan")
    session.commit()
    client.login("colleague")
    assert client.get(f"/lectures/{trainee.lecture.id}/qr").status_code == 403
    assert client.get(f"/classes/{trainee.training_class.id}/progress").status_code == 403
    client.post("/logout")
    client.login("zuzhiyuan")  # organizers verify completion: they see progress, not the QR
    assert client.get(f"/classes/{trainee.training_class.id}/progress").status_code == 200
    assert client.get(f"/lectures/{trainee.lecture.id}/qr").status_code == 403


def test_heartbeat_is_in_the_openapi_document(client):
    document = client.get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/v1/lessons/{lesson_id}/heartbeats"]["post"]
    assert operation["x-roles"] == ["activist"]
    assert "HeartbeatIn" in document["components"]["schemas"]
