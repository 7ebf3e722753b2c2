"""A placement (投保项目) is one case like a claim, served by the same services (issue 13): participations,
the routing engine with risk evaluation as the line skill (R-U1), the confirmation letter from either
instructing side (R-U2, R-U7), two pre-assessment reports signed by two adjusters each and submitted
(R-U3), and a competitive consultation over their risk points ending in an MoU that the five parties
of a placement acknowledge (R-U8)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.audit.service import verify
from tandem.case import letters
from tandem.case import service as case_service
from tandem.case import team as case_team
from tandem.case.models import CaseKind
from tandem.claim.documents import letter_html, report_html
from tandem.claim.models import PartyRole
from tandem.fees.engine import Basis, FeeTerms, Payer
from tandem.kit.errors import ActionNotAllowed, InvalidInput, NotFound
from tandem.party.models import Adjuster
from tandem.reconciliation import consultation
from tandem.report import service as report_service
from tandem.report.models import Report
from tandem.routing.service import RISK_EVALUATION, case_subject, evaluate


def _actor(session, username: str) -> Actor:
    return Actor.from_user(session.execute(select(User).where(User.username == username)).unique().scalar_one())


def _adjuster(session, name: str) -> Adjuster:
    return session.execute(select(Adjuster).where(Adjuster.name == name)).unique().scalar_one()


def _risk_report(points: list[tuple[str, str, str, str, str]]) -> dict:
    return {
        "subject": "嘉兴某塑料制品有限公司厂区：2号车间、仓库、化学品库",
        "risk_points": [
            {
                "ref": ref,
                "title": title,
                "description": f"{title}，现场查见。",
                "location": where,
                "level": level,
                "coefficient": coefficient,
                "advice": "限期整改。",
            }
            for ref, title, where, level, coefficient in points
        ],
        "advice": "建立消防巡查制度。",
        "environmental": "环评批复齐全，危废暂存间未设防渗。",
        "safety": "安评：电气线路老化，消防通道占用。",
    }


REPORT_A = _risk_report(
    [
        ("1", "配电房电缆老化", "2号车间配电房", "高", "1.1500"),
        ("2", "消防通道堵塞", "仓库东侧", "中", "1.0500"),
        ("3", "危化品储存不规范", "化学品库", "重大", "1.3000"),
    ]
)
REPORT_B = _risk_report(
    [
        ("F1", "消防通道被货物堵塞", "仓库东侧通道", "中", "1.0500"),
        ("F2", "配电房电缆老化破损", "2号车间配电房", "中", "1.1000"),
        ("F3", "屋面彩钢板锈蚀", "1号厂房屋面", "低", "1.0200"),
    ]
)


def test_a_placement_case_goes_from_letter_to_mou_through_the_services_claims_use(env):
    now = env.clock.now()
    with env.session() as s:
        broker, risk = _actor(s, "broker"), _actor(s, "risk")
        insured, insurer, outsider = _actor(s, "insured1"), _actor(s, "insurer1"), _actor(s, "insurer2")
        firm_a, firm_b = _actor(s, "adjuster1"), _actor(s, "adjuster3")

        # The case and its parties.
        case = case_service.open_case(s, CaseKind.PLACEMENT, now=now)
        assert case.number == "TB-2026-000001" and case.kind == CaseKind.PLACEMENT
        for org, role in ((broker.org_id, PartyRole.BROKER), (insured.org_id, PartyRole.INSURED)):
            case_service.add_participant(s, case, org, role, now=now)
        assert scope.get_case(s, insured, case.id).id == case.id
        with pytest.raises(NotFound):
            scope.get_case(s, outsider, case.id)  # an insurer not approached: the same 404 as no case
        with pytest.raises(NotFound):
            scope.get_case(s, outsider, uuid.uuid4())

        # Routing: risk evaluation is the line skill a placement asks for (R-U1).
        wang, li, zhang = _adjuster(s, "王建国"), _adjuster(s, "李娜"), _adjuster(s, "张伟")
        assert "not_qualified_for_line" in evaluate(s, case_subject(s, case), wang, now).reasons
        wang.lines, zhang.lines = [*wang.lines, RISK_EVALUATION], [*zhang.lines, RISK_EVALUATION]
        s.flush()
        rec = evaluate(s, case_subject(s, case), wang, now)
        assert rec.reasons == [] and f"line:{RISK_EVALUATION}:50" in rec.explain

        # The broker's letter to firm A, accepted with fee terms; firm A's second joins the team.
        letter_a = letters.issue_letter(s, case, wang, side="broker", now=now)
        fixed = FeeTerms(Basis.FIXED, Payer.INSURED, 30, amount=Decimal("20000.00"))
        with pytest.raises(InvalidInput) as paid_by_insurer:  # a pre-assessment is not the insurer's cost
            letters.answer_letter(
                s, firm_a, case, "broker", accept=True, terms=replace(fixed, payer=Payer.INSURER), now=now
            )
        assert paid_by_insurer.value.fields == {"terms.payer": "must be insured or broker"}
        letters.answer_letter(s, firm_a, case, "broker", accept=True, terms=fixed, now=now)
        assert letter_a.fee_terms is not None and letter_a.fee_terms["payer"] == "insured"
        case_team.add_team_member(s, firm_a, case, li.id, now=now)

        # The insurer is approached and hires its own adjuster for a second pre-assessment (R-U7).
        case_service.add_participant(s, case, insurer.org_id, PartyRole.INSURER, now=now)
        letter_b = letters.issue_letter(s, case, zhang, side="insurer", now=now)
        hourly = FeeTerms(Basis.HOURLY, Payer.INSURER, 30, hourly_rate=Decimal("680.00"))
        letters.answer_letter(s, firm_b, case, "insurer", accept=True, terms=hourly, now=now)
        chen = _adjuster(s, "陈亮")
        case_team.add_team_member(s, firm_b, case, chen.id, now=now)
        insurer_name, broker_name = insurer.org_name, broker.org_name
        html_a, html_b = letter_html(s, letter_a), letter_html(s, letter_b)
        assert "预评估" in html_a and f"委托方：{broker_name}（盖章）" in html_a and case.number in html_a
        assert f"委托方：{insurer_name}（盖章）" in html_b

        # Two pre-assessment reports, each signed by the two adjusters who did the work (R-U3).
        with pytest.raises(InvalidInput) as bad:
            report_service.save_draft(
                s, firm_a, case, "pre_assessment", {**REPORT_A, "risk_points": [{"ref": "1"}]}, now=now
            )
        assert "risk_points.0.title" in (bad.value.fields or {})
        report_service.save_draft(s, firm_a, case, "pre_assessment", REPORT_A, now=now)
        with pytest.raises(InvalidInput) as bad:
            report_service.submit(s, firm_a, case, "pre_assessment", signer_ids=[wang.id], now=now)
        assert bad.value.fields == {"signer_ids": "at least two"}
        ra = report_service.submit(s, firm_a, case, "pre_assessment", signer_ids=[wang.id, li.id], now=now)
        report_service.save_draft(s, firm_b, case, "pre_assessment", REPORT_B, now=now)
        rb = report_service.submit(s, firm_b, case, "pre_assessment", signer_ids=[zhang.id, chen.id], now=now)
        assert (ra.display_number, rb.display_number) == ("YP-2026-000001", "YP-2026-000002")
        # A correction is a new report under the same number (-R1); the consultation takes the latest.
        with pytest.raises(InvalidInput) as bad:
            report_service.submit(
                s, firm_b, case, "pre_assessment", signer_ids=[zhang.id, chen.id], now=now, correction_of=rb.id
            )
        assert bad.value.fields == {"reason": "required"}
        rb = report_service.submit(
            s,
            firm_b,
            case,
            "pre_assessment",
            signer_ids=[zhang.id, chen.id],
            now=now,
            correction_of=rb.id,
            reason="补充屋面查勘照片",
        )
        assert (rb.display_number, rb.version) == ("YP-2026-000002-R1", 1)
        assert ra.kind == rb.kind == "pre_assessment" and ra.claim_id is None and ra.case_id == case.id
        assert ra.content["risk_points"][0]["coefficient"] == "1.1500" and ra.total_loss == Decimal("0.00")
        pdf_html = report_html(s, ra)
        assert "预评估报告" in pdf_html and "配电房电缆老化" in pdf_html and "环评批复齐全" in pdf_html
        # Copied to supervision: the regulator now takes a read-only part in the case.
        assert scope.get_case(s, _actor(s, "regulator"), case.id).id == case.id

        # Competitive consultation over the risk points (R-U8): aligned by the engine, negotiated.
        consultation.open_consultation(s, broker, case.id, now=now, round_working_days=5)
        cons = consultation.case_consultation(s, broker, case.id)[1]
        assert cons.kind == "pre_assessment" and cons.subject_kind == "placement"
        rows = {(i.a_ref, i.b_ref): i for i in consultation.items(s, cons)}
        assert set(rows) == {("1", "F2"), ("2", "F1"), ("3", None), (None, "F3")}
        assert rows[("2", "F1")].state == "agreed" and rows[("2", "F1")].how == "identical"
        assert rows[("1", "F2")].fields_differ == ["level", "coefficient"]
        assert cons.report_b_id == rb.id  # the corrected version
        consultation.start_rounds(s, firm_a, case.id, now=now)
        with pytest.raises(InvalidInput) as bad:
            consultation.item_move(
                s, firm_a, case.id, rows[("1", "F2")].id, kind="propose", now=now, level="中",
                coefficient=Decimal("1.12345"), reason="已部分更换",
            )  # fmt: skip
        assert "coefficient" in (bad.value.fields or {})
        consultation.item_move(
            s, firm_a, case.id, rows[("1", "F2")].id, kind="propose", now=now, level="中",
            coefficient=Decimal("1.1200"), reason="电缆已部分更换",
        )  # fmt: skip
        consultation.item_move(s, firm_b, case.id, rows[("1", "F2")].id, kind="accept", now=now)
        consultation.item_move(s, firm_b, case.id, rows[("3", None)].id, kind="accept", now=now)
        assert consultation.memorandum(s, cons) is None
        consultation.item_move(s, firm_a, case.id, rows[(None, "F3")].id, kind="accept", now=now)

        memo = consultation.memorandum(s, cons)
        assert memo is not None and cons.state == "agreed"
        settled = {(p["a_ref"], p["b_ref"]): (p["level"], p["coefficient"]) for p in memo.content["risk_points"]}
        assert settled == {
            ("1", "F2"): ("中", "1.1200"),
            ("2", "F1"): ("中", "1.0500"),
            ("3", None): ("重大", "1.3000"),
            (None, "F3"): ("低", "1.0200"),
        }
        assert memo.content["acknowledgers"] == ["adjuster_a", "adjuster_b", "broker", "insurer", "insured"]

        # Five parties acknowledge; the broker through its risk evaluators, not its account manager.
        with pytest.raises(ActionNotAllowed):
            consultation.acknowledge(s, broker, case.id, now=now)
        for who in (firm_a, firm_b, risk, insurer):
            consultation.acknowledge(s, who, case.id, now=now)
        assert consultation.acknowledged_memorandum(s, case) is None  # the insured has not yet
        consultation.acknowledge(s, insured, case.id, now=now)
        assert consultation.acknowledged_memorandum(s, case) is memo
        with pytest.raises(NotFound):
            consultation.case_consultation(s, outsider, case.id)

        # The other kinds go through the same service, each numbered on its own (R-U9, R-U10).
        staged = {**REPORT_A, "unremedied": ["3"]}
        report_service.save_draft(s, firm_a, case, "staged_risk", staged, now=now)
        sr = report_service.submit(s, firm_a, case, "staged_risk", signer_ids=[wang.id, li.id], now=now)
        termination = {
            "cause": "保险人解除合同",
            "basis": "停工损失及重新投保差价",
            "heads": [{"head": "replacement_cost", "amount": "125000.00", "evidence": "重新投保报价单"}],
        }
        report_service.save_draft(s, firm_a, case, "termination", termination, now=now)
        tr = report_service.submit(s, firm_a, case, "termination", signer_ids=[wang.id, li.id], now=now)
        assert (sr.display_number, tr.display_number) == ("JP-2026-000001", "ZP-2026-000001")
        assert tr.total_loss == Decimal("125000.00") and "保险合同效力中止或终止评估报告" in report_html(s, tr)
        s.commit()
        case_id, report_id = case.id, ra.id

    with env.session() as s:
        assert verify(s) == []
        actions = [
            e
            for (e,) in s.execute(
                text("SELECT action FROM audit_event WHERE chain_key = :k ORDER BY seq"), {"k": f"case:{case_id}"}
            )
        ]
        for action in (
            "case.team_member_added",
            "report.submitted",
            "consultation.opened",
            "consultation.item_propose",
            "consultation.memorandum_generated",
            "consultation.memorandum_acknowledged",
        ):
            assert action in actions
    # The submitted pre-assessment is immutable in the database itself.
    with env.session() as s, pytest.raises(DBAPIError):
        s.execute(update(Report).where(Report.id == report_id).values(number="X"))
        s.commit()
