"""Aiken, the simplest text format of choice questions: reading it."""

import re
from dataclasses import dataclass, field

from exams.formats.common import MAX_QUESTIONS, Collector, ParseResult, nfkc, too_many
from exams.question_types import parse_letters
from exams.questions import QuestionData, QuestionType, option_letter

OPTION_LINE = re.compile(r"([A-Za-zＡ-Ｚａ-ｚ])\s*[.)．、）]\s*(.*)", re.S)
ANSWER_LINE = re.compile(r"(?:ANSWER|答案)\s*[:：]\s*(.*)", re.I | re.S)


@dataclass
class _AikenQuestion:
    line: int
    stem: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    problem: str = ""


def parse_aiken(text: str, max_questions: int = MAX_QUESTIONS) -> ParseResult:
    """Questions from Aiken text."""
    collector = Collector("aiken")
    pending: _AikenQuestion | None = None
    number = 0

    def finish(question: _AikenQuestion, answer_text: str | None) -> None:
        label = f"第 {number} 题（第 {question.line} 行）"
        if question.problem:
            collector.error(number, label, question.problem)
        elif answer_text is None:
            collector.error(number, label, "缺少答案行（如“ANSWER: B”），每道题的选项之后都要有")
        elif len(question.options) < 2:
            collector.error(number, label, "至少需要 2 个选项（每行一个，如“A. 民主集中制”）")
        else:
            try:
                indices = parse_letters(answer_text, len(question.options))
            except ValueError as exc:
                collector.error(number, label, str(exc))
                return
            kind = QuestionType.SINGLE if len(indices) == 1 else QuestionType.MULTIPLE
            collector.add(
                number,
                label,
                QuestionData(
                    type=kind,
                    stem="\n".join(question.stem),
                    options=tuple(question.options),
                    answer=indices[0] if len(indices) == 1 else indices,
                ),
            )

    for line_number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        answer = ANSWER_LINE.fullmatch(line)
        option = OPTION_LINE.fullmatch(line)
        if answer:
            if pending is None:
                number += 1
                collector.error(
                    number, f"第 {number} 题（第 {line_number} 行）", "答案行之前没有题干和选项"
                )
                continue
            finish(pending, answer.group(1))
            pending = None
        elif option and pending is not None and pending.stem:
            letter = nfkc(option.group(1)).upper()
            expected = option_letter(len(pending.options))
            if letter != expected and not pending.problem:
                pending.problem = f"选项字母应为“{expected}”，却是“{letter}”"
            pending.options.append(option.group(2).strip())
        else:
            if pending is not None and pending.options:
                finish(pending, None)
                pending = None
            if pending is None:
                number += 1
                if number > max_questions:
                    return too_many("aiken", max_questions)
                pending = _AikenQuestion(line_number)
            pending.stem.append(line)
    if pending is not None:
        finish(pending, None)
    return collector.result()
