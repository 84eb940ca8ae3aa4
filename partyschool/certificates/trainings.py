"""Training completions recorded by hand on a candidate's record: either a valid certificate
of this platform that belongs to the candidate (by serial), or a training held elsewhere
(外部培训) with who held it and the evidence seen. Never an invented serial."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool.accounts.models import User
from partyschool.audit import acting_as
from partyschool.candidates import services as candidates
from partyschool.candidates.models import Candidate, TrainingRecord
from partyschool.candidates.rules import STAGE_LABELS, Stage
from partyschool.certificates.models import Certificate, CertificateStatus
from partyschool.certificates.services import CertificateError, may_issue_for


@dataclass(frozen=True)
class ExternalTraining:
    """A training completed elsewhere (外部培训): who held it and the evidence seen."""

    target_stage: Stage
    class_name: str
    completed_on: date
    issuing_body: str
    evidence: str
    evidence_file: str | None = None


def record_training(
    session: Session,
    candidate: Candidate,
    actor: User,
    today: date,
    *,
    certificate_serial: str = "",
    external: ExternalTraining | None = None,
) -> TrainingRecord:
    """Record a completed training by hand: either a valid certificate of this platform that
    belongs to the candidate (by serial), or an external training with its evidence."""
    if not may_issue_for(actor, candidate.party_school_id):
        raise CertificateError("只有该学员所属分党校或校党校的组织员、管理员可以记录培训结业")
    serial = certificate_serial.strip()
    if serial:
        record = _platform_completion(session, candidate, serial)
    elif external is not None:
        record = _external_completion(external, today)
    else:
        raise CertificateError("请填写本平台结业证书编号，或按外部培训填写举办单位和证明材料")
    record.recorded_by_id = actor.id
    with acting_as(actor.id):
        candidate.trainings.append(record)
        session.flush()
        candidates.refresh(session, [candidate], today)
        session.flush()
    return record


def _platform_completion(session: Session, candidate: Candidate, serial: str) -> TrainingRecord:
    certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
    if certificate is None:
        raise CertificateError(
            f"本平台没有编号为“{serial}”的结业证书；在其他单位参加的培训请按外部培训记录，"
            "并填写举办单位和证明材料"
        )
    if certificate.candidate_id != candidate.id:
        raise CertificateError(f"证书 {serial} 不属于{candidate.name}，不能记入其档案")
    if certificate.status is not CertificateStatus.VALID:
        raise CertificateError(f"证书 {serial} {certificate.status.label}，不能作为结业依据")
    if session.scalar(select(TrainingRecord.id).where(TrainingRecord.certificate_serial == serial)):
        raise CertificateError(f"证书 {serial} 的结业记录已在档案中")
    snapshot = certificate.snapshot
    return TrainingRecord(
        target_stage=Stage(snapshot.get("target_stage") or Stage.ACTIVIST),
        class_name=snapshot["class_title"],
        completed_on=date.fromisoformat(snapshot["issued_on"]),
        certificate_serial=serial,
    )


def _external_completion(external: ExternalTraining, today: date) -> TrainingRecord:
    issuing_body, evidence = external.issuing_body.strip(), external.evidence.strip()
    if not issuing_body:
        raise CertificateError("外部培训须填写举办单位")
    if not evidence and not external.evidence_file:
        raise CertificateError("外部培训须提供证明材料（说明或文件）")
    if not external.class_name.strip():
        raise CertificateError("请填写培训班名称")
    if external.completed_on > today:
        raise CertificateError("结业日期不能晚于今天")
    if external.target_stage not in STAGE_LABELS:
        raise CertificateError("未知的培训类别")
    return TrainingRecord(
        target_stage=external.target_stage,
        class_name=external.class_name.strip(),
        completed_on=external.completed_on,
        issuing_body=issuing_body,
        evidence=evidence,
        evidence_file=external.evidence_file,
    )
