"""Our XLSX import template (and the same columns as CSV): reading and writing it."""

import re
from collections.abc import Iterable
from decimal import Decimal

from exams.formats.common import (
    MAX_QUESTIONS,
    Collector,
    FileError,
    ParseResult,
    file_error,
    nfkc,
    parse_points,
    too_many,
)
from exams.question_types import FALSE_WORDS, QUESTION_TYPES, TRUE_WORDS, type_of
from exams.questions import MAX_OPTIONS, OPTION_LETTERS, QuestionData, QuestionType, option_letter
from partyschool.spreadsheets import (
    FORMULA_PREFIXES,
    SpreadsheetError,
    Table,
    read_table,
    write_xlsx,
)

TYPE_COLUMN, STEM_COLUMN, ANSWER_COLUMN = "题型", "题干", "答案"
POINTS_COLUMN, CATEGORY_COLUMN, EXPLANATION_COLUMN = "分值", "知识点", "解析"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_OPTION_COUNT = 6
TEMPLATE_HEADERS = [
    TYPE_COLUMN,
    STEM_COLUMN,
    *(f"选项{letter}" for letter in OPTION_LETTERS[:TEMPLATE_OPTION_COUNT]),
    ANSWER_COLUMN,
    POINTS_COLUMN,
    CATEGORY_COLUMN,
    EXPLANATION_COLUMN,
]
# What people call the columns in templates of other systems, after NFKC and without spaces.
_HEADER_ALIASES = {
    "题型": TYPE_COLUMN,
    "类型": TYPE_COLUMN,
    "题目类型": TYPE_COLUMN,
    "试题类型": TYPE_COLUMN,
    "题干": STEM_COLUMN,
    "题目": STEM_COLUMN,
    "试题": STEM_COLUMN,
    "题目内容": STEM_COLUMN,
    "答案": ANSWER_COLUMN,
    "正确答案": ANSWER_COLUMN,
    "标准答案": ANSWER_COLUMN,
    "参考答案": ANSWER_COLUMN,
    "分值": POINTS_COLUMN,
    "分数": POINTS_COLUMN,
    "知识点": CATEGORY_COLUMN,
    "分类": CATEGORY_COLUMN,
    "解析": EXPLANATION_COLUMN,
    "答案解析": EXPLANATION_COLUMN,
    "试题解析": EXPLANATION_COLUMN,
}
_TYPE_BY_NAME = {name: cls.type for cls in QUESTION_TYPES.values() for name in cls.import_names}


def parse_table(
    data: bytes, filename: str, suffix: str, max_questions: int = MAX_QUESTIONS
) -> ParseResult:
    """Questions from our template's columns in an XLSX or CSV file."""
    format_name = "csv" if suffix == ".csv" else "xlsx"
    try:
        table = read_table(data, filename)
        columns = _template_columns(table)
    except (SpreadsheetError, FileError) as exc:
        return file_error(format_name, str(exc))
    if len(table.rows) > max_questions:
        return too_many(format_name, max_questions)
    collector = Collector(format_name)
    for row in table.rows:
        cells = {name: _unquote(row.get(header)) for name, header in columns.items()}
        label = f"第 {row.number} 行"
        try:
            question = _template_question(cells)
        except ValueError as exc:
            collector.error(row.number, label, str(exc))
            continue
        collector.add(row.number, label, question)
    return collector.result()


def _template_columns(table: Table) -> dict[str, str]:
    """Our column names → the file's headers, tolerating spacing, full-width letters, aliases."""
    columns: dict[str, str] = {}
    for header in table.headers:
        name = re.sub(r"\s+", "", nfkc(header)).upper()
        name = _HEADER_ALIASES.get(name, name)
        option = re.fullmatch(r"选项([A-Z])", name)
        if option and OPTION_LETTERS.index(option.group(1)) >= MAX_OPTIONS:
            raise FileError(f"选项列最多到“选项{option_letter(MAX_OPTIONS - 1)}”")
        if name not in _HEADER_ALIASES.values() and not option:
            continue  # 序号, 难度, 备注 … are not ours to read
        if name in columns:
            raise FileError(f"“{columns[name]}”和“{header}”是同一列，请只保留一列")
        columns[name] = header
    missing = [c for c in (TYPE_COLUMN, STEM_COLUMN, ANSWER_COLUMN) if c not in columns]
    if missing:
        raise FileError(f"缺少必需的列：{'、'.join(missing)}（请使用题库导入模板）")
    return columns


def _unquote(text: str) -> str:
    """Undo the quote our exports put before formula-like text ("'=1" → "=1")."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def _quote(text: str) -> str:
    """Text that `write_xlsx` quoting and `_unquote` bring back unchanged ("'=1" → "''=1")."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _template_question(cells: dict[str, str]) -> QuestionData:
    type_text = cells[TYPE_COLUMN]
    kind = _TYPE_BY_NAME.get(re.sub(r"\s+", "", nfkc(type_text)).lower())
    if kind is None:
        if not type_text:
            raise ValueError("没有填写题型")
        raise ValueError(f"题型“{type_text}”无法识别：应为 单选、多选、判断、填空 或 论述")
    options = _template_options(cells, kind)
    answer_text = cells[ANSWER_COLUMN]
    answer = type_of(kind).answer_from_cell(answer_text, len(options))
    points_text = cells.get(POINTS_COLUMN, "")
    return QuestionData(
        type=kind,
        stem=cells[STEM_COLUMN],
        options=options,
        answer=answer,
        category=cells.get(CATEGORY_COLUMN, ""),
        points=parse_points(points_text) if points_text else Decimal(1),
        explanation=cells.get(EXPLANATION_COLUMN, ""),
    )


def _template_options(cells: dict[str, str], kind: QuestionType) -> tuple[str, ...]:
    texts = [cells.get(f"选项{letter}", "") for letter in OPTION_LETTERS[:MAX_OPTIONS]]
    while texts and not texts[-1]:
        texts.pop()
    if not kind.has_options:
        # Some templates fill 选项A/B with 正确/错误 for true/false: harmless, so ignored.
        if kind is QuestionType.TRUE_FALSE and all(_is_true_false_word(t) for t in texts):
            return ()
        if texts:
            raise ValueError(f"{kind.label}不应填写选项")
        return ()
    for index, text in enumerate(texts):
        if not text:
            raise ValueError(f"选项{option_letter(index)}为空，但其后还有选项")
    if len(texts) < 2:
        raise ValueError("选择题至少需要 2 个选项（填在“选项A”“选项B”…列）")
    return tuple(texts)


def _is_true_false_word(text: str) -> bool:
    return nfkc(text).casefold() in TRUE_WORDS | FALSE_WORDS


def export_xlsx(questions: Iterable[QuestionData]) -> bytes:
    """The questions in our import template; formula-like text is written as plain text."""
    questions = list(questions)
    option_count = max([TEMPLATE_OPTION_COUNT, *(len(q.options) for q in questions)])
    headers = list(TEMPLATE_HEADERS)
    extra = [f"选项{letter}" for letter in OPTION_LETTERS[TEMPLATE_OPTION_COUNT:option_count]]
    insert_at = headers.index(ANSWER_COLUMN)
    headers[insert_at:insert_at] = extra
    rows = []
    for question in questions:
        options = list(question.options) + [""] * (option_count - len(question.options))
        texts = [question.stem, *options, type_of(question.type).answer_cell(question)]
        rows.append(
            [
                type_of(question.type).import_names[0],
                *(_quote(text) for text in texts),
                question.points,
                _quote(question.category),
                _quote(question.explanation),
            ]
        )
    return write_xlsx(headers, rows, "题库")


TEMPLATE_EXAMPLES = [
    QuestionData(
        type=QuestionType.SINGLE,
        stem="党的根本组织原则是（  ）。",
        options=("民主集中制", "集体领导", "个人分工负责", "党员个人服从党的组织"),
        answer=0,
        category="党章",
        points=Decimal(2),
        explanation="《中国共产党章程》规定，党是根据自己的纲领和章程，按照民主集中制组织起来的统一整体。",
    ),
    QuestionData(
        type=QuestionType.MULTIPLE,
        stem="党员的“四个意识”包括（  ）。",
        options=("政治意识", "大局意识", "核心意识", "看齐意识", "忧患意识"),
        answer=(0, 1, 2, 3),
        category="党的理论",
        points=Decimal(2),
    ),
    QuestionData(
        type=QuestionType.TRUE_FALSE,
        stem="预备党员的预备期为一年。",
        answer=True,
        category="党章",
    ),
    QuestionData(
        type=QuestionType.FILL,
        stem="党的最高领导机关是党的____和它所产生的中央委员会；党的全国代表大会每____年举行一次。",
        answer=(("全国代表大会",), ("五", "5")),
        category="党章",
        points=Decimal(2),
        explanation="多个空用“|”分隔，同一空的多个可接受答案用“/”分隔。",
    ),
    QuestionData(
        type=QuestionType.ESSAY,
        stem="结合自身实际，谈谈你对“全心全意为人民服务”这一党的根本宗旨的理解。",
        answer="要点：宗旨的内涵；联系群众；结合学习和生活实际。",
        category="党的宗旨",
        points=Decimal(20),
    ),
]


def template_xlsx() -> bytes:
    """The empty import template with one example row of each question type."""
    return export_xlsx(TEMPLATE_EXAMPLES)
