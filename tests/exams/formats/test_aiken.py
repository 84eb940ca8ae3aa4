"""Aiken: as people write it, and a message per bad question."""

import pytest

from exams.formats import parse
from exams.questions import QuestionData, QuestionType
from tests.exams.formats.samples import AIKEN, assert_refused


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
    assert_refused(
        parse(text.encode(), "题库.txt"),
        "第 1 题（第 1 行）：缺少答案行（如“ANSWER: B”），每道题的选项之后都要有",
        "第 2 题（第 5 行）：答案“E”超出选项范围（本题只有 2 个选项，A–B）",
        "第 3 题（第 10 行）：至少需要 2 个选项（每行一个，如“A. 民主集中制”）",
        "第 4 题（第 14 行）：选项字母应为“B”，却是“C”",
        "第 5 题（第 18 行）：答案行之前没有题干和选项",
        "第 6 题（第 20 行）：缺少答案行（如“ANSWER: B”），每道题的选项之后都要有",
    )
