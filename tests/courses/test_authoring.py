"""Writing courses: sanitized lessons, branch isolation, the library and its copies, uploads."""

import io
import re
import zipfile
from dataclasses import dataclass, replace
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from flask import url_for
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from courses.authoring.services import render_markdown
from courses.models import Attachment, Course, EnrolmentStatus, Lesson
from partyschool.accounts.models import Role
from partyschool.candidates.rules import Stage
from partyschool.organization.models import PartySchool
from partyschool.uploads import ATTACHMENTS, VIDEOS, UploadError, store_upload
from tests.courses.trainees import make_trainee
from tests.factories import (
    make_branch_school,
    make_candidate,
    make_class,
    make_course,
    make_user,
    reread,
    school_level,
)

GENERATED = re.compile(r"^[0-9a-f]{32}\.(pdf|docx|pptx|xlsx|png|jpg|mp4|webm)$")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
WEBM = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


RUNNABLE_TAGS = {"script", "style", "iframe", "svg", "form", "input", "object", "embed", "frame"}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list]]:
    """Every start tag of an HTML fragment with its (decoded) attributes."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


def ooxml(folder: str) -> bytes:
    """A minimal Office Open XML package with its main part under `folder`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(f"{folder}/document.xml", "<document/>")
    return buffer.getvalue()


def stored_files(folder) -> list[str]:
    """Every file in the upload folder, hidden partial files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """A fresh upload folder for this test."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


@dataclass
class Schools:
    """Two branch schools with an instructor each, the school level, and a course of each."""

    school_a: PartySchool
    school_b: PartySchool
    course_a: Course
    course_b: Course
    library: Course


@pytest.fixture
def schools(session) -> Schools:
    top = school_level(session)
    school_a, school_b = make_branch_school(session), make_branch_school(session)
    make_user(session, Role.INSTRUCTOR, school_a, username="teacher_a")
    make_user(session, Role.INSTRUCTOR, school_b, username="teacher_b")
    make_user(session, Role.BRANCH_ADMIN, school_b, username="admin_b")
    make_user(session, Role.INSTRUCTOR, top, username="teacher_top")
    make_user(session, Role.SCHOOL_ADMIN, top, username="admin_top")
    course_a = make_course(session, school_a, title="甲分党校课程")
    course_b = make_course(session, school_b, title="乙分党校课程")
    library = make_course(
        session, top, title="入党积极分子培训（课程库）", description="校党校统一课程"
    )
    session.commit()
    return Schools(school_a, school_b, course_a, course_b, library)


def upload(client, lesson_id: int, name: str, content: bytes, **kwargs):
    """Upload an attachment to a lesson through the page's form."""
    return client.post(
        f"/courses/lessons/{lesson_id}/attachments",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        **kwargs,
    )


def fetch(client, path: str, **kwargs):
    """GET a download and close it, so the served file is closed too."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def lesson_data(**overrides) -> dict:
    """A valid lesson form."""
    return {"title": "党的性质和宗旨", "body": "# 学习要点", "required_minutes": "45"} | overrides


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_keeps_ordinary_markup_and_chinese():
    html = render_markdown(
        "## 第一讲 党的性质\n\n**中国共产党**是中国工人阶级的先锋队。\n\n"
        "- 全心全意为人民服务\n- 坚持民主集中制\n\n"
        "| 阶段 | 学时 |\n|---|---:|\n| 积极分子 | 24 |\n\n"
        "[党章全文](https://www.gov.cn/) ![党徽](https://example.edu.cn/emblem.png)"
    )
    assert isinstance(html, Markup)
    assert "<h2>第一讲 党的性质</h2>" in html
    assert "<strong>中国共产党</strong>是中国工人阶级的先锋队。" in html
    assert "<li>全心全意为人民服务</li>" in html
    assert "<table>" in html and "<td>积极分子</td>" in html and "text-align:right" in html
    assert 'href="https://www.gov.cn/"' in html and 'rel="noopener noreferrer"' in html
    assert '<img src="https://example.edu.cn/emblem.png" alt="党徽"' in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('xss')</script>学习",
        '<img src="x.png" onerror="alert(1)">学习',
        '<a href="https://example.com" onclick="alert(1)">学习</a>',
        "[学习](javascript:alert(1))",
        '<a href="javascript:alert(1)">学习</a>',
        '<a href="JaVaScRiPt:alert(1)">学习</a>',
        '<a href="&#106;avascript:alert(1)">学习</a>',
        '<iframe src="https://evil.example/"></iframe>学习',
        '<svg onload="alert(1)"><circle/></svg>学习',
        '<div onmouseover="alert(1)">学习</div>',
        '<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">学习',
        "<style>body{display:none}</style>学习",
        '<form action="https://evil.example/"><input name="password"></form>学习',
    ],
)
def test_markdown_removes_anything_that_could_run(text):
    html = render_markdown(text)
    for tag, attributes in elements(html):
        assert tag not in RUNNABLE_TAGS, (text, html)
        for name, value in attributes:
            assert not name.startswith("on"), (text, html)
            scheme = (value or "").strip().lower().partition(":")[0]
            assert name not in ("href", "src") or scheme in ("http", "https", "x.png"), html
    assert "学习" in html


@pytest.mark.parametrize("tag", ["script", "style", "iframe", "noscript"])
def test_markdown_drops_the_content_of_runnable_tags(tag):
    html = render_markdown(f"<{tag}>alert(document.cookie)</{tag}>正文")
    assert "alert" not in html and "正文" in html


def test_markdown_of_nothing_is_empty():
    assert render_markdown(None) == Markup("")


def test_lesson_preview_shows_sanitized_text(client, session, uploads, schools):
    lesson = schools.course_b.lessons[0]
    lesson.body = "**重点**<script>alert(1)</script>"
    session.commit()
    client.login("teacher_b")
    page = client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)
    assert "<strong>重点</strong>" in page
    assert "alert(1)" not in page


# --- Courses and scope ------------------------------------------------------------------------


def test_instructor_creates_a_course_of_their_branch(client, session, schools):
    client.login("teacher_b")
    response = client.post(
        "/courses/new",
        {"title": "第36期入党积极分子培训", "target_stage": "activist", "required_hours": "32"},
    )
    assert response.status_code == 302
    course = reread(session).scalar(select(Course).where(Course.title == "第36期入党积极分子培训"))
    assert course.party_school_id == schools.school_b.id
    assert course.target_stage is Stage.ACTIVIST and course.required_hours == Decimal(32)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "不少于3天或24学时" not in page


@pytest.mark.parametrize(
    ("stage", "hours", "warned"),
    [
        ("activist", "16", True),
        ("candidate", "23.5", True),
        ("candidate", "24", False),
        ("applicant", "8", False),
    ],
)
def test_fewer_than_24_hours_is_saved_with_a_warning(
    client, session, schools, stage, hours, warned
):
    client.login("teacher_b")
    response = client.post(
        "/courses/new",
        {"title": "短期培训", "target_stage": stage, "required_hours": hours},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert reread(session).scalar(select(Course).where(Course.title == "短期培训")) is not None
    assert ("不少于3天或24学时" in response.get_data(as_text=True)) is warned


def test_course_list_shows_own_branch_and_library_only(client, schools):
    client.login("teacher_b")
    page = client.get("/courses/").get_data(as_text=True)
    assert "乙分党校课程" in page and "入党积极分子培训（课程库）" in page
    assert "甲分党校课程" not in page


def test_instructor_cannot_touch_another_branchs_course(client, session, uploads, schools):
    course, lesson = schools.course_a, schools.course_a.lessons[0]
    attachment = Attachment(
        original_name="甲.pdf",
        stored_name="f" * 32 + ".pdf",
        content_type="application/pdf",
        size=1,
    )
    lesson.attachments.append(attachment)
    session.commit()
    client.login("teacher_b")
    valid_course = {"title": "改掉", "target_stage": "activist", "required_hours": "24"}
    attempts = [
        client.get(f"/courses/{course.id}"),
        client.get(f"/courses/{course.id}/edit"),
        client.post(f"/courses/{course.id}/edit", valid_course),
        client.post(f"/courses/{course.id}/delete"),
        client.post(f"/courses/{course.id}/copy"),
        client.get(f"/courses/{course.id}/lessons/new"),
        client.post(f"/courses/{course.id}/lessons/new", lesson_data()),
        client.get(f"/courses/lessons/{lesson.id}"),
        client.get(f"/courses/lessons/{lesson.id}/edit"),
        client.post(f"/courses/lessons/{lesson.id}/edit", lesson_data(title="改掉")),
        client.post(f"/courses/lessons/{lesson.id}/move", {"direction": "down"}),
        client.post(f"/courses/lessons/{lesson.id}/delete"),
        upload(client, lesson.id, "讲义.pdf", PDF),
        client.post(f"/courses/attachments/{attachment.id}/delete"),
        client.get(f"/attachments/{attachment.id}"),
        client.get(f"/lessons/{lesson.id}/video"),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    reread(session)
    assert session.get(Course, course.id).title == "甲分党校课程"
    assert [(x.position, x.title) for x in session.get(Course, course.id).lessons] == [
        (1, "第1课"),
        (2, "第2课"),
    ]
    assert session.get(Attachment, attachment.id) is not None
    assert session.scalar(select(Course).where(Course.source_id == course.id)) is None
    assert stored_files(uploads) == []


def test_branch_instructor_reads_the_library_but_cannot_edit_it(client, session, schools):
    library, lesson = schools.library, schools.library.lessons[0]
    client.login("teacher_b")
    page = client.get(f"/courses/{library.id}")
    assert page.status_code == 200
    assert f"/courses/{library.id}/edit" not in page.get_data(as_text=True)
    assert client.get(f"/courses/lessons/{lesson.id}").status_code == 200
    valid_course = {"title": "改掉", "target_stage": "activist", "required_hours": "24"}
    attempts = [
        client.get(f"/courses/{library.id}/edit"),
        client.post(f"/courses/{library.id}/edit", valid_course),
        client.post(f"/courses/{library.id}/delete"),
        client.post(f"/courses/{library.id}/lessons/new", lesson_data()),
        client.post(f"/courses/lessons/{lesson.id}/edit", lesson_data(title="改掉")),
        client.post(f"/courses/lessons/{lesson.id}/move", {"direction": "down"}),
        client.post(f"/courses/lessons/{lesson.id}/delete"),
        upload(client, lesson.id, "讲义.pdf", PDF),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    reread(session)
    assert session.get(Course, library.id).title == "入党积极分子培训（课程库）"
    assert [x.title for x in session.get(Course, library.id).lessons] == ["第1课", "第2课"]


@pytest.mark.parametrize("username", ["teacher_top", "admin_top"])
def test_school_level_edits_the_library(client, session, schools, username):
    client.login(username)
    response = client.post(
        f"/courses/{schools.library.id}/edit",
        {"title": "发展对象培训（课程库）", "target_stage": "candidate", "required_hours": "24"},
    )
    assert response.status_code == 302
    course = reread(session).get(Course, schools.library.id)
    assert course.title == "发展对象培训（课程库）" and course.target_stage is Stage.CANDIDATE


def test_a_course_that_a_class_runs_cannot_be_deleted(client, session, schools):
    make_class(session, schools.course_b)
    session.commit()
    client.login("teacher_b")
    page = client.post(f"/courses/{schools.course_b.id}/delete", follow_redirects=True)
    assert "已有培训班使用此课程，不能删除" in page.get_data(as_text=True)
    assert reread(session).get(Course, schools.course_b.id) is not None


# --- Lessons ----------------------------------------------------------------------------------


def test_lessons_are_added_at_the_end_and_reordered(client, session, schools):
    course = schools.course_b
    client.login("teacher_b")
    response = client.post(f"/courses/{course.id}/lessons/new", lesson_data(title="第3课"))
    assert response.status_code == 302

    def titles() -> list[str]:
        lessons = reread(session).get(Course, course.id).lessons
        assert [x.position for x in lessons] == list(range(1, len(lessons) + 1))
        return [x.title for x in lessons]

    assert titles() == ["第1课", "第2课", "第3课"]
    first, second, third = session.get(Course, course.id).lessons
    client.post(f"/courses/lessons/{third.id}/move", {"direction": "up"})
    assert titles() == ["第1课", "第3课", "第2课"]
    client.post(f"/courses/lessons/{first.id}/move", {"direction": "down"})
    assert titles() == ["第3课", "第1课", "第2课"]
    client.post(f"/courses/lessons/{third.id}/move", {"direction": "up"})  # already first
    client.post(f"/courses/lessons/{second.id}/move", {"direction": "down"})  # already last
    client.post(f"/courses/lessons/{second.id}/move", {"direction": "sideways"})
    assert titles() == ["第3课", "第1课", "第2课"]
    client.post(f"/courses/lessons/{first.id}/delete")
    assert titles() == ["第3课", "第2课"]


def test_lesson_edit_saves_text_and_a_video_link(client, session, schools):
    lesson = schools.course_b.lessons[0]
    client.login("teacher_b")
    data = lesson_data(required_minutes="90", video_url="https://video.example.edu.cn/1.mp4")
    assert client.post(f"/courses/lessons/{lesson.id}/edit", data).status_code == 302
    lesson = reread(session).get(Lesson, lesson.id)
    assert (lesson.title, lesson.body, lesson.required_minutes) == (
        "党的性质和宗旨",
        "# 学习要点",
        90,
    )
    assert lesson.video_url == "https://video.example.edu.cn/1.mp4"
    page = client.get(f"/courses/lessons/{lesson.id}/edit").get_data(as_text=True)
    assert 'value="https://video.example.edu.cn/1.mp4"' in page
    client.post(f"/courses/lessons/{lesson.id}/edit", lesson_data(video_url=""))
    assert reread(session).get(Lesson, lesson.id).video_url is None


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://x.cn/a"]
)
def test_video_links_must_be_web_links(client, session, schools, url):
    lesson = schools.course_b.lessons[0]
    client.login("teacher_b")
    page = client.post(f"/courses/lessons/{lesson.id}/edit", lesson_data(video_url=url))
    assert page.status_code == 200
    assert "视频链接必须以 http:// 或 https:// 开头" in page.get_data(as_text=True)
    assert reread(session).get(Lesson, lesson.id).video_url is None


# --- Uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("讲义.pdf", EXE, "这不是有效的 PDF 文件"),
        ("图片.png", HTML, "这不是有效的 PNG 文件"),
        ("照片.jpg", PNG, "这不是有效的 JPG 文件"),
        ("讲义.docx", PDF, "这不是有效的 DOCX 文件"),
        ("演示.pptx", ooxml("word"), "这不是有效的 PPTX 文件"),
        ("病毒.exe", EXE, "不支持的文件类型“.exe”"),
        ("页面.html", HTML, "不支持的文件类型“.html”"),
        ("讲义.pdf.exe", EXE, "不支持的文件类型“.exe”"),
        ("没有扩展名", PDF, "不支持的文件类型（无扩展名）"),
        ("空文件.pdf", b"", "文件是空的"),
    ],
)
def test_uploads_of_a_wrong_type_are_refused(
    client, session, uploads, schools, name, content, message
):
    lesson = schools.course_b.lessons[0]
    client.login("teacher_b")
    page = upload(client, lesson.id, name, content, follow_redirects=True).get_data(as_text=True)
    assert "上传失败" in page and message in page
    assert reread(session).scalars(select(Attachment)).all() == []
    assert stored_files(uploads) == []


def test_an_attachment_over_20_mb_is_refused(client, session, uploads, schools):
    lesson = schools.course_b.lessons[0]
    client.login("teacher_b")
    too_big = PDF + b"0" * (20 * 1024 * 1024 + 1 - len(PDF))
    page = upload(client, lesson.id, "大文件.pdf", too_big, follow_redirects=True)
    assert "附件不能超过 20 MB" in page.get_data(as_text=True)
    assert reread(session).scalars(select(Attachment)).all() == []
    assert stored_files(uploads) == []


def test_a_video_over_the_size_limit_is_refused_and_nothing_is_kept(uploads):
    uploads.mkdir()
    small = replace(VIDEOS, max_bytes=2048)
    video = FileStorage(io.BytesIO(MP4 + b"\x00" * 2048), "讲座.mp4")
    with pytest.raises(UploadError, match="视频不能超过 2 KB"):
        store_upload(video, small, uploads)
    assert stored_files(uploads) == []


def test_a_video_of_a_wrong_type_is_refused(client, session, uploads, schools):
    lesson = schools.course_b.lessons[0]
    client.login("teacher_b")
    for name, content, message in [
        ("讲座.mp4", EXE, "这不是有效的 MP4 文件"),
        ("讲座.webm", MP4, "这不是有效的 WebM 文件"),
        ("讲座.avi", MP4, "不支持的文件类型“.avi”"),
    ]:
        data = lesson_data(video=(io.BytesIO(content), name))
        page = client.post(
            f"/courses/lessons/{lesson.id}/edit", data, content_type="multipart/form-data"
        )
        assert page.status_code == 200 and message in page.get_data(as_text=True), name
    assert reread(session).get(Lesson, lesson.id).video_file is None
    assert stored_files(uploads) == []


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("第一讲 党的性质.pdf", PDF, "application/pdf"),
        ("党徽.PNG", PNG, "image/png"),
        ("学习资料.docx", ooxml("word"), ATTACHMENTS.types["docx"].content_type),
        ("课件.pptx", ooxml("ppt"), ATTACHMENTS.types["pptx"].content_type),
        ("名单.xlsx", ooxml("xl"), ATTACHMENTS.types["xlsx"].content_type),
    ],
)
def test_a_good_upload_is_stored_under_a_generated_name(
    client, session, uploads, schools, name, content, content_type
):
    lesson = schools.course_b.lessons[0]
    client.login("teacher_b")
    assert upload(client, lesson.id, f"../../tmp/{name}", content).status_code == 302
    attachment = reread(session).scalars(select(Attachment)).one()
    assert attachment.original_name == name
    assert GENERATED.match(attachment.stored_name)
    assert (attachment.content_type, attachment.size) == (content_type, len(content))
    assert stored_files(uploads) == [attachment.stored_name]
    assert (uploads / attachment.stored_name).read_bytes() == content

    response = fetch(client, f"/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.data == content
    assert response.mimetype == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and quote(name) in disposition


def test_deleting_an_attachment_removes_its_file(client, session, uploads, schools):
    lesson = schools.course_b.lessons[0]
    client.login("teacher_b")
    upload(client, lesson.id, "讲义.pdf", PDF)
    attachment = reread(session).scalars(select(Attachment)).one()
    assert client.post(f"/courses/attachments/{attachment.id}/delete").status_code == 302
    assert reread(session).scalars(select(Attachment)).all() == []
    assert stored_files(uploads) == []


def test_a_video_upload_plays_for_staff_with_seeking(app, client, session, uploads, schools):
    lesson = schools.course_b.lessons[0]
    client.login("teacher_b")
    data = lesson_data(video=(io.BytesIO(WEBM), "讲座.webm"))
    response = client.post(
        f"/courses/lessons/{lesson.id}/edit", data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    lesson = reread(session).get(Lesson, lesson.id)
    assert GENERATED.match(lesson.video_file) and lesson.video_file.endswith(".webm")
    with app.test_request_context():
        path = url_for("authoring.lesson_video", lesson_id=lesson.id)
    assert path == f"/lessons/{lesson.id}/video"
    video = fetch(client, path)
    assert (video.status_code, video.mimetype, video.data) == (200, "video/webm", WEBM)
    assert video.headers["X-Content-Type-Options"] == "nosniff"
    part = fetch(client, path, headers={"Range": "bytes=0-3"})
    assert (part.status_code, part.data) == (206, WEBM[:4])

    old = lesson.video_file
    data = lesson_data(video=(io.BytesIO(MP4), "新讲座.mp4"))
    client.post(f"/courses/lessons/{lesson.id}/edit", data, content_type="multipart/form-data")
    lesson = reread(session).get(Lesson, lesson.id)
    assert lesson.video_file.endswith(".mp4")
    assert stored_files(uploads) == [lesson.video_file]  # the replaced video is gone
    assert old != lesson.video_file

    client.post(f"/courses/lessons/{lesson.id}/edit", lesson_data(remove_video="y"))
    assert reread(session).get(Lesson, lesson.id).video_file is None
    assert stored_files(uploads) == []


# --- Trainees' downloads ----------------------------------------------------------------------


@pytest.fixture
def course_with_files(client, session, uploads, schools):
    """Branch B's course with an attachment and a video on its first lesson."""
    lesson = schools.course_b.lessons[0]
    client.login("teacher_b")
    upload(client, lesson.id, "讲义.pdf", PDF)
    data = lesson_data(video=(io.BytesIO(MP4), "讲座.mp4"))
    client.post(f"/courses/lessons/{lesson.id}/edit", data, content_type="multipart/form-data")
    client.post("/logout", {})
    reread(session)
    return schools.course_b, session.scalars(select(Attachment)).one()


def trainee(session, course, username: str, status: EnrolmentStatus | None) -> None:
    """An activist of the course's school, enrolled in a class of `course` unless `status` is
    None (then only an account and a candidate record)."""
    if status is None:
        user = make_user(session, Role.ACTIVIST, course.party_school, username=username)
        make_candidate(session, course.party_school, user=user)
    else:
        make_trainee(session, make_class(session, course), status, username=username)
    session.commit()


def test_an_approved_trainee_downloads(client, session, course_with_files):
    course, attachment = course_with_files
    trainee(session, course, "trainee", EnrolmentStatus.APPROVED)
    client.login("trainee")
    response = fetch(client, f"/attachments/{attachment.id}")
    assert (response.status_code, response.data) == (200, PDF)
    assert fetch(client, f"/lessons/{attachment.lesson_id}/video").data == MP4


@pytest.mark.parametrize(
    "status",
    [
        None,
        EnrolmentStatus.PENDING,
        EnrolmentStatus.WAITLISTED,
        EnrolmentStatus.REJECTED,
        EnrolmentStatus.WITHDRAWN,
    ],
)
def test_a_trainee_without_an_approved_enrolment_cannot_download(
    client, session, course_with_files, status
):
    course, attachment = course_with_files
    trainee(session, course, "trainee", status)
    client.login("trainee")
    assert client.get(f"/attachments/{attachment.id}").status_code == 404
    assert client.get(f"/lessons/{attachment.lesson_id}/video").status_code == 404


def test_a_trainee_of_another_course_cannot_download(client, session, course_with_files, schools):
    course, attachment = course_with_files
    other = make_course(session, course.party_school)
    trainee(session, other, "trainee", EnrolmentStatus.APPROVED)
    client.login("trainee")
    assert client.get(f"/attachments/{attachment.id}").status_code == 404


def test_staff_of_another_branch_cannot_download(client, session, course_with_files):
    _, attachment = course_with_files
    client.login("teacher_a")
    assert client.get(f"/attachments/{attachment.id}").status_code == 404
    assert client.get(f"/lessons/{attachment.lesson_id}/video").status_code == 404


# --- The library and its copies ---------------------------------------------------------------


def test_a_branch_copies_a_library_course_with_its_files(client, session, uploads, schools):
    library, lesson = schools.library, schools.library.lessons[1]
    client.login("teacher_top")
    upload(client, lesson.id, "党章.pdf", PDF)
    upload(client, lesson.id, "党徽.png", PNG)
    data = lesson_data(title="第2课", body="**党章**学习", video=(io.BytesIO(MP4), "讲座.mp4"))
    client.post(f"/courses/lessons/{lesson.id}/edit", data, content_type="multipart/form-data")
    client.post("/logout", {})

    client.login("teacher_b")
    response = client.post(f"/courses/{library.id}/copy")
    assert response.status_code == 302
    reread(session)
    original = session.get(Course, library.id)
    copy = session.scalar(select(Course).where(Course.source_id == library.id))
    assert response.headers["Location"] == f"/courses/{copy.id}"
    assert copy.party_school_id == schools.school_b.id
    assert (copy.title, copy.description, copy.target_stage, copy.required_hours) == (
        original.title,
        original.description,
        original.target_stage,
        original.required_hours,
    )

    def summary(course):
        return [
            (x.position, x.title, x.body, x.required_minutes, x.video_url) for x in course.lessons
        ]

    assert summary(copy) == summary(original)
    source_lesson, copied_lesson = original.lessons[1], copy.lessons[1]
    assert copied_lesson.video_file != source_lesson.video_file
    assert (uploads / copied_lesson.video_file).read_bytes() == MP4
    pairs = list(zip(source_lesson.attachments, copied_lesson.attachments, strict=True))
    assert [b.original_name for _, b in pairs] == ["党章.pdf", "党徽.png"]
    for source, copied in pairs:
        assert copied.stored_name != source.stored_name and GENERATED.match(copied.stored_name)
        assert (copied.content_type, copied.size) == (source.content_type, source.size)
        assert (uploads / copied.stored_name).read_bytes() == (
            uploads / source.stored_name
        ).read_bytes()

    # The copy is the branch's own: editing or deleting it leaves the library untouched.
    edited = client.post(
        f"/courses/{copy.id}/edit",
        {"title": "本分党校积极分子培训", "target_stage": "activist", "required_hours": "30"},
    )
    assert edited.status_code == 302
    copy_id = copy.id
    assert client.post(f"/courses/{copy_id}/delete").status_code == 302
    reread(session)
    assert session.scalar(select(Course).where(Course.id == copy_id)) is None
    assert session.get(Course, library.id).title == "入党积极分子培训（课程库）"
    for attachment in session.get(Course, library.id).lessons[1].attachments:
        assert (uploads / attachment.stored_name).is_file()
    assert (uploads / session.get(Course, library.id).lessons[1].video_file).is_file()


def test_only_library_courses_are_copied_and_only_by_branches(client, session, schools):
    client.login("teacher_b")
    page = client.post(f"/courses/{schools.course_b.id}/copy", follow_redirects=True)
    assert "只能复制校党校课程库中的课程" in page.get_data(as_text=True)
    client.post("/logout", {})
    client.login("teacher_top")
    page = client.post(f"/courses/{schools.library.id}/copy", follow_redirects=True)
    assert "无需复制" in page.get_data(as_text=True)
    copies = reread(session).scalars(select(Course).where(Course.source_id.is_not(None)))
    assert copies.all() == []


def test_a_branch_admin_may_copy_too(client, session, uploads, schools):
    client.login("admin_b")
    assert client.post(f"/courses/{schools.library.id}/copy").status_code == 302
    copy = reread(session).scalar(select(Course).where(Course.source_id == schools.library.id))
    assert copy.party_school_id == schools.school_b.id
