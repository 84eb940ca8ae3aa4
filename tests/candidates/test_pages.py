"""The organizers' list, exports, 公示 lists and the candidates' API."""

import io
import subprocess
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import event

from partyschool.accounts.models import Role
from partyschool.app import demo
from partyschool.candidates.models import PublicityNotice
from partyschool.candidates.rules import PublicityOutcome, Stage, Step
from partyschool.extensions import db, today
from tests.factories import make_branch_school, make_candidate, make_user, reread


@pytest.fixture
def organizer(client, demo_data):
    client.login("organizer", demo.DEMO_PASSWORD)
    return client


def test_list_shows_who_is_blocked_and_why(organizer):
    page = organizer.get("/candidates/").get_data(as_text=True)
    assert "赵六" in page and "脏乱差" in page
    assert "钱七" in page and "否决权" in page
    assert "陈研" not in page  # the graduate branch's candidate
    assert "何静" not in page  # the second district's candidate


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("stage=probationary", ["吴十", "郑一"], ["王五"]),
        ("status=blocked", ["赵六", "吴十"], ["王五", "郑一"]),
        ("status=eligible", ["王五", "郑一"], ["赵六"]),
        ("class_name=汉语言2201", ["王五", "赵六"], ["张三"]),
        ("stage=nonsense&page=abc", ["王五"], []),
    ],
)
def test_list_filters(organizer, query, present, absent):
    page = organizer.get(f"/candidates/?{query}").get_data(as_text=True)
    for name in present:
        assert name in page, (query, name)
    for name in absent:
        assert name not in page, (query, name)


def test_list_page_queries_do_not_grow_with_candidates(app, client, session):
    school = make_branch_school(session)
    make_user(session, Role.ORGANIZER, school, username="org")
    for _ in range(3):
        make_candidate(session, school)
    session.commit()
    client.login("org")

    def count_queries() -> int:
        with app.app_context():
            engine = db.engine
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/candidates/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    few = count_queries()
    for _ in range(30):
        make_candidate(session, school)
    session.commit()
    assert count_queries() == few


def test_export_is_safe_against_formula_injection(client, session):
    school = make_branch_school(session)
    make_user(session, Role.ORGANIZER, school, username="org")
    make_candidate(session, school, name='=HYPERLINK("http://evil.example","点我")')
    make_candidate(session, school, name="𠮷䶮同学")
    session.commit()
    client.login("org")
    response = client.get("/candidates/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "𠮷䶮同学" in names
    evil = next(n for n in names if "HYPERLINK" in n)
    assert evil.startswith("'=")
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)


def test_publicity_lists_per_place_and_as_pdf(organizer, session):
    on = today() - timedelta(days=1)
    notice = session.query(PublicityNotice).filter_by(step=Step.BECOME_PROBATIONARY).first()
    notice.starts_on, notice.ends_on = on - timedelta(days=2), on + timedelta(days=4)
    notice.outcome = PublicityOutcome.PENDING
    session.commit()
    page = organizer.get(f"/candidates/publicity?step=become_probationary&on={on}")
    text = page.get_data(as_text=True)
    assert "学区" in text and "学院楼栋" in text and "孙八" in text
    pdf = organizer.get(f"/candidates/publicity.pdf?step=become_probationary&on={on}")
    assert pdf.mimetype == "application/pdf"
    words = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    assert "孙八" in words and "公示" in words


def test_api_lists_only_the_callers_branch(client, demo_data, token):
    bearer = {"Authorization": f"Bearer {token('grad_organizer', demo.DEMO_PASSWORD)}"}
    body = client.get("/api/v1/candidates", headers=bearer).get_json()
    assert {item["name"] for item in body["items"]} == {"陈研", "林研", "周研"}
    assert client.get("/api/v1/candidates/2022010104", headers=bearer).status_code == 404
    assert (
        client.get("/api/v1/candidates/2022010104/eligibility", headers=bearer).status_code == 404
    )


def test_api_eligibility_gives_every_reason(client, demo_data, token):
    bearer = {"Authorization": f"Bearer {token('organizer', demo.DEMO_PASSWORD)}"}
    body = client.get("/api/v1/candidates/2023010101/eligibility", headers=bearer).get_json()
    steps = {s["step"]: s for s in body["steps"]}
    become = steps["become_candidate"]
    assert not become["eligible"]
    rules = {r["rule"] for r in become["reasons"] if r["blocking"]}
    assert rules == {
        "national.activist_one_year",
        "national.activist_training",
        "seed000.experience_summer_practice",
        "seed000.experience_class_contribution",
        # The demo activist missed a quarter's thought report and has one 考察 of two.
        "school.quarterly_thought_reports",
        "national.half_year_assessments",
    }
    assert all(r["message"] for r in become["reasons"])
    assert steps["enrol_activist_class"]["eligible"]  # no certificate yet, nothing blocks


def test_activist_sees_only_their_own_record_through_the_api(client, demo_data, token):
    bearer = {"Authorization": f"Bearer {token('activist', demo.DEMO_PASSWORD)}"}
    own = client.get("/api/v1/candidates/2023010101/eligibility", headers=bearer)
    assert own.status_code == 200 and own.get_json()["stage"] == Stage.ACTIVIST
    assert client.get("/api/v1/candidates/2022010103", headers=bearer).status_code == 404
    assert client.get("/api/v1/candidates", headers=bearer).status_code == 403


ROSTER = (
    "学号,姓名,学院,专业,班级,年级,层次,学区,楼栋,寝室,阶段,阶段日期,共青团员\n"
    "2025019901,𠮷䶮,计算机与人工智能学院,计算机,计科2501,2025,本专科,第一学区,北区1号楼,102,"
    "入党申请人,2025-10-01,是\n"
    "2025019902,新同学,没有这个学院,计算机,计科2501,2025,本专科,第一学区,北区1号楼,102,"
    "入党申请人,2025-10-01,是\n"
)


def _upload(client, kind: str, content: bytes, name: str):
    data = {"kind": kind, "file": (io.BytesIO(content), name)}
    return client.post("/candidates/import", data, content_type="multipart/form-data")


def test_import_page_refuses_a_file_with_one_bad_row_and_imports_a_good_one(organizer, session):
    from sqlalchemy import func, select

    from partyschool.accounts.models import User
    from partyschool.candidates.models import Candidate

    before = session.scalar(select(func.count(Candidate.id)))
    response = _upload(organizer, "roster", ROSTER.encode("utf-8-sig"), "名单.csv")
    text = response.get_data(as_text=True)
    assert "未导入任何数据" in text and "没有这个学院" in text and "学院" in text
    assert session.scalar(select(func.count(Candidate.id))) == before
    good = "\n".join(ROSTER.splitlines()[:2]) + "\n"
    response = _upload(organizer, "roster", good.encode("gb18030"), "名单.csv")
    assert response.status_code == 302
    reread(session)
    imported = session.scalar(select(Candidate).where(Candidate.student_no == "2025019901"))
    assert imported.name == "𠮷䶮" and imported.stage is Stage.APPLICANT
    # Room 102 is the demo's 脏乱差 room: the import refreshed the newcomer's standing.
    assert imported.next_step == "become_activist" and "脏乱差" in imported.blocking_summary
    account = session.scalar(select(User).where(User.username == "2025019901"))
    assert account.role is Role.ACTIVIST and imported.user_id == account.id


def test_dorm_import_blocks_the_rooms_members(organizer, session):
    from sqlalchemy import select

    from partyschool.candidates.models import Candidate

    sheet = "楼栋,寝室,学期,评定,整改完成日期,说明\n北区2号楼,101,2026-2027-1,脏乱差,,检查不合格\n"
    response = _upload(organizer, "dorm", sheet.encode(), "评定.csv")
    assert response.status_code == 302, response.get_data(as_text=True)
    reread(session)
    qian = session.scalar(select(Candidate).where(Candidate.student_no == "2022010105"))
    assert "脏乱差" in qian.blocking_summary and "否决权" in qian.blocking_summary


def test_import_refuses_a_zip_bomb_with_a_message(organizer):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"0" * 30_000_000)
    response = _upload(organizer, "roster", buffer.getvalue(), "bomb.xlsx")
    assert response.status_code == 200
    assert "压缩" in response.get_data(as_text=True)
