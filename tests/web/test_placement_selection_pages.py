"""The selection part of the placement's case file (R-U1, R-U2) in the browser: the broker explains, the
insured sees the recommendations and chooses (its own adjuster refused with the reasons in words, beside the
field, in Chinese and English), the broker issues the letter, the firm accepts with its terms or declines."""

from __future__ import annotations

from sqlalchemy import select

from tandem.party.models import Adjuster
from tests.helpers import logged_in, open_placement, post, text_of


def _adjuster_id(env, name: str) -> str:
    with env.session() as s:
        return str(s.execute(select(Adjuster.id).where(Adjuster.name == name)).scalar_one())


def test_the_selection_walks_through_the_pages(env):
    pid = open_placement(env)["id"]
    base = f"/placements/{pid}"
    broker, insured, firm = logged_in(env, "broker"), logged_in(env, "insured1"), logged_in(env, "adjuster3")

    page = broker.get(base)
    assert page.status_code == 200 and 'id="act-explain"' in page.text
    assert 'id="act-explain"' not in insured.get(base).text  # the broker explains
    r = post(broker, f"{base}/explain", {"note": "x" * 2001})
    assert r.status_code == 422 and 'id="explain-note-error"' in r.text
    r = post(broker, f"{base}/explain", {"note": "客户会议上已说明"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=explained#selection")

    page = insured.get(base)
    text = text_of(page)
    assert 'id="act-choose"' in page.text and 'id="act-own"' in page.text
    assert "张伟" in text and "吴斌" in text and "周敏" in text
    assert "或指定自选公估师" in text and "钱永刚" in text  # the excluded are listed with their reasons
    own = page.text[page.text.index('id="own-adjuster_id"') :]
    assert "钱永刚 · 华信保险公估有限公司 · 已失效" in own  # the register, each with its qualification status
    # No acknowledgement: refused beside the checkbox, nothing saved.
    r = post(insured, f"{base}/choose", {"adjuster_id": _adjuster_id(env, "张伟")})
    assert r.status_code == 422 and 'id="choose-ack-error"' in r.text
    # Its own adjuster, lapsed: refused with the reason in words beside the field.
    r = post(
        insured, f"{base}/choose", {"source": "own", "adjuster_id": _adjuster_id(env, "钱永刚"), "acknowledged": "yes"}
    )
    assert r.status_code == 422 and 'id="own-adjuster_id-error"' in r.text
    assert "该公估师不能承接本投保项目：执业资格无效" in text_of(r) and "certificate_lapsed" not in r.text
    r = post(insured, f"{base}/choose", {"adjuster_id": _adjuster_id(env, "张伟"), "acknowledged": "yes"})
    assert r.status_code == 303

    page = broker.get(base)
    assert 'id="act-letter"' in page.text and "张伟" in text_of(page)
    assert post(broker, f"{base}/letter").status_code == 303

    page = firm.get(base)
    assert page.status_code == 200 and 'id="act-accept"' in page.text
    bad = {
        "fee_basis": "fixed",
        "fee_amount": "",
        "fee_payer": "insurer",
        "fee_payment_days": "",
        "report_due": "2026-01-01",
    }
    r = post(firm, f"{base}/letter/accept", bad)
    assert r.status_code == 422
    for name in ("fee_amount", "fee_payer", "fee_payment_days", "report_due"):
        assert f'id="accept-{name}-error"' in r.text, name
    r = post(
        firm,
        f"{base}/letter/accept",
        {
            "fee_basis": "fixed",
            "fee_amount": "80000",
            "fee_payer": "insured",
            "fee_payment_days": "30",
            "report_due": "2027-01-15",
        },
    )
    assert r.status_code == 303
    page = broker.get(base)
    assert (
        "固定费用 ¥80,000.00" in text_of(page)
        and "由被保险人在开票后 30 日内支付" in text_of(page)
        and "surveying" not in text_of(page)
    )


def test_english_refusal_and_a_declining_firm(env):
    pid = open_placement(env)["id"]
    base = f"/placements/{pid}"
    broker = logged_in(env, "broker")
    insured = logged_in(env, "insured1", **{"Accept-Language": "en"})
    post(broker, f"{base}/explain", {"note": ""})
    r = post(
        insured, f"{base}/choose", {"source": "own", "adjuster_id": _adjuster_id(env, "何雪梅"), "acknowledged": "yes"}
    )
    assert r.status_code == 422 and "On the broker's blacklist" in text_of(r)
    assert (
        post(insured, f"{base}/choose", {"adjuster_id": _adjuster_id(env, "张伟"), "acknowledged": "yes"}).status_code
        == 303
    )
    post(broker, f"{base}/letter")
    firm = logged_in(env, "adjuster3")
    r = post(firm, f"{base}/letter/decline", {"reason": ""})
    assert r.status_code == 422 and 'id="decline-reason-error"' in r.text
    r = post(firm, f"{base}/letter/decline", {"reason": "人手不足"})
    assert r.status_code == 303 and firm.get(base).status_code == 404
    page = insured.get(base)
    assert 'id="act-choose"' in page.text and "人手不足" in text_of(page)
    assert logged_in(env, "insured2").get(base).status_code == 404


def test_the_timeline_names_the_chosen_adjuster_and_the_letter(env):
    pid = open_placement(env)["id"]
    base = f"/placements/{pid}"
    broker, insured = logged_in(env, "broker"), logged_in(env, "insured1")
    post(broker, f"{base}/explain", {"note": ""})
    post(
        insured, f"{base}/choose", {"adjuster_id": _adjuster_id(env, "王建国"), "acknowledged": "yes", "source": "own"}
    )
    post(broker, f"{base}/letter")
    page = broker.get(base)
    timeline = page.text[page.text.index('id="timeline"') :]
    assert "王建国" in timeline and "QRH-2026-000001" in text_of(page)
    # The insured's own adjuster, not listed for risk evaluation: said in words beside the choice.
    assert "被保险人自选" in text_of(page) and "not_qualified_for_line" not in page.text
