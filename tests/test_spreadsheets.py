"""Uploaded tables are read safely in every encoding people save; exports never run formulas."""

import io
import struct
import time
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from hypothesis import given, settings
from hypothesis import strategies as st

from partyschool import spreadsheets
from partyschool.spreadsheets import SpreadsheetError, read_table, write_xlsx

RARE_NAMES = ["张𠮷", "王䶮", "欧阳𪚥"]
# GBK itself has no 𠮷 or 䶮; GB18030 is its superset that Chinese Windows saves them in.
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030"]


def _csv(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


def _xlsx(rows: list[list]) -> bytes:
    """A workbook saved by openpyxl in normal mode (shared strings, styles), like Excel's."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _replace_entry(data: bytes, name: str, content: bytes) -> bytes:
    """The same workbook with one of its files replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    assert name in source.namelist()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            replaced = content if entry.filename == name else source.read(entry)
            target.writestr(entry.filename, replaced)
    return buffer.getvalue()


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _excel_like(strings: list[str]) -> bytes:
    """A minimal workbook keeping its text in xl/sharedStrings.xml, as Excel and WPS do."""
    shared = "".join(f"<si><t>{text}</t></si>" for text in strings)
    rows = "".join(
        f'<row r="{i + 1}"><c r="A{i + 1}" t="s"><v>{i}</v></c></row>' for i in range(len(strings))
    )
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return _zip(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
                '<Override PartName="/xl/worksheets/sheet1.xml" '
                f'ContentType="{ct}.worksheet+xml"/>'
                '<Override PartName="/xl/sharedStrings.xml" '
                f'ContentType="{ct}.sharedStrings+xml"/>'
                "</Types>"
            ).encode(),
            "_rels/.rels": (
                f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
                f'<Relationship Id="rId1" Type="{DOC_TYPE}/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>'
            ).encode(),
            "xl/workbook.xml": (
                f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" '
                f'xmlns:r="{REL_NS}"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/>'
                "</sheets></workbook>"
            ).encode(),
            "xl/_rels/workbook.xml.rels": (
                f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
                f'<Relationship Id="rId1" Type="{DOC_TYPE}/worksheet" '
                'Target="worksheets/sheet1.xml"/>'
                f'<Relationship Id="rId2" Type="{DOC_TYPE}/sharedStrings" '
                'Target="sharedStrings.xml"/></Relationships>'
            ).encode(),
            "xl/worksheets/sheet1.xml": (
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">'
                f"<sheetData>{rows}</sheetData></worksheet>"
            ).encode(),
            "xl/sharedStrings.xml": (
                f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" '
                f'count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>'
            ).encode(),
        }
    )


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _refused_by_defusedxml(error: BaseException | None) -> bool:
    """True when defusedxml's refusal is somewhere in the chain (openpyxl re-wraps errors)."""
    while error is not None:
        if isinstance(error, DefusedXmlException):
            return True
        error = error.__cause__ or error.__context__
    return False


def _refused(data: bytes, filename: str, *fragments: str) -> SpreadsheetError:
    with pytest.raises(SpreadsheetError) as caught:
        read_table(data, filename)
    for fragment in fragments:
        assert fragment in str(caught.value)
    return caught.value


NAMES = st.text(
    st.characters(categories=("Lu", "Ll", "Lo", "Nd"), exclude_characters="\u3000"),
    min_size=1,
    max_size=20,
)


@settings(max_examples=50, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=5), encoding=st.sampled_from(ENCODINGS))
def test_any_names_round_trip_through_csv_and_xlsx(names, encoding):
    text = "姓名\n" + "".join(f"{name}\n" for name in names)
    from_csv = read_table(text.encode(encoding), "a.csv")
    from_xlsx = read_table(write_xlsx(["姓名"], [[name] for name in names], "t"), "a.xlsx")
    assert [row.get("姓名") for row in from_csv.rows] == names
    assert [row.get("姓名") for row in from_xlsx.rows] == names


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_csv_in_every_encoding_keeps_rare_characters(encoding):
    text = "学号,姓名\r\n" + "".join(f"2021{i:03d},{name}\r\n" for i, name in enumerate(RARE_NAMES))
    table = read_table(_csv(text, encoding), "名单.csv")
    assert table.headers == ["学号", "姓名"]
    assert [row.get("姓名") for row in table.rows] == RARE_NAMES
    assert [row.number for row in table.rows] == [2, 3, 4]


def test_gbk_csv_as_chinese_windows_saves_it():
    table = read_table(_csv("学号,姓名,学院\n2021001,张三,数学学院\n", "gbk"), "a.CSV")
    assert table.rows[0].values == {"学号": "2021001", "姓名": "张三", "学院": "数学学院"}


def test_cells_are_stripped_blank_rows_skipped_and_rows_numbered_as_in_the_file():
    text = '学号 , 姓名\n\n 2021001 ,\u3000李四\u3000\n,\n2021002,"王\n五"\n2021003,赵六\n'
    table = read_table(_csv(text, "utf-8"), "a.csv")
    assert table.headers == ["学号", "姓名"]
    assert [(row.number, row.get("学号"), row.get("姓名")) for row in table.rows] == [
        (3, "2021001", "李四"),
        (5, "2021002", "王\n五"),
        (6, "2021003", "赵六"),
    ]
    assert table.rows[0].get("不存在的列") == ""


def test_trailing_blank_header_cells_are_ignored_but_data_under_them_is_not():
    assert read_table(b"a,b,,\n1,2,,\n", "a.csv").headers == ["a", "b"]
    _refused(b"a,b,,\n1,2,,x\n", "a.csv", "第 2 行第 4 列有内容")


def test_xlsx_is_read_with_numbers_and_dates_as_people_typed_them():
    data = _xlsx(
        [
            ["学号", "姓名", "阶段日期", "年级", "分数"],
            [2021001, "张𠮷", datetime(2024, 9, 1), 2021, 88.5],
            [None, None, None, None, None],
            ["S2021002", "王䶮", date(2023, 3, 15), "2022", 2021001.0],
        ]
    )
    table = read_table(data, "名单.xlsx")
    assert table.headers == ["学号", "姓名", "阶段日期", "年级", "分数"]
    assert [row.number for row in table.rows] == [2, 4]
    assert table.rows[0].values == {
        "学号": "2021001",
        "姓名": "张𠮷",
        "阶段日期": "2024-09-01",
        "年级": "2021",
        "分数": "88.5",
    }
    assert table.rows[1].get("阶段日期") == "2023-03-15"
    assert table.rows[1].get("分数") == "2021001"


@pytest.mark.parametrize(
    ("data", "filename", "fragment"),
    [
        (b"", "a.csv", "空"),
        (b"\n\n", "a.csv", "第 1 行应为表头"),
        (b"a,b\n", "a.csv", "没有数据行"),
        (b"a,,b\n1,2,3\n", "a.csv", "表头第 2 列是空的"),
        (b"a,b,a\n1,2,3\n", "a.csv", "重复的列：a"),
        (b"a,b\n1,2\n", "a.txt", ".xlsx"),
        (b"a,b\n1,2\n", "a", ".xlsx"),
        (b"\xd0\xcf\x11\xe0old", "a.xls", "另存为 .xlsx"),
        (b"\xd0\xcf\x11\xe0old", "a.xlsx", "旧版 .xls 或加密"),
        (b"\xff\xfea\x00,\x00b\x00", "a.csv", "UTF-16"),
        (b"\x80\x81garbage\xff", "a.csv", "编码"),
        (b"a\x00b,c\n1,2\n", "a.csv", "空字符"),
        (b"PK\x03\x04not really", "a.csv", "Excel 文件"),
        (b"a,b\n1,2\n", "a.xlsx", "不是有效的 .xlsx"),
        (b"PK\x03\x04" + b"\x00" * 100, "a.xlsx", "已损坏"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, filename, fragment):
    _refused(data, filename, fragment)


def test_a_zip_that_is_not_a_workbook_is_refused():
    _refused(_zip({"hello.txt": b"hi"}), "a.xlsx", "无法读取")


def test_too_large_an_upload_is_refused_before_reading():
    _refused(b"a\n" + b"1\n" * (spreadsheets.MAX_UPLOAD_BYTES // 2), "a.csv", "文件过大")


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 5)
    assert len(read_table(b"a\n" + b"1\n" * 5, "a.csv").rows) == 5
    _refused(b"a\n" + b"1\n" * 6, "a.csv", "最多导入 5 行")
    _refused(_xlsx([["a"]] + [[1]] * 6), "a.xlsx", "最多导入 5 行")


def test_the_default_row_limit_holds_for_a_real_file():
    data = b"a\n" + b"1\n" * (spreadsheets.MAX_ROWS + 1)
    _refused(data, "a.csv", f"最多导入 {spreadsheets.MAX_ROWS} 行")


def test_a_sheet_naming_a_far_away_row_is_refused_quickly():
    far = spreadsheets.MAX_ROW_NUMBER + 1
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        f'<row r="{far}"><c r="A{far}" t="s"><v>1</v></c></row></sheetData></worksheet>'
    ).encode()
    data = _replace_entry(_excel_like(["a", "b"]), "xl/worksheets/sheet1.xml", sheet)
    started = time.perf_counter()
    _refused(data, "far.xlsx", f"超过 {spreadsheets.MAX_ROW_NUMBER} 行（含空行）")
    assert time.perf_counter() - started < 2
    _refused(b"a\n" + b"\n" * far + b"1\n", "far.csv", "含空行")


def test_too_many_columns_are_refused():
    header = ",".join(f"c{i}" for i in range(spreadsheets.MAX_COLUMNS + 1))
    _refused(f"{header}\n1\n".encode(), "a.csv", f"最多 {spreadsheets.MAX_COLUMNS} 列")


def test_zip_bomb_is_refused_quickly():
    bomb = _zip({"xl/worksheets/sheet1.xml": b"\0" * (60 * 1024 * 1024)})
    assert len(bomb) < spreadsheets.MAX_UPLOAD_BYTES
    started = time.perf_counter()
    _refused(bomb, "bomb.xlsx", "解压后过大")
    assert time.perf_counter() - started < 1


def test_a_highly_compressed_entry_is_refused():
    padded = b"<sst>" + b" " * (4 * 1024 * 1024) + b"</sst>"
    bomb = _replace_entry(_excel_like(["a", "b"]), "xl/sharedStrings.xml", padded)
    _refused(bomb, "bomb.xlsx", "压缩比异常")


def test_a_zip_lying_about_its_sizes_is_read_only_as_far_as_it_claims():
    """zipfile stops at the declared size, so forged small sizes cannot inflate anything."""
    data = bytearray(_zip({"xl/worksheets/sheet1.xml": b"\0" * (20 * 1024 * 1024)}))
    # Rewrite the uncompressed size in the local header and the central directory.
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 1000)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)
    started = time.perf_counter()
    _refused(bytes(data), "liar.xlsx")
    assert time.perf_counter() - started < 1


def test_too_many_entries_are_refused():
    many = _zip({f"xl/media/image{i}.png": b"x" for i in range(spreadsheets.MAX_ZIP_ENTRIES + 1)})
    _refused(many, "many.xlsx", f"超过 {spreadsheets.MAX_ZIP_ENTRIES} 个")


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">
<si><t>a</t></si><si><t>&lol9;</t></si></sst>"""

EXTERNAL_ENTITY_SHEET = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE sheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"""


def test_an_excel_like_workbook_with_shared_strings_is_read():
    table = read_table(_excel_like(["姓名", *RARE_NAMES]), "excel.xlsx")
    assert table.headers == ["姓名"]
    assert [row.get("姓名") for row in table.rows] == RARE_NAMES


def test_billion_laughs_in_shared_strings_is_refused_not_expanded():
    workbook = _excel_like(["a", "b"])
    bomb = _replace_entry(workbook, "xl/sharedStrings.xml", BILLION_LAUGHS)
    started = time.perf_counter()
    error = _refused(bomb, "laughs.xlsx", "不安全")
    assert time.perf_counter() - started < 1
    assert _refused_by_defusedxml(error)


def test_external_entity_in_sheet_xml_is_refused_not_resolved():
    workbook = _xlsx([["a"], ["b"]])
    attack = _replace_entry(workbook, "xl/worksheets/sheet1.xml", EXTERNAL_ENTITY_SHEET)
    error = _refused(attack, "xxe.xlsx", "不安全")
    assert _refused_by_defusedxml(error)
    assert "root:" not in str(error)


def test_a_doctype_in_the_workbook_part_is_refused():
    workbook = _xlsx([["a"], ["b"]])
    source = zipfile.ZipFile(io.BytesIO(workbook)).read("xl/workbook.xml")
    forged = source.replace(
        b"<workbook", b'<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/hostname">]><workbook', 1
    )
    error = _refused(_replace_entry(workbook, "xl/workbook.xml", forged), "w.xlsx")
    assert _refused_by_defusedxml(error)


def test_openpyxl_parses_xml_through_defusedxml():
    assert openpyxl.DEFUSEDXML is True


def test_formula_like_text_is_exported_as_quoted_text():
    dangerous = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']
    data = write_xlsx(["值"], [[value] for value in dangerous], "导出")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # XML turns a carriage return into a line feed; what matters is the leading quote.
    expected = ["'" + value.replace("\r", "\n") for value in dangerous]
    assert [cell.value for cell in cells] == expected
    assert all(cell.data_type == "s" for cell in cells)
    raw = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in raw and b"<f " not in raw


def test_export_keeps_numbers_dates_and_rare_characters():
    rows = [
        ["2021001", "张𠮷", 3, 1.5, date(2024, 9, 1), datetime(2024, 9, 1, 8, 30), None, True],
        ["2021002", "王䶮", -5, 0, date(2023, 1, 2), datetime(2023, 1, 2), "普通文本", False],
    ]
    headers = ["学号", "姓名", "次数", "学时", "日期", "时间", "备注", "是否"]
    data = write_xlsx(headers, rows, "名单/2024:秋[一]")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet.title == "名单_2024_秋_一_"
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == headers
    assert values[1][:4] == ["2021001", "张𠮷", 3, 1.5]
    assert values[1][4] == datetime(2024, 9, 1)
    assert sheet["E2"].is_date and sheet["F2"].is_date
    assert values[1][5] == datetime(2024, 9, 1, 8, 30)
    assert values[1][6:] == [None, True]
    assert values[2][2] == -5 and sheet["C3"].data_type == "n"
    assert sheet["A1"].font.bold


def test_an_export_reads_back_as_the_same_table():
    data = write_xlsx(["学号", "姓名"], [["2021001", name] for name in RARE_NAMES], "x" * 40)
    table = read_table(data, "export.xlsx")
    assert [row.get("姓名") for row in table.rows] == RARE_NAMES


def test_export_drops_characters_xml_cannot_hold():
    data = write_xlsx(["a"], [["bad\x00\x07text"]], "t")
    assert openpyxl.load_workbook(io.BytesIO(data)).active["A2"].value == "badtext"
