"""Choosing the format of a file, and the limits every import keeps."""

import pytest

from exams.formats import parse
from exams.formats.common import MAX_REPORTED_ERRORS, ImportProblem
from exams.formats.gift import export_gift
from exams.formats.moodle_xml import export_moodle_xml
from exams.formats.xlsx import export_xlsx
from tests.exams.formats.samples import AIKEN, BANK, GIFT, assert_refused


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
    assert_refused(
        parse(make(BANK[:4] * 2), filename, max_questions=5),
        "题目过多：一次最多导入 5 题，请拆分文件",
    )


def test_errors_beyond_the_first_hundred_are_counted_not_listed():
    result = parse(("没有答案的题目\n\n" * (MAX_REPORTED_ERRORS + 2)).encode(), "a.gift")
    assert len(result.errors) == MAX_REPORTED_ERRORS + 1
    assert result.errors[-1] == ImportProblem(0, "另有 2 处错误未列出，请先修改以上错误")


def test_duplicates_in_one_file_are_reported_and_imported_once():
    result = parse(export_gift([BANK[0], BANK[1], BANK[0]]).encode(), "a.gift")
    assert result.ok and [q.stem for q in result.questions] == [BANK[0].stem, BANK[1].stem]
    assert [w.message for w in result.skipped] == [
        "第 3 题（第 24 行）：与第 1 题（第 5 行）重复，未重复导入"
    ]
