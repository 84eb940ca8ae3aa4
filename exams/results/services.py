"""An exam's results: each trainee's best attempt, the score distribution, item statistics,
their spreadsheets, and one attempt question by question."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from courses.models import Enrolment, EnrolmentStatus
from exams.attempts.services import finalize_overdue, question_as_asked
from exams.marking.services import GradingItem
from exams.models import Attempt, AttemptStatus, Exam, LateAnswer, Paper, PaperMode
from exams.questions import QuestionType, as_points, from_json
from exams.results.statistics import (
    Band,
    ItemStat,
    Response,
    distribution,
    hundredth,
    item_statistics,
)
from partyschool.candidates.models import Candidate
from partyschool.extensions import utcnow
from partyschool.spreadsheets import write_xlsx


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
        return hundredth(self.best.score * 100 / self.best.max_score)

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
        return hundredth(sum(values, Decimal(0)) / len(values)) if values else None

    @property
    def highest_band(self) -> int:
        """The largest band count (the chart's scale), at least 1."""
        return max([b.count for b in self.bands] + [1])


def best_attempt(attempts: Iterable[Attempt]) -> Attempt | None:
    """The attempt that counts: the highest score, the earliest among equals."""
    submitted = [a for a in attempts if a.status is AttemptStatus.SUBMITTED]
    return max(submitted, key=lambda a: (a.score or 0, -a.number), default=None)


def exam_results(session: Session, exam: Exam) -> ExamResults:
    """Results of an exam for its class's admitted trainees (and anyone else who sat it),
    after submitting its abandoned attempts past their deadline."""
    finalize_overdue(session, utcnow(), exam_ids=[exam.id])
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
                scored[qid] = (answer.score or Decimal(0), as_points(item["points"]))
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
            question_as_asked(item),
            as_points(item["points"]),
            number,
        )
        for number, item in enumerate(attempt.items, start=1)
    ]


def late_review(attempt: Attempt) -> list[tuple[GradingItem, LateAnswer]]:
    """The attempt's answers that arrived after the deadline, each with its question."""
    items = {item.number: item for item in attempt_review(attempt)}
    numbers = {item["question_id"]: n for n, item in enumerate(attempt.items, start=1)}
    return [(items[numbers[late.question_id]], late) for late in attempt.late_answers]
