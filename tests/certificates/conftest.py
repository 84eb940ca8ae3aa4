"""Shared fixtures and checks of the certificate tests."""

import html
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from partyschool.candidates.models import Candidate, TrainingRecord
from partyschool.certificates.models import Certificate, CertificateStatus
from partyschool.pdf import install_compact_cid_fonts
from tests.factories import make_ended_class, reread


@pytest.fixture(autouse=True, scope="session")
def _compact_fonts():
    """As the application does at start, so rendering tests need no app."""
    install_compact_cid_fonts()


@pytest.fixture
def ended_class(session, school):
    """A class of school d1 that ended yesterday."""
    training_class = make_ended_class(session, school)
    session.commit()
    return training_class


def assert_records_agree(session) -> None:
    """The invariant: each valid certificate's snapshot agrees with the candidate's record,
    which holds its completion; no completion rests on a certificate that does not stand."""
    session.rollback()
    session.expire_all()
    valid = session.scalars(
        select(Certificate).where(Certificate.status == CertificateStatus.VALID)
    ).all()
    per_enrolment = [c.enrolment_id for c in valid]
    assert len(per_enrolment) == len(set(per_enrolment)), "two valid certificates"
    for certificate in valid:
        candidate = session.get(Candidate, certificate.candidate_id)
        snapshot = certificate.snapshot
        assert (snapshot["name"], snapshot["student_no"]) == (candidate.name, candidate.student_no)
        assert snapshot["class_id"] == certificate.class_id == certificate.enrolment.class_id
        assert certificate.enrolment.candidate_id == candidate.id
        assert certificate.serial in {t.certificate_serial for t in candidate.trainings}
    serials = {c.serial: c for c in valid}
    for record in session.scalars(
        select(TrainingRecord).where(TrainingRecord.certificate_serial != "")
    ):
        assert record.certificate_serial in serials, f"{record.certificate_serial} does not stand"
        assert serials[record.certificate_serial].candidate_id == record.candidate_id


def read_certificate(pdf: bytes, tmp_path: Path) -> tuple[list[str], str]:
    """What a phone and a reader get from a certificate PDF: the QR codes' contents (decoded
    from the rendered page, as a camera would) and the text."""
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(source), str(tmp_path / "page")],
        check=True,
    )
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True
    )
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(source), "-"], capture_output=True, text=True, check=True
    ).stdout
    return scanned.stdout.split(), text


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<')
QR_SIZE_PT = 27 / 25.4 * 72  # pdf.html: the QR code is 27 mm square, above 扫码核验真伪


def text_over_the_qr_code_or_serial(pdf: bytes, tmp_path: Path) -> list[str]:
    """The words printed over the QR code, its caption or the serial line."""
    source = tmp_path / "layout.pdf"
    source.write_bytes(pdf)
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(source), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = [(*(float(v) for v in m[:4]), html.unescape(m[4])) for m in WORD.findall(bbox)]
    caption = next(w for w in words if w[4] == "扫码核验真伪")
    serial = next(w for w in words if w[4].startswith("证书编号"))
    guarded = [
        (caption[0], caption[1] - QR_SIZE_PT, caption[0] + QR_SIZE_PT, caption[3]),
        serial[:4],
    ]
    return [
        w[4]
        for w in words
        if w not in (caption, serial)
        and any(w[0] < x1 and x0 < w[2] and w[1] < y1 and y0 < w[3] for x0, y0, x1, y1 in guarded)
    ]


def valid_certificates(session, enrolment) -> list[Certificate]:
    return (
        reread(session)
        .scalars(
            select(Certificate).where(
                Certificate.enrolment_id == enrolment.id,
                Certificate.status == CertificateStatus.VALID,
            )
        )
        .all()
    )
