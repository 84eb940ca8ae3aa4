"""Demo materials: an activist whose file lacks a document and waits for a check, and a
graduate student whose application the district organizer is to review."""

import io
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from partyschool.accounts.models import User
from partyschool.audit import acting_as
from partyschool.candidates.archive import services
from partyschool.candidates.archive.models import Material, MaterialKind, MaterialStatus
from partyschool.candidates.models import Candidate
from partyschool.pdf import render_pdf

# student no, uploader, and (kind, title, text, status, comment) of each document.
DOCUMENTS = (
    (
        "2023010101",
        "organizer",
        (
            (MaterialKind.APPLICATION, "", "我志愿加入中国共产党，拥护党的纲领。", "checked", ""),
            (MaterialKind.THOUGHT_REPORT, "第一季度", "本季度我认真学习了党章。", "pending", ""),
        ),
    ),
    (
        "2024100301",
        "grad_organizer",
        ((MaterialKind.APPLICATION, "", "我志愿加入中国共产党。", "pending", ""),),
    ),
)


def _document(text: str, on: date) -> bytes:
    return render_pdf(
        '<div style="font-family: Noto Sans CJK SC; font-size: 14pt">'
        f"<h1>示例材料</h1><p>{text}</p><p>{on.isoformat()}</p></div>"
    )


def seed(session: Session, users: dict[str, User], on: date) -> None:
    """Upload and check the demo documents through the archive's door (skipping candidates
    whose archive already holds any)."""
    for student_no, uploader, documents in DOCUMENTS:
        candidate = session.scalar(select(Candidate).where(Candidate.student_no == student_no))
        if candidate is None or session.scalar(
            select(Material.id).where(Material.candidate_id == candidate.id)
        ):
            continue
        actor = users[uploader]
        with acting_as(actor.id):
            for kind, title, text, status, comment in documents:
                upload = FileStorage(io.BytesIO(_document(text, on)), f"{kind.label}.pdf")
                material = services.upload_material(session, candidate, kind, upload, title, actor)
                if status != "pending":
                    services.check_material(
                        session, candidate, material, MaterialStatus(status), comment, actor
                    )
