"""Exam papers (试卷): fixed lists of questions with points, or drawing rules; copies; and what
would stop an exam from using one. Functions take the session first and only flush."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload

from exams.errors import ManageError
from exams.models import Attempt, Exam, Paper, PaperMode, Question, QuestionBank
from exams.questions import QuestionData, QuestionType, as_points
from partyschool.access import can_see_school, school_scope, shared_with
from partyschool.accounts.models import User
from partyschool.organization.models import PartySchool

MAX_RULE_COUNT = 200
HUNDREDTH = Decimal("0.01")


def usable_by(source_school: PartySchool, target_school_id: int) -> bool:
    """True when a bank or paper of `source_school` may serve a paper or class of the target."""
    return source_school.id == target_school_id or source_school.is_school_level


@dataclass(frozen=True)
class PaperRow:
    """A paper with its party school, as the lists show it."""

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


def _checkedas_points(value, label: str) -> Decimal:
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
            items.append({"question_id": qid, "points": str(_checkedas_points(points, f"#{qid}"))})
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
        "points": str(_checkedas_points(points, "抽题规则")),
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
        return self.question.content if self.question else None


def fixed_items(session: Session, paper: Paper) -> list[FixedItem]:
    """The questions of a fixed paper, in order."""
    ids = [i["question_id"] for i in paper.items]
    questions = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(ids)))}
    return [
        FixedItem(n, questions.get(i["question_id"]), as_points(i["points"]))
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
                value = _checkedas_points(points[position], f"第 {position + 1} 项")
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
    own = paper.party_school
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
