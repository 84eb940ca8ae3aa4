"""Sample questions and the steps the staff-page tests of the exams repeat."""

from datetime import timedelta
from decimal import Decimal

from exams.attempts import services as attempts
from exams.models import (
    Attempt,
)
from exams.questions import QuestionData, QuestionType
from partyschool.extensions import BEIJING, utcnow
from tests.factories import (
    make_candidate,
    make_enrolment,
)

D = Decimal
SINGLE = QuestionData(
    type=QuestionType.SINGLE,
    stem="党的根本组织原则是（  ）",
    options=("民主集中制", "集体领导", "个人分工负责", "少数服从多数"),
    answer=0,
    category="党章",
)
MULTIPLE = QuestionData(
    type=QuestionType.MULTIPLE,
    stem="“三个经历”包括（  ）",
    options=("志愿服务", "暑期社会实践", "带动班级学风建设", "出国交流"),
    answer=(0, 1, 2),
    category="发展党员",
)
TRUE_FALSE = QuestionData(
    type=QuestionType.TRUE_FALSE, stem="预备党员的预备期为一年。", answer=True, category="党章"
)
FILL = QuestionData(
    type=QuestionType.FILL,
    stem="党的最高理想和最终目标是实现____。",
    answer=(("共产主义",),),
    category="党章",
)
ESSAY = QuestionData(
    type=QuestionType.ESSAY, stem="谈谈你的入党动机。", answer="端正动机", category="党性修养"
)
ALL = (SINGLE, MULTIPLE, TRUE_FALSE, FILL, ESSAY)
RIGHT = {"single": 0, "multiple": [0, 1, 2], "true_false": True, "fill": ["共产主义"]}
WRONG = {"single": 3, "multiple": [3], "true_false": False, "fill": ["社会主义"]}


def trainee(session, klass, name=None):
    candidate = make_candidate(session, klass.party_school, **({"name": name} if name else {}))
    return make_enrolment(session, klass, candidate)


def take(session, exam, enrolment, responses: dict) -> Attempt:
    """Start, answer (by question type) and submit an attempt."""
    now = utcnow()
    attempt = attempts.start(session, exam, enrolment, now)
    for item in attempt.items:
        kind = item["data"]["type"]
        if kind in responses:
            attempts.save(session, attempt, item["question_id"], responses[kind], now)
    attempts.submit(session, attempt, now)
    session.flush()
    return attempt


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def exam_form(paper, **overrides):
    opens = utcnow().astimezone(BEIJING).replace(tzinfo=None, second=0, microsecond=0)
    values = {
        "title": "结业考试",
        "paper_id": str(paper.id),
        "kind": "formal",
        "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (opens + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "time_limit_minutes": "90",
        "max_attempts": "2",
        "pass_mark": "60",
        "review_policy": "answers_after_close",
        "late_grace_seconds": "0",
    }
    return values | overrides
