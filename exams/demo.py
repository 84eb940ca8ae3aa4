"""Demo exam: a bank of real party-knowledge questions and a running exam of the demo class."""

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.models import TrainingClass
from exams.models import Exam, Paper, PaperMode, Question, QuestionBank, ReviewPolicy
from exams.questions import QuestionData, QuestionType, to_json
from partyschool.organization.models import PartySchool

S, M, TF, FILL, ESSAY = (
    QuestionType.SINGLE,
    QuestionType.MULTIPLE,
    QuestionType.TRUE_FALSE,
    QuestionType.FILL,
    QuestionType.ESSAY,
)
QUESTIONS = (
    QuestionData(
        S,
        "党的根本组织原则是（ ）。",
        ("民主集中制", "集体领导", "个人分工负责", "少数服从多数"),
        0,
        "党章",
    ),
    QuestionData(S, "预备党员的预备期为（ ）。", ("半年", "一年", "两年", "三年"), 1, "党章"),
    QuestionData(
        S,
        "中国共产党的宗旨是（ ）。",
        ("实现共产主义", "全心全意为人民服务", "发展生产力", "依法治国"),
        1,
        "党的性质和宗旨",
    ),
    QuestionData(
        S,
        "发展党员必须经过（ ），坚持个别吸收的原则。",
        ("党的支部", "党委", "党组", "党总支"),
        0,
        "发展党员",
    ),
    QuestionData(
        M,
        "党的纪律主要包括（ ）。",
        ("政治纪律", "组织纪律", "廉洁纪律", "群众纪律"),
        (0, 1, 2, 3),
        "党的纪律",
    ),
    QuestionData(
        M,
        "本校要求入党学生原则上具有的“三个经历”包括（ ）。",
        (
            "担任校内外志愿者",
            "正式加入团队参与暑期社会实践",
            "带动班级学风建设或帮助困难同学",
            "担任学生会主席",
        ),
        (0, 1, 2),
        "发展党员",
    ),
    QuestionData(
        TF, "入党积极分子经过一年以上的培养教育和考察，可列为发展对象。", (), True, "发展党员"
    ),
    QuestionData(TF, "“脏乱差”寝室的成员在完成整治之前也可以发展入党。", (), False, "寝室文明"),
    QuestionData(TF, "预备党员转正前应当进行公示。", (), True, "发展党员"),
    QuestionData(
        FILL, "党的最高理想和最终目标是实现____。", (), (("共产主义",),), "党的性质和宗旨"
    ),
    QuestionData(
        FILL,
        "党员的预备期，从支部大会通过他为预备党员之日起计算，为____年。",
        (),
        (("一", "1"),),
        "党章",
    ),
    QuestionData(ESSAY, "结合自身实际，谈谈你对端正入党动机的认识。", (), "", "入党动机"),
)
POINTS = {S: 8, M: 10, TF: 5, FILL: 8, ESSAY: 16}


def seed(session: Session, schools: dict[str, PartySchool], now: datetime) -> None:
    """The demo bank, a fixed paper of its questions, and an exam open now for class 35."""
    district = schools["district1"]
    bank = session.scalar(
        select(QuestionBank).where(QuestionBank.party_school_id == district.id)
    ) or QuestionBank(party_school=district, name="党章党规知识题库")
    if not bank.questions:
        for data in QUESTIONS:
            bank.questions.append(
                Question(kind=data.type, category=data.category, data=to_json(data))
            )
        session.add(bank)
        session.flush()
    running = session.scalar(
        select(TrainingClass).where(
            TrainingClass.party_school_id == district.id, TrainingClass.number == 35
        )
    )
    if running is None or session.scalar(select(Exam.id).where(Exam.class_id == running.id)):
        return
    paper = Paper(
        party_school_id=district.id,
        title="入党积极分子培训结业考试",
        mode=PaperMode.FIXED,
        items=[
            {"question_id": q.id, "points": POINTS[QuestionType(q.kind)]} for q in bank.questions
        ],
    )
    session.add(
        Exam(
            training_class=running,
            paper=paper,
            title="第35期入党积极分子培训班结业考试",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=14),
            time_limit_minutes=60,
            max_attempts=1,
            pass_mark=Decimal(60),
            review_policy=ReviewPolicy.SCORE,
        )
    )
    session.flush()
