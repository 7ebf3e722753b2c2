"""Stage 2 comparison (横评, R-U6) through the API: the platform filled with placements' policies and
claims of 32 other insureds across 4 insurers; what the insured reads holds no other insured's identity
or figures and hides every figure behind fewer than 5 insureds; the insured picks, or asks and confirms
the broker's recommendation (audited); the broker publishes the weights; the insurer declares its
underwriting process."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tandem.access.models import Organisation
from tandem.audit.models import AuditEvent
from tandem.claim.models import Claim
from tandem.demo_comparison import history
from tandem.placement import comparison_stats as stats
from tandem.placement.comparison_models import InsurerChoice
from tandem.placement.models import Placement
from tandem.policy.models import Policy
from tests.helpers import (
    COMPARISON_NEW_INSURERS as NEW_INSURERS,
)
from tests.helpers import (
    COMPARISON_SLOW as SLOW,
)
from tests.helpers import (
    TAIHE,
    ZHONGAN,
    _ok,
    comparison_ready,
    comparison_secrets,
    inbox,
    logged_in,
    pdf_text,
    placement_reported,
    said,
)


def _figures(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for ins in body["insurers"]:
        found += [ins["premium_rates"], *ins["claims_record"].values(), *ins["integrity"]["components"]]
    return found


def _hidden_truths(env, insurer: uuid.UUID) -> list[str]:
    """What the hidden insurer's figures would have been, had they been shown."""
    with env.session() as s:
        rows = (
            s.execute(select(Policy).where(Policy.insurer_id == insurer, Policy.premium.is_not(None)))
            .unique()
            .scalars()
            .all()
        )
        rates = [p.premium * 1000 / sum(x.sum_insured for x in p.sections) for p in rows]
    return [str(v) for v in stats.rate_quartiles(rates)]


def test_the_insured_sees_no_other_insured_and_no_figure_behind_fewer_than_five(env) -> None:
    pid, ids, names = comparison_ready(env)
    assert sum(len(v) for v in names.values()) >= 30 and len(names) == 4
    body = _ok(env.client("insured1").get(f"/api/v1/placements/{pid}/comparison"))
    by_name = {i["name"]: i for i in body["insurers"]}
    assert set(by_name) == {ZHONGAN, TAIHE, *NEW_INSURERS}

    # Every figure shown stands on at least 5 insureds; hidden ones say nothing, not even the count.
    for fig in _figures(body):
        assert (fig["shown"] and fig["insureds"] >= 5 and fig["value"] is not None) or (
            not fig["shown"] and fig["insureds"] is None and fig["value"] is None
        ), fig
    few = by_name[NEW_INSURERS[1]]
    assert not any(f["shown"] for f in [few["premium_rates"], *few["claims_record"].values()])
    assert few["integrity"]["score"] is None and few["integrity"]["rank"] is None
    many = by_name[ZHONGAN]
    assert many["premium_rates"]["shown"] and many["premium_rates"]["insureds"] == 12
    assert many["claims_record"]["payment_days"]["shown"] and many["integrity"]["rank"] is not None
    # The fees the insurer settled count; no complaints on the platform: re-weighted without them.
    parts = {p["code"]: p for p in many["integrity"]["components"]}
    assert parts["fee_days"]["shown"] and parts["fee_days"]["insureds"] >= 5
    assert not parts["complaints"]["shown"] and parts["complaints"]["effective_weight"] is None
    effective = [Decimal(p["effective_weight"]) for p in parts.values() if p["effective_weight"]]
    assert abs(sum(effective) - 100) <= Decimal("0.1") * len(effective)  # each rounded to one place
    ranks = sorted(i["integrity"]["rank"] for i in body["insurers"] if i["integrity"]["rank"] is not None)
    assert ranks[0] == 1 and body["insurers"][0]["integrity"]["rank"] == 1  # ranked first

    # The same in the page, the API and the PDF (both languages): no secret, no hidden figure.
    browser = logged_in(env, "insured1")
    page = browser.get(f"/placements/{pid}")
    assert page.status_code == 200 and 'id="comparison-table"' in page.text
    pdfs = {lang: browser.get(f"/placements/{pid}/comparison.pdf", params={"lang": lang}) for lang in ("zh_CN", "en")}
    assert all(r.status_code == 200 and r.headers["content-type"] == "application/pdf" for r in pdfs.values())
    texts = {
        "api": json.dumps(body, ensure_ascii=False),
        "page": page.text,
        **{f"pdf-{lang}": pdf_text(r.content) for lang, r in pdfs.items()},
    }
    assert "横评" in texts["pdf-zh_CN"] and "Insurer comparison" in texts["pdf-en"]
    assert "Not enough data" in texts["pdf-en"] and "数据不足" in texts["pdf-zh_CN"]
    secrets = comparison_secrets(env, names)
    hidden = _hidden_truths(env, ids[NEW_INSURERS[1]])
    shown = many["premium_rates"]["value"]  # the figures that are shown are there, in each
    for where, text in texts.items():
        leaks = [secret for secret in secrets if secret in text]
        assert not leaks, (where, leaks[:5])
        assert not [t for t in hidden if t in text], where
        assert all(figure in text for figure in shown), where


def test_the_insureds_own_policies_and_claims_are_not_in_its_comparison(env) -> None:
    pid, ids, _names = comparison_ready(env)
    before = _ok(env.client("insured1").get(f"/api/v1/placements/{pid}/comparison"))
    with env.session() as s:
        placement = s.get(Placement, uuid.UUID(pid))
        assert placement is not None
        xinda = placement.insured_id
        taken = set(s.execute(select(Organisation.name)).scalars())
        extra = history(s, {ids[ZHONGAN]: (1, SLOW)}, line="企业财产保险", now=env.clock.now(), seed=99, tag="X")
        new_org = s.execute(select(Organisation).where(Organisation.name == extra[ids[ZHONGAN]][0])).scalar_one()
        assert new_org.name not in taken
        # The new insured's policy and claims become the viewing insured's own.
        for p in s.execute(select(Policy).where(Policy.insured_id == new_org.id)).unique().scalars():
            p.insured_id = xinda
        for c in s.execute(select(Claim).where(Claim.insured_id == new_org.id)).unique().scalars():
            c.insured_id = xinda
        s.commit()
    after = _ok(env.client("insured1").get(f"/api/v1/placements/{pid}/comparison"))
    assert after["insurers"] == before["insurers"]


def test_pick_or_ask_recommend_and_confirm(env) -> None:
    pid, ids, _names = comparison_ready(env)
    base = f"/api/v1/placements/{pid}/comparison"
    insured, broker = env.client("insured1"), env.client("broker")
    assert _ok(insured.get(base))["actions"] == ["ask", "pick"]
    assert _ok(broker.get(base))["actions"] == []
    # Only insurers on the shortlist; the insured's contacts pick, the broker recommends.
    bad = insured.post(f"{base}/choice", json={"action": "pick", "insurer_id": str(uuid.uuid4())})
    assert bad.status_code == 422 and "insurer_id" in bad.json()["error"]["fields"]
    assert broker.post(f"{base}/choice", json={"action": "pick", "insurer_id": str(ids[TAIHE])}).status_code == 403
    assert insured.post(f"{base}/choice", json={"action": "recommend"}).status_code in (403, 409)

    asked = _ok(insured.post(f"{base}/choice", json={"action": "ask"}))
    assert asked["choice"]["state"] == "requested"
    assert any(said("placement.insurer_ask") in subject for subject in inbox(env, "broker"))
    no_reason = broker.post(f"{base}/choice", json={"action": "recommend", "insurer_id": str(ids[ZHONGAN])})
    assert no_reason.status_code == 422 and "reasons" in no_reason.json()["error"]["fields"]
    why = "理赔记录最好：30日内决定的比例最高，付款最快。"
    rec = _ok(
        broker.post(f"{base}/choice", json={"action": "recommend", "insurer_id": str(ids[ZHONGAN]), "reasons": why})
    )
    assert rec["choice"]["state"] == "recommended" and rec["choice"]["reasons"] == why
    assert rec["choice"]["recommended_insurer"] == ZHONGAN
    assert any(said("placement.insurer_recommend") in subject for subject in inbox(env, "insured1"))
    done = _ok(insured.post(f"{base}/choice", json={"action": "confirm"}))
    assert done["choice"] | {"chosen_at": None} == done["choice"] | {
        "state": "chosen",
        "insurer": ZHONGAN,
        "how": "recommended",
        "chosen_at": None,
    }
    assert insured.post(f"{base}/choice", json={"action": "pick", "insurer_id": str(ids[TAIHE])}).status_code == 409
    with env.session() as s:
        row = s.get(InsurerChoice, uuid.UUID(pid))
        assert row is not None and row.insurer_id == ids[ZHONGAN] and row.recommendation_reasons == why
        events = (
            s.execute(
                select(AuditEvent).where(AuditEvent.entity_id == pid, AuditEvent.action.like("placement.insurer_%"))
            )
            .scalars()
            .all()
        )
        assert [e.action for e in events] == [
            "placement.insurer_ask",
            "placement.insurer_recommend",
            "placement.insurer_confirm",
        ]
        assert events[1].reason == why and events[2].after["insurer"] == ZHONGAN

    # A new shortlist version opens the choice again; the insured picks directly.
    _ok(broker.post(f"/api/v1/placements/{pid}/shortlist", json={}), 201)
    again = _ok(insured.get(base))
    assert again["choice"]["state"] == "open" and again["shortlist_version"] == 2
    picked = _ok(insured.post(f"{base}/choice", json={"action": "pick", "insurer_id": str(ids[TAIHE])}))
    assert picked["choice"]["insurer"] == TAIHE and picked["choice"]["how"] == "picked"
    assert picked["choice"]["reasons"] is None


def test_who_reads_the_comparison(env) -> None:
    pid = placement_reported(env)
    base = f"/api/v1/placements/{pid}/comparison"
    assert env.client("broker").get(base).status_code == 409  # no shortlist yet
    for user in ("insured2", "underwriter1", "underwriter2"):  # not on the case
        assert env.client(user).get(base).status_code == 404, user
        assert env.client(user).post(f"{base}/choice", json={"action": "ask"}).status_code == 404, user


def test_the_broker_publishes_the_weights(env) -> None:
    broker = env.client("broker")
    assert _ok(broker.get("/api/v1/comparison-weights"))["weights"] == dict(stats.DEFAULT_WEIGHTS)
    bad = broker.put("/api/v1/comparison-weights", json={"weights": {"refusals": 101, "meteor": 5}})
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"weights.refusals", "weights.meteor"}
    zero = broker.put("/api/v1/comparison-weights", json={"weights": dict.fromkeys(stats.DEFAULT_WEIGHTS, 0)})
    assert zero.status_code == 422 and "weights" in zero.json()["error"]["fields"]
    saved = _ok(broker.put("/api/v1/comparison-weights", json={"weights": {"refusals": 40}}))
    assert saved["weights"]["refusals"] == 40 and saved["weights"]["disputes"] == 10
    assert _ok(broker.get("/api/v1/comparison-weights"))["weights"]["refusals"] == 40
    assert env.client("insured1").get("/api/v1/comparison-weights").status_code == 403
    assert env.client("risk").put("/api/v1/comparison-weights", json={"weights": {}}).status_code == 403
    with env.session() as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "broker.comparison_weights_set")).scalar_one()
        assert event.before["refusals"] == 10 and event.after["refusals"] == 40


def test_the_insurer_declares_its_underwriting_process(env) -> None:
    with env.session() as s:
        zhongan = s.execute(select(Organisation.id).where(Organisation.name == ZHONGAN)).scalar_one()
        taihe = s.execute(select(Organisation.id).where(Organisation.name == TAIHE)).scalar_one()
    uw = env.client("underwriter1")
    body = {"steps": ["投保资料初审", "风险查勘", "核保定价", "出具报价"], "turnaround_days": 7}
    saved = _ok(uw.put(f"/api/v1/insurers/{zhongan}/underwriting", json=body))
    assert saved["underwriting_steps"] == body["steps"] and saved["underwriting_days"] == 7
    bad = uw.put(f"/api/v1/insurers/{zhongan}/underwriting", json={"steps": ["", "核保"], "turnaround_days": 0})
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"steps", "turnaround_days"}
    assert uw.put(f"/api/v1/insurers/{taihe}/underwriting", json=body).status_code == 404  # not its own
    assert env.client("broker").put(f"/api/v1/insurers/{zhongan}/underwriting", json=body).status_code == 403
    assert _ok(env.client("broker").get(f"/api/v1/insurers/{zhongan}"))["underwriting_days"] == 7
