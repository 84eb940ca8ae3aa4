"""Moodle XML: as Moodle exports it, a message per bad question, unsafe files, round trips."""

from decimal import Decimal

import pytest

from exams.formats import parse
from exams.formats.moodle_xml import export_moodle_xml
from exams.questions import QuestionData, QuestionType
from tests.exams.formats.samples import BANK, RICH, TRICKY, assert_refused

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
    assert [w.message for w in result.skipped] == [
        "第 5 题（第 65 行，说明）：说明文字不是题目，已跳过",
        "第 7 题（第 80 行，连线）：不支持的题型“matching”，已跳过",
    ]
    assert [w.message for w in result.warnings] == [
        "第 6 题（第 69 行，入党动机）：文字中的图片或音视频未能导入，请检查题目",
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
    assert_refused(
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
    assert_refused(parse(data, "bank.xml"), message)


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
    assert_refused(
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


def test_a_cloze_question_as_moodle_calls_it_is_imported():
    question = """
<question type="multianswer">
  <name><text>党代会</text></name>
  <questiontext format="html">
    <text>党的全国代表大会每{1:SHORTANSWER:=五~=5}年举行一次。</text>
  </questiontext>
</question>"""
    result = parse(_moodle(question), "a.xml")
    assert result.ok and result.questions[0].answer == (("五", "5"),)


def test_a_cloze_question_that_cannot_be_imported_says_why():
    question = """
<question type="multianswer">
  <name><text>选择空</text></name>
  <questiontext format="html">
    <text>党的根本组织原则是{1:MULTICHOICE:=民主集中制~集体领导}。</text>
  </questiontext>
</question>"""
    result = parse(_moodle(question), "a.xml")
    assert not result.ok
    messages = [e.message for e in result.errors]
    assert messages[0] == "文件中没有可导入的题目：1 题均被跳过"
    assert "MULTICHOICE" in messages[1] and "第 1 题（第 2 行，选择空）" in messages[1]


def test_problems_name_the_line_of_their_question():
    lines = "\n".join(
        [
            '<?xml version="1.0"?>',
            "<quiz>",
            '<question type="truefalse"><name><text>甲</text></name>',
            "<questiontext><text>预备期一年。</text></questiontext>",
            '<answer fraction="100"><text>maybe</text></answer></question>',
            "</quiz>",
        ]
    )
    result = parse(lines.encode(), "a.xml")
    assert result.errors[0].message.startswith("第 1 题（第 3 行，甲）：")
