"""A candidate's archive in one file, for handing over to the receiving organization: a ZIP of
the documents named in Chinese by stage and kind with a contents list, or one PDF with a cover
sheet and a contents page followed by the documents (images embedded, PDFs merged)."""

import io
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import render_template
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from partyschool.candidates.archive.models import KIND_LABELS, Material, MaterialStatus
from partyschool.candidates.archive.services import checklist
from partyschool.candidates.models import Candidate
from partyschool.candidates.rules import STAGE_LABELS, Stage
from partyschool.pdf import render_pdf

log = logging.getLogger(__name__)

STAGE_ORDER = {stage: number for number, stage in enumerate(Stage, start=1)}
# Characters no file name in an archive may hold, on any system that unpacks it.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
IMAGE_TYPES = ("image/png", "image/jpeg")
MAX_PDF_PAGES = 200  # per merged document; a longer one travels in the ZIP only


@dataclass(frozen=True)
class Entry:
    """One document of the archive as the export lists it."""

    number: int
    material: Material
    path: Path
    zip_name: str

    @property
    def stage_label(self) -> str:
        """The stage the document belongs to."""
        return STAGE_LABELS[self.material.kind.stage]

    @property
    def kind_label(self) -> str:
        """The document's Chinese name."""
        return KIND_LABELS[self.material.kind]


def safe_part(text: str, limit: int = 60) -> str:
    """Text usable in a file name: no separators, control characters or leading dots."""
    text = _UNSAFE.sub("_", text).strip().lstrip(".").strip()
    return text[:limit]


def entries(materials: Sequence[Material], folder: Path) -> list[Entry]:
    """The documents to hand over (returned ones are not), by stage, kind and upload, with the
    names they take in the ZIP."""
    kept = [m for m in materials if m.status is not MaterialStatus.RETURNED]
    kinds = list(KIND_LABELS)
    kept.sort(key=lambda m: (STAGE_ORDER[m.kind.stage], kinds.index(m.kind), m.id))
    result = []
    for number, material in enumerate(kept, start=1):
        stage = material.kind.stage
        title = safe_part(material.title)
        name = f"{number:02d}-{KIND_LABELS[material.kind]}" + (f"-{title}" if title else "")
        folder_name = f"{STAGE_ORDER[stage]}-{STAGE_LABELS[stage]}"
        zip_name = f"{folder_name}/{name}.{material.extension}"
        result.append(Entry(number, material, folder / material.stored_name, zip_name))
    return result


def contents_text(candidate: Candidate, items: Sequence[Entry], on: date) -> str:
    """The contents list of the ZIP, one document a line."""
    lines = [
        f"{candidate.name}（{candidate.student_no}）入党材料目录",
        f"分党校：{candidate.party_school.name}　导出日期：{on.isoformat()}",
        "",
        "序号\t阶段\t材料\t说明\t原文件名\t上传时间\t审核\t审核意见\t文件",
    ]
    for item in items:
        m = item.material
        lines.append(
            "\t".join(
                (
                    str(item.number),
                    item.stage_label,
                    item.kind_label,
                    safe_part(m.title, 200),
                    safe_part(m.original_name, 200),
                    m.uploaded_at.strftime("%Y-%m-%d"),
                    m.status.label,
                    safe_part(m.check_comment, 500),
                    item.zip_name,
                )
            )
        )
    missing = _missing_labels(candidate, [i.material for i in items])
    lines += ["", "缺少的材料：" + ("、".join(missing) if missing else "无")]
    return "\r\n".join(lines) + "\r\n"


def _missing_labels(candidate: Candidate, materials: Sequence[Material]) -> list[str]:
    return [
        f"{STAGE_LABELS[stage.stage]}·{item.kind.label}"
        for stage in checklist(candidate, materials)
        if stage.is_reached
        for item in stage.missing
    ]


def archive_zip(candidate: Candidate, materials: Sequence[Material], folder: Path, on: date):
    """The ZIP: 目录.txt and each document under 阶段/序号-材料-说明.扩展名."""
    items = entries(materials, folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("目录.txt", contents_text(candidate, items, on).encode("utf-8-sig"))
        for item in items:
            if item.path.is_file():
                archive.write(item.path, item.zip_name)
            else:
                log.warning("stored material %s is missing", item.material.stored_name)
    return buffer.getvalue()


def _pdf_pages(path: Path) -> int | None:
    """How many pages an uploaded PDF has, or None when it cannot be merged."""
    try:
        reader = PdfReader(path)
        # An encrypted document cannot be copied page by page: it travels in the ZIP only.
        pages = 0 if reader.is_encrypted else len(reader.pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as error:
        log.warning("cannot read %s for merging: %s", path.name, error)
        return None
    return pages if 0 < pages <= MAX_PDF_PAGES else None


def archive_pdf(
    candidate: Candidate,
    materials: Sequence[Material],
    folder: Path,
    on: date,
    *,
    id_number: str,
    exported_by: str,
) -> bytes:
    """One PDF: a cover sheet, the contents, then each document on its own page(s)."""
    items = entries(materials, folder)
    ways = {}
    for item in items:
        if not item.path.is_file():
            ways[item.number] = "missing"
        elif item.material.content_type in IMAGE_TYPES:
            ways[item.number] = "image"
        elif item.material.content_type == "application/pdf" and _pdf_pages(item.path):
            ways[item.number] = "pdf"
        else:
            ways[item.number] = "zip"
    html = render_template(
        "materials/archive_print.html",
        candidate=candidate,
        items=items,
        ways=ways,
        on=on,
        id_number=id_number,
        exported_by=exported_by,
        missing=_missing_labels(candidate, [i.material for i in items]),
    )
    images = [item.path for item in items if ways[item.number] == "image"]
    document = PdfReader(io.BytesIO(render_pdf(html, files=images)))
    # Every document gets exactly one page in the rendered part (its image, or a separator
    # for a PDF that follows it), so the documents' pages are the last len(items) pages.
    first = len(document.pages) - len(items)
    writer = PdfWriter()
    for page in document.pages[:first]:
        writer.add_page(page)
    for item, page in zip(items, document.pages[first:], strict=True):
        writer.add_page(page)
        if ways[item.number] == "pdf":
            writer.append(PdfReader(item.path))
    writer.add_metadata({"/Title": f"{candidate.name} 入党材料"})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
