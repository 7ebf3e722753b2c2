"""Issue 22 items 8 and 15: report numbers per kind from their own gap-free yearly sequences (a report no
longer takes a number from the claims' sequence), and the confirmation letter names the party that
actually instructs (委托方): the insurer for its own adjuster, the broker for the broker's."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from tandem.access.models import Organisation
from tandem.claim.documents import letter_html
from tandem.claim.models import Appointment, Claim
from tandem.report.models import Report
from tandem.report.service import next_report_number
from tests.helpers import _ok, _to_reported, second_report


def _seq(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def test_a_report_takes_its_number_from_its_own_kind_and_leaves_the_claims_sequence_alone(env):
    with env.session() as s:
        gr_before = s.execute(select(Report.id).where(Report.number.like("GR-%"))).all()
    cid = _to_reported(env)
    broker, insured = env.client("broker"), env.client("insured1")
    policy = next(p for p in insured.get("/api/v1/policies").json()["items"] if p["number"] == "PQC2026330400001")
    nxt = _ok(
        insured.post(
            "/api/v1/claims",
            json={
                "policy_id": policy["id"],
                "loss_at": "2026-11-24T23:30:00+08:00",
                "location": "浙江省嘉兴市南湖区亚中路88号",
                "description": "3号仓库屋面漏水",
                "channel": "web",
            },
        ),
        201,
    )
    with env.session() as s:
        first = s.get(Claim, uuid.UUID(cid))
        report = s.execute(select(Report).where(Report.claim_id == first.id)).scalar_one()
    # The claims' numbers run on without a gap; the report is the next adjusting report of the year.
    assert _seq(nxt["number"]) == _seq(first.number) + 1
    assert report.number == f"GR-2026-{len(gr_before) + 1:06d}" and report.kind == "adjusting"
    assert broker.get(f"/api/v1/claims/{cid}/case").status_code == 200


def test_each_kind_counts_on_its_own_per_year_and_a_rolled_back_number_is_given_again(env):
    now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    with env.session() as s:
        assert next_report_number(s, now, "pre_assessment") == "YP-2026-000001"
        assert next_report_number(s, now, "pre_assessment") == "YP-2026-000002"
        assert next_report_number(s, now, "staged_risk") == "JP-2026-000001"
        assert next_report_number(s, now, "termination") == "ZP-2026-000001"
        # 2026-12-31 16:00 UTC is already 2027 in Beijing: a new year starts from 1.
        assert next_report_number(s, dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC), "pre_assessment") == (
            "YP-2027-000001"
        )
        s.rollback()  # nothing was submitted: the numbers are given again (gap-free)
        assert next_report_number(s, now, "pre_assessment") == "YP-2026-000001"
        s.commit()
    with env.session() as s:
        assert next_report_number(s, now, "pre_assessment") == "YP-2026-000002"


def test_the_letter_names_who_instructs_the_insurers_own_adjuster_and_the_brokers(env):
    cid = _to_reported(env)
    risk, broker, insurer = env.client("risk"), env.client("broker"), env.client("insurer1")
    _ok(risk.post(f"/api/v1/claims/{cid}/amount-confirmation"))
    _ok(broker.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    _ok(insurer.post(f"/api/v1/claims/{cid}/negotiation", json={"move": "dispute", "reason": "屋面单价偏高"}))
    second_report(env, cid)
    with env.session() as s:
        claim = s.get(Claim, uuid.UUID(cid))
        insurer_name = s.get(Organisation, claim.insurer_id).name
        broker_name = s.get(Organisation, claim.broker_id).name
        letters = {
            a.side: a for a in s.execute(select(Appointment).where(Appointment.case_id == claim.case_id)).scalars()
        }
        own, brokers = letter_html(s, letters["insurer"]), letter_html(s, letters["broker"])
    assert f"委托方：{insurer_name}（盖章）" in own and broker_name not in own
    assert f"委托方：{broker_name}（盖章）" in brokers
