"""Random sequences of real operations through every entry point, with the record's and the
certificate's invariants checked after each step (hypothesis stateful testing).

Entry points: the record pages (facts, corrections, promotions, overrides), the materials
archive (upload, check or return, withdraw), thought reports and half-yearly assessments, the
roster import, the historical migration, the JSON API, the CLI (re-judging, issuing a class), the
batch button, revocation, re-issue, a switch of the rule set, 公示 batches and their objections.
Runs on SQLite and PostgreSQL.
"""

import csv
import io
import shutil
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from partyschool.accounts.models import Role
from partyschool.audit import AuditEvent
from partyschool.candidates import services
from partyschool.candidates.archive.models import Material, MaterialStatus
from partyschool.candidates.models import (
    Candidate,
    PublicityBatch,
    PublicityNotice,
    PublicityObjection,
    Review,
    ReviewKind,
    StageChange,
    TrainingRecord,
)
from partyschool.candidates.reports.forms import recent_half_years
from partyschool.candidates.rules import STAGE_LABELS, PublicityOutcome, Stage, half_year_bounds
from partyschool.certificates.models import Certificate, CertificateStatus
from partyschool.extensions import db, limiter, today
from partyschool.organization.models import Building, College, District, Room
from tests.candidates.material_files import pdf_bytes
from tests.certificates.conftest import assert_records_agree
from tests.conftest import Client, _empty_database
from tests.factories import (
    make_branch_school,
    make_completed_enrolment,
    make_ended_class,
    make_ready_activist,
    make_user,
    school_level,
)

RANK = {stage: rank for rank, stage in enumerate(Stage)}
FACTS = {
    "experience": lambda on: {
        "kind": "volunteer",
        "description": "志愿服务",
        "evidence": "证明",
        "occurred_on": on,
        "is_verified": "y",
    },
    "veto": lambda on: {
        "holder": "college",
        "holder_name": "学院党总支",
        "reason": "暂缓",
        "decided_on": on,
    },
    "opinion": lambda on: {
        "source": "teacher",
        "author": "王老师",
        "content": "学习不认真",
        "given_on": on,
    },
    "talk": lambda on: {"talked_on": on, "talker": "李老师", "summary": "谈心"},
}
CANDIDATES = 3
# Days from today: long ago (before every stage), recent, today, tomorrow.
OFFSETS = st.sampled_from([-3000, -400, -30, 0, 1])


def test_records_and_certificates_change_only_through_their_rules(
    app, session, tmp_path, monkeypatch
):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    document = pdf_bytes("入党申请书")

    class Machine(RuleBasedStateMachine):
        """One branch school: three candidates, a class that ended, its organizer and admins."""

        @initialize()
        def build(self):
            session.rollback()
            with app.app_context():
                db.session.remove()
                _empty_database()
                limiter.reset()
            app.config["ELIGIBILITY_RULESET"] = "wzu"
            shutil.rmtree(folder, ignore_errors=True)
            school = make_branch_school(session, code="d1")
            self.users = {
                "org": make_user(session, Role.ORGANIZER, school, username="org"),
                "badmin": make_user(session, Role.BRANCH_ADMIN, school, username="badmin"),
                "top": make_user(session, Role.SCHOOL_ADMIN, school_level(session), username="top"),
                "stu": make_user(session, Role.ACTIVIST, school, username="stu"),
            }
            college = College(code="math", name="数学学院", notice_building="数学楼")
            district = District(code="d1", name="第一学区", party_school=school)
            building = Building(name="北区1号楼", party_school=school, district=district)
            session.add(college)
            candidates = [
                make_ready_activist(
                    session,
                    school,
                    name=f"学生{n}",
                    # The first candidate is also the activist `stu`, who hands in reports.
                    user=self.users["stu"] if n == 0 else None,
                    stage=Stage.CANDIDATE if n == 0 else Stage.ACTIVIST,
                    college=college,
                    district=district,
                    room=Room(building=building, number=f"10{n}"),
                )
                for n in range(CANDIDATES)
            ]
            # The first is a 发展对象 ready for 公示: trained and reviewed.
            candidates[0].trainings.append(
                TrainingRecord(
                    target_stage=Stage.CANDIDATE,
                    class_name="第1期发展对象培训班",
                    completed_on=today(),
                    evidence="结业证书",
                )
            )
            for kind in ReviewKind:
                candidates[0].reviews.append(Review(kind=kind, is_passed=True, decided_on=today()))
            self.class_ = make_ended_class(session, school)
            for n in range(2):
                make_completed_enrolment(session, self.class_, f"学员{n}")
            session.commit()
            self.candidate_ids = [c.id for c in candidates]
            self.numbers = [c.student_no for c in candidates]
            self.first_event = session.scalar(select(func.max(AuditEvent.id))) or 0
            self.revoked: set[int] = set()
            self.clients = {}
            for name in self.users:
                self.clients[name] = Client(app)
                self.clients[name].login(name)
            self.publicize((0,), 0)  # a 公示 running from the start, for objections to meet

        # --- helpers ---------------------------------------------------------------------

        def fresh(self, candidate_id) -> Candidate:
            session.rollback()
            session.expire_all()
            return session.get(Candidate, candidate_id)

        def decision(self, candidate_id):
            with app.app_context():
                candidate = db.session.get(Candidate, candidate_id)
                promotion = services.assess(db.session, [candidate], today())[0].promotion
                db.session.remove()
            return promotion

        # --- the record pages ------------------------------------------------------------

        @rule(
            who=st.integers(0, CANDIDATES - 1),
            offset=OFFSETS,
            actor=st.sampled_from(["org", "top"]),
            override=st.booleans(),
        )
        def promote(self, who, offset, actor, override):
            before = self.fresh(self.candidate_ids[who])
            stage, latest = before.stage, max(c.entered_on for c in before.stage_changes)
            decision = self.decision(before.id)
            on = today() + timedelta(days=offset)
            form = {"on": on.isoformat(), "stage": stage.value}
            if override:
                form["override_reason"] = "经校党委研究同意"
            self.clients[actor].post(f"/candidates/{before.id}/promote", form)
            after = self.fresh(before.id)
            allowed = decision is not None and (decision.eligible or (override and actor == "top"))
            if not allowed or on > today() or on < latest:
                assert after.stage is stage, (decision, on, latest)
            else:
                assert RANK[after.stage] == RANK[stage] + 1

        @rule(
            who=st.integers(0, CANDIDATES - 1), kind=st.sampled_from(sorted(FACTS)), offset=OFFSETS
        )
        def record_fact(self, who, kind, offset):
            on = (today() + timedelta(days=offset)).isoformat()
            self.clients["org"].post(
                f"/candidates/{self.candidate_ids[who]}/facts/{kind}", FACTS[kind](on)
            )

        @rule(who=st.integers(0, CANDIDATES - 1))
        def withdraw_a_fact(self, who):
            candidate = self.fresh(self.candidate_ids[who])
            if candidate.vetoes:
                fact = candidate.vetoes[0]
                self.clients["org"].post(
                    f"/candidates/{candidate.id}/facts/veto/{fact.id}/withdraw",
                    {"change_reason": "录入有误"},
                )

        @rule(offset=OFFSETS, with_text=st.booleans())
        def hand_in_a_thought_report(self, offset, with_text):
            on = (today() + timedelta(days=offset)).isoformat()
            form = {
                "title": "思想汇报",
                "submitted_on": on,
                "body": "学习体会" if with_text else "",
            }
            self.clients["stu"].post("/my/thought-reports", form)

        @rule(who=st.integers(0, CANDIDATES - 1), offset=OFFSETS, back=st.integers(0, 5))
        def write_a_half_year_assessment(self, who, offset, back):
            period = recent_half_years(today())[back][0]
            form = {
                "period": period,
                "written_on": (today() + timedelta(days=offset)).isoformat(),
                "content": "表现良好",
            }
            self.clients["org"].post(f"/candidates/{self.candidate_ids[who]}/thought-reports", form)

        # --- the materials archive -----------------------------------------------------------

        @rule(
            who=st.integers(0, CANDIDATES - 1),
            kind=st.sampled_from(["application", "thought_report", "admission_form"]),
            actor=st.sampled_from(["org", "badmin", "stu"]),
        )
        def upload_a_material(self, who, kind, actor):
            self.clients[actor].post(
                f"/materials/candidates/{self.candidate_ids[who]}/upload",
                {"kind": kind, "file": (io.BytesIO(document), "申请书.pdf")},
                content_type="multipart/form-data",
            )

        @rule(
            n=st.integers(0, 3),
            status=st.sampled_from(["checked", "returned", "pending"]),
            comment=st.sampled_from(["", "请补充签名"]),
            actor=st.sampled_from(["org", "top", "stu"]),
        )
        def check_a_material(self, n, status, comment, actor):
            session.rollback()
            ids = session.scalars(select(Material.id).order_by(Material.id)).all()
            if n < len(ids):
                self.clients[actor].post(
                    f"/materials/{ids[n]}/check", {"status": status, "comment": comment}
                )

        @rule(n=st.integers(0, 3), reason=st.sampled_from(["", "传错了"]))
        def withdraw_a_material(self, n, reason):
            session.rollback()
            ids = session.scalars(select(Material.id).order_by(Material.id)).all()
            if n < len(ids):
                self.clients["org"].post(f"/materials/{ids[n]}/withdraw", {"reason": reason})

        # --- 公示 batches and their objections ------------------------------------------

        @rule(
            chosen=st.sampled_from([(0,), (0, 1), (1, 2)]),
            offset=st.sampled_from([0, -1, 31]),
        )
        def publicize(self, chosen, offset):
            ids = [self.candidate_ids[n] for n in chosen]
            stages = {i: self.fresh(i).stage for i in ids}
            known = set(session.scalars(select(PublicityBatch.id)))
            starts = today() + timedelta(days=offset)
            self.clients["org"].post(
                "/candidates/publicity/batches/new",
                {
                    "step": "become_probationary",
                    "candidate_ids": [str(i) for i in ids],
                    "starts_on": starts.isoformat(),
                    "ends_on": (starts + timedelta(days=6)).isoformat(),
                    "contact_person": "王老师",
                    "contact_phone": "86598000",
                },
            )
            session.rollback()
            new = [b for b in session.scalars(select(PublicityBatch)) if b.id not in known]
            if new:  # all or nobody, each a 发展对象, starting between today and a month on
                [batch] = new
                assert sorted(n.candidate_id for n in batch.notices) == ids
                assert all(stage is Stage.CANDIDATE for stage in stages.values()), stages
                assert offset == 0

        @rule(n=st.integers(0, 5), offset=st.sampled_from([-30, 0, 1]))
        def raise_an_objection(self, n, offset):
            session.rollback()
            notices = session.scalars(
                select(PublicityNotice)
                .where(PublicityNotice.outcome == PublicityOutcome.PENDING)
                .order_by(PublicityNotice.id)
            ).all()
            if notices:
                notice = notices[n % len(notices)]
                self.clients["org"].post(
                    f"/candidates/publicity/batches/{notice.batch_id}/objections",
                    {
                        "notice_id": notice.id,
                        "raised_on": (today() + timedelta(days=offset)).isoformat(),
                        "content": "反映寝室卫生问题",
                    },
                )

        @rule(n=st.integers(0, 5), finding=st.sampled_from(["substantiated", "unfounded"]))
        def resolve_an_objection(self, n, finding):
            session.rollback()
            open_ = session.scalars(
                select(PublicityObjection.id)
                .where(PublicityObjection.resolved_on.is_(None))
                .order_by(PublicityObjection.id)
            ).all()
            if open_:
                self.clients["org"].post(
                    f"/candidates/publicity/objections/{open_[n % len(open_)]}/resolve",
                    {"finding": finding, "finding_note": "经核查", "resolved_on": today()},
                )

        # --- imports -----------------------------------------------------------------------

        @rule(who=st.integers(0, CANDIDATES - 1), stage=st.sampled_from(list(Stage)))
        def reimport_the_roster(self, who, stage):
            before = self.fresh(self.candidate_ids[who])
            row = {
                "学号": before.student_no,
                "姓名": before.name,
                "学院": "数学学院",
                "层次": "本专科",
                "阶段": STAGE_LABELS[stage],
                "阶段日期": today().isoformat(),
            }
            upload = (io.BytesIO(_csv([row])), "名单.csv")
            self.clients["org"].post("/candidates/import", {"kind": "roster", "file": upload})
            assert self.fresh(before.id).stage is before.stage  # an import never moves a stage

        @rule(who=st.integers(0, CANDIDATES - 1), reached=st.integers(1, 5))
        def migrate_history(self, who, reached):
            before = self.fresh(self.candidate_ids[who])
            judged = bool(before.probation_decisions) or any(
                c.ruleset or c.override_reason for c in before.stage_changes
            )
            row = {"学号": before.student_no}
            for n, stage in enumerate(list(Stage)[:reached]):
                row[STAGE_LABELS[stage]] = (today() - timedelta(days=2000 - 300 * n)).isoformat()
            upload = (io.BytesIO(_csv([row], headers=list(row))), "历史.csv")
            self.clients["top"].post("/candidates/history", {"file": upload})
            after = self.fresh(before.id)
            target = list(Stage)[reached - 1]
            if judged or RANK[target] < RANK[before.stage]:  # never over rules, never backward
                assert after.stage is before.stage
            else:
                assert after.stage is target

        # --- the API, the CLI, a rule-set switch -------------------------------------------

        @rule()
        def list_through_the_api(self):
            body = self.clients["org"].get("/api/v1/candidates").get_json()
            for item in body["items"]:
                candidate = self.fresh(
                    session.scalar(
                        select(Candidate.id).where(Candidate.student_no == item["student_no"])
                    )
                )
                decision = self.decision(candidate.id)
                assert item["is_blocked"] == bool(decision and not decision.eligible), item

        @rule()
        def rejudge_from_the_cli(self):
            result = app.test_cli_runner().invoke(args=["candidates", "refresh-eligibility"])
            assert result.exit_code == 0, result.output

        @rule()
        def switch_the_rule_set(self):
            current = app.config["ELIGIBILITY_RULESET"]
            app.config["ELIGIBILITY_RULESET"] = "swjtu-2004" if current == "wzu" else "wzu"

        # --- certificates --------------------------------------------------------------------

        @rule(as_=st.sampled_from(["org", "stu"]))
        def issue_the_class_from_the_cli(self, as_):
            app.test_cli_runner().invoke(
                args=["certificates", "issue-class", str(self.class_.id), "--as", as_]
            )

        @rule()
        def press_the_batch_button(self):
            self.clients["org"].post(f"/certificates/classes/{self.class_.id}/issue-batch")

        @rule(n=st.integers(0, 3))
        def revoke(self, n):
            session.rollback()
            valid = session.scalars(
                select(Certificate.id).where(Certificate.status == CertificateStatus.VALID)
            ).all()
            if valid:
                target = valid[n % len(valid)]
                self.clients["badmin"].post(f"/certificates/{target}/revoke", {"reason": "违纪"})
                self.revoked.add(target)

        @rule(n=st.integers(0, 3))
        def reissue(self, n):
            session.rollback()
            revoked = sorted(self.revoked)
            if revoked:
                target = revoked[n % len(revoked)]
                self.clients["badmin"].post(
                    f"/certificates/{target}/reissue", {"reason": "更正姓名后重新颁发"}
                )

        # --- invariants ----------------------------------------------------------------------

        @invariant()
        def stage_dates_in_order_and_not_in_the_future(self):
            if not hasattr(self, "users"):
                return
            session.rollback()
            session.expire_all()
            for candidate in session.scalars(select(Candidate)):
                changes = sorted(candidate.stage_changes, key=lambda c: RANK[c.stage])
                dates = [c.entered_on for c in changes]
                assert dates == sorted(dates), candidate.student_no
                assert all(d <= today() for d in dates)
                assert changes[-1].stage is candidate.stage

        @invariant()
        def reports_and_assessments_dated_within_the_record(self):
            if not hasattr(self, "users"):
                return
            session.rollback()
            session.expire_all()
            for candidate in session.scalars(select(Candidate)):
                began = min(c.entered_on for c in candidate.stage_changes)
                assert all(began <= r.submitted_on <= today() for r in candidate.thought_reports)
                assert all(r.body or r.stored_name for r in candidate.thought_reports)
                periods = [a.period for a in candidate.half_year_assessments]
                assert len(periods) == len(set(periods)), candidate.student_no
                activist = [c.entered_on for c in candidate.stage_changes if c.stage == "activist"]
                for item in candidate.half_year_assessments:
                    assert item.written_on <= today()
                    if item.recorded_by_id is not None:  # written through the door, not seeded
                        assert activist and item.written_on >= activist[0]
                        assert half_year_bounds(item.period)[0] <= item.written_on

        @invariant()
        def an_objection_holds_its_notice_until_resolved(self):
            if not hasattr(self, "users"):
                return
            session.rollback()
            session.expire_all()
            for notice in session.scalars(select(PublicityNotice)):
                objections = notice.raised_objections
                assert notice.has_unresolved_objection == any(
                    o.resolved_on is None for o in objections
                )
                assert all(notice.starts_on <= o.raised_on <= notice.ends_on for o in objections)
                if any(o.finding == "substantiated" for o in objections):
                    assert notice.outcome is PublicityOutcome.FAILED

        @invariant()
        def one_valid_certificate_per_enrolment_agreeing_with_the_record(self):
            if hasattr(self, "users"):
                assert_records_agree(session)

        @invariant()
        def a_revoked_certificate_stays_revoked(self):
            session.rollback()
            for certificate_id in getattr(self, "revoked", ()):
                status = session.scalar(
                    select(Certificate.status).where(Certificate.id == certificate_id)
                )
                assert status is not CertificateStatus.VALID

        @invariant()
        def every_change_names_who_when_and_what(self):
            if not hasattr(self, "users"):
                return
            session.rollback()
            for model in (StageChange, Certificate):
                ids = set(session.scalars(select(model.id)))
                events = session.execute(
                    select(AuditEvent.row_id, AuditEvent.at, AuditEvent.actor_id).where(
                        AuditEvent.table_name == model.__tablename__,
                        AuditEvent.action == "create",
                    )
                ).all()
                assert ids <= {row_id for row_id, _, _ in events}, model.__tablename__
                assert all(at is not None for _, at, _ in events)
            made_here = session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.table_name.in_(["stage_changes", "certificates"]),
                    AuditEvent.actor_id.is_(None),
                    AuditEvent.id > self.first_event,
                )
            )
            assert made_here == 0

        @invariant()
        def every_material_has_its_file_and_its_checker(self):
            if not hasattr(self, "users"):
                return
            session.rollback()
            materials = session.scalars(select(Material)).all()
            files = {p.name for p in folder.iterdir()} if folder.exists() else set()
            assert files == {m.stored_name for m in materials}  # none lost, none left over
            staff = {self.users["org"].id, self.users["badmin"].id}
            for material in materials:
                assert material.uploaded_by_id in staff
                if material.status is not MaterialStatus.PENDING:
                    assert material.checked_by_id in staff | {self.users["top"].id}
                if material.status is MaterialStatus.RETURNED:
                    assert material.check_comment

        def teardown(self):
            app.config["ELIGIBILITY_RULESET"] = "wzu"

    Machine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    Machine.TestCase().runTest()


def _csv(rows: list[dict], headers: list[str] | None = None) -> bytes:
    headers = headers or ["学号", "姓名", "学院", "层次", "阶段", "阶段日期"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=headers, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
