"""Our XLSX template (and CSV): as instructors fill it in, refused rows, exports."""

import io
from decimal import Decimal

import openpyxl
import pytest

from exams.formats import parse
from exams.formats.xlsx import TEMPLATE_EXAMPLES, TEMPLATE_HEADERS, export_xlsx, template_xlsx
from exams.questions import QuestionData, QuestionType
from tests.exams.formats.samples import BANK, RICH, TRICKY, assert_refused


def _xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_template_reads_back_as_its_examples():
    result = parse(template_xlsx(), "题库导入模板.xlsx")
    assert result.ok and result.format == "xlsx"
    assert result.questions == TEMPLATE_EXAMPLES
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    headers = [cell.value for cell in next(workbook.active.iter_rows(max_row=1))]
    assert headers == TEMPLATE_HEADERS
    assert TEMPLATE_HEADERS == [
        "题型",
        "题干",
        "选项A",
        "选项B",
        "选项C",
        "选项D",
        "选项E",
        "选项F",
        "答案",
        "分值",
        "知识点",
        "解析",
    ]


def _row(kind, stem, options=(), answer="", points=None, category=None) -> list:
    """A row under TEMPLATE_HEADERS."""
    return [kind, stem, *options, *[None] * (6 - len(options)), answer, points, category]


def test_xlsx_as_instructors_fill_it_in():
    headers = (
        ["序号", "题型", "题 干"] + [f"选项{c}" for c in "ＡBCDEF"] + ["正确答案", "分值", "知识点"]
    )
    rows = [
        _row(
            "单选题",
            "党的根本组织原则是（  ）。",
            ("民主集中制", "集体领导", "个人分工负责", "少数服从多数"),
            "a",
            2,
            "党章",
        ),
        _row(
            "多选",
            "“三会一课”中的“三会”是指（  ）。",
            ("支部党员大会", "支部委员会", "党小组会", "团支部大会"),
            "A、B、C",
            1.5,
            "党的组织生活",
        ),
        _row("判断", "预备党员的预备期为一年。", ("正确", "错误"), "√", None, "党章"),
        _row("判断题", "预备党员享有选举权。", (), "F", None, "党章"),
        _row(
            "填空",
            "党的根本组织原则是____；全国代表大会每（  ）年举行一次。",
            (),
            "民主集中制|五/5",
            2,
        ),
        _row("简答题", "谈谈你的入党动机。", (), None, 20),
    ]
    data = _xlsx([headers] + [[number, *row] for number, row in enumerate(rows, start=1)])
    result = parse(data, "第35期积极分子培训题库.xlsx")
    assert result.errors == [] and result.ok
    single, multiple, true, false, fill, essay = result.questions
    assert single == QuestionData(
        type=QuestionType.SINGLE,
        stem="党的根本组织原则是（  ）。",
        options=("民主集中制", "集体领导", "个人分工负责", "少数服从多数"),
        answer=0,
        category="党章",
        points=Decimal(2),
    )
    assert multiple.answer == (0, 1, 2) and multiple.points == Decimal("1.5")
    assert (true.answer, true.options, false.answer) == (True, (), False)
    assert fill.answer == (("民主集中制",), ("五", "5"))
    assert essay.type is QuestionType.ESSAY and essay.answer == "" and essay.points == 20


def test_csv_with_the_same_columns_in_gbk():
    text = "题型,题干,选项A,选项B,答案\n单选,入党誓词的宣誓主体是（  ）。,党员,群众,A\n"
    result = parse(text.encode("gb18030"), "题库.csv")
    assert result.ok and result.format == "csv"
    assert result.questions[0].options == ("党员", "群众")


def test_every_bad_row_gets_its_own_message_and_nothing_is_imported():
    rows = [
        _row("单选", "党的根本组织原则是（  ）。", ("民主集中制", "集体领导"), "A"),
        _row("单选", "中国共产党成立于（  ）年。", ("1919", "1921", "1927", "1949"), "E"),
        _row("单选", "入党誓词共有多少字？", (), "A"),
        _row("连线题", "把人物与事件连起来。", (), "A"),
        _row("单选", "党的最高领导机关是（  ）。", ("全国代表大会", "中央委员会"), "AB"),
        _row("判断", "预备期为一年。", (), "可能"),
        _row("填空", "党的根本组织原则是____；每____年举行一次。", (), "民主集中制"),
        _row("单选", "党徽由什么组成？", ("镰刀", "", "锤头"), "A"),
        _row(
            "多选",
            "党的三大作风是（  ）。",
            ("理论联系实际", "密切联系群众", "批评与自我批评"),
            "AH",
        ),
        _row("单选", "", ("甲", "乙"), "A"),
        _row("单选", "分值写错了（  ）。", ("甲", "乙"), "A", "两分"),
        _row("单选", "选项重复了（  ）。", ("民主集中制", "民主集中制"), "A"),
        _row("单选", "答案写成了数字（  ）。", ("甲", "乙"), "1"),
        _row("论述", "论述题写了选项。", ("甲",), ""),
    ]
    data = _xlsx([TEMPLATE_HEADERS, *rows])
    assert_refused(
        parse(data, "题库.xlsx"),
        "第 3 行：答案“E”超出选项范围（本题只有 4 个选项，A–D）",
        "第 4 行：选择题至少需要 2 个选项（填在“选项A”“选项B”…列）",
        "第 5 行：题型“连线题”无法识别：应为 单选、多选、判断、填空 或 论述",
        "第 6 行：单选题只能有一个答案，却给出了“AB”",
        "第 7 行：判断题答案“可能”无法识别：应为 对/错、正确/错误 或 T/F",
        "第 8 行：题干有 2 个空，但给出了 1 个空的答案",
        "第 9 行：选项B为空，但其后还有选项",
        "第 10 行：答案“H”超出选项范围（本题只有 3 个选项，A–C）",
        "第 11 行：题干不能为空",
        "第 12 行：分值“两分”不是有效的数字",
        "第 13 行：选项B与选项A重复",
        "第 14 行：答案“1”应为选项字母，如 A 或 ACD",
        "第 15 行：论述题不应填写选项",
    )


def test_missing_required_columns():
    data = _xlsx([["题干", "选项A", "选项B"], ["党的根本组织原则是？", "民主集中制", "集体领导"]])
    assert_refused(parse(data, "题库.xlsx"), "缺少必需的列：题型、答案（请使用题库导入模板）")


def test_the_same_column_twice():
    data = _xlsx([["题型", "题干", "题目", "答案"], ["判断", "甲", "乙", "对"]])
    assert_refused(parse(data, "题库.xlsx"), "“题干”和“题目”是同一列，请只保留一列")


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"not a zip", "题库.xlsx", "文件不是有效的 .xlsx 工作簿（文件已损坏或扩展名不对）"),
        (b"\xd0\xcf\x11\xe0old", "题库.xls", "不支持这种表格格式"),
        (b"", "题库.xlsx", "文件是空的"),
    ],
)
def test_unreadable_spreadsheets(data, filename, message):
    result = parse(data, filename)
    assert not result.ok and result.questions == []
    assert len(result.errors) == 1 and result.errors[0].position == 0
    assert result.errors[0].message.startswith(message)


def test_export_never_writes_formulas_and_reads_back_the_same_text():
    data = export_xlsx(TRICKY)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert "'=SUM(A1)" not in [cell.value for cell in cells]
    assert "''=SUM(A1)" in [cell.value for cell in cells]
    assert "'+86" in [cell.value for cell in cells]
    assert parse(data, "导出.xlsx").questions == TRICKY


def test_export_adds_option_columns_when_a_question_needs_them():
    question = QuestionData(
        type=QuestionType.MULTIPLE,
        stem="下列属于党的纪律的有（  ）。",
        options=tuple(
            f"{name}纪律"
            for name in ("政治", "组织", "廉洁", "群众", "工作", "生活", "课堂", "考试")
        ),
        answer=(0, 1, 2, 3, 4, 5),
    )
    data = export_xlsx([question, *BANK])
    headers = [c.value for c in next(openpyxl.load_workbook(io.BytesIO(data)).active.rows)]
    assert headers[2:11] == [f"选项{letter}" for letter in "ABCDEFGH"] + ["答案"]
    assert parse(data, "导出.xlsx").questions == [question, *BANK]


def test_xlsx_round_trip():
    questions = BANK + RICH + TRICKY
    assert parse(export_xlsx(questions), "导出.xlsx").questions == questions
