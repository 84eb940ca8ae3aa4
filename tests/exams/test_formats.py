"""Question banks import from our XLSX template, Moodle XML, GIFT and Aiken with a message per
bad question and nothing half-imported; exports read back as the same questions."""

import io
from dataclasses import replace
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from exams.formats import parse
from exams.formats.common import MAX_REPORTED_ERRORS, ImportProblem
from exams.formats.gift import export_gift
from exams.formats.moodle_xml import export_moodle_xml
from exams.formats.xlsx import TEMPLATE_EXAMPLES, TEMPLATE_HEADERS, export_xlsx, template_xlsx
from exams.questions import BLANK_MARKER, QuestionData, QuestionType, validate

BANK = [
    QuestionData(
        type=QuestionType.SINGLE,
        stem="党的根本组织原则是（  ）。",
        options=("民主集中制", "集体领导", "个人分工负责", "少数服从多数"),
        answer=0,
        category="党章",
        points=Decimal(2),
        explanation="党章规定：党是根据自己的纲领和章程，按照民主集中制组织起来的统一整体。",
    ),
    QuestionData(
        type=QuestionType.SINGLE,
        stem="中国共产党第一次全国代表大会于（  ）年召开。",
        options=("1919", "1921", "1927", "1949"),
        answer=1,
        category="党史",
    ),
    QuestionData(
        type=QuestionType.MULTIPLE,
        stem="“三会一课”制度中的“三会”是指（  ）。",
        options=("支部党员大会", "支部委员会", "党小组会", "团支部大会"),
        answer=(0, 1, 2),
        category="党的组织生活",
        points=Decimal("1.5"),
        explanation="“三会一课”：支部党员大会、支部委员会、党小组会，按时上好党课。",
    ),
    QuestionData(
        type=QuestionType.TRUE_FALSE,
        stem="预备党员的预备期为一年，从支部大会通过其为预备党员之日算起。",
        answer=True,
        category="党章",
    ),
    QuestionData(
        type=QuestionType.TRUE_FALSE,
        stem="预备党员享有表决权、选举权和被选举权。",
        answer=False,
        category="党章",
        explanation="预备党员没有表决权、选举权和被选举权。",
    ),
    QuestionData(
        type=QuestionType.FILL,
        stem="党的最高理想和最终目标是实现____。",
        answer=(("共产主义", "共产主义社会"),),
        category="党章",
    ),
    QuestionData(
        type=QuestionType.ESSAY,
        stem="结合自身实际，谈谈你的入党动机。",
        answer="",
        category="入党动机",
    ),
]
# What GIFT cannot express: points, essay reference answers, fill-ins of several blanks.
RICH = [
    QuestionData(
        type=QuestionType.FILL,
        stem="党的最高领导机关是党的____和它所产生的中央委员会；全国代表大会每____年举行一次。",
        answer=(("全国代表大会",), ("五", "5")),
        category="党章",
        points=Decimal(2),
    ),
    QuestionData(
        type=QuestionType.ESSAY,
        stem="论述新时代党的建设总要求。",
        answer="要点：坚持和加强党的全面领导；以政治建设为统领；全面推进党的各项建设。",
        category="党的建设",
        points=Decimal(20),
    ),
]
# Characters every format has to escape or quote somehow.
TRICKY = [
    QuestionData(
        type=QuestionType.SINGLE,
        stem="在 GIFT 中 = ~ # { } : 和 \\ 都要转义：{下列}哪项是“=”的含义？",
        options=("=正确答案", "~错误答案", "-1 分", "@某人", "%50%部分分"),
        answer=0,
        category="格式/转义",
        explanation="#### 不是总评\n第二行",
    ),
    QuestionData(
        type=QuestionType.FILL,
        stem="分数三分之一写作____。",
        answer=(("1/3", "1|3", "a\\b", "*", "=x"),),
        category="格式",
    ),
    QuestionData(
        type=QuestionType.SINGLE,
        stem="[html]不是格式标签<b>也不是加粗</b>",
        options=("'=SUM(A1)", "+86"),
        answer=1,
    ),
]


def _messages(result) -> list[str]:
    return [problem.message for problem in result.errors]


def _xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _refused(result, *messages: str) -> None:
    assert not result.ok
    assert result.questions == []
    assert _messages(result) == list(messages)


# --- XLSX template -------------------------------------------------------------------------


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
    _refused(
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
    _refused(parse(data, "题库.xlsx"), "缺少必需的列：题型、答案（请使用题库导入模板）")


def test_the_same_column_twice():
    data = _xlsx([["题型", "题干", "题目", "答案"], ["判断", "甲", "乙", "对"]])
    _refused(parse(data, "题库.xlsx"), "“题干”和“题目”是同一列，请只保留一列")


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


# --- Moodle XML ----------------------------------------------------------------------------

MOODLE_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<!-- question: 0  -->
  <question type="category">
    <category>
        <text>$course$/top/默认 党校题库/党章</text>
    </category>
    <info format="moodle_auto_format"><text></text></info>
  </question>
  <question type="multichoice">
    <name><text>根本组织原则</text></name>
    <questiontext format="html">
      <text><![CDATA[<p dir="ltr">党的根本组织原则是（&nbsp;&nbsp;）。</p>]]></text>
    </questiontext>
    <generalfeedback format="html">
      <text><![CDATA[<p>见<b>党章</b>总纲。</p>]]></text>
    </generalfeedback>
    <defaultgrade>2.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <single>true</single>
    <shuffleanswers>true</shuffleanswers>
    <answernumbering>abc</answernumbering>
    <answer fraction="100" format="html"><text><![CDATA[<p>民主集中制</p>]]></text>
      <feedback format="html"><text></text></feedback></answer>
    <answer fraction="0" format="html"><text><![CDATA[<p>集体领导</p>]]></text>
      <feedback format="html"><text></text></feedback></answer>
    <answer fraction="0" format="html"><text>个人分工负责</text>
      <feedback format="html"><text></text></feedback></answer>
  </question>
  <question type="multichoice">
    <name><text>三会</text></name>
    <questiontext format="html"><text>“三会一课”中的“三会”是指（  ）。</text></questiontext>
    <defaultgrade>3</defaultgrade>
    <single>false</single>
    <answer fraction="33.33333" format="html"><text>支部党员大会</text></answer>
    <answer fraction="33.33333" format="html"><text>支部委员会</text></answer>
    <answer fraction="33.33334" format="html"><text>党小组会</text></answer>
    <answer fraction="-100" format="html"><text>团支部大会</text></answer>
  </question>
  <question type="category">
    <category><text>$course$/top/默认 党校题库/党史</text></category>
  </question>
  <question type="truefalse">
    <name><text>一大</text></name>
    <questiontext format="moodle_auto_format">
      <text>中共一大于 1921 年在上海召开。</text>
    </questiontext>
    <defaultgrade>1.0000000</defaultgrade>
    <answer fraction="100" format="moodle_auto_format"><text>true</text></answer>
    <answer fraction="0" format="moodle_auto_format"><text>false</text></answer>
  </question>
  <question type="shortanswer">
    <name><text>最高理想</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>党的最高理想和最终目标是实现____。</p>]]></text>
    </questiontext>
    <defaultgrade>1</defaultgrade>
    <usecase>0</usecase>
    <answer fraction="100" format="moodle_auto_format"><text>共产主义</text></answer>
    <answer fraction="100" format="moodle_auto_format"><text>共产主义社会</text></answer>
    <answer fraction="0" format="moodle_auto_format"><text>*</text></answer>
  </question>
  <question type="description">
    <name><text>说明</text></name>
    <questiontext format="html"><text>以下为论述题。</text></questiontext>
  </question>
  <question type="essay">
    <name><text>入党动机</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>谈谈你的入党动机。<img src="@@PLUGINFILE@@/a.png"></p>]]></text>
    </questiontext>
    <defaultgrade>20</defaultgrade>
    <responseformat>editor</responseformat>
    <graderinfo format="html">
      <text><![CDATA[<ul><li>端正入党动机</li><li>联系实际</li></ul>]]></text>
    </graderinfo>
  </question>
  <question type="matching">
    <name><text>连线</text></name>
    <questiontext format="html"><text>将人物与事件连线。</text></questiontext>
  </question>
  <question type="cloze">
    <name><text>三个代表</text></name>
    <questiontext format="html"><text><![CDATA[@CLOZE@]]></text></questiontext>
    <defaultgrade>2</defaultgrade>
  </question>
</quiz>
""".replace(
    "@CLOZE@",
    "<p>党的全国代表大会每{1:SHORTANSWER:=五~=5#对}年举行一次，"
    "由{1:SA:=中央委员会~%50%中央}召集。</p>",
)


def test_moodle_xml_as_moodle_exports_it():
    result = parse(MOODLE_EXPORT.encode(), "questions-党校-20240601.xml")
    assert result.errors == [] and result.ok and result.format == "moodle_xml"
    single, multiple, true_false, fill, essay, cloze = result.questions
    assert single == QuestionData(
        type=QuestionType.SINGLE,
        stem="党的根本组织原则是（  ）。",
        options=("民主集中制", "集体领导", "个人分工负责"),
        answer=0,
        category="默认 党校题库/党章",
        points=Decimal(2),
        explanation="见党章总纲。",
    )
    assert (multiple.type, multiple.answer, multiple.points) == (
        QuestionType.MULTIPLE,
        (0, 1, 2),
        Decimal(3),
    )
    assert (true_false.answer, true_false.category) == (True, "默认 党校题库/党史")
    assert fill.answer == (("共产主义", "共产主义社会"),)
    assert essay.answer == "端正入党动机\n联系实际" and essay.points == 20
    assert cloze.stem == "党的全国代表大会每____年举行一次，由____召集。"
    assert cloze.answer == (("五", "5"), ("中央委员会",))
    assert [w.message for w in result.warnings] == [
        "第 5 题（说明）：说明文字不是题目，已跳过",
        "第 6 题（入党动机）：文字中的图片或音视频未能导入，请检查题目",
        "第 7 题（连线）：不支持的题型“matching”，已跳过",
    ]


def _moodle(*questions: str) -> bytes:
    return ('<?xml version="1.0"?><quiz>' + "".join(questions) + "</quiz>").encode()


def _multichoice(answers: str, single: str = "true", grade: str = "1") -> str:
    return (
        '<question type="multichoice"><name><text>题</text></name>'
        "<questiontext><text>党的根本组织原则是（  ）。</text></questiontext>"
        f"<defaultgrade>{grade}</defaultgrade><single>{single}</single>{answers}</question>"
    )


def _answer(fraction: str, text: str) -> str:
    return f'<answer fraction="{fraction}"><text>{text}</text></answer>'


def test_every_bad_moodle_question_gets_its_own_message():
    data = _moodle(
        _multichoice(_answer("100", "民主集中制") + _answer("50", "集体领导")),
        _multichoice(_answer("0", "民主集中制") + _answer("0", "集体领导")),
        _multichoice(_answer("abc", "民主集中制") + _answer("0", "集体领导")),
        _multichoice(_answer("100", "民主集中制") + _answer("0", "集体领导"), grade="x"),
        _multichoice(_answer("100", "民主集中制")),
        '<question type="truefalse"><questiontext><text>预备期一年。</text></questiontext>'
        + _answer("100", "maybe")
        + "</question>",
        '<question type="shortanswer"><questiontext><text>____</text></questiontext>'
        + _answer("100", "民主*")
        + "</question>",
        '<question type="essay"><name><text>无题干</text></name></question>',
        _multichoice(_answer("100", "民主集中制") + _answer("0", "集体领导")),
    )
    _refused(
        parse(data, "bank.xml"),
        "第 1 题（题）：单选题只能有 1 个正确答案，却有 2 个选项的得分比例大于 0",
        "第 2 题（题）：没有正确答案（得分比例 fraction 大于 0 的选项）",
        "第 3 题（题）：第 1 个答案的得分比例“abc”无效",
        "第 4 题（题）：分值“x”不是有效的数字",
        "第 5 题（题）：选项至少需要 2 个",
        "第 6 题：判断题答案“maybe”无法识别：应为 对/错、正确/错误 或 T/F",
        "第 7 题：答案含有通配符“*”，本系统不支持，请改为列出每个可接受的答案",
        "第 8 题（无题干）：缺少题干（<questiontext>）",
    )


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<quiz><question type="essay"><questiontext><text>&lol9;</text></questiontext></question></quiz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><questiontext><text>&secret;</text></questiontext></question></quiz>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "XML 文件含有 DTD、实体定义或外部引用，出于安全原因拒绝处理"),
        (EXTERNAL_ENTITY, "XML 文件含有 DTD、实体定义或外部引用，出于安全原因拒绝处理"),
        (
            b'<?xml version="1.0"?>\n<quiz>\n<question type="essay">\n</quiz>',
            "XML 格式错误（第 4 行第 3 列附近）：文件不完整或已损坏",
        ),
        (b"<html><body>not a quiz</body></html>", "不是 Moodle XML 题库文件：根元素应为 <quiz>"),
        (b"<quiz></quiz>", "文件中没有可导入的题目"),
        (b"   ", "文件是空的"),
    ],
)
def test_unreadable_moodle_files(data, message):
    _refused(parse(data, "bank.xml"), message)


@pytest.mark.parametrize("encoding", ["GBK", "GB2312", "UTF-16"])
def test_moodle_xml_saved_in_other_encodings(encoding):
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?><quiz><question type="essay">'
        "<questiontext><text>谈谈你对党的宗旨的理解。</text></questiontext></question></quiz>"
    )
    result = parse(text.encode(encoding.replace("GB2312", "GBK")), "bank.xml")
    assert result.ok and result.questions[0].stem == "谈谈你对党的宗旨的理解。"


def test_moodle_xml_in_an_encoding_that_cannot_be_read():
    text = '<?xml version="1.0" encoding="x-unknown"?><quiz></quiz>'
    _refused(
        parse(text.encode(), "bank.xml"),
        "无法按文件声明的编码“x-unknown”读取 XML：请以 UTF-8 编码保存后上传",
    )


def test_moodle_round_trip():
    questions = BANK + RICH + TRICKY
    data = export_moodle_xml(questions)
    assert b"<!DOCTYPE" not in data and data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    result = parse(data, "导出.xml")
    assert result.warnings == []
    assert result.questions == questions


def test_moodle_export_marks_fractions_as_moodle_expects():
    data = export_moodle_xml([BANK[2]]).decode()
    assert data.count('fraction="33.33333"') == 3 and 'fraction="-100"' in data
    assert "<single>false</single>" in data and "$course$/top/党的组织生活" in data


# --- GIFT ----------------------------------------------------------------------------------

GIFT = r"""// 第35期入党积极分子培训班 题库
// 由 Moodle 导出后整理

$CATEGORY: $course$/top/党章

::根本组织原则::党的根本组织原则是（  ）。{
  =民主集中制#正确！
  ~集体领导#不对。
  ~个人分工负责
  ####党章总纲：党是按照民主集中制组织起来的统一整体。
}

::三会::“三会一课”中的“三会”是指（  ）。{
  ~%33.33333%支部党员大会
  ~%33.33333%支部委员会
  ~%33.33333%党小组会
  ~%-100%团支部大会
}

预备党员的预备期为一年。{T}

预备党员享有表决权、选举权和被选举权。{FALSE#预备党员没有这些权利。}

$CATEGORY: 党史

中国共产党第一次全国代表大会于{=1921 =一九二一}年在上海召开。

党的根本组织原则是{=民主集中制 ~集体领导 ~个人分工负责}，这是党章规定的。

::动机::谈谈你的入党动机。{}

[html]<p>党的<b>最高理想</b>是实现：</p>{=共产主义}

转义测试：a\=b、c\~d、e\#f、\{g\}、h\:i、j\\k、第一行\n第二行{=\{答案\}}

::年份::中共一大召开的年份？{#1921}

::连线::连线{=毛泽东 -> 井冈山 =邓小平 -> 改革开放}
"""


def test_gift_as_people_write_it():
    result = parse(GIFT.encode(), "题库.gift")
    assert result.errors == [] and result.ok and result.format == "gift"
    questions = result.questions
    assert questions[0] == QuestionData(
        type=QuestionType.SINGLE,
        stem="党的根本组织原则是（  ）。",
        options=("民主集中制", "集体领导", "个人分工负责"),
        answer=0,
        category="党章",
        explanation="党章总纲：党是按照民主集中制组织起来的统一整体。",
    )
    assert questions[1].type is QuestionType.MULTIPLE and questions[1].answer == (0, 1, 2)
    assert [q.answer for q in questions[2:4]] == [True, False]
    assert questions[4] == QuestionData(
        type=QuestionType.FILL,
        stem="中国共产党第一次全国代表大会于____年在上海召开。",
        answer=(("1921", "一九二一"),),
        category="党史",
    )
    assert questions[5].stem == "党的根本组织原则是（  ），这是党章规定的。"
    assert questions[5].answer == 0
    assert questions[6].type is QuestionType.ESSAY and questions[6].stem == "谈谈你的入党动机。"
    assert questions[7].stem == "党的最高理想是实现："
    assert questions[8].stem == "转义测试：a=b、c~d、e#f、{g}、h:i、j\\k、第一行\n第二行"
    assert questions[8].answer == (("{答案}",),)
    assert len(questions) == 9
    assert [w.message for w in result.warnings] == [
        "第 10 题（第 36 行）：数值题（{#…}）不受支持，已跳过",
        "第 11 题（第 38 行）：配对题（->）不受支持，已跳过",
    ]


def test_gift_category_line_right_above_a_question():
    text = "\n".join(
        [
            "$CATEGORY: 党章",
            "// 注释",
            "预备期为一年。{T}",
            "",
            "$CATEGORY: 党史",
            "",
            "一大在上海。{T}",
        ]
    )
    result = parse(text.encode(), "a.gift")
    assert [(q.category, q.answer) for q in result.questions] == [("党章", True), ("党史", True)]
    bad = parse(b"$CATEGORY: x\n\n// c\nno answer", "a.gift")
    assert _messages(bad) == [
        "第 1 题（第 4 行）：没有答案部分：请在题干后用 {…} 给出答案（如 {=正确答案 ~错误答案}）"
    ]


def test_every_bad_gift_question_gets_its_own_message():
    text = "\n\n".join(
        [
            "党的根本组织原则是（  ）。{=民主集中制 ~集体领导",
            "党的根本组织原则是民主集中制。",
            "党的根本组织原则是（  ）。{=民主集中制 =集体领导 ~个人分工负责}",
            "“三会”是指（  ）。{~支部党员大会 ~支部委员会}",
            "党的根本组织原则是（  ）。{=民主集中制 ~}",
            "党的根本组织原则是（  ）。{民主集中制}",
            "::没有结尾的标题 党的根本组织原则是{=民主集中制}",
            "党的根本组织原则是{=民主集中制}{=民主}",
            "党的根本组织原则是（  ）。{=民主集中制 ~集体领导}",
        ]
    )
    _refused(
        parse(text.encode(), "坏题库.gift"),
        "第 1 题（第 1 行）：答案部分缺少右花括号“}”",
        "第 2 题（第 3 行）：没有答案部分：请在题干后用 {…} 给出答案（如 {=正确答案 ~错误答案}）",
        "第 3 题（第 5 行）：单选题只能有一个“=”正确答案，却有 2 个",
        "第 4 题（第 7 行）：没有正确答案：单选题用“=”标出正确答案，"
        "多选题用“~%50%”这样的正分值标出每个正确答案",
        "第 5 题（第 9 行）：第 2 个答案是空的",
        "第 6 题（第 11 行）：答案部分格式有误：每个答案应以“=”（正确）或“~”（错误）开头",
        "第 7 题（第 13 行）：标题缺少结尾的“::”",
        "第 8 题（第 15 行）：一道题只能有一个答案部分 {…}",
    )


def test_gift_round_trip_of_what_gift_can_express():
    questions = BANK + [q for q in TRICKY if q.type is not QuestionType.FILL or len(q.answer) == 1]
    text = export_gift(questions)
    # GIFT has no points and no reference answer for essays.
    assert parse(text.encode(), "导出.gift").questions == [
        replace(q, points=Decimal(1), answer="" if q.type is QuestionType.ESSAY else q.answer)
        for q in questions
    ]


def test_gift_export_leaves_out_what_gift_cannot_express_with_a_comment():
    text = export_gift(RICH)
    assert "// 第 1 题为多空填空题，GIFT 格式无法表示，已略去" in text
    result = parse(text.encode(), "导出.gift")
    assert [q.stem for q in result.questions] == [RICH[1].stem]
    assert result.questions[0].answer == "" and result.questions[0].points == 1


# --- Aiken ---------------------------------------------------------------------------------

AIKEN = """党的根本组织原则是（  ）。
A. 民主集中制
B. 集体领导
C. 个人分工负责
D. 少数服从多数
ANSWER: A

中国共产党第一次全国代表大会
在哪一年召开？
A) 1919
B) 1921
C) 1927
ANSWER: B
“三会一课”中的“三会”是指（  ）。
A．支部党员大会
B．支部委员会
C、党小组会
D、团支部大会
答案：ABC
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_aiken_as_people_write_it(encoding, newline):
    result = parse(AIKEN.replace("\n", newline).encode(encoding), "题库.txt")
    assert result.errors == [] and result.ok and result.format == "aiken"
    first, second, third = result.questions
    assert first == QuestionData(
        type=QuestionType.SINGLE,
        stem="党的根本组织原则是（  ）。",
        options=("民主集中制", "集体领导", "个人分工负责", "少数服从多数"),
        answer=0,
    )
    assert second.stem == "中国共产党第一次全国代表大会\n在哪一年召开？"
    assert second.answer == 1
    assert (third.type, third.answer) == (QuestionType.MULTIPLE, (0, 1, 2))


def test_every_bad_aiken_question_gets_its_own_message():
    text = """党的根本组织原则是（  ）。
A. 民主集中制
B. 集体领导

中国共产党成立于（  ）年。
A. 1919
B. 1921
ANSWER: E

入党誓词共有多少字？
A. 80
ANSWER: A

党的最高领导机关是（  ）。
A. 全国代表大会
C. 中央委员会
ANSWER: A
ANSWER: B

预备期为多久？
A. 半年
B. 一年
"""
    _refused(
        parse(text.encode(), "题库.txt"),
        "第 1 题（第 1 行）：缺少答案行（如“ANSWER: B”），每道题的选项之后都要有",
        "第 2 题（第 5 行）：答案“E”超出选项范围（本题只有 2 个选项，A–B）",
        "第 3 题（第 10 行）：至少需要 2 个选项（每行一个，如“A. 民主集中制”）",
        "第 4 题（第 14 行）：选项字母应为“B”，却是“C”",
        "第 5 题（第 18 行）：答案行之前没有题干和选项",
        "第 6 题（第 20 行）：缺少答案行（如“ANSWER: B”），每道题的选项之后都要有",
    )


# --- choosing the format, limits -----------------------------------------------------------


def test_txt_files_are_told_apart_by_content():
    assert parse(AIKEN.encode(), "a.txt").format == "aiken"
    assert parse(GIFT.encode(), "a.txt").format == "gift"
    assert parse(export_moodle_xml(BANK), "a.txt").format == "moodle_xml"
    assert parse(AIKEN.encode(), "a.aiken").format == "aiken"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            b"PK\x03\x04",
            "题库.docx",
            "不支持的文件类型：请上传 Excel 模板（.xlsx）、Moodle XML（.xml）",
        ),
        (b"just some words\nand more", "题库.txt", "无法识别 .txt 文件的格式"),
        (b"", "题库.gift", "文件是空的"),
        (b"a{=b}\x00", "题库.gift", "文件含有空字符，不是文本文件"),
        (b"x" * (5 * 1024 * 1024 + 1), "题库.gift", "文件过大：不能超过 5 MB"),
        (b"x" * (5 * 1024 * 1024 + 1), "题库.xml", "文件过大：不能超过 5 MB"),
    ],
)
def test_files_refused_as_a_whole(data, filename, message):
    result = parse(data, filename)
    assert not result.ok and result.questions == []
    assert len(result.errors) == 1 and result.errors[0].message.startswith(message)


@pytest.mark.parametrize(
    ("make", "filename"),
    [
        (lambda qs: export_gift(qs).encode(), "a.gift"),
        (export_moodle_xml, "a.xml"),
        (export_xlsx, "a.xlsx"),
        (lambda qs: AIKEN.encode() * 2, "a.txt"),
    ],
)
def test_too_many_questions(make, filename):
    _refused(
        parse(make(BANK[:4] * 2), filename, max_questions=5),
        "题目过多：一次最多导入 5 题，请拆分文件",
    )


def test_errors_beyond_the_first_hundred_are_counted_not_listed():
    result = parse(("没有答案的题目\n\n" * (MAX_REPORTED_ERRORS + 2)).encode(), "a.gift")
    assert len(result.errors) == MAX_REPORTED_ERRORS + 1
    assert result.errors[-1] == ImportProblem(0, "另有 2 处错误未列出，请先修改以上错误")


def test_duplicates_in_one_file_are_a_warning():
    result = parse(export_gift([BANK[0], BANK[1], BANK[0]]).encode(), "a.gift")
    assert result.ok and len(result.questions) == 3
    assert [w.message for w in result.warnings] == ["第 3 题（第 24 行）：与第 1 题（第 5 行）重复"]


# --- round trips of generated questions ----------------------------------------------------

TRICKY_PIECES = list("=~#{}:\\|/%*'-+@<>&;[]_（） \n") + ["->", "%50%", "____", "{1:SA:=x}"]
texts = (
    st.lists(
        st.one_of(
            st.sampled_from(TRICKY_PIECES),
            st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn")),
            st.sampled_from("党的根本组织原则民主集中制"),
        ),
        min_size=1,
        max_size=10,
    )
    .map(lambda pieces: "".join(pieces).strip())
    .filter(bool)
)
categories = st.sampled_from(["", "党章", "党的理论/新时代", "a//b", "$x$", "top"])
points = st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)


@st.composite
def bank_questions(draw, *, gift: bool = False) -> QuestionData:
    kind = draw(st.sampled_from(QuestionType))
    stem = draw(texts)
    options: tuple[str, ...] = ()
    if kind is QuestionType.SINGLE or kind is QuestionType.MULTIPLE:
        options = tuple(draw(st.lists(texts, min_size=2, max_size=10, unique=True)))
    if kind is QuestionType.SINGLE:
        answer = draw(st.integers(0, len(options) - 1))
    elif kind is QuestionType.MULTIPLE:
        answer = tuple(sorted(draw(st.sets(st.integers(0, len(options) - 1), min_size=1))))
    elif kind is QuestionType.TRUE_FALSE:
        answer = draw(st.booleans())
    elif kind is QuestionType.FILL:
        blanks = 1 if gift else draw(st.integers(1, 3))
        stem = stem + "____" * blanks if blanks > 1 else stem
        answer = tuple(
            tuple(draw(st.lists(texts, min_size=1, max_size=3, unique=True))) for _ in range(blanks)
        )
    else:
        answer = "" if gift else draw(st.one_of(st.just(""), texts))
    question = QuestionData(
        type=kind,
        stem=stem,
        options=options,
        answer=answer,
        category=draw(categories),
        points=Decimal(1) if gift else draw(points),
        explanation=draw(st.one_of(st.just(""), texts)),
    )
    assume(validate(question) == [])
    return question


SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(st.lists(bank_questions(), min_size=1, max_size=4))
def test_xlsx_round_trip_of_generated_questions(questions):
    assert parse(export_xlsx(questions), "a.xlsx").questions == questions


@SLOW
@given(st.lists(bank_questions(), min_size=1, max_size=4))
def test_moodle_round_trip_of_generated_questions(questions):
    for question in questions:
        if question.type is QuestionType.FILL and len(question.answer) > 1:
            # Cloze writes each blank as a code, read back as "____" whatever mark it had,
            # and text that looks like a code ("{1:SA:=x}") would be read as one more blank.
            assume(BLANK_MARKER.sub("____", question.stem) == question.stem)
            assume("{1:SA:" not in question.stem)
    assert parse(export_moodle_xml(questions), "a.xml").questions == questions


@SLOW
@given(st.lists(bank_questions(gift=True), min_size=1, max_size=4))
def test_gift_round_trip_of_generated_questions(questions):
    for question in questions:
        # GIFT reads "->" in an all-"=" answer block as a matching question, as Moodle does.
        assume(not (question.type is QuestionType.FILL and "->" in str(question.answer)))
    assert parse(export_gift(questions).encode(), "a.gift").questions == questions
