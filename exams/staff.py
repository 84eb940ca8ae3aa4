"""What every staff page of the exams shares: loading records within the user's scope, file
downloads, and the names the exam-management templates use."""

import io

from flask import abort, send_file

from courses.models import TrainingClass
from exams.formats import EXPORT_FORMATS
from exams.models import Answer, Attempt, Exam, LateAnswer, Paper, Question, QuestionBank
from exams.question_types import key_text, response_text
from exams.questions import QuestionType, option_letter
from partyschool.access import get_scoped
from partyschool.extensions import db


def template_helpers() -> dict:
    """Names every exam-management template uses; each staff blueprint adds them."""
    return {
        "QuestionType": QuestionType,
        "key_text": key_text,
        "response_text": response_text,
        "option_letter": option_letter,
        "EXPORT_FORMATS": EXPORT_FORMATS,
    }


def load_bank(bank_id: int, *, edit: bool = False) -> QuestionBank:
    """The bank; 404 when the user may not see it, 403 when they may see but not edit it."""
    return get_scoped(QuestionBank, bank_id, shared=True, editable=edit)


def load_question(question_id: int, *, edit: bool = False) -> Question:
    """The question, scoped by its bank."""
    question = get_scoped(Question, question_id, lambda q: q.bank.party_school, shared=True)
    load_bank(question.bank_id, edit=edit)
    return question


def load_paper(paper_id: int, *, edit: bool = False) -> Paper:
    """The paper; shared like banks."""
    return get_scoped(Paper, paper_id, lambda paper: paper.party_school, shared=True, editable=edit)


def load_class(class_id: int) -> TrainingClass:
    """A training class of the user's party school."""
    return get_scoped(TrainingClass, class_id)


def load_exam(exam_id: int) -> Exam:
    """An exam of a class of the user's party school."""
    return get_scoped(Exam, exam_id, lambda exam: exam.training_class.party_school)


def load_attempt(attempt_id: int) -> Attempt:
    """An attempt at an exam the user may manage."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        abort(404)
    load_exam(attempt.exam_id)
    return attempt


def load_answer(answer_id: int) -> Answer:
    """An answer of an attempt the user may manage."""
    answer = db.session.get(Answer, answer_id)
    if answer is None:
        abort(404)
    load_attempt(answer.attempt_id)
    return answer


def load_late_answer(late_id: int) -> LateAnswer:
    """A late answer of an attempt the user may manage."""
    late = db.session.get(LateAnswer, late_id)
    if late is None:
        abort(404)
    load_attempt(late.attempt_id)
    return late


def download(content: bytes, mimetype: str, name: str):
    """A file to save, never sniffed or cached by shared caches."""
    response = send_file(
        io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response
