"""Policies entered by hand (issue 19 item 6): every refusal beside its field in zh-CN and nothing
written; the designated adjuster refused as any routing choice; a good policy in force takes a claim
notice; a draft is edited (audited), a policy in force is not (a mid-term change changes it)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from tandem.audit.models import AuditEvent
from tandem.party.models import Adjuster
from tandem.policy.models import Policy, PolicyStatus
from tests.helpers import INSURED1_ORG, INSURER1_ORG, POLICY1, _body, logged_in, org, policy_id, post, text_of

NUMBER = "PQC2027330400077"


def _form(env, **over: str) -> dict[str, str]:
    with env.session() as s:
        adj = s.execute(select(Adjuster.id).where(Adjuster.name == "李娜")).scalar_one()
    form = {
        "number": NUMBER,
        "line": "企业财产保险",
        "insured_id": org(env, INSURED1_ORG),
        "insurer_id": org(env, INSURER1_ORG),
        "period_start": "2026-06-01",
        "period_end": "2027-05-31",
        "currency": "CNY",
        "premium": "36,000.00",
        "designated_adjuster_id": str(adj),
        "in_force": "1",
        "sections[0].code": "building",
        "sections[0].name": "建筑物",
        "sections[0].sum_insured": "20000000",
        "sections[0].insured_value": "22000000",
        "sections[0].deductible_amount": "10000",
        "sections[0].deductible_rate": "10%",
        "sections[0].basis": "average",
        "sections[1].code": "stock",
        "sections[1].name": "存货",
        "sections[1].sum_insured": "5000000",
        "sections[1].basis": "first_loss",
        "sections[1].liability_ratio": "80",
    }
    form.update(over)
    return form


def _policies(env) -> int:
    with env.session() as s:
        return s.execute(select(func.count()).select_from(Policy)).scalar_one()


def test_refusals_stand_beside_their_fields_and_nothing_is_written(env) -> None:
    c = logged_in(env, "broker")
    assert "手工录入保单" in text_of(c.get("/policies"))
    page = c.get("/policies/new")
    assert page.status_code == 200 and "保障项目 1" in text_of(page)
    before = _policies(env)
    bad = _form(
        env,
        insured_id="",
        period_end="2026-05-01",
        **{"sections[0].sum_insured": "两千万", "sections[1].basis": "pro_rata", "sections[1].code": "Stock"},
    )
    r = post(c, "/policies/new", bad)
    assert r.status_code == 422
    for name in ("insured_id", "period_end", "sections[0].sum_insured", "sections[1].basis", "sections[1].code"):
        assert f'id="{name}-error"' in r.text, name
    page = text_of(r)
    assert "请选择被保险人" in page and "保险期间的终止日须晚于起始日" in page and "只能用小写字母" in page
    assert 'value="两千万"' in r.text  # what was typed comes back
    assert _policies(env) == before


def test_the_designated_adjuster_is_checked_like_any_routing_choice(env) -> None:
    with env.session() as s:
        lapsed = s.execute(select(Adjuster.id).where(Adjuster.name == "钱永刚")).scalar_one()
    c = logged_in(env, "broker")
    r = post(c, "/policies/new", _form(env, designated_adjuster_id=str(lapsed)))
    assert r.status_code == 422
    assert 'id="designated_adjuster_id-error"' in r.text
    error = r.text.split('id="designated_adjuster_id-error">', 1)[1].split("<", 1)[0]
    assert ("钱永刚" in error and "年审" in error) or "失效" in error, error
    assert _policies(env) == 0 + _policies(env)  # nothing added by the refusal
    with env.session() as s:
        assert s.execute(select(Policy).where(Policy.number == NUMBER)).first() is None


def test_a_policy_entered_in_force_takes_a_claim_notice(env) -> None:
    c = logged_in(env, "broker")
    r = post(c, "/policies/new", _form(env), follow_redirects=False)
    assert r.status_code == 303, text_of(r)[:2000]
    page = c.get(r.headers["location"])
    assert "保单已保存" in text_of(page) and NUMBER in text_of(page)
    with env.session() as s:
        policy = s.execute(select(Policy).where(Policy.number == NUMBER)).scalar_one()
        assert policy.status == PolicyStatus.IN_FORCE and str(policy.premium) == "36000.00"
        assert [str(x.deductible_rate) for x in policy.sections] == ["0.1", "None"]
        assert policy.sections[1].options == {"basis": "first_loss", "liability_ratio": "0.8"}
    assert 'id="edit-policy"' not in page.text  # in force: changed by a mid-term change only
    assert logged_in(env, "broker").get(f"/policies/{policy.id}/edit").status_code == 403
    r = env.client("broker").post("/api/v1/claims", json=_body(str(policy.id)))
    assert r.status_code == 201, r.text


def test_a_draft_is_edited_and_audited(env) -> None:
    c = logged_in(env, "broker")
    r = post(c, "/policies/new", _form(env, in_force=""), follow_redirects=False)
    assert r.status_code == 303
    pid = r.headers["location"].split("/")[2].split("?")[0]
    page = c.get(f"/policies/{pid}")
    assert 'id="edit-policy"' in page.text
    form_page = c.get(f"/policies/{pid}/edit")
    assert 'value="20000000.00"' in form_page.text and 'value="10%"' in form_page.text
    r = post(
        c,
        f"/policies/{pid}/edit",
        _form(env, in_force="", **{"sections[0].sum_insured": "25000000", "sections[1].code": ""}),
        follow_redirects=False,
    )
    # Emptying a row's code but not its other cells is refused beside the code.
    assert r.status_code == 422 and 'id="sections[1].code-error"' in r.text
    edited = {k: v for k, v in _form(env, in_force="").items() if not k.startswith("sections[1]")}
    edited["sections[0].sum_insured"] = "25000000"
    r = post(c, f"/policies/{pid}/edit", edited, follow_redirects=False)
    assert r.status_code == 303, text_of(r)[:2000]
    with env.session() as s:
        policy = s.get(Policy, uuid.UUID(pid))
        assert policy.status == PolicyStatus.DRAFT
        assert [(x.code, str(x.sum_insured)) for x in policy.sections] == [("building", "25000000.00")]
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "policy.updated")).scalars().all()
    assert len(events) == 1
    # Another broker's user, or a policy bound on the platform, cannot be edited.
    assert logged_in(env, "insured1").get(f"/policies/{policy_id(env, POLICY1)}/edit").status_code in (403, 404)
