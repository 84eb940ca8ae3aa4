"""Question banks, papers, exams of training classes, attempts and answers."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Enrolment, TrainingClass
from exams.questions import QuestionData, as_points, from_json
from partyschool.audit import Audited
from partyschool.extensions import db, enum_column, utcnow
from partyschool.organization.models import PartySchool


class QuestionBank(db.Model):
    """A question bank (题库) of the school level or one branch school."""

    __tablename__ = "question_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    party_school: Mapped[PartySchool] = relationship()
    questions: Mapped[list["Question"]] = relationship(
        back_populates="bank", order_by="Question.id", cascade="all, delete-orphan"
    )


class Question(db.Model):
    """One question; its content is `exams.questions.QuestionData` as JSON.

    Correcting a key bumps `revision`; attempts keep their own copy of what they were asked.
    """

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(100), default="", index=True)
    data: Mapped[dict] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(default=1)
    is_retired: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    bank: Mapped[QuestionBank] = relationship(back_populates="questions")

    @property
    def content(self) -> QuestionData:
        """The question's content as plain data."""
        return from_json(self.data)


class PaperMode(StrEnum):
    """A fixed list of questions, or questions drawn by rules for each trainee."""

    FIXED = "fixed"
    DRAWN = "drawn"


class Paper(db.Model):
    """An exam paper (试卷): fixed items or drawing rules."""

    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_school_id: Mapped[int] = mapped_column(ForeignKey("party_schools.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    mode: Mapped[PaperMode] = mapped_column(enum_column(PaperMode))
    # Fixed: [{"question_id", "points"}].
    # Drawn: [{"bank_id", "category", "kind", "count", "points"}], drawn afresh per trainee.
    items: Mapped[list[dict]] = mapped_column(JSON)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    party_school: Mapped[PartySchool] = relationship()

    @property
    def total_points(self) -> Decimal:
        """The paper's full marks."""
        if self.mode is PaperMode.FIXED:
            return sum((as_points(i["points"]) for i in self.items), Decimal(0))
        return sum((as_points(i["points"]) * i["count"] for i in self.items), Decimal(0))

    @property
    def question_count(self) -> int:
        """How many questions each trainee gets."""
        if self.mode is PaperMode.FIXED:
            return len(self.items)
        return sum(i["count"] for i in self.items)


class ReviewPolicy(StrEnum):
    """What a trainee sees after submitting."""

    NOTHING = "nothing"
    SCORE = "score"
    ANSWERS_AFTER_CLOSE = "answers_after_close"


class ExamKind(StrEnum):
    """A formal exam or a makeup (补考)."""

    FORMAL = "formal"
    MAKEUP = "makeup"


class Exam(db.Model):
    """An exam of a training class: window, time limit, attempts, pass mark, review policy."""

    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("training_classes.id"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ExamKind] = mapped_column(enum_column(ExamKind), default=ExamKind.FORMAL)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    time_limit_minutes: Mapped[int]
    max_attempts: Mapped[int] = mapped_column(default=1)
    pass_mark: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    review_policy: Mapped[ReviewPolicy] = mapped_column(
        enum_column(ReviewPolicy), default=ReviewPolicy.SCORE
    )
    multiple_partial_credit: Mapped[bool] = mapped_column(default=False)
    # Answers given before the deadline but received within this many seconds after it count
    # by themselves; later ones are kept apart until an instructor accepts them.
    late_grace_seconds: Mapped[int] = mapped_column(default=0, server_default="0")

    training_class: Mapped[TrainingClass] = relationship()
    paper: Mapped[Paper] = relationship()


class AttemptStatus(StrEnum):
    """Where an attempt stands."""

    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class Attempt(db.Model):
    """One sitting of an exam by a trainee, with what they were asked (a reproducible draw)."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("exam_id", "enrolment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    number: Mapped[int]
    seed: Mapped[str] = mapped_column(String(64))
    # [{"question_id", "revision", "points", "order": [option permutation], "data": {...}}]
    items: Mapped[list[dict]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    status: Mapped[AttemptStatus] = mapped_column(
        enum_column(AttemptStatus), default=AttemptStatus.IN_PROGRESS, index=True
    )
    score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    max_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    is_fully_graded: Mapped[bool] = mapped_column(default=False)

    exam: Mapped[Exam] = relationship()
    enrolment: Mapped[Enrolment] = relationship()
    answers: Mapped[list["Answer"]] = relationship(cascade="all, delete-orphan")
    late_answers: Mapped[list["LateAnswer"]] = relationship(
        cascade="all, delete-orphan", order_by="LateAnswer.question_id"
    )


class Answer(Audited, db.Model):
    """A trainee's answer to one question of an attempt, saved as given."""

    __tablename__ = "answers"
    audit_title = "主观题评分"
    audit_labels = MappingProxyType(
        {"score": "得分", "grader_comment": "评语", "is_final": "已评定"}
    )
    audit_ignores = frozenset({"response", "saved_at"})

    def audit_wanted(self) -> bool:
        """Only an instructor's grade is a decision; saved answers are the attempt's own."""
        return self.graded_by_id is not None

    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    response: Mapped[object | None] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    is_final: Mapped[bool] = mapped_column(default=False)
    grader_comment: Mapped[str] = mapped_column(Text, default="")
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LateAnswer(db.Model):
    """An answer that reached the server after the attempt's deadline (and its grace), kept
    apart from the attempt's answers: it counts only once an instructor accepts it."""

    __tablename__ = "late_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    response: Mapped[object | None] = mapped_column(JSON)
    # When the trainee's page says the answer was given: a claim, shown to the instructor.
    answered_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def is_accepted(self) -> bool:
        """True once an instructor let the answer count."""
        return self.accepted_at is not None
