"""The materials archive (入党材料归档, seed 002 §10): uploading each stage's documents, checking
or returning them, the checklist of what is missing, and the one-click export."""

import io
import re
import subprocess
import zipfile

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from partyschool.accounts.models import Role
from partyschool.audit import AuditEvent, describe
from partyschool.candidates.archive.models import Material, MaterialStatus
from partyschool.candidates.rules import Stage
from tests.candidates.material_files import docx_bytes, pdf_bytes, png_bytes
from tests.factories import make_branch_school, make_candidate, make_user, reread

RARE = "䶮𠮷㛃𪚥"
ID_NUMBER = "11010519491231002X"
MISSING = '<span class="badge bad">缺少</span>'


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """A fresh upload folder for this test."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def stored(folder) -> list[str]:
    """Every file in the upload folder, hidden partial files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _candidate(session, school, **values):
    candidate = make_candidate(session, school, name=f"李{RARE}", **values)
    session.commit()
    return candidate


def _upload(client, candidate, name, data, kind="application", title=""):
    return client.post(
        f"/materials/candidates/{candidate.id}/upload",
        {"kind": kind, "title": title, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _materials(session, candidate) -> list[Material]:
    stmt = select(Material).where(Material.candidate_id == candidate.id).order_by(Material.id)
    return reread(session).scalars(stmt).all()


def _check(client, material, status, comment=""):
    return client.post(
        f"/materials/{material.id}/check",
        {"status": status, "comment": comment},
        follow_redirects=True,
    ).get_data(as_text=True)


def _pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_an_upload_waits_for_its_check_and_is_on_the_checklist(client, session, school, uploads):
    candidate = _candidate(session, school, stage=Stage.ACTIVIST)
    client.login("org")
    page = _upload(client, candidate, "申请书.pdf", pdf_bytes("我志愿加入中国共产党")).get_data(
        as_text=True
    )
    assert "已上传：入党申请书（待审核）" in page
    [material] = _materials(session, candidate)
    assert material.status is MaterialStatus.PENDING and material.original_name == "申请书.pdf"
    assert stored(uploads) == [material.stored_name] and material.stored_name.endswith(".pdf")
    record = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "入党材料" in record and "待审核" in record
    # An activist's thought report and cultivation form are due and missing.
    assert record.count(MISSING) == 2
    [event] = reread(session).scalars(
        select(AuditEvent).where(AuditEvent.table_name == "materials")
    )
    assert event.candidate_id == candidate.id
    assert "入党申请书" in str(describe(event).__dict__)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("病毒.exe", b"MZ\x90\x00", "不支持的文件类型"),
        ("伪装.pdf", b"GIF89a not a pdf", "文件内容与扩展名不符"),
        ("空.png", b"", "文件是空的"),
        ("太大.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024), "不能超过 20 MB"),
    ],
)
def test_bad_files_are_refused_in_chinese_and_nothing_is_kept(
    client, session, school, uploads, name, data, message
):
    candidate = _candidate(session, school)
    client.login("org")
    response = _upload(client, candidate, name, data, title="保留的说明")
    page = response.get_data(as_text=True)
    response.close()  # the test client's large request body is a temporary file
    assert response.status_code == 400
    assert message in page and "保留的说明" in page  # what was typed is still on the form
    assert _materials(session, candidate) == [] and stored(uploads) == []


@pytest.mark.parametrize(
    "name",
    [
        f"../../../etc/{RARE}.pdf",
        f"..\\..\\windows\\{RARE}.pdf",
        f"{RARE}\x00.exe.pdf",
        "长" * 300 + ".pdf",
        "/abs/path/x.pdf",
    ],
)
def test_file_names_cannot_escape_and_keep_their_rare_characters(
    client, session, school, uploads, name
):
    candidate = _candidate(session, school)
    client.login("org")
    _upload(client, candidate, name, pdf_bytes("材料"), title=f"../{RARE}/说明")
    [material] = _materials(session, candidate)
    assert "/" not in material.original_name and "\\" not in material.original_name
    assert "\x00" not in material.original_name and len(material.original_name) <= 200
    assert stored(uploads) == [material.stored_name]
    assert len(material.stored_name) == 36  # 32 hex digits and ".pdf", never the user's name
    if RARE in name:
        assert RARE in material.original_name
        assert RARE in client.get(f"/materials/candidates/{candidate.id}").get_data(as_text=True)
    archive = zipfile.ZipFile(io.BytesIO(client.get(_zip_url(candidate)).data))
    for entry in archive.namelist():
        assert not entry.startswith("/") and ".." not in entry.split("/") and "\\" not in entry
    [document] = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert document == f"1-入党申请人/01-入党申请书-_{RARE}_说明.pdf"


def test_checking_and_returning_with_a_comment(client, session, school, uploads):
    candidate = _candidate(session, school, stage=Stage.APPLICANT)
    client.login("org")
    _upload(client, candidate, "申请书.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100)
    [material] = _materials(session, candidate)
    assert "退回材料时请填写意见" in _check(client, material, "returned")
    assert _materials(session, candidate)[0].status is MaterialStatus.PENDING
    page = _check(client, material, "returned", "签名缺失，请补签后重新上传")
    assert "入党申请书：退回" in page and "已退回，需重新提交" in page
    _upload(client, candidate, "申请书.pdf", pdf_bytes("补签后的申请书"))
    second = _materials(session, candidate)[1]
    page = _check(client, second, "checked")
    assert "入党申请书：已审核" in page
    returned, checked = _materials(session, candidate)
    assert returned.check_comment == "签名缺失，请补签后重新上传"
    assert checked.status is MaterialStatus.CHECKED and checked.checked_by.username == "org"
    statuses = [
        e.after.get("status")
        for e in reread(session).scalars(
            select(AuditEvent).where(AuditEvent.table_name == "materials").order_by(AuditEvent.id)
        )
    ]
    assert statuses == ["pending", "returned", "pending", "checked"]
    record = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert "已审核" in record and MISSING not in record


def test_withdrawing_needs_a_reason_and_removes_the_file(client, session, school, uploads):
    candidate = _candidate(session, school)
    client.login("org")
    _upload(client, candidate, "传错了.docx", docx_bytes(), kind="thought_report")
    [material] = _materials(session, candidate)
    page = client.post(
        f"/materials/{material.id}/withdraw", {"reason": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "请填写撤回原因" in page and stored(uploads) == [material.stored_name]
    client.post(f"/materials/{material.id}/withdraw", {"reason": "上传错了学生"})
    assert _materials(session, candidate) == [] and stored(uploads) == []
    [deleted] = reread(session).scalars(
        select(AuditEvent).where(
            AuditEvent.table_name == "materials", AuditEvent.action == "delete"
        )
    )
    assert deleted.reason == "上传错了学生" and deleted.before["kind"] == "thought_report"


def _zip_url(candidate) -> str:
    return f"/materials/candidates/{candidate.id}/archive.zip"


def test_the_zip_export_names_documents_by_stage_and_kind(client, session, school, uploads):
    candidate = _candidate(session, school, stage=Stage.CANDIDATE)
    client.login("org")
    application = pdf_bytes("入党申请书正文")
    _upload(client, candidate, "a.pdf", application)
    _upload(client, candidate, "b.png", png_bytes(), kind="thought_report", title="第一季度")
    _upload(client, candidate, "c.docx", docx_bytes(), kind="thought_report", title="第二季度")
    _upload(client, candidate, "d.pdf", pdf_bytes("作废"), kind="political_review")
    _check(client, _materials(session, candidate)[3], "returned", "缺少盖章")
    response = client.get(_zip_url(candidate))
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == [
        "1-入党申请人/01-入党申请书.pdf",
        "2-入党积极分子/02-思想汇报-第一季度.png",
        "2-入党积极分子/03-思想汇报-第二季度.docx",
        "目录.txt",
    ]
    assert archive.read("1-入党申请人/01-入党申请书.pdf") == application
    contents = archive.read("目录.txt").decode("utf-8-sig")
    assert "第二季度" in contents and "c.docx" in contents and "待审核" in contents
    assert "缺少的材料：入党积极分子·培养考察表、发展对象·政审材料、发展对象·入党志愿书" in contents
    assert "作废" not in contents and "d.pdf" not in contents  # returned: not handed over


def test_the_pdf_export_has_a_cover_contents_and_the_documents(client, session, school, uploads):
    candidate = _candidate(session, school, id_number=ID_NUMBER)
    make_user(session, Role.BRANCH_ADMIN, school, username="badmin2")
    session.commit()
    client.login("org")
    _upload(client, candidate, "申请书.pdf", pdf_bytes("我志愿加入中国共产党拥护党的纲领"))
    _upload(client, candidate, "汇报.png", png_bytes(), kind="thought_report", title="第一季度")
    _upload(client, candidate, "考察表.docx", docx_bytes(), kind="cultivation_form")
    response = client.get(f"/materials/candidates/{candidate.id}/archive.pdf")
    assert response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    assert "入党材料档案" in text and candidate.student_no in text and ID_NUMBER in text
    assert "目" in text and "录" in text and "见 ZIP 压缩包" in text
    assert "我志愿加入中国共产党拥护党的纲领" in text  # the uploaded PDF is merged in
    assert "缺少的材料：无" in text
    # cover, contents, one page per document, and the merged PDF's page
    pages = subprocess.run(
        ["pdfinfo", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    assert re.search(r"^Pages:\s+6$", pages, re.MULTILINE)
    client.post("/logout")
    client.login("badmin2")  # a branch admin sees the identity number masked
    text = _pdf_text(client.get(f"/materials/candidates/{candidate.id}/archive.pdf").data)
    assert ID_NUMBER not in text and "110105********002X" in text


def test_unreadable_and_locked_documents_are_listed_but_not_merged(
    client, session, school, uploads
):
    candidate = _candidate(session, school)
    client.login("org")
    _upload(client, candidate, "坏.pdf", b"%PDF-1.7\nnot really a pdf")
    _upload(client, candidate, "加密.pdf", _encrypted_pdf("加密的正文"), kind="thought_report")
    _upload(client, candidate, "坏.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, kind="cultivation_form")
    response = client.get(f"/materials/candidates/{candidate.id}/archive.pdf")
    assert response.status_code == 200
    text = _pdf_text(response.data)
    assert text.count("见 ZIP 压缩包") == 2 and "加密的正文" not in text
    assert "3. 入党积极分子 · 培养考察表" in text  # the broken image still has its page


def _encrypted_pdf(text: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(text))))
    writer.encrypt("secret")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_another_branch_cannot_open_upload_check_or_export(client, session, school, uploads):
    candidate = _candidate(session, school)
    other = make_branch_school(session, code="d2")
    make_user(session, Role.ORGANIZER, other, username="org2")
    session.commit()
    client.login("org")
    _upload(client, candidate, "a.pdf", pdf_bytes("甲校材料"))
    [material] = _materials(session, candidate)
    client.post("/logout")
    client.login("org2")
    for path in (
        f"/materials/candidates/{candidate.id}",
        f"/materials/{material.id}/file",
        _zip_url(candidate),
        f"/materials/candidates/{candidate.id}/archive.pdf",
    ):
        assert client.get(path).status_code == 404, path
    assert _upload(client, candidate, "b.pdf", pdf_bytes("入侵")).status_code == 404
    response = client.post(f"/materials/{material.id}/check", {"status": "checked"})
    assert response.status_code == 404
    assert _materials(session, candidate)[0].status is MaterialStatus.PENDING
    assert len(_materials(session, candidate)) == 1


def test_the_activist_sees_what_is_missing_and_why_a_document_came_back(
    client, session, school, uploads
):
    student = make_user(session, Role.ACTIVIST, school, username="stu")
    candidate = _candidate(session, school, stage=Stage.ACTIVIST, user=student)
    client.login("org")
    _upload(client, candidate, "汇报.pdf", pdf_bytes("思想汇报"), kind="thought_report")
    _check(client, _materials(session, candidate)[0], "returned", "字数不足，请充实内容")
    client.post("/logout")
    client.login("stu")
    page = client.get("/my/record").get_data(as_text=True)
    assert "思想汇报已退回：字数不足，请充实内容" in page
    assert page.count(MISSING) == 2  # the application and the cultivation form
    assert client.get(f"/materials/candidates/{candidate.id}").status_code == 403
