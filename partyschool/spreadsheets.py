"""Reading uploaded tables (.xlsx, .csv) safely and writing .xlsx exports.

Uploads come from anyone with an organizer account, so every limit is checked before a parser
sees the bytes: the upload size, and for .xlsx the zip's entry count, declared sizes and
compression ratios (Python's zipfile never inflates an entry past its declared size, so the
declared sizes bound the work). openpyxl parses XML through defusedxml, which refuses entity
definitions (billion laughs, external entities). Pure functions: no Flask, no database.
"""

import csv
import io
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ZIP_ENTRIES = 200
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# Entries smaller than this cannot hurt whatever their ratio (an empty sheet compresses well).
RATIO_CHECK_MIN_BYTES = 64 * 1024
MAX_ROWS = 20_000
# The last row number read, blank rows included: a tiny sheet naming row 1,000,000 would
# otherwise make openpyxl produce a million empty rows.
MAX_ROW_NUMBER = 50_000
MAX_COLUMNS = 100

# Cells starting with these are formulas to Excel and LibreOffice (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


class SpreadsheetError(ValueError):
    """The uploaded file as a whole cannot be read; the message is shown to the user."""


@dataclass(frozen=True)
class RowData:
    """One data row: its number as the user sees it (the header is row 1) and its cells."""

    number: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        """The stripped cell under this header, or "" when the column is absent or empty."""
        return self.values.get(column, "")


@dataclass
class Table:
    """The headers and non-blank data rows of the first sheet of an uploaded file."""

    headers: list[str]
    rows: list[RowData] = field(default_factory=list)


def read_table(data: bytes, filename: str) -> Table:
    """Read an uploaded .xlsx or .csv (UTF-8, UTF-8 with BOM or GBK) into a Table."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise SpreadsheetError(f"文件过大：不能超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    if not data:
        raise SpreadsheetError("文件是空的")
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in (".xls", ".et", ".wps", ".numbers", ".ods"):
        raise SpreadsheetError("不支持这种表格格式，请在 Excel 或 WPS 中另存为 .xlsx 或 CSV 后上传")
    if suffix not in (".xlsx", ".csv"):
        raise SpreadsheetError("只能上传 Excel 工作簿（.xlsx）或 CSV 文件（.csv）")
    if suffix == ".xlsx":
        _check_zip(data)
    rows = _xlsx_rows(data) if suffix == ".xlsx" else _csv_rows(data)
    # closing() shuts the workbook even when a limit stops the reading half-way.
    with closing(rows):
        return _table(rows)


def _cell_text(value: Any) -> str:
    """A cell's value as the text a user would type for it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel shows 15 significant digits, and 2021001 typed as a number comes back as float.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    return str(value).strip()


def _table(rows: Iterator[tuple[int, list[str]]]) -> Table:
    """Build a Table from (row number, cell texts), checking headers and limits."""
    first = next(rows, None)
    if first is None:
        raise SpreadsheetError("文件是空的：第 1 行应为表头")
    _, headers = first
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise SpreadsheetError("第 1 行应为表头，但它是空的")
    blanks = [str(i + 1) for i, header in enumerate(headers) if not header]
    if blanks:
        raise SpreadsheetError(f"表头第 {'、'.join(blanks)} 列是空的，请填写列名或删除该列")
    duplicates = [header for header, count in Counter(headers).items() if count > 1]
    if duplicates:
        raise SpreadsheetError(f"表头有重复的列：{'、'.join(duplicates)}")

    table = Table(headers=headers)
    for number, cells in rows:
        if number > MAX_ROW_NUMBER:
            raise SpreadsheetError(
                f"表格超过 {MAX_ROW_NUMBER} 行（含空行），请删除多余的空行或拆分文件"
            )
        if not any(cells):
            continue
        if len(table.rows) >= MAX_ROWS:
            raise SpreadsheetError(f"数据行过多：一次最多导入 {MAX_ROWS} 行，请拆分文件")
        extra = next((i for i in range(len(headers), len(cells)) if cells[i]), None)
        if extra is not None:
            raise SpreadsheetError(f"第 {number} 行第 {extra + 1} 列有内容，但该列没有表头")
        padded = cells + [""] * (len(headers) - len(cells))
        table.rows.append(RowData(number, dict(zip(headers, padded, strict=False))))
    if not table.rows:
        raise SpreadsheetError("文件只有表头，没有数据行")
    return table


def _checked_columns(cells: Sequence[str], number: int) -> list[str]:
    if len(cells) > MAX_COLUMNS and any(cells[MAX_COLUMNS:]):
        raise SpreadsheetError(f"第 {number} 行的列数过多：最多 {MAX_COLUMNS} 列")
    return list(cells[:MAX_COLUMNS])


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        raise SpreadsheetError("这是 Excel 文件，不是 CSV：请把扩展名改为 .xlsx，或另存为 CSV")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpreadsheetError(
            "文件是 UTF-16 编码（Excel 的“Unicode 文本”），请另存为“CSV UTF-8（逗号分隔）”"
        )
    text = _decode(data)
    if "\x00" in text:
        raise SpreadsheetError("文件含有空字符，不是文本 CSV 文件，请另存为“CSV UTF-8（逗号分隔）”")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        # Rows are counted as records, as Excel numbers them, not as physical lines.
        for number, cells in enumerate(reader, start=1):
            yield number, _checked_columns([cell.strip() for cell in cells], number)
    except csv.Error as exc:
        raise SpreadsheetError(f"CSV 文件格式有误（第 {reader.line_num} 行附近）：{exc}") from exc


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else GBK as Chinese Windows saves it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("无法识别文件编码：请另存为“CSV UTF-8（逗号分隔）”或 GBK 编码的 CSV")


def _check_zip(data: bytes) -> None:
    """Refuse zip bombs and malformed archives before openpyxl opens them."""
    if data.startswith(_OLE_MAGIC):
        raise SpreadsheetError(
            "这是旧版 .xls 或加密的 Excel 文件：请取消密码保护并另存为 .xlsx 后上传"
        )
    if not data.startswith(_ZIP_MAGIC):
        raise SpreadsheetError("文件不是有效的 .xlsx 工作簿（文件已损坏或扩展名不对）")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SpreadsheetError("文件不是有效的 .xlsx 工作簿（压缩包已损坏）") from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise SpreadsheetError(f"工作簿内部文件过多（超过 {MAX_ZIP_ENTRIES} 个），拒绝处理")
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise SpreadsheetError("工作簿已加密：请取消密码保护后再上传")
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SpreadsheetError("工作簿使用了不支持的压缩方式，请用 Excel 或 WPS 重新保存")
        total += entry.file_size
        if total > MAX_UNCOMPRESSED_BYTES:
            raise SpreadsheetError(
                f"工作簿解压后过大（超过 {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB），拒绝处理"
            )
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise SpreadsheetError("工作簿的压缩比异常（疑似压缩炸弹），拒绝处理")


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if not openpyxl.DEFUSEDXML:
        # Without defusedxml, openpyxl would expand XML entities; refuse rather than risk it.
        raise SpreadsheetError("服务器未启用安全的 XML 解析，暂不能读取 .xlsx，请上传 CSV")
    try:
        # openpyxl warns about harmless things (no default style, unknown extensions), and
        # the test suite turns warnings into errors.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
            try:
                if not workbook.worksheets:
                    raise SpreadsheetError("工作簿中没有工作表")
                sheet = workbook.worksheets[0]
                rows = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
                for number, values in enumerate(rows, start=1):
                    cells = [_cell_text(value) for value in values]
                    yield number, _checked_columns(cells, number)
            finally:
                workbook.close()
    except SpreadsheetError:
        raise
    except Exception as exc:  # any failure of the parser means an unreadable upload
        if _caused_by(exc, DefusedXmlException):
            raise SpreadsheetError(
                "工作簿含有不安全的 XML 内容（实体定义或外部引用），拒绝处理"
            ) from exc
        raise SpreadsheetError(
            "无法读取 .xlsx 工作簿：文件已损坏，请用 Excel 或 WPS 重新保存后上传"
        ) from exc


def _caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    """True when the exception or one it arose from is of this kind (openpyxl re-wraps)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _safe_text(value: str) -> str:
    """Text Excel will show, never run: formula-like text gets a leading quote."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _export_cell(sheet, value: Any) -> WriteOnlyCell:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_safe_text(value))
        cell.data_type = "s"  # never "f", whatever the text looks like
        return cell
    if isinstance(value, datetime):
        # Excel has no time zones: an aware datetime is written as its own wall-clock time.
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if value is None or isinstance(value, bool | int | float | Decimal):
        return WriteOnlyCell(sheet, value=value)
    return _export_cell(sheet, str(value))


def write_xlsx(headers: list[str], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    """An .xlsx export with one sheet; formula-like text is written as quoted plain text."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(title))
    bold = Font(bold=True)
    for index, header in enumerate(headers, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, 2 * len(header) + 4)
    sheet.freeze_panes = "A2"
    header_cells = []
    for header in headers:
        cell = _export_cell(sheet, header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_export_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name."""
    cleaned = ILLEGAL_CHARACTERS_RE.sub("", title).translate(_SHEET_TITLE_FORBIDDEN).strip("' ")
    return cleaned[:31] or "Sheet1"
