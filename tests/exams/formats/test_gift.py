"""GIFT: as people write it, a message per bad question, what an export leaves out."""

from dataclasses import replace
from decimal import Decimal

from exams.formats import parse
from exams.formats.gift import export_gift, parse_gift
from exams.questions import QuestionData, QuestionType
from tests.exams.formats.samples import BANK, GIFT, RICH, TRICKY, assert_refused, messages


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
    assert [w.message for w in result.skipped] == [
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
    assert messages(bad) == [
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
    assert_refused(
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


def test_gift_format_tags_are_honoured_not_kept_as_text():
    text = "\n".join(
        [
            "::q1:: [markdown]党的**根本**组织原则是{",
            "  =[plain]民主集中制",
            "  ~[html]<b>集体</b>领导",
            "  ~[plain]blue",
            "  ####[markdown]见*党章*总纲。",
            "}",
        ]
    )
    result = parse_gift(text)
    assert result.ok, result.errors
    question = result.questions[0]
    assert question.stem == "党的根本组织原则是"
    assert question.options == ("民主集中制", "集体领导", "blue")
    assert question.explanation == "见党章总纲。"
