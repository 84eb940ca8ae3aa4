"""Benchmark: rendering certificate PDFs, Chinese against Latin text, and a batch of 500.

Prints one JSON line last: chinese_ms and latin_ms (median time to render one certificate
from the same template, filled with Chinese or with Latin text, measured alternately in the
same run), ratio (chinese / latin, target <= 2), pdf_bytes (the Chinese certificate, target
<= 100 KB), pdf_bytes_max (the largest of every PDF rendered here, rare characters
included), and
batch_500_s: issuing 500 certificates through the real issuing service (every gate checked
on the record, serials, snapshots, write-back, PDFs rendered in parallel processes, commit)
for a class of 500 trainees in a fresh SQLite database; target 30 s.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from partyschool.certificates.render import (  # noqa: E402
    CertificateContext,
    render_certificate,
)
from partyschool.pdf import install_compact_cid_fonts  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "25"))
BATCH = int(os.environ.get("BENCH_BATCH", "500"))
BASE_URL = "https://dangxiao.example.edu.cn/verify/"

CHINESE = CertificateContext(
    title="结业证书",
    body="{name}同志于{starts_on}至{ends_on}参加{class_title}学习，"
    "完成规定学时{hours}学时，考核合格，准予结业。",
    seal_text="中共示范大学第一学区分党校",
    signer_title="分党校校长",
    signer_name="王建国",
    name="欧阳𠮷䶮",
    class_title="第35期入党积极分子培训班",
    party_school="第一学区分党校",
    hours="24",
    grade="86.5",
    starts_on=date(2025, 3, 1),
    ends_on=date(2025, 3, 31),
    issued_on=date(2025, 4, 2),
    serial="2025-D1-035-0001",
    verify_url=BASE_URL + "2025-D1-035-0001?code=Xk3v9QpL2mN8rT5wY7zA1bC4",
)
# The same template (pdf.html) and layout; every text that comes from data is Latin.
LATIN = replace(
    CHINESE,
    title="Certificate of Completion",
    body="{name} attended the {class_title} from {starts_on} to {ends_on}, "
    "completed the required {hours} study hours and passed the assessment.",
    seal_text="PARTY SCHOOL OF EXAMPLE UNIVERSITY",
    signer_title="Principal",
    signer_name="Wang Jianguo",
    name="Alexandra Hamilton",
    class_title="Activist Training Class No. 35",
    party_school="First District Branch School",
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬𠮷䶮"


def timed(function) -> float:
    """Milliseconds one call takes."""
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def issue_batch(count: int) -> tuple[float, list[int]]:
    """Issue `count` certificates through the issuing service; seconds taken and PDF sizes."""
    import flask_migrate
    from sqlalchemy import insert, select

    from courses.models import Enrolment, EnrolmentStatus, LessonProgress
    from exams.models import Attempt, AttemptStatus, Exam, Paper, PaperMode
    from partyschool.app import demo
    from partyschool.app.factory import create_app
    from partyschool.candidates.models import Candidate, StageChange
    from partyschool.candidates.rules import Level, Stage
    from partyschool.certificates import services
    from partyschool.extensions import db, today, utcnow
    from tests.factories import make_class, make_course

    workdir = tempfile.mkdtemp(prefix="bench-certificates-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.db",
            "SECRET_KEY": "bench",
            "PUBLIC_BASE_URL": BASE_URL,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        schools = demo.seed_organization(db.session)
        users = demo.seed_accounts(db.session, schools)
        school = schools["district1"]
        course = make_course(db.session, school, required_hours=Decimal("1.5"))
        training_class = make_class(  # ended yesterday: certificates come after the class
            db.session,
            course,
            report_min_chars=0,
            capacity=count,
            starts_on=today() - timedelta(days=30),
            ends_on=today() - timedelta(days=1),
        )
        now = utcnow()
        exam = Exam(
            training_class=training_class,
            title="结业考试",
            opens_at=now,
            closes_at=now,
            time_limit_minutes=60,
            pass_mark=Decimal(60),
            paper=Paper(party_school_id=school.id, title="卷", mode=PaperMode.FIXED, items=[]),
        )
        db.session.add(exam)
        db.session.flush()
        rows = [
            {
                "student_no": f"B{n:07d}",
                "name": SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)],
                "party_school_id": school.id,
                "level": Level.UNDERGRADUATE,
                "stage": Stage.ACTIVIST,
                "major": "",
                "class_name": "",
                "academic_standing": "",
                "blocking_summary": "",
            }
            for n in range(count)
        ]
        db.session.execute(insert(Candidate), rows)
        ids = db.session.scalars(select(Candidate.id).order_by(Candidate.id)).all()
        db.session.execute(
            insert(StageChange),
            [{"candidate_id": i, "stage": Stage.ACTIVIST, "entered_on": today()} for i in ids],
        )
        db.session.execute(
            insert(Enrolment),
            [
                {
                    "class_id": training_class.id,
                    "candidate_id": i,
                    "status": EnrolmentStatus.APPROVED,
                    "priority": 0,
                    "usual_score": 80,
                    "practice_score": 80,
                    "reason": "",
                }
                for i in ids
            ],
        )
        enrolments = db.session.scalars(select(Enrolment.id)).all()
        db.session.execute(
            insert(LessonProgress),
            [
                {"enrolment_id": e, "lesson_id": lesson.id, "seconds": 2700, "video_position": 0}
                for e in enrolments
                for lesson in course.lessons
            ],
        )
        db.session.execute(
            insert(Attempt),
            [
                {
                    "exam_id": exam.id,
                    "enrolment_id": e,
                    "number": 1,
                    "seed": "b",
                    "items": [],
                    "deadline_at": now,
                    "submitted_at": now,
                    "status": AttemptStatus.SUBMITTED,
                    "score": 90,
                    "max_score": 100,
                    "is_fully_graded": True,
                }
                for e in enrolments
            ],
        )
        db.session.commit()
        started = time.perf_counter()
        result = services.issue_batch(
            db.session, training_class, users["organizer"], utcnow(), services.renderer(), count
        )
        db.session.commit()
        seconds = time.perf_counter() - started
        assert result["done"] == count, result
        sizes = [len(c.pdf) for c in services.class_certificates(db.session, training_class)]
    return seconds, sizes


def main() -> None:
    install_compact_cid_fonts()  # as the application does at start
    sizes = []
    for _ in range(3):  # warm up: fonts loaded, caches filled
        sizes += [len(render_certificate(CHINESE)), len(render_certificate(LATIN))]
    chinese, latin = [], []
    for _ in range(ROUNDS):  # alternate, so both see the same machine
        chinese.append(timed(lambda: sizes.append(len(render_certificate(CHINESE)))))
        latin.append(timed(lambda: sizes.append(len(render_certificate(LATIN)))))
    chinese_ms, latin_ms = statistics.median(chinese), statistics.median(latin)
    pdf_bytes = len(render_certificate(CHINESE))
    print(f"one certificate: Chinese {chinese_ms:.1f} ms, Latin {latin_ms:.1f} ms", flush=True)

    batch_s, issued_sizes = issue_batch(BATCH)
    sizes += issued_sizes
    print(f"{BATCH} certificates issued in {batch_s:.1f} s", flush=True)

    print(
        json.dumps(
            {
                "chinese_ms": round(chinese_ms, 1),
                "latin_ms": round(latin_ms, 1),
                "ratio": round(chinese_ms / latin_ms, 2),
                "pdf_bytes": pdf_bytes,
                "pdf_bytes_max": max(sizes),
                f"batch_{BATCH}_s": round(batch_s, 1),
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
