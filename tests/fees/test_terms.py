"""Fee terms on a confirmation letter (issue 18 item 1): the firm's acceptance fixes structured terms,
stored in their canonical form and shown in words; bad terms are refused naming the field (API) or beside
the field (page); letters accepted before with a free-text basis are migrated where the text is plain."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tandem.fees.engine import parse_terms, terms_to_json
from tandem.kit.i18n import use_locale
from tests.helpers import ACCEPT, CLAIM_TERMS, LETTER_FORM, POLICY1, _ok, logged_in, notice, post, text_of

ROOT = Path(__file__).resolve().parents[2]


def _appointment(firm, cid, body):
    return firm.post(f"/api/v1/claims/{cid}/appointment", json=body)


def test_api_accept_stores_canonical_terms_the_payer_and_the_case_file_shows_them(env):
    cid = notice(env, "insured1", POLICY1)
    firm = env.client("adjuster1")
    scale = {
        "basis": "scale",
        "scale": [{"up_to": "1000000.00", "rate": "0.01"}, {"up_to": "500000.00", "rate": "0.006"}, {"rate": "0.003"}],
        "payer": "insurer",
        "payment_days": 30,
    }
    r = _appointment(firm, cid, {"accept": True, "terms": scale})
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["terms.scale[1].up_to"]
    r = _appointment(firm, cid, {"accept": True, "terms": {**CLAIM_TERMS, "payer": "broker"}})
    assert r.status_code == 422 and r.json()["error"]["fields"] == {
        "terms.payer": "must be insurer for a claim instructed by the broker"
    }
    r = _appointment(firm, cid, {"accept": True, "terms": {**CLAIM_TERMS, "vat_rate": "6"}})
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["terms.vat_rate"]
    r = _appointment(firm, cid, {"accept": True, "terms": {**CLAIM_TERMS, "rate": 0.015, "minimum_fee": 3000}})
    case = _ok(r)
    assert case["appointment"]["state"] == "accepted"
    assert case["appointment"]["fee_terms"] == {
        "basis": "rate",
        "rate": "0.015",
        "minimum_fee": "3000.00",
        "maximum_fee": None,
        "expenses": {"policy": "actual", "cap": "5000.00"},
        "vat_rate": "0.06",
        "payer": "insurer",
        "payment_days": 30,
    }
    assert case["appointment"]["fee_payment_days"] == 30 and case["appointment"]["fee_basis"] is None
    # The payer reads the terms; the insured, who neither pays nor is the firm, does not.
    insurer = _ok(env.client("insurer1").get(f"/api/v1/claims/{cid}/case"))
    assert insurer["appointment"]["fee_terms"]["basis"] == "rate"
    insured = _ok(env.client("insured1").get(f"/api/v1/claims/{cid}/case"))
    assert insured["appointment"]["fee_terms"] is None
    # A second answer is a conflict: the terms are fixed once.
    assert _appointment(firm, cid, ACCEPT).status_code == 409


def test_page_form_errors_sit_beside_the_fields_and_the_terms_show_in_words(env):
    cid = notice(env, "insured1", POLICY1)
    firm = logged_in(env, "adjuster1")
    case = f"/claims/{cid}"
    bad = {**LETTER_FORM, "fee_minimum": "5000", "fee_maximum": "4000", "fee_expenses": "allowance"}
    r = post(firm, f"{case}/letter", bad)
    assert r.status_code == 422
    assert '<span class="error" id="letter-fee_maximum-error">最高收费不能低于最低收费。</span>' in r.text
    assert '<span class="error" id="letter-fee_expenses_amount-error">必填。</span>' in r.text
    assert 'value="5000"' in r.text  # what was typed stays
    scale = {
        **LETTER_FORM,
        "fee_basis": "scale",
        "fee_scale_up_to_0": "1000000",
        "fee_scale_rate_0": "1",
        "fee_scale_up_to_1": "900000",
        "fee_scale_rate_1": "0.6",
    }
    r = post(firm, f"{case}/letter", scale)
    assert r.status_code == 422 and 'id="letter-fee_scale-error">每一档的上限须高于前一档' in r.text
    scale["fee_scale_up_to_1"], scale["fee_scale_rate_2"] = "5000000", "0.3"
    r = post(firm, f"{case}/letter", scale)
    assert r.status_code == 303, r.text
    t = text_of(firm.get(case))
    assert "按核定损失金额差额定率累进：¥1,000,000.00 以内 1%；¥5,000,000.00 以内 0.6%；其余部分 0.3%" in t
    assert "最低 ¥3,000.00" in t and "由保险人在开票后 30 日内支付" in t
    terms = _ok(env.client("adjuster1").get(f"/api/v1/claims/{cid}/case"))["appointment"]["fee_terms"]
    assert terms["scale"] == [
        {"up_to": "1000000.00", "rate": "0.01"},
        {"up_to": "5000000.00", "rate": "0.006"},
        {"up_to": None, "rate": "0.003"},
    ]
    en = logged_in(env, "adjuster1", **{"Accept-Language": "en"})
    with use_locale("en"):
        assert "Scale on the assessed loss: up to CN¥1,000,000.00 at 1%" in text_of(en.get(case))


def _migration():
    spec = importlib.util.spec_from_file_location("m0017", ROOT / "migrations/versions/0023_fee_terms.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("按核定损失金额的1.5%", "claim", {"basis": "rate", "rate": "0.015", "minimum_fee": None, "maximum_fee": None}),
        ("按定损金额的 2 ％", "claim", {"basis": "rate", "rate": "0.02", "minimum_fee": None, "maximum_fee": None}),
        ("固定费用8,000元", "claim", {"basis": "fixed", "amount": "8000.00"}),
        ("按日计费", "claim", None),
        ("按日 3500 元，另加1%", "claim", None),  # two figures: nothing is guessed
        ("按核定损失金额的1.5%", "placement", None),  # a pre-assessment's payer was never agreed
    ],
)
def test_migration_reads_only_plain_free_text_bases(text, kind, expected):
    out = _migration().structured(text, 45, kind)
    if expected is None:
        assert out is None
    else:
        assert out == {
            **expected,
            "expenses": {"policy": "none"},
            "vat_rate": "0.06",
            "payer": "insurer",
            "payment_days": 45,
        }
        assert terms_to_json(parse_terms(out)) == out  # canonical: today's code reads them back unchanged
