"""The recovery page of a policy (追偿, issue 16 item 5), zh-CN: the broker claims the itemised loss after the
insurer ended the policy (a head without evidence is refused beside its field), the underwriter counters,
the broker takes the counter, the payment is recorded; another insured gets 404."""

from __future__ import annotations

import re

from tandem.kit.clock import SHANGHAI
from tests.helpers import logged_in, post, terminated_by_insurer, text_of


def test_broker_claims_underwriter_counters_and_the_payment_is_recorded_on_the_page(env) -> None:
    pid = terminated_by_insurer(env)
    broker = logged_in(env, "broker")
    assert "向保险人追偿" in text_of(broker.get(f"/policies/{pid}"))
    page = text_of(broker.get(f"/policies/{pid}/recovery"))
    assert "应退保费" in page and "尚未就本保单提出追偿" in page
    form = {
        "refund_due_amount": "1380.82", "refund_due_evidence": "解除通知书",
        "replacement_cost_amount": "2619.18", "replacement_cost_evidence": "",
        "reasons": "保险人解除合同造成的损失",
    }  # fmt: skip
    bad = post(broker, f"/policies/{pid}/recovery", form)
    assert bad.status_code == 422 and "必填" in text_of(bad)
    r = post(broker, f"/policies/{pid}/recovery", {**form, "replacement_cost_evidence": "新保单报价减退费"})
    assert r.status_code == 303, text_of(r)[:2000]
    shown = text_of(broker.get(r.headers["location"]))
    assert "待保险人答复" in shown and "4,000.00" in shown and "新保单报价减退费" in shown
    underwriter = logged_in(env, "underwriter1")
    mine = underwriter.get(f"/policies/{pid}/recovery")
    rid = re.search(r"/recovery/([0-9a-f-]{36})/counter", mine.text).group(1)
    no_amount = post(underwriter, f"/policies/{pid}/recovery/{rid}/counter", {"reasons": "重置费用偏高"})
    assert no_amount.status_code == 422 and "请填写大于零的金额。" in text_of(no_amount)
    ok = post(underwriter, f"/policies/{pid}/recovery/{rid}/counter", {"amount": "3500.00", "reasons": "重置费用偏高"})
    assert ok.status_code == 303
    assert "保险人还价" in text_of(broker.get(f"/policies/{pid}/recovery"))
    assert post(broker, f"/policies/{pid}/recovery/{rid}/accept_counter").status_code == 303
    today = env.clock.now().astimezone(SHANGHAI).date().isoformat()
    paid = post(underwriter, f"/policies/{pid}/recovery/{rid}/pay", {"amount": "3500.00", "on_date": today})
    assert paid.status_code == 303
    final = text_of(broker.get(f"/policies/{pid}/recovery"))
    assert "追偿款已支付" in final and "3,500.00" in final
    assert not re.search(
        r"[A-Za-z]{4,}", re.sub(r"PQC\d+|CNY|Tandem", "", final.split("追偿金额", 1)[1].split("时间均为北京时间")[0])
    )
    assert "向保险人发出追偿" not in final  # paid: no second recovery
    assert logged_in(env, "insured2").get(f"/policies/{pid}/recovery").status_code == 404
