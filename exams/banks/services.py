"""Question banks and their questions: lists, adding and correcting questions (a corrected key
regrades the attempts that were given it), retiring, importing and exporting files.

Banks belong to a party school. Staff of a branch school see their own and the school level's
(which serves every branch) and edit only their own; school-level staff see and edit
everything. Functions take the session first and only flush; the request commits once.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, contains_eager

from exams import formats
from exams.attempts.services import regrade
from exams.errors import ManageError
from exams.formats.common import ImportProblem
from exams.formats.xlsx import template_xlsx
from exams.models import Answer, Attempt, AttemptStatus, Question, QuestionBank
from exams.question_types import public_fields
from exams.questions import QuestionData, to_json, validate
from partyschool.access import school_scope, shared_with
from partyschool.accounts.models import User
from partyschool.organization.models import PartySchool


@dataclass(frozen=True)
class BankRow:
    """A bank in a list, with how many questions it offers."""

    bank: QuestionBank
    active: int
    retired: int


def visible_banks(session: Session, user: User) -> list[BankRow]:
    """The banks the user may see: their school's and the school level's."""
    active = func.count(Question.id).filter(Question.is_retired.is_(False))
    retired = func.count(Question.id).filter(Question.is_retired.is_(True))
    stmt = (
        shared_with(
            select(QuestionBank, active, retired), QuestionBank.party_school_id, school_scope(user)
        )
        .outerjoin(Question, Question.bank_id == QuestionBank.id)
        .group_by(QuestionBank.id, PartySchool.id)
        .options(contains_eager(QuestionBank.party_school))
        .order_by(PartySchool.parent_id.is_not(None), PartySchool.id, QuestionBank.name)
    )
    return [BankRow(*row) for row in session.execute(stmt)]


def usable_banks(session: Session, school_id: int) -> list[QuestionBank]:
    """The banks a paper of this school may draw from: its own and the school level's."""
    stmt = shared_with(select(QuestionBank), QuestionBank.party_school_id, school_id)
    return list(session.scalars(stmt.order_by(PartySchool.id, QuestionBank.name)))


def create_bank(session: Session, school: PartySchool, name: str) -> QuestionBank:
    """A new, empty question bank of a party school."""
    name = name.strip()
    if not name:
        raise ManageError("请填写题库名称")
    bank = QuestionBank(party_school=school, name=name)
    session.add(bank)
    session.flush()
    return bank


def bank_categories(session: Session, bank: QuestionBank) -> list[tuple[str, int]]:
    """The bank's categories (知识点) with their numbers of questions in use."""
    stmt = (
        select(Question.category, func.count(Question.id))
        .where(Question.bank_id == bank.id, Question.is_retired.is_(False))
        .group_by(Question.category)
        .order_by(Question.category)
    )
    return [(category, count) for category, count in session.execute(stmt)]


def bank_questions(
    session: Session,
    bank: QuestionBank,
    *,
    category: str | None = None,
    kind: str | None = None,
    text: str = "",
    include_retired: bool = False,
) -> list[Question]:
    """The bank's questions by category, then kind, filtered as asked."""
    stmt = select(Question).where(Question.bank_id == bank.id)
    if category is not None:
        stmt = stmt.where(Question.category == category)
    if kind:
        stmt = stmt.where(Question.kind == kind)
    if not include_retired:
        stmt = stmt.where(Question.is_retired.is_(False))
    found = session.scalars(stmt.order_by(Question.category, Question.kind, Question.id)).all()
    text = text.strip()
    # The stem lives inside the JSON, so the text filter runs here; a bank is a few thousand.
    return [q for q in found if not text or text in (q.data.get("stem") or "")]


def _store(question: Question, data: QuestionData) -> None:
    question.kind = str(data.type)
    question.category = data.category.strip()
    question.data = to_json(data)


def _clean(data: QuestionData) -> QuestionData:
    problems = validate(data)
    if problems:
        raise ManageError(problems)
    return data


def add_question(session: Session, bank: QuestionBank, data: QuestionData) -> Question:
    """Add a validated question to the bank."""
    data = _clean(data)
    question = Question(bank=bank)
    session.add(question)
    _store(question, data)
    session.flush()
    return question


def attempts_using(session: Session, question: Question) -> list[Attempt]:
    """Every attempt (in progress or submitted) that was given this question."""
    answered = select(Answer.attempt_id).where(Answer.question_id == question.id)
    candidates = session.scalars(
        select(Attempt).where(
            or_(Attempt.id.in_(answered), Attempt.status == AttemptStatus.IN_PROGRESS)
        )
    )
    return [a for a in candidates if any(i["question_id"] == question.id for i in a.items)]


def _key(data: QuestionData) -> tuple:
    return (data.options, data.answer)


@dataclass(frozen=True)
class QuestionUpdate:
    """What saving a question did."""

    changed: bool
    key_changed: bool
    regraded: int


def update_question(session: Session, question: Question, data: QuestionData) -> QuestionUpdate:
    """Save a corrected question. When attempts were given it, its revision goes up; when its
    key changed, attempts still in progress get the corrected key and submitted ones are
    regraded with it (an instructor's grade of an essay stands)."""
    old = question.content
    data = _clean(data)
    if data.type != old.type:
        raise ManageError("不能修改题型；请停用此题并新建一道题")
    if data == old:
        return QuestionUpdate(False, False, 0)
    used = attempts_using(session, question)
    if used and _form(data) != _form(old):  # answers given, and pages open, expect its form
        raise ManageError("已有考生作答此题，不能增减选项或填空；如需大改，请停用此题并新建一道题")
    key_changed = _key(data) != _key(old)
    _store(question, data)
    if used:
        question.revision += 1
    session.flush()
    regraded = 0
    if used and key_changed:
        for attempt in used:
            if attempt.status is AttemptStatus.IN_PROGRESS:
                attempt.items = [
                    {**i, "data": question.data, "revision": question.revision}
                    if i["question_id"] == question.id
                    else i
                    for i in attempt.items
                ]
        regraded = regrade(session, question)
    session.flush()
    return QuestionUpdate(True, key_changed, regraded)


def _form(question: QuestionData) -> tuple[int, int]:
    """How many options and blanks the trainee's page shows for the question."""
    fields = public_fields(question)
    return len(fields["options"]), fields["blanks"]


def set_retired(session: Session, question: Question, retired: bool) -> None:
    """Retire a question (no paper draws it again) or bring it back."""
    question.is_retired = retired
    session.flush()


class ImportRefused(ManageError):
    """An import refused as a whole, with every problem of the file (a row each)."""

    def __init__(self, rows: Sequence[ImportProblem]):
        self.rows = list(rows)
        super().__init__([r.message for r in self.rows])


@dataclass(frozen=True)
class ImportReport:
    """What an import added, and what the parser thought worth a warning."""

    format: str
    questions: list[Question]
    warnings: list[ImportProblem]
    skipped: list[ImportProblem]

    @property
    def summary(self) -> str:
        """What happened, in one line: 导入 N 题，跳过 M 题."""
        return f"导入 {len(self.questions)} 题，跳过 {len(self.skipped)} 题"


def import_questions(
    session: Session, bank: QuestionBank, data: bytes, filename: str
) -> ImportReport:
    """Import every question of an uploaded file (XLSX template, Moodle XML, GIFT, Aiken), or
    none: ImportRefused lists each problem."""
    parsed = formats.parse(data, filename)
    if not parsed.ok:
        raise ImportRefused(parsed.errors)
    added = [add_question(session, bank, question) for question in parsed.questions]
    return ImportReport(parsed.format, added, list(parsed.warnings), list(parsed.skipped))


def export_bank(session: Session, bank: QuestionBank, fmt: str) -> tuple[bytes, str, str]:
    """The bank's questions in use as a file: (content, MIME type, file name)."""
    if fmt not in formats.EXPORT_FORMATS:
        raise ManageError("不支持的导出格式")
    content = formats.export([q.content for q in bank_questions(session, bank)], fmt)
    _, mimetype, suffix = formats.EXPORT_FORMATS[fmt]
    return content, mimetype, f"{bank.name}.{suffix}"


def import_template() -> bytes:
    """The XLSX import template: its header row and an example of each question type."""
    return template_xlsx()
