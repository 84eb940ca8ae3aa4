"""The organizers' completion figures: per class, per branch school, and as a spreadsheet."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from courses.models import TrainingClass
from partyschool.certificates.services import Standing, class_standings


@dataclass(frozen=True)
class Summary:
    """How far a class's trainees are: each gate's count, and certificates issued."""

    training_class: TrainingClass
    enrolled: int
    hours_complete: int
    exam_passed: int
    report_passed: int
    issued: int
    blocked: int

    @property
    def rate(self) -> float:
        """Share of trainees holding a certificate, 0..1."""
        return self.issued / self.enrolled if self.enrolled else 0.0


def summarize(training_class: TrainingClass, standings: Sequence[Standing]) -> Summary:
    """Count the gates of one class."""
    return Summary(
        training_class=training_class,
        enrolled=len(standings),
        hours_complete=sum(s.hours.is_complete for s in standings),
        exam_passed=sum(bool(s.grade.passed) for s in standings),
        report_passed=sum(s.report_ok for s in standings),
        issued=sum(s.certificate is not None for s in standings),
        blocked=sum(s.certificate is None and not s.may_issue for s in standings),
    )


def summaries(session: Session, classes: Iterable[TrainingClass], today: date) -> list[Summary]:
    """The summary of every class given."""
    return [summarize(c, class_standings(session, c, today)) for c in classes]


@dataclass(frozen=True)
class SchoolSummary:
    """A branch school's classes added up."""

    name: str
    enrolled: int
    issued: int

    @property
    def rate(self) -> float:
        """Share of its trainees holding a certificate, 0..1."""
        return self.issued / self.enrolled if self.enrolled else 0.0


def by_school(rows: Sequence[Summary]) -> list[SchoolSummary]:
    """The class summaries added up per party school."""
    totals: dict[str, list[int]] = {}
    for row in rows:
        entry = totals.setdefault(row.training_class.party_school.name, [0, 0])
        entry[0] += row.enrolled
        entry[1] += row.issued
    return [SchoolSummary(name, enrolled, issued) for name, (enrolled, issued) in totals.items()]


HEADERS = [
    "学号",
    "姓名",
    "学时",
    "要求学时",
    "总评",
    "成绩合格",
    "心得通过",
    "档案无阻碍",
    "证书编号",
    "不能结业的原因",
]


def rows(standings: Sequence[Standing]) -> list[list]:
    """The class's completion view as spreadsheet rows."""
    return [
        [
            s.enrolment.candidate.student_no,
            s.enrolment.candidate.name,
            float(s.hours.total),
            float(s.hours.required),
            float(s.grade.total),
            "是" if s.grade.passed else "否",
            "是" if s.report_ok else "否",
            "是" if s.record.eligible else "否",
            s.certificate.serial if s.certificate else "",
            "；".join(s.reasons),
        ]
        for s in standings
    ]
