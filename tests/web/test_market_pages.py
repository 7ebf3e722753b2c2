"""Going to market and binding through the pages (issue 15 items 3 and 6), zh-CN with an English check:
the broker gives the disclosure and the mandate (a bad upload shown beside its field), the insured
acknowledges both, the placement goes to market and the programme is submitted to two insurers; each
underwriter lists only its own submission and gets the same 404 page for the other's; a quote with a bad
rate is shown beside that rate; the insured compares and accepts; the policy's page links back."""

from __future__ import annotations

import re
import uuid

from tests.helpers import INSURER1_ORG, _ok, logged_in, org, placement_deciding, post, text_of

INSURER2_ORG = "太和财产保险股份有限公司"


def _quote_form(valid_until: str, first_rate: str = "0.80") -> dict[str, str]:
    return {
        "sections[0].rate_permille": first_rate,
        "sections[0].deductible_amount": "10000.00",
        "sections[1].rate_permille": "1.20",
        "sections[2].rate_permille": "1.50",
        "factors[0].code": "sprinkler",
        "factors[0].value": "0.95",
        "conditions": "仓库消防通道须于起保前清理完毕。",
        "valid_until": valid_until,
    }


def test_the_market_through_the_pages(env):
    pid = placement_deciding(env)
    base = f"/placements/{pid}"
    manager, insured = logged_in(env, "broker"), logged_in(env, "insured1")
    text = text_of(manager.get(base))
    assert "客户告知书" in text and "尚未向被保险人出具。" in text

    assert post(manager, f"{base}/disclosure", {"remuneration": ""}).status_code == 303
    bad = post(manager, f"{base}/mandate", {"op": "upload"}, files={"file": ("m.exe", b"MZ\x90\x00", "application/x")})
    assert bad.status_code == 422 and 'id="mandate-file-error"' in bad.text
    assert post(manager, f"{base}/mandate", {"op": "generate"}).status_code == 303
    assert "待被保险人确认" in text_of(insured.get(base))
    for kind in ("disclosure", "mandate"):
        assert post(insured, f"{base}/consents/{kind}/acknowledge").status_code == 303
    assert post(manager, f"{base}/go-to-market").status_code == 303

    ins1, ins2 = org(env, INSURER1_ORG), org(env, INSURER2_ORG)
    assert post(manager, f"{base}/submissions", {"insurer_ids": [ins1, ins2], "answer_days": "7"}).status_code == 303
    subs = {s["insurer"]["id"]: s for s in _ok(env.client("broker").get(f"/api/v1/placements/{pid}/submissions"))}
    s1, s2 = subs[ins1], subs[ins2]

    # Each underwriter lists its own; the other's page is the same 404 page as none.
    uw1 = logged_in(env, "underwriter1")
    listing = text_of(uw1.get("/submissions"))
    assert s1["number"] in listing and s2["number"] not in listing
    other, none = uw1.get(f"/submissions/{s2['id']}"), uw1.get(f"/submissions/{uuid.uuid4()}")
    assert other.status_code == none.status_code == 404 and text_of(other) == text_of(none)

    # A question, then a quote: a bad rate is shown beside that rate, nothing saved; then quoted.
    assert post(uw1, f"/submissions/{s1['id']}/messages", {"body": "仓库是否设有自动喷淋？"}).status_code == 303
    r = post(uw1, f"/submissions/{s1['id']}/quotes", _quote_form("2027-01-31", first_rate="0"))
    assert r.status_code == 422 and 'id="q-0-rate_permille-error"' in r.text
    assert post(uw1, f"/submissions/{s1['id']}/quotes", _quote_form("2027-01-31")).status_code == 303
    page = text_of(uw1.get(f"/submissions/{s1['id']}"))
    assert "版本 1" in page and "仓库是否设有自动喷淋？" in page
    uw2 = logged_in(env, "underwriter2")
    assert post(uw2, f"/submissions/{s2['id']}/decline", {"reason": ""}).status_code == 422
    assert post(uw2, f"/submissions/{s2['id']}/decline", {"reason": "超出承保偏好"}).status_code == 303

    # The insured sees the quotes side by side and accepts one: the placement is bound.
    quote = _ok(env.client("insured1").get(f"/api/v1/placements/{pid}/quotes"))
    q1 = next(r["quote"] for r in quote["rows"] if r["quote"])
    text = text_of(insured.get(base))
    assert "已报价" in text and "保险人已拒绝报价" in text and "超出承保偏好" in text and "接受该报价" in text
    # The adjuster it may designate for claims: only those the policy would take (the routing checks); one
    # slipped in anyway is refused beside the field, in words of the page's language.
    page = insured.get(base).text
    picker = page[
        page.index('name="designated_adjuster_id"') : page.index(
            "</select>", page.index('name="designated_adjuster_id"')
        )
    ]
    assert "张伟" in picker and not {"钱永刚", "何雪梅", "罗振华"} & set(re.findall(r">([^<·]+?) ·", picker)), picker
    ids = {a["name"]: a["id"] for a in _ok(env.client("broker").get("/api/v1/adjusters?limit=100"))["items"]}
    r = post(insured, f"{base}/quotes/{q1['id']}/accept", {"designated_adjuster_id": ids["钱永刚"]})
    assert r.status_code == 422 and "钱永刚：执业登记失效" in text_of(r) and "registration lapsed" not in text_of(r)
    assert post(insured, f"{base}/quotes/{q1['id']}/accept", {"designated_adjuster_id": ""}).status_code == 303
    assert _ok(env.client("broker").get(f"/api/v1/placements/{pid}"))["status"] == "bound"
    policy = next(p for p in _ok(env.client("insured1").get("/api/v1/policies"))["items"] if p["placement_id"] == pid)
    page = text_of(insured.get(f"/policies/{policy['id']}"))
    assert "投保项目" in page and s1["number"].rsplit("-S", 1)[0] in page

    # English through the catalogues.
    en = logged_in(env, "underwriter1", **{"Accept-Language": "en"})
    assert "The programme as submitted" in text_of(en.get(f"/submissions/{s1['id']}"))
    en_insured = logged_in(env, "insured1", **{"Accept-Language": "en"})
    assert "Bound from a placement" in text_of(en_insured.get(f"/policies/{policy['id']}"))
    assert "Submissions and quotes" in text_of(en_insured.get(base))
