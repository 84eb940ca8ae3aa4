"""Managing exams: question banks and questions, imports and exports, papers, the exams of a
training class, the essay grading queue, and results with item statistics.

Banks and papers belong to a party school. Staff of a branch school see their own and the
school level's (which serves every branch) and edit only their own; school-level staff see and
edit everything. Functions take the session first and only flush; the request commits once.
The statistics (`distribution`, `item_statistics`) are pure functions over plain values.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from courses.models import Enrolment, EnrolmentStatus, TrainingClass
from exams import formats, services
from exams.formats.common import ImportProblem
from exams.formats.gift import export_gift
from exams.formats.moodle_xml import export_moodle_xml
from exams.formats.xlsx import export_xlsx, template_xlsx
from exams.models import (
    Answer,
    Attempt,
    AttemptStatus,
    Exam,
    ExamKind,
    Paper,
    PaperMode,
    Question,
    QuestionBank,
    ReviewPolicy,
)
from exams.question_grading import manual_grade
from exams.questions import (
    QuestionData,
    QuestionType,
    from_json,
    permute,
    to_json,
    validate,
)
from partyschool.access import can_see_school, school_scope, shared_with
from partyschool.accounts.models import User
from partyschool.candidates.models import Candidate
from partyschool.organization.models import PartySchool
from partyschool.spreadsheets import write_xlsx

# Who manages exams: instructors, branch-school admins and the school admin (not organizers).
MAX_RULE_COUNT = 200
MAX_TIME_LIMIT = 600
MAX_ATTEMPTS = 10
# Share of examinees in the upper and lower groups of the discrimination index (Kelley).
GROUP_SHARE = 0.27
HUNDREDTH = Decimal("0.01")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ManageError(ValueError):
    """An action refused; `problems` holds every reason, in Chinese."""

    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("；".join(self.problems))


def _points(value) -> Decimal:
    return Decimal(str(value))


def _hundredth(value: Decimal) -> Decimal:
    return value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


# --- Scope ------------------------------------------------------------------------------------


def usable_by(source_school: PartySchool, target_school_id: int) -> bool:
    """True when a bank or paper of `source_school` may serve a paper or class of the target."""
    return source_school.id == target_school_id or source_school.is_school_level


# --- Banks and questions ----------------------------------------------------------------------


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


def question_data(question: Question) -> QuestionData:
    """The question's content as plain data."""
    return from_json(question.data)


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
    old = question_data(question)
    data = _clean(data)
    if data.type != old.type:
        raise ManageError("不能修改题型；请停用此题并新建一道题")
    if data == old:
        return QuestionUpdate(False, False, 0)
    used = attempts_using(session, question)
    if used and len(data.options) != len(old.options):
        raise ManageError("已有考生作答此题，不能增减选项；如需大改，请停用此题并新建一道题")
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
        regraded = services.regrade(session, question)
    session.flush()
    return QuestionUpdate(True, key_changed, regraded)


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


def import_questions(
    session: Session, bank: QuestionBank, data: bytes, filename: str
) -> ImportReport:
    """Import every question of an uploaded file (XLSX template, Moodle XML, GIFT, Aiken), or
    none: ImportRefused lists each problem."""
    parsed = formats.parse(data, filename)
    if not parsed.ok:
        raise ImportRefused(parsed.errors)
    added = [add_question(session, bank, question) for question in parsed.questions]
    return ImportReport(parsed.format, added, list(parsed.warnings))


EXPORT_FORMATS = {
    "xlsx": ("Excel 模板格式（.xlsx）", XLSX, "xlsx"),
    "gift": ("GIFT（.txt）", "text/plain; charset=utf-8", "gift.txt"),
    "moodle": ("Moodle XML（.xml）", "application/xml", "xml"),
}


def export_bank(session: Session, bank: QuestionBank, fmt: str) -> tuple[bytes, str, str]:
    """The bank's questions in use as a file: (content, MIME type, file name)."""
    if fmt not in EXPORT_FORMATS:
        raise ManageError("不支持的导出格式")
    questions = [question_data(q) for q in bank_questions(session, bank)]
    exporter = {
        "xlsx": export_xlsx,
        "gift": export_gift,
        "moodle": export_moodle_xml,
    }[fmt]
    content = exporter(questions)
    if isinstance(content, str):
        content = content.encode("utf-8")
    _, mimetype, suffix = EXPORT_FORMATS[fmt]
    return content, mimetype, f"{bank.name}.{suffix}"


def import_template() -> bytes:
    """The XLSX import template: its header row and an example of each question type."""
    return template_xlsx()


# --- Papers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperRow:
    """A paper with its party school (papers name their school by id only)."""

    paper: Paper
    school: PartySchool


def _paper_rows(session: Session, school_id: int | None) -> list[PaperRow]:
    stmt = shared_with(select(Paper, PartySchool), Paper.party_school_id, school_id)
    rows = session.execute(stmt.order_by(PartySchool.id, Paper.created_at.desc(), Paper.id))
    return [PaperRow(paper, school) for paper, school in rows]


def visible_papers(session: Session, user: User) -> list[PaperRow]:
    """The papers the user may see: their school's and the school level's."""
    return _paper_rows(session, school_scope(user))


def usable_papers(session: Session, school_id: int) -> list[PaperRow]:
    """Papers an exam of a class of this school may use: its own and the school level's."""
    return _paper_rows(session, school_id)


def paper_school(session: Session, paper: Paper) -> PartySchool:
    """The party school a paper belongs to."""
    return session.get(PartySchool, paper.party_school_id)


def paper_total(paper: Paper) -> Decimal:
    """The paper's full marks."""
    if paper.mode is PaperMode.FIXED:
        return sum((_points(i["points"]) for i in paper.items), Decimal(0))
    return sum((_points(i["points"]) * i["count"] for i in paper.items), Decimal(0))


def paper_question_count(paper: Paper) -> int:
    """How many questions each trainee gets."""
    if paper.mode is PaperMode.FIXED:
        return len(paper.items)
    return sum(i["count"] for i in paper.items)


def paper_in_use(session: Session, paper: Paper) -> bool:
    """True once anyone has been given this paper: its questions may no longer change."""
    return bool(
        session.scalar(
            select(exists().where(Attempt.exam_id == Exam.id, Exam.paper_id == paper.id))
        )
    )


def new_paper(session: Session, school: PartySchool, **values) -> Paper:
    """An empty paper of a party school."""
    paper = Paper(party_school_id=school.id, items=[], **values)
    session.add(paper)
    session.flush()
    return paper


def update_paper(session: Session, paper: Paper, **values) -> None:
    """Change a paper's title, mode (only while empty) and shuffle flags."""
    mode = values.get("mode", paper.mode)
    if mode != paper.mode and paper.items:
        raise ManageError("试卷已有题目或抽题规则，不能更改组卷方式")
    for name, value in values.items():
        setattr(paper, name, value)
    session.flush()


def _checked_points(value, label: str) -> Decimal:
    try:
        points = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ManageError(f"{label}的分值不是有效的数字") from None
    if not points.is_finite() or not Decimal(0) < points <= 100:
        raise ManageError(f"{label}的分值应大于 0 且不超过 100")
    if points != points.quantize(HUNDREDTH):
        raise ManageError(f"{label}的分值最多保留两位小数")
    return points


def _require_unused(session: Session, paper: Paper) -> None:
    if paper_in_use(session, paper):
        raise ManageError("已有考生使用此试卷，不能再修改题目；请复制为新试卷后修改")


def add_fixed_questions(session: Session, paper: Paper, picks: Sequence[tuple[int, object]]) -> int:
    """Append questions with their points to a fixed paper; returns how many were added."""
    if paper.mode is not PaperMode.FIXED:
        raise ManageError("按规则抽题的试卷不能直接选题")
    _require_unused(session, paper)
    present = {i["question_id"] for i in paper.items}
    wanted = [(qid, points) for qid, points in picks if qid not in present]
    questions = {
        q.id: q
        for q in session.scalars(
            select(Question)
            .options(joinedload(Question.bank).joinedload(QuestionBank.party_school))
            .where(Question.id.in_([qid for qid, _ in wanted]))
        )
    }
    items, problems = list(paper.items), []
    for qid, points in wanted:
        question = questions.get(qid)
        if question is None or not usable_by(question.bank.party_school, paper.party_school_id):
            problems.append(f"题目 #{qid} 不存在或不能用于本试卷")
            continue
        if question.is_retired:
            problems.append(f"题目 #{qid} 已停用")
            continue
        try:
            items.append({"question_id": qid, "points": str(_checked_points(points, f"#{qid}"))})
        except ManageError as error:
            problems += error.problems
    if problems:
        raise ManageError(problems)
    paper.items = items
    session.flush()
    return len(wanted)


@dataclass(frozen=True)
class RuleCheck:
    """A drawing rule of a paper, with how many questions its pool holds now."""

    rule: dict
    bank: QuestionBank | None
    available: int

    @property
    def is_enough(self) -> bool:
        """True when the pool holds at least as many questions as the rule draws."""
        return self.available >= self.rule["count"]


def _pool_size(session: Session, bank_id: int, kind: str, category: str) -> int:
    stmt = select(func.count(Question.id)).where(
        Question.bank_id == bank_id, Question.kind == kind, Question.is_retired.is_(False)
    )
    if category:
        stmt = stmt.where(Question.category == category)
    return session.scalar(stmt) or 0


def _overlaps(a: dict, b: dict) -> bool:
    """True when two rules could draw the same question (one trainee would get it twice)."""
    same_pool = a["bank_id"] == b["bank_id"] and a["kind"] == b["kind"]
    return same_pool and (not a["category"] or not b["category"] or a["category"] == b["category"])


def add_rule(
    session: Session,
    paper: Paper,
    *,
    bank: QuestionBank,
    kind: str,
    category: str,
    count: int,
    points,
) -> dict:
    """Add a drawing rule: `count` questions of `kind` (and `category`) from `bank`."""
    if paper.mode is not PaperMode.DRAWN:
        raise ManageError("固定试卷不能添加抽题规则")
    _require_unused(session, paper)
    if not usable_by(bank.party_school, paper.party_school_id):
        raise ManageError("不能使用这个题库")
    if kind not in set(QuestionType):
        raise ManageError("题型无效")
    if not 1 <= count <= MAX_RULE_COUNT:
        raise ManageError(f"抽题数量应在 1 到 {MAX_RULE_COUNT} 之间")
    rule = {
        "bank_id": bank.id,
        "kind": kind,
        "category": category.strip(),
        "count": count,
        "points": str(_checked_points(points, "抽题规则")),
    }
    if any(_overlaps(rule, other) for other in paper.items):
        raise ManageError(
            "与已有规则抽题范围重叠（同一题库、同一题型且知识点相同或不限），请合并为一条规则"
        )
    available = _pool_size(session, bank.id, kind, rule["category"])
    if available < count:
        where = f"知识点“{rule['category']}”的" if rule["category"] else ""
        raise ManageError(
            f"题库“{bank.name}”中{where}{QuestionType(kind).label}只有 {available} 道，"
            f"不足 {count} 道"
        )
    paper.items = [*paper.items, rule]
    session.flush()
    return rule


def check_rules(session: Session, paper: Paper) -> list[RuleCheck]:
    """Each drawing rule with the size of its pool now (retirements may have shrunk it)."""
    ids = {rule["bank_id"] for rule in paper.items}
    banks = {b.id: b for b in session.scalars(select(QuestionBank).where(QuestionBank.id.in_(ids)))}
    return [
        RuleCheck(
            rule,
            banks.get(rule["bank_id"]),
            _pool_size(session, rule["bank_id"], rule["kind"], rule["category"]),
        )
        for rule in paper.items
    ]


@dataclass(frozen=True)
class FixedItem:
    """A question of a fixed paper."""

    position: int
    question: Question | None
    points: Decimal

    @property
    def data(self) -> QuestionData | None:
        """The question's content."""
        return question_data(self.question) if self.question else None


def fixed_items(session: Session, paper: Paper) -> list[FixedItem]:
    """The questions of a fixed paper, in order."""
    ids = [i["question_id"] for i in paper.items]
    questions = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(ids)))}
    return [
        FixedItem(n, questions.get(i["question_id"]), _points(i["points"]))
        for n, i in enumerate(paper.items)
    ]


def paper_problems(session: Session, paper: Paper) -> list[str]:
    """Every reason an exam could not use this paper now."""
    problems = []
    if not paper.items:
        problems.append("试卷还没有题目")
    if paper.mode is PaperMode.FIXED:
        for item in fixed_items(session, paper):
            if item.question is None:
                problems.append(f"第 {item.position + 1} 题已被删除")
            elif item.question.is_retired:
                problems.append(f"第 {item.position + 1} 题已停用")
    else:
        for n, check in enumerate(check_rules(session, paper), start=1):
            if not check.is_enough:
                problems.append(
                    f"第 {n} 条规则要抽 {check.rule['count']} 道，题库中只有 {check.available} 道"
                )
    return problems


def update_items(
    session: Session, paper: Paper, points: dict[int, object], remove: set[int]
) -> None:
    """Change the points of items (by position) and remove some."""
    _require_unused(session, paper)
    items, problems = [], []
    for position, item in enumerate(paper.items):
        if position in remove:
            continue
        if position in points:
            try:
                value = _checked_points(points[position], f"第 {position + 1} 项")
            except ManageError as error:
                problems += error.problems
                continue
            item = {**item, "points": str(value)}
        items.append(item)
    if problems:
        raise ManageError(problems)
    paper.items = items
    session.flush()


def copy_paper(session: Session, paper: Paper, user: User) -> Paper:
    """A copy of a paper to change without touching exams already taken: in the paper's own
    school when the user may edit it there, else in the user's school. (A copy never moves a
    branch's questions up to the school level, where every branch would see them.)"""
    own = paper_school(session, paper)
    school = own if can_see_school(user, own.id) else user.party_school
    copy = Paper(
        party_school_id=school.id,
        title=f"{paper.title}（副本）"[:200],
        mode=paper.mode,
        items=[dict(i) for i in paper.items],
        shuffle_questions=paper.shuffle_questions,
        shuffle_options=paper.shuffle_options,
    )
    session.add(copy)
    session.flush()
    return copy


# --- Exams ------------------------------------------------------------------------------------


def class_exams(session: Session, training_class: TrainingClass) -> list[Exam]:
    """The exams of a class, formal ones first, by opening time."""
    return list(
        session.scalars(
            select(Exam)
            .options(joinedload(Exam.paper))
            .where(Exam.class_id == training_class.id)
            .order_by(Exam.kind, Exam.opens_at, Exam.id)
        )
    )


def exam_counts(session: Session, classes: Sequence[TrainingClass]) -> dict[int, int]:
    """How many exams each class has."""
    stmt = (
        select(Exam.class_id, func.count(Exam.id))
        .where(Exam.class_id.in_([c.id for c in classes]))
        .group_by(Exam.class_id)
    )
    return dict(session.execute(stmt).all())


@dataclass
class ExamValues:
    """What a staff member sets on an exam."""

    title: str
    paper_id: int
    kind: ExamKind
    opens_at: datetime
    closes_at: datetime
    time_limit_minutes: int
    max_attempts: int
    pass_mark: Decimal
    review_policy: ReviewPolicy
    multiple_partial_credit: bool


def save_exam(
    session: Session, training_class: TrainingClass, exam: Exam | None, values: ExamValues
) -> tuple[Exam, int]:
    """Create or change an exam of a class; returns it and how many attempts were regraded
    (turning partial credit on or off regrades what was submitted)."""
    problems = []
    paper = session.get(Paper, values.paper_id)
    if paper is None or not usable_by(paper_school(session, paper), training_class.party_school_id):
        problems.append("请选择本分党校或校党校的试卷")
    elif exam is None or exam.paper_id != paper.id:
        problems += paper_problems(session, paper)
    started = exam is not None and bool(
        session.scalar(select(exists().where(Attempt.exam_id == exam.id)))
    )
    if started and exam.paper_id != values.paper_id:
        problems.append("已有考生参加此考试，不能更换试卷")
    if values.closes_at <= values.opens_at:
        problems.append("结束时间必须晚于开始时间")
    if not 1 <= values.time_limit_minutes <= MAX_TIME_LIMIT:
        problems.append(f"考试时长应在 1 到 {MAX_TIME_LIMIT} 分钟之间")
    if not 1 <= values.max_attempts <= MAX_ATTEMPTS:
        problems.append(f"考试次数应在 1 到 {MAX_ATTEMPTS} 次之间")
    if paper is not None:
        total = paper_total(paper)
        if not Decimal(0) < values.pass_mark <= total:
            problems.append(f"及格分应大于 0 且不超过试卷总分 {total}")
    if problems:
        raise ManageError(problems)
    regrade = started and exam.multiple_partial_credit != values.multiple_partial_credit
    if exam is None:
        exam = Exam(training_class=training_class)
        session.add(exam)
    for name, value in vars(values).items():
        setattr(exam, name, value)
    exam.paper = paper
    session.flush()
    regraded = 0
    if regrade:
        for attempt in session.scalars(
            select(Attempt).where(
                Attempt.exam_id == exam.id, Attempt.status == AttemptStatus.SUBMITTED
            )
        ):
            services.grade_attempt(session, attempt)
            regraded += 1
    return exam, regraded


# --- Grading essays ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GradingItem:
    """An answer waiting for (or given) an instructor's grade, with what was asked."""

    answer: Answer | None
    attempt: Attempt
    question: QuestionData
    points: Decimal
    number: int  # the question's place in the attempt, from 1

    @property
    def candidate(self) -> Candidate:
        """The trainee who answered."""
        return self.attempt.enrolment.candidate


def _as_asked(item: dict) -> QuestionData:
    """The question in the trainee's option order, in which their response is stored."""
    question, _ = permute(from_json(item["data"]), item["order"])
    return question


def grading_item(answer: Answer, attempt: Attempt) -> GradingItem:
    """The answer with the question as this attempt asked it."""
    for number, item in enumerate(attempt.items, start=1):
        if item["question_id"] == answer.question_id:
            return GradingItem(answer, attempt, _as_asked(item), _points(item["points"]), number)
    raise LookupError(f"answer {answer.id} is not of attempt {attempt.id}")


def grading_queue(session: Session, exam: Exam) -> tuple[list[GradingItem], list[GradingItem]]:
    """Submitted answers of the exam that await a grade, and those an instructor graded."""
    rows = session.execute(
        select(Answer, Attempt)
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .options(joinedload(Attempt.enrolment).joinedload(Enrolment.candidate))
        .where(
            Attempt.exam_id == exam.id,
            Attempt.status == AttemptStatus.SUBMITTED,
            or_(Answer.is_final.is_(False), Answer.graded_by_id.is_not(None)),
        )
        .order_by(Attempt.submitted_at, Attempt.id, Answer.id)
    ).all()
    items = [grading_item(answer, attempt) for answer, attempt in rows]
    pending = [i for i in items if not i.answer.is_final]
    graded = [i for i in items if i.answer.is_final]
    return pending, graded


def pending_counts(session: Session, exams: Sequence[Exam]) -> dict[int, int]:
    """How many submitted answers of each exam wait for an instructor."""
    stmt = (
        select(Attempt.exam_id, func.count(Answer.id))
        .join(Answer, Answer.attempt_id == Attempt.id)
        .where(
            Attempt.exam_id.in_([e.id for e in exams]),
            Attempt.status == AttemptStatus.SUBMITTED,
            Answer.is_final.is_(False),
        )
        .group_by(Attempt.exam_id)
    )
    return dict(session.execute(stmt).all())


def grade_answer(session: Session, answer: Answer, score, comment: str, grader: User) -> Attempt:
    """An instructor's grade of an answer (0..points): it is final, and the attempt's total
    is refreshed."""
    attempt = session.get(Attempt, answer.attempt_id)
    if attempt.status is not AttemptStatus.SUBMITTED:
        raise ManageError("考生尚未交卷，不能评分")
    item = grading_item(answer, attempt)
    try:
        result = manual_grade(score, item.points, comment)
    except ValueError as error:
        raise ManageError(str(error)) from error
    answer.score, answer.is_final = result.score, True
    answer.grader_comment, answer.graded_by_id = comment.strip(), grader.id
    services.grade_attempt(session, attempt)
    return attempt


# --- Results and statistics -------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A band of scores (percent of full marks) and how many trainees fell into it."""

    low: int
    high: int
    count: int

    @property
    def label(self) -> str:
        """How the band reads: 60–69, and 90–100 for the top band."""
        return f"{self.low}–{self.high if self.high == 100 else self.high - 1}"


def distribution(percents: Iterable[Decimal], width: int = 10) -> list[Band]:
    """Counts per band of `width` percentage points; 100 falls into the top band."""
    counts = Counter(min(int(p // width), 100 // width - 1) for p in percents)
    return [Band(low, low + width, counts.get(low // width, 0)) for low in range(0, 100, width)]


@dataclass(frozen=True)
class Response:
    """One examinee's counted attempt, for item statistics."""

    total: Decimal  # percent of full marks
    items: dict[int, tuple[Decimal, Decimal]]  # question id -> (score, points), final only


@dataclass(frozen=True)
class ItemStat:
    """Classical item statistics of one question."""

    question_id: int
    answered: int  # examinees who were given it and whose answer is graded
    mean: Decimal | None
    points: Decimal | None
    difficulty: float | None  # mean score / points (the higher, the easier)
    discrimination: float | None  # upper 27% minus lower 27% mean proportion


def group_size(examinees: int) -> int:
    """The size of the upper and lower groups: 27% of the examinees, at least one."""
    return max(1, math.floor(examinees * GROUP_SHARE + 0.5)) if examinees >= 2 else 0


def _proportion(responses: Iterable[Response], question_id: int) -> float | None:
    shares = [
        float(r.items[question_id][0] / r.items[question_id][1])
        for r in responses
        if question_id in r.items and r.items[question_id][1] > 0
    ]
    return sum(shares) / len(shares) if shares else None


def item_statistics(responses: Sequence[Response], order: Sequence[int]) -> list[ItemStat]:
    """Difficulty and discrimination of each question in `order`.

    Difficulty is the mean score over the points. Discrimination ranks examinees by total,
    takes the upper and lower 27% (Kelley), and subtracts the lower group's mean proportion of
    the item's points from the upper group's; examinees not given the item are left out.
    """
    ranked = sorted(responses, key=lambda r: r.total, reverse=True)
    size = group_size(len(ranked))
    upper, lower = ranked[:size], ranked[len(ranked) - size :] if size else []
    stats = []
    for question_id in order:
        given = [r.items[question_id] for r in responses if question_id in r.items]
        if not given:
            stats.append(ItemStat(question_id, 0, None, None, None, None))
            continue
        points = max(p for _, p in given)
        mean = sum((s for s, _ in given), Decimal(0)) / len(given)
        high, low = _proportion(upper, question_id), _proportion(lower, question_id)
        stats.append(
            ItemStat(
                question_id,
                len(given),
                _hundredth(mean),
                points,
                float(mean / points) if points > 0 else None,
                high - low if high is not None and low is not None else None,
            )
        )
    return stats


@dataclass(frozen=True)
class TraineeResult:
    """A trainee's standing in one exam."""

    enrolment: Enrolment
    attempts: int
    best: Attempt | None

    @property
    def candidate(self) -> Candidate:
        """The trainee."""
        return self.enrolment.candidate

    @property
    def percent(self) -> Decimal | None:
        """The best score as a percentage of full marks."""
        if self.best is None or self.best.score is None or not self.best.max_score:
            return None
        return _hundredth(self.best.score * 100 / self.best.max_score)

    @property
    def passed(self) -> bool | None:
        """Whether the best attempt reached the pass mark (None: not taken)."""
        if self.best is None:
            return None
        return (self.best.score or 0) >= self.best.exam.pass_mark

    @property
    def is_pending(self) -> bool:
        """True when the best attempt still has answers for an instructor to grade."""
        return self.best is not None and not self.best.is_fully_graded


@dataclass(frozen=True)
class QuestionInfo:
    """What the statistics table shows of a question: as an attempt was given it."""

    question_id: int
    number: int
    type: QuestionType
    stem: str
    category: str


@dataclass
class ExamResults:
    """An exam's results: each trainee's best attempt, the distribution, item statistics."""

    exam: Exam
    rows: list[TraineeResult]
    bands: list[Band]
    items: list[tuple[QuestionInfo, ItemStat]]
    pending_answers: int = 0
    taken: list[TraineeResult] = field(init=False)

    def __post_init__(self):
        self.taken = [r for r in self.rows if r.best is not None]

    @property
    def passed_count(self) -> int:
        """How many trainees passed."""
        return sum(1 for r in self.taken if r.passed)

    @property
    def mean_percent(self) -> Decimal | None:
        """The mean best score, as a percentage."""
        values = [r.percent for r in self.taken if r.percent is not None]
        return _hundredth(sum(values, Decimal(0)) / len(values)) if values else None

    @property
    def highest_band(self) -> int:
        """The largest band count (the chart's scale), at least 1."""
        return max([b.count for b in self.bands] + [1])


def best_attempt(attempts: Iterable[Attempt]) -> Attempt | None:
    """The attempt that counts: the highest score, the earliest among equals."""
    submitted = [a for a in attempts if a.status is AttemptStatus.SUBMITTED]
    return max(submitted, key=lambda a: (a.score or 0, -a.number), default=None)


def exam_results(session: Session, exam: Exam) -> ExamResults:
    """Results of an exam for its class's admitted trainees (and anyone else who sat it)."""
    attempts = session.scalars(
        select(Attempt)
        .options(selectinload(Attempt.answers))
        .where(Attempt.exam_id == exam.id)
        .order_by(Attempt.number)
    ).all()
    by_enrolment: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_enrolment[attempt.enrolment_id].append(attempt)
    enrolments = session.scalars(
        select(Enrolment)
        .join(Enrolment.candidate)
        .options(joinedload(Enrolment.candidate))
        .where(
            Enrolment.class_id == exam.class_id,
            or_(Enrolment.status == EnrolmentStatus.APPROVED, Enrolment.id.in_(list(by_enrolment))),
        )
        .order_by(Candidate.student_no)
    ).all()
    rows = [
        TraineeResult(
            e,
            sum(1 for a in by_enrolment[e.id] if a.status is AttemptStatus.SUBMITTED),
            best_attempt(by_enrolment[e.id]),
        )
        for e in enrolments
    ]
    counted = [r.best for r in rows if r.best is not None]
    responses, infos, pending = [], {}, 0
    for attempt in counted:
        answers = {a.question_id: a for a in attempt.answers}
        scored = {}
        for number, item in enumerate(attempt.items, start=1):
            qid = item["question_id"]
            data = from_json(item["data"])
            infos.setdefault(qid, QuestionInfo(qid, number, data.type, data.stem, data.category))
            answer = answers.get(qid)
            if answer is not None and answer.is_final:
                scored[qid] = (answer.score or Decimal(0), _points(item["points"]))
            else:
                pending += 1
        percent = (
            (attempt.score or 0) * 100 / attempt.max_score if attempt.max_score else Decimal(0)
        )
        responses.append(Response(percent, scored))
    order = _question_order(exam.paper, infos)
    stats = item_statistics(responses, order)
    return ExamResults(
        exam=exam,
        rows=rows,
        bands=distribution(r.percent for r in rows if r.percent is not None),
        items=[(infos[s.question_id], s) for s in stats],
        pending_answers=pending,
    )


def _question_order(paper: Paper, infos: dict[int, QuestionInfo]) -> list[int]:
    """Questions in the paper's order when it is fixed, else by type and id."""
    if paper.mode is PaperMode.FIXED:
        listed = [i["question_id"] for i in paper.items if i["question_id"] in infos]
        return listed + sorted(set(infos) - set(listed))
    kinds = list(QuestionType)
    return sorted(infos, key=lambda qid: (kinds.index(infos[qid].type), qid))


RESULT_HEADERS = ["学号", "姓名", "交卷次数", "最高分", "满分", "得分率(%)", "是否及格", "待评阅"]
ITEM_HEADERS = [
    "题目编号",
    "题型",
    "知识点",
    "题干",
    "作答人数",
    "平均得分",
    "分值",
    "难度",
    "区分度",
]


def results_xlsx(results: ExamResults) -> bytes:
    """Each trainee's result as an .xlsx (text is never taken as a formula)."""
    rows = [
        [
            r.candidate.student_no,
            r.candidate.name,
            r.attempts,
            r.best.score if r.best else None,
            r.best.max_score if r.best else None,
            r.percent,
            {True: "及格", False: "不及格", None: "未参加"}[r.passed],
            "是" if r.is_pending else "",
        ]
        for r in results.rows
    ]
    return write_xlsx(RESULT_HEADERS, rows, f"{results.exam.title}成绩")


def items_xlsx(results: ExamResults) -> bytes:
    """The item statistics as an .xlsx."""
    rows = [
        [
            info.question_id,
            info.type.label,
            info.category,
            info.stem,
            stat.answered,
            stat.mean,
            stat.points,
            None if stat.difficulty is None else round(stat.difficulty, 3),
            None if stat.discrimination is None else round(stat.discrimination, 3),
        ]
        for info, stat in results.items
    ]
    return write_xlsx(ITEM_HEADERS, rows, f"{results.exam.title}试题分析")


def attempt_review(attempt: Attempt) -> list[GradingItem]:
    """Every question of an attempt as it was asked, with the answer (None: never saved)."""
    answers = {a.question_id: a for a in attempt.answers}
    return [
        GradingItem(
            answers.get(item["question_id"]),
            attempt,
            _as_asked(item),
            _points(item["points"]),
            number,
        )
        for number, item in enumerate(attempt.items, start=1)
    ]
