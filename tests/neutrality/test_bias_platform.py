"""Bias analytics over the platform's own data (neutrality.md "Bias analytics", issue 17 item 2): claims
built through the API — agreed with the insurer below the report, and one dual-report dispute settled by
an MoU — give the same figures as the engine run on the rows written out by hand; the record pages show
them with a chart drawn in the page; the risk evaluators' queue suggests a flagged adjuster only."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from tandem.neutrality import bias
from tests.helpers import _ok, _to_reported, logged_in, second_report

# 王建国 (firm A, appointed by the broker for the insured) reports 619,500.00 payable on each claim of
# _draft(); the insurer counters lower and the broker accepts: the report leans toward its appointer.
COUNTERS = ("560000.00", "570000.00", "550000.00", "580000.00", "565000.00")


def agreed_below(env, amount: str) -> str:
    """A claim reported by firm A, confirmed at 619,500.00, countered by the insurer and accepted."""
    cid = _to_reported(env)
    _ok(env.client("risk").post(f"/api/v1/claims/{cid}/amount-confirmation"))
    _ok(env.client("broker").post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    start = env.clock.current
    env.clock.current = start + dt.timedelta(minutes=5)  # the counter-offer comes after the proposal
    counter = {"move": "counter", "amount": amount, "reason": "屋面单价偏高", "confirm": True}
    _ok(env.client("insurer1").post(f"/api/v1/claims/{cid}/negotiation", json=counter))
    case = _ok(env.client("broker").post(f"/api/v1/claims/{cid}/negotiation", json={"move": "accept"}))
    assert case["claim"]["status"] == "agreed"
    env.clock.current = start  # the next claim's fixed survey dates stay after its notice
    return cid


def settled_by_mou(env) -> str:
    """A disputed claim: report A (firm A, 738,000.00) and report B (firm B for the insurer, 684,000.00);
    firm A accepts B's roof figure, so the MoU agrees 684,000.00."""
    cid = _to_reported(env)
    _ok(env.client("risk").post(f"/api/v1/claims/{cid}/amount-confirmation"))
    _ok(env.client("broker").post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    dispute = {"move": "dispute", "reason": "屋面单价偏高"}
    _ok(env.client("insurer1").post(f"/api/v1/claims/{cid}/negotiation", json=dispute))
    second_report(env, cid)
    view = _ok(env.client("broker").post(f"/api/v1/claims/{cid}/consultation"), 201)
    firm_a = env.client("adjuster1")
    _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/start"))
    for item in view["items"]:
        if item["state"] == "open":
            move = {"kind": "accept"}
            _ok(firm_a.post(f"/api/v1/claims/{cid}/consultation/items/{item['id']}/moves", json=move))
    view = _ok(env.client("broker").get(f"/api/v1/claims/{cid}/consultation"))
    assert view["memorandum"]["content"]["total_agreed"] == "684000.00"
    return cid


def number(env, cid: str) -> str:
    return _ok(env.client("broker").get(f"/api/v1/claims/{cid}/case"))["claim"]["number"]


def adjusters(env) -> dict[str, dict]:
    return {a["name"]: a for a in _ok(env.client("broker").get("/api/v1/adjusters?limit=200"))["items"]}


def expected(rows: list[tuple[str, str, str, str, str, str]]) -> dict:
    """The engine on hand-written rows (case, adjuster, firm, side, report, settled)."""
    typed = tuple(bias.BiasRow(c, a, f, bias.Side(s), Decimal(r), Decimal(t)) for c, a, f, s, r, t in rows)
    return bias.result_to_json(bias.analyse(bias.BiasInput(typed)))


def test_platform_figures_agree_with_the_engine_and_flag_only_the_leaning_adjuster(env):
    cids = [agreed_below(env, amount) for amount in COUNTERS[:4]]
    reg = adjusters(env)
    wang, zhang = reg["王建国"], reg["张伟"]
    broker = env.client("broker")

    # Four cases: figures, but under min_cases (5) nothing is flagged and the queue suggests nobody.
    record = _ok(broker.get(f"/api/v1/neutrality/adjusters/{wang['id']}/record"))
    assert record["figures"]["n"] == 4 and record["figures"]["flagged"] is False
    assert _ok(broker.get("/api/v1/neutrality/queue"))["suggestions"] == []

    cids.append(agreed_below(env, COUNTERS[4]))
    mou = settled_by_mou(env)
    numbers = [number(env, c) for c in cids]
    mou_number = number(env, mou)
    firm_a, firm_b = wang["firm"]["id"], zhang["firm"]["id"]
    rows = [(n, "W", "A", "insured", "619500.00", amount) for n, amount in zip(numbers, COUNTERS, strict=True)]
    rows += [
        (mou_number, "W", "A", "insured", "738000.00", "684000.00"),
        (mou_number, "Z", "B", "insurer", "684000.00", "684000.00"),
    ]
    want = expected(rows)
    by_key = {g["adjuster"]: g for g in want["adjusters"]} | {g["firm"]: g for g in want["firms"]}
    assert by_key["W"]["flagged"] is True and by_key["Z"]["flagged"] is False

    checks = [
        (f"/api/v1/neutrality/adjusters/{wang['id']}/record", by_key["W"]),
        (f"/api/v1/neutrality/adjusters/{zhang['id']}/record", by_key["Z"]),
        (f"/api/v1/neutrality/firms/{firm_a}/record", by_key["A"]),
        (f"/api/v1/neutrality/firms/{firm_b}/record", by_key["B"]),
    ]
    for path, group in checks:
        got = _ok(broker.get(path))["figures"]
        for field in ("n", "mean", "sd", "lower", "toward_insured", "flagged", "direction"):
            assert got[field] == group[field], (path, field)
    got = _ok(broker.get(checks[0][0]))["figures"]
    assert [c["case_number"] for c in got["cases"]] == sorted([*numbers, mou_number])
    assert {c["source"] for c in got["cases"]} == {"agreed", "mou"}

    # The queue suggests 王建国 only, linked to the cases behind the figure.
    suggestions = _ok(broker.get("/api/v1/neutrality/queue"))["suggestions"]
    assert [s["adjuster"]["name"] for s in suggestions] == ["王建国"]
    assert {c["claim_id"] for c in suggestions[0]["figures"]["cases"]} == {*cids, mou}
    page = logged_in(env, "risk").get("/neutrality").text
    section = page.split('id="suggestions"')[1].split("</section>")[0]
    assert f"/neutrality/adjusters/{wang['id']}#figures" in section and "张伟" not in section
    assert all(f"/claims/{c}" in section for c in [*cids, mou])

    # The record page draws the chart in the page: one dot per case, mean and bound, no script.
    html = logged_in(env, "adjuster1").get(f"/neutrality/adjusters/{wang['id']}").text
    svg = html.split('<svg id="bias-chart"')[1].split("</svg>")[0]
    assert len(re.findall(r'<circle class="point"', svg)) == 6
    assert 'class="rule mean"' in svg and 'class="rule lower"' in svg
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert by_key["W"]["mean"] in html and by_key["W"]["lower"] in html

    # The insured and the insurer see no figures (the record is not theirs to read).
    for user in ("insured1", "insurer1"):
        assert env.client(user).get(checks[0][0]).status_code == 404
