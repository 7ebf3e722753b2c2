"""Claims pages: the work queue, the loss notice form, inbound drafts, the case file with a form per
move, the dispute and the competitive consultation, and the inbox — each party through its own pages
(TestClient with the real login form and CSRF), outsiders meeting the same 404 as for a missing id."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import uuid

import pytest
from sqlalchemy import func, select

from tandem.access.models import User
from tandem.claim.models import Claim, Deadline, InboundMessage, Message
from tandem.notification.models import Notification
from tandem.reconciliation.models import ConsultationItem
from tandem.worker import runner
from tests.helpers import (
    LETTER_FORM,
    POLICY1,
    POLICY3,
    _draft_b,
    _ok,
    _to_reported,
    claim_status,
    csrf_of,
    logged_in,
    notice,
    one,
    policy_id,
    post,
    sign_on_page,
    text_of,
)


def adjuster_ids(env, user: str) -> dict[str, str]:
    return {a["name"]: a["id"] for a in env.client(user).get("/api/v1/adjusters").json()["items"]}


def draft_form(rows: list[dict[str, str]], section: str = "building", **extra: str) -> dict[str, str]:
    data = {f"{section}.rows": str(len(rows)), "op": "save", **extra}
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"{section}.{i}.{k}"] = v
    return data


# ---- the work queue ------------------------------------------------------------------------------


def test_queue_per_role_with_tabs_search_and_more(env, monkeypatch):
    cids = [
        notice(
            env,
            "insured1",
            POLICY1,
            loss_at=f"2026-11-2{d}T10:00:00+08:00",
            location=f"浙江省嘉兴市南湖区{d}号仓库",
            description=f"第{d}次测试",
        )
        for d in (1, 2, 3)
    ]
    numbers = [one(env, select(Claim.number).where(Claim.id == uuid.UUID(c))) for c in cids]
    broker = logged_in(env, "broker")
    page = broker.get("/claims")
    assert page.status_code == 200
    t = text_of(page)
    for n in numbers:
        assert n in t
    assert "进行中 3" in t and "已委托公估" in t and "公估机构" in t  # status, and whose move it is
    assert "确认函答复（24小时）" in t  # the next deadline
    # Search by number prefix, and a tab without claims.
    found = text_of(broker.get(f"/claims?q={numbers[1].lower()}"))
    assert numbers[1] in found and numbers[0] not in found
    assert "此列表中没有案件。" in text_of(broker.get("/claims?status=disputed"))
    # Keyset "more": two per page here.
    monkeypatch.setattr("tandem.web.cases.PAGE_SIZE", 2)
    first = broker.get("/claims")
    more = re.search(r'href="(/claims\?status=all&amp;cursor=[^"]+)"', first.text)
    assert more, first.text
    second = broker.get(html.unescape(more.group(1)))
    rows = re.compile(r'class="mono">(LP-\d{4}-\d{6})</a>')
    on_first, on_second = set(rows.findall(first.text)), set(rows.findall(second.text))
    assert len(on_first) == 2 and len(on_second) == 1 and on_first | on_second == set(numbers)
    assert "没有更多案件了。" in second.text and "cursor=" not in second.text
    # Every party of the case sees it; another insured does not.
    for user in ("insured1", "insurer1", "adjuster1"):
        assert numbers[0] in logged_in(env, user).get("/claims").text, user
    outsider = logged_in(env, "insured2").get("/claims")
    assert numbers[0] not in outsider.text and "此列表中没有案件。" in outsider.text


def test_home_pages_summarise_the_claim_queue(env):
    cid = notice(env, "insured1", POLICY1)
    number = one(env, select(Claim.number).where(Claim.id == uuid.UUID(cid)))
    firm = text_of(logged_in(env, "adjuster1").get("/"))
    assert "等待贵方处理的案件" in firm and number in firm and "进行中的案件" in firm
    broker = text_of(logged_in(env, "broker").get("/"))
    assert "目前没有等待贵方处理的事项。" in broker and "1 件案件正由其他参与方处理。" in broker
    assert "报案" in text_of(logged_in(env, "insured1").get("/"))


# ---- report a loss ---------------------------------------------------------------------------------


def test_insured_reports_a_loss_through_the_form(env):
    client = logged_in(env, "insured1")
    pid = policy_id(env, POLICY1)
    assert f'href="/claims/new?policy={pid}"' in client.get(f"/policies/{pid}").text
    assert "/claims/new" not in logged_in(env, "insurer1").get(f"/policies/{pid}").text
    form = client.get(f"/claims/new?policy={pid}")
    assert form.status_code == 200
    assert POLICY1 in form.text and "PCA2026441900002" not in form.text and POLICY3 not in form.text
    assert 'value="phone"' not in form.text  # phone calls are logged by the broker
    key = re.search(r'name="key" value="([^"]+)"', form.text).group(1)
    data = {
        "csrf_token": csrf_of(form.text),
        "key": key,
        "policy_id": policy_id(env, POLICY1),
        "loss_at": "2026-11-24T22:30",
        "channel": "web",
        "location": "浙江省嘉兴市南湖区亚中路88号",
        "description": "2号车间夜间起火",
        "estimated_loss": "850,000",
        "reporter_name": "沈国平",
        "reporter_phone": "13957312345",
    }
    r = client.post("/claims/new", data=data)
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith("?done=notified")
    again = client.post("/claims/new", data=data)  # a resent form is the same claim
    assert again.headers["location"] == r.headers["location"]
    assert one(env, select(func.count()).select_from(Claim)) == 1
    case = client.get(r.headers["location"])
    t = text_of(case)
    assert "已报案，各参与方均已收到通知。" in t
    assert "已委托公估" in t and "王建国" in t and "¥850,000.00" in t and "2026-11-24 22:30" in t
    assert "撤案" in t  # the designated firm holds the ball now; the insured may still withdraw


def test_notice_form_errors_are_shown_beside_the_fields(env):
    client = logged_in(env, "broker")
    form = client.get("/claims/new")
    assert 'value="phone" selected' in form.text and POLICY3 in form.text
    r = client.post(
        "/claims/new",
        data={
            "csrf_token": csrf_of(form.text),
            "policy_id": "",
            "loss_at": "soon",
            "channel": "phone",
            "location": "x",
            "description": "",
            "estimated_loss": "-5",
            "reporter_phone": "abc",
        },
    )
    assert r.status_code == 422
    assert 'id="policy_id-error">请从列表中选择保单。' in r.text
    assert 'id="loss_at-error">请填写日期和时间。' in r.text
    assert 'id="location-error">至少两个字。' in r.text
    assert 'id="description-error">必填。' in r.text
    assert 'id="estimated_loss-error">金额不能为负数。' in r.text
    assert 'id="reporter_name-error">请同时填写来电人的姓名和电话。' in r.text
    assert 'id="reporter_phone-error">请填写电话号码（数字、空格或短横线）。' in r.text
    # The service's own checks land beside their fields too (a loss outside the policy period).
    r = client.post(
        "/claims/new",
        data={
            "csrf_token": csrf_of(form.text),
            "policy_id": policy_id(env, POLICY3),
            "loss_at": "2025-06-01T10:00",
            "channel": "phone",
            "location": "浙江省杭州市上城区清泰街56号",
            "description": "室内漏水",
            "reporter_name": "杨慧敏",
            "reporter_phone": "13605718899",
        },
    )
    assert r.status_code == 422 and 'id="loss_at-error">出险时间不在保险期间内。' in r.text
    # a loss time in the future is named together with the other fields' errors, not after them
    r = client.post(
        "/claims/new",
        data={
            "csrf_token": csrf_of(form.text),
            "policy_id": policy_id(env, POLICY3),
            "loss_at": "2099-01-01T10:00",
            "channel": "phone",
            "location": "x",
            "description": "",
            "reporter_name": "杨慧敏",
            "reporter_phone": "13605718899",
        },
    )
    assert r.status_code == 422 and 'id="description-error">必填。' in r.text
    assert 'id="loss_at-error">出险时间晚于当前时间。' in r.text and "2099-01-01T10:00" in r.text
    assert one(env, select(func.count()).select_from(Claim)) == 0


def test_possible_duplicate_is_flagged_on_the_claim(env):
    first = notice(env, "insured1", POLICY1)
    second = notice(
        env,
        "broker",
        POLICY1,
        loss_at="2026-11-24T23:10:00+08:00",
        channel="phone",
        description="2号车间起火，注塑机烧毁",
        reporter={"name": "沈国平", "phone": "13957312345"},
    )
    number = one(env, select(Claim.number).where(Claim.id == uuid.UUID(first)))
    t = text_of(logged_in(env, "broker").get(f"/claims/{second}"))
    assert "可能与同一保单上较早的报案重复" in t and number in t


# ---- the case file: every party's page, outsiders get the 404 page ------------------------------


@pytest.mark.parametrize("user", ["insured1", "broker", "risk", "insurer1", "adjuster1", "adjuster2", "admin"])
def test_case_page_renders_for_participants(env, user):
    cid = notice(env, "insured1", POLICY1)
    r = logged_in(env, user).get(f"/claims/{cid}")
    assert r.status_code == 200, r.text
    assert 'id="case"' in r.text and "时间线" in r.text and "报案" in r.text
    assert ("确认函 QRH-" in r.text) == (user == "adjuster1")  # only the firm's administrator answers


@pytest.mark.parametrize("user", ["insured2", "insurer2", "adjuster3", "regulator"])
def test_outsiders_get_the_same_404_as_for_a_random_id(env, user):
    cid = notice(env, "insured1", POLICY1)
    client = logged_in(env, user)
    for suffix in ("", "/consultation", f"/documents/{uuid.uuid4()}"):
        hidden = client.get(f"/claims/{cid}{suffix}")
        missing = client.get(f"/claims/{uuid.uuid4()}{suffix}")
        garbage = client.get(f"/claims/not-a-claim{suffix}")
        assert hidden.status_code == missing.status_code == garbage.status_code == 404
        assert hidden.text == missing.text == garbage.text
        assert "该页面不存在，或未向贵机构开放。" in hidden.text
    token = csrf_of(client.get("/").text)
    hidden = client.post(f"/claims/{cid}/messages", data={"csrf_token": token, "audience": "all", "body": "x"})
    missing = client.post(
        f"/claims/{uuid.uuid4()}/messages", data={"csrf_token": token, "audience": "all", "body": "x"}
    )
    # Supervision's writes are refused before any lookup (tests/access/test_supervision.py): the same 403.
    assert hidden.status_code == missing.status_code == (403 if user == "regulator" else 404)
    assert hidden.text == missing.text


def test_case_forms_need_the_csrf_token(env):
    cid = notice(env, "insured1", POLICY1)
    firm = logged_in(env, "adjuster1")
    for path, data in (
        (f"/claims/{cid}/letter", LETTER_FORM),
        (f"/claims/{cid}/messages", {"audience": "all", "body": "你好"}),
    ):
        assert firm.post(path, data=data).status_code == 403
        assert firm.post(path, data={**data, "csrf_token": "forged"}).status_code == 403
    assert claim_status(env, cid) == "routed"
    assert one(env, select(func.count()).select_from(Message)) == 0


def test_a_form_error_is_a_swappable_422_beside_the_field(env):
    cid = notice(env, "insured1", POLICY1)
    firm = logged_in(env, "adjuster1")
    token = csrf_of(firm.get(f"/claims/{cid}").text)
    r = firm.post(
        f"/claims/{cid}/letter",
        headers={"HX-Request": "true", "X-CSRF-Token": token},
        data={
            "answer": "accept",
            "fee_basis": "rate",
            "fee_rate": "",
            "fee_payer": "insurer",
            "fee_payment_days": "400",
        },
    )
    assert r.status_code == 422
    assert 'id="case"' in r.text
    assert '<span class="error" id="letter-fee_rate-error">必填。</span>' in r.text
    assert 'id="letter-fee_payment_days-error">请填写 0 至 365 之间的整数。' in r.text
    assert 'aria-describedby="letter-fee_rate-error"' in r.text
    assert claim_status(env, cid) == "routed"
    # Declining needs a reason; a conflict (the letter is answered) comes back as a 409 alert on the case.
    r = post(firm, f"/claims/{cid}/letter", {"answer": "decline", "reason": ""})
    assert r.status_code == 422 and 'id="decline-reason-error">必填。' in r.text
    assert post(firm, f"/claims/{cid}/letter", LETTER_FORM).status_code == 303
    stale = firm.post(f"/claims/{cid}/letter", data={"csrf_token": token, "answer": "decline", "reason": "人手不足"})
    assert stale.status_code == 409 and 'id="case"' in stale.text
    assert "没有发给贵机构且待处理的确认函。" in text_of(stale)


# ---- one claim from notice to payment, every party through its pages -------------------------------


def test_notice_to_payment_through_the_pages(env):
    insured, broker, risk = logged_in(env, "insured1"), logged_in(env, "broker"), logged_in(env, "risk")
    firm, second, insurer = logged_in(env, "adjuster1"), logged_in(env, "adjuster2"), logged_in(env, "insurer1")
    cid = notice(env, "insured1", POLICY1)
    me = adjuster_ids(env, "adjuster1")
    case = f"/claims/{cid}"

    page = firm.get(case)
    assert "确认函 QRH-" in page.text and "接受委托" in page.text
    r = post(firm, f"{case}/letter", LETTER_FORM)
    assert r.status_code == 303 and r.headers["location"] == f"{case}?done=accepted"
    t = text_of(firm.get(r.headers["location"]))
    assert "您已接受确认函，本案由贵机构承办。" in t and "公估人已接案" in t
    assert "核定损失金额的 1.5%" in t and "费用实报实销，上限 ¥5,000.00" in t and "由保险人在开票后 30 日内支付" in t

    # The survey needs a second adjuster: the page says so and the form refuses.
    r = post(firm, f"{case}/surveys", {"scheduled_at": "2026-11-25T14:00"})
    assert r.status_code == 422 and "查勘前请增加第二名公估师" in text_of(r)
    assert post(firm, f"{case}/team", {"adjuster_id": me["李娜"]}).status_code == 303
    assert "李娜 · 第二公估师" in text_of(firm.get(case))
    r = post(
        second,
        f"{case}/surveys",
        {
            "scheduled_at": "2026-11-25T14:00",
            "surveyed_at": "2026-11-25T10:00",
            "participants": "王建国、李娜、沈国平",
            "notes": "屋面整体坍塌",
        },
    )
    assert r.status_code == 303, r.text
    assert claim_status(env, cid) == "surveying"

    # The draft editor: add a row on the server, then save; errors stay beside the cells.
    sections = firm.get(case).text
    assert "报告草稿" in sections and 'name="building.rows" value="1"' in sections
    added = post(
        firm,
        f"{case}/draft",
        {"building.rows": "1", "building.0.description": "2#车间彩钢瓦屋面", "op": "add:machinery"},
    )
    assert added.status_code == 200 and 'name="machinery.rows" value="1"' in added.text
    assert 'value="2#车间彩钢瓦屋面"' in added.text
    bad = post(firm, f"{case}/draft", draft_form([{"description": "", "loss": "12x"}]))
    assert bad.status_code == 422
    assert 'id="d-building.0.description-error">必填。' in bad.text
    assert 'id="d-building.0.loss-error">请输入金额，例如 12500.00。' in bad.text
    data = draft_form(
        [
            {
                "ref": "1",
                "description": "2#车间彩钢瓦屋面",
                "quantity": "1200",
                "unit": "平方米",
                "unit_value": "350.00",
                "depreciation": "10",
                "salvage": "8000.00",
                "loss": "",
            }
        ],
        cause="2号车间电气线路短路引燃可燃物。",
        liability="属于企业财产保险责任范围。",
        conclusion="建议按保单约定理算。",
    )
    data.update(
        {
            "machinery.rows": "1",
            "machinery.0.ref": "2",
            "machinery.0.description": "注塑机 HX-650",
            "machinery.0.quantity": "2",
            "machinery.0.unit": "台",
            "machinery.0.unit_value": "180,000",
            "machinery.0.loss": "360000",
        }
    )
    r = post(firm, f"{case}/draft", data)
    assert r.status_code == 303, text_of(r)[:3000]
    saved = firm.get(case).text
    assert 'value="378000.00"' in saved  # 1200 × 350 × (1 − 10 %), worked out when left empty
    assert "合计损失 ¥738,000.00" in text_of(firm.get(case))

    # Submit: two signers who worked the case; the report is then hashed and immutable.
    r = post(firm, f"{case}/reports", {"signers": [me["王建国"]]})
    assert r.status_code == 422 and "请至少选择两名参与本案的公估师。" in r.text
    r = post(firm, f"{case}/reports", {"signers": [me["王建国"], me["李娜"]]})
    assert r.status_code == 303
    assert claim_status(env, cid) == "surveying"  # 李娜 signs in person, from her own login
    sign_on_page(second, case)
    t = text_of(insured.get(case))
    assert "报告已提交" in t and "GR-2026-" in t and "王建国、李娜" in t and "¥738,000.00" in t
    assert claim_status(env, cid) == "reported"
    regulator = logged_in(env, "regulator").get(case)  # supervision takes part once the report is in
    assert regulator.status_code == 200 and "GR-2026-" in regulator.text and 'name="body"' not in regulator.text

    # The PDFs are rendered by the worker and listed with their hashes.
    runner.run_once(env.factory, env.settings, env.clock)
    page = broker.get(case)
    pdf = re.search(rf'href="({case}/documents/[0-9a-f-]+)" download>下载</a>', page.text)
    assert pdf, "no report PDF link"
    got = broker.get(pdf.group(1))
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    assert got.headers["x-content-sha256"] == hashlib.sha256(got.content).hexdigest()
    assert "attachment" in got.headers["content-disposition"]
    assert "确认函" in text_of(page) and "下载确认函（PDF）" in text_of(page)

    # The risk evaluator confirms the amount and sees the engine's steps; the account manager may not.
    assert "计算并确认" not in broker.get(case).text
    r = post(risk, f"{case}/amount", {"confirm": "1"})
    assert r.status_code == 303
    t = text_of(risk.get(case))
    for figure in (
        "¥277,500.00",
        "¥342,000.00",
        "¥619,500.00",
        "0.833333",
        "¥308,333.33",
        "¥30,833.33",
        "370,000.00 × 30,000,000.00 ÷ 36,000,000.00",
        "max(10,000.00, 10% × 308,333.33)",
    ):
        assert figure in t, figure
    for step in (
        "损失合计",
        "扣除残值后损失",
        "比例分摊系数",
        "比例赔付后",
        "免赔额",
        "扣除免赔后",
        "应赔金额",
        "受限于",
    ):
        assert step in t, step

    # Broker proposes, the insurer pays an advance, accepts, and pays the rest.
    assert post(broker, f"{case}/negotiation", {"move": "propose", "amount": "619500.00"}).status_code == 303
    r = post(insurer, f"{case}/negotiation", {"move": "counter", "amount": "600000", "reason": ""})
    assert r.status_code == 422 and 'id="counter-reason-error">必填。' in r.text
    assert (
        post(insurer, f"{case}/payments", {"kind": "advance", "amount": "100000", "reference": "ADV-001"}).status_code
        == 303
    )
    assert post(insurer, f"{case}/negotiation", {"move": "accept"}).status_code == 303
    page = insurer.get(case)
    assert 'value="519500.00"' in page.text  # agreed less the advance
    r = post(insurer, f"{case}/payments", {"kind": "final", "amount": "619500.00", "reference": "PAY-001"})
    assert r.status_code == 422 and "最终赔款须为约定金额减去预付赔款（519500.00）。" in text_of(r)
    assert (
        post(insurer, f"{case}/payments", {"kind": "final", "amount": "519500.00", "reference": "PAY-001"}).status_code
        == 303
    )
    assert post(broker, f"{case}/close", {"confirm": "1"}).status_code == 303
    t = text_of(insured.get(case))
    assert "已结案" in t and "PAY-001" in t and "已赔付合计：¥619,500.00" in t
    for event in (
        "报案",
        "公估机构接受委托",
        "提交公估报告",
        "确认理算金额",
        "经纪人提出赔付金额",
        "保险公司接受",
        "赔款已支付",
        "结案",
    ):
        assert event in t, event
    # The adjuster firm never sees the negotiation with the insurer.
    assert "与保险公司的协商" not in firm.get(case).text


# ---- the dispute, the consultation, the MoU ----------------------------------------------------------


def _draft_b_two_items():
    draft = _draft_b()
    draft["sections"][1]["items"][0]["loss"] = "340000.00"  # the machinery differs too
    draft["sections"][1]["items"][0]["unit_value"] = "170000.00"
    return draft


def test_dispute_consultation_and_mou_through_the_pages(env):
    broker, risk, insurer = logged_in(env, "broker"), logged_in(env, "risk"), logged_in(env, "insurer1")
    firm_a, firm_b = logged_in(env, "adjuster1"), logged_in(env, "adjuster3")
    cid = _to_reported(env)
    case = f"/claims/{cid}"
    assert post(risk, f"{case}/amount", {"confirm": "1"}).status_code == 303
    assert post(broker, f"{case}/negotiation", {"move": "propose"}).status_code == 303
    r = post(insurer, f"{case}/negotiation", {"move": "dispute", "reason": ""})
    assert r.status_code == 422 and 'id="dispute-reason-error">必填。' in r.text
    assert post(insurer, f"{case}/negotiation", {"move": "dispute", "reason": "屋面单价偏高"}).status_code == 303

    # The insurer picks from the register (a blacklisted adjuster is only flagged); a firm never acts for
    # both sides.
    t = text_of(insurer.get(case))
    assert "委托贵方自己的公估人" in t and "列入经纪人黑名单" in t and "利益冲突" in t
    register = adjuster_ids(env, "insurer1")
    r = post(insurer, f"{case}/insurer-adjuster", {"adjuster_id": register["周敏"]})
    assert r.status_code == 409 and "该公估师不能承接本案件：存在利益冲突。" in text_of(r)
    assert post(insurer, f"{case}/insurer-adjuster", {"adjuster_id": register["张伟"]}).status_code == 303

    # Firm B accepts, adds its second, surveys, and submits its report with two differing items.
    mine = adjuster_ids(env, "adjuster3")
    assert post(firm_b, f"{case}/letter", LETTER_FORM).status_code == 303
    with env.session() as s:  # the insurer's letter is answered: its clock stops too
        assert s.execute(select(Deadline.stopped_at).where(Deadline.kind == "appointment_answer")).scalar_one()
    assert post(firm_b, f"{case}/team", {"adjuster_id": mine["陈亮"]}).status_code == 303
    assert (
        post(
            firm_b, f"{case}/surveys", {"scheduled_at": "2026-11-26T10:00", "surveyed_at": "2026-11-25T10:00"}
        ).status_code
        == 303
    )
    _ok(env.client("adjuster3").put(f"/api/v1/claims/{cid}/report-draft", json=_draft_b_two_items()))
    assert post(firm_b, f"{case}/reports", {"signers": [mine["张伟"], mine["陈亮"]]}).status_code == 303
    sign_on_page(logged_in(env, "adjuster11"), case)  # 陈亮

    # The broker opens the consultation from the case page.
    assert "双方报告均已提交" in text_of(broker.get(case))
    r = post(broker, f"{case}/consultation/open")
    assert r.status_code == 303 and r.headers["location"] == f"{case}/consultation?done=opened"
    cons = f"{case}/consultation"
    t = text_of(broker.get(cons))
    assert "逐项比对" in t and "¥738,000.00" in t and "¥664,000.00" in t and "按A方数额计算的应赔金额" in t
    assert "¥619,500.00" in t  # payable at A's figures
    assert "单价不同" in t
    with env.session() as s:
        items = {i.section: str(i.id) for i in s.execute(select(ConsultationItem)).scalars()}
    roof, machine = items["building"], items["machinery"]

    assert post(firm_a, f"{cons}/start").status_code == 303
    t = text_of(broker.get(cons))  # five working days: opened Wednesday 11-25, ends Wednesday 12-02
    assert "2026-12-02 23:59 截止" in t and "每轮5个工作日" in t
    r = post(firm_a, f"{cons}/items/{roof}/move", {"kind": "propose", "amount": "342000.00", "reason": ""})
    assert r.status_code == 422 and f'id="m-reason-{roof}-error">必填。' in r.text
    assert (
        post(
            firm_a,
            f"{cons}/items/{roof}/move",
            {"kind": "propose", "amount": "342000.00", "reason": "取两份报告单价的中间值"},
        ).status_code
        == 303
    )
    assert post(firm_b, f"{cons}/items/{roof}/move", {"kind": "accept"}).status_code == 303
    assert post(firm_b, f"{cons}/items/{machine}/move", {"kind": "hold"}).status_code == 303
    t = text_of(broker.get(cons))
    assert "第 1 轮议定" in t and "¥342,000.00" in t
    for _ in range(3):  # the broker ends the rounds; after the last one the item goes to the umpire
        assert post(broker, f"{cons}/end-round", {"confirm": "1"}).status_code == 303
    assert "公断中" in text_of(broker.get(cons))

    experts = env.client("adjuster1").get("/api/v1/experts").json()["items"]
    deng = next(e["id"] for e in experts if e["name"] == "邓建华")
    assert "邓建华" in firm_a.get(cons).text
    for typed in ("", f"judge:{deng}", "expert:x"):  # not a choice from the list: refused beside the field
        r = post(firm_a, f"{cons}/umpire", {"umpire": typed})
        assert r.status_code == 422 and 'id="umpire-choice-error"' in r.text, typed
    assert post(firm_a, f"{cons}/umpire", {"umpire": f"expert:{deng}"}).status_code == 303
    r = post(firm_a, f"{cons}/umpire/accept")
    assert r.status_code == 409 and "公断人须由对方接受。" in text_of(r)
    assert post(firm_b, f"{cons}/umpire/accept").status_code == 303
    r = post(risk, f"{cons}/items/{machine}/decision", {"amount": "350000.00", "reason": ""})
    assert r.status_code == 422 and f'id="u-reason-{machine}-error">必填。' in r.text
    assert (
        post(risk, f"{cons}/items/{machine}/decision", {"amount": "350000.00", "reason": "按重置价核定"}).status_code
        == 303
    )

    page = broker.get(cons)
    t = text_of(page)
    assert "谅解备忘录 MOU-2026-" in t and "¥692,000.00" in t and "0 / 4" in t
    # Every party acknowledges on its own page, then the PDFs in both languages.
    for who in (firm_a, firm_b, risk, insurer):
        assert post(who, f"{cons}/memorandum/ack").status_code == 303
    t = text_of(broker.get(cons))
    assert "4 / 4" in t and "四方均已确认谅解备忘录" in t
    for lang, title in (("", "谅解备忘录"), ("?lang=en", "Memorandum of Understanding")):
        pdf = insurer.get(f"{cons}/memorandum.pdf{lang}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), title

    # The amount is confirmed from the MoU, proposed, accepted and paid.
    assert "依据：经四方确认的谅解备忘录 MOU-2026-" in text_of(risk.get(case))
    env.clock.advance(minutes=5)  # the newer confirmation is the one shown
    assert post(risk, f"{case}/amount", {"confirm": "1"}).status_code == 303
    t = text_of(risk.get(case))
    assert "依据 MOU-2026-" in t
    assert post(broker, f"{case}/negotiation", {"move": "propose"}).status_code == 303
    assert post(insurer, f"{case}/negotiation", {"move": "accept"}).status_code == 303
    due = re.search(
        r'id="final-amount" name="amount" inputmode="decimal" value="([0-9.]+)"', insurer.get(case).text
    ).group(1)
    assert post(insurer, f"{case}/payments", {"kind": "final", "amount": due, "reference": "PAY-9"}).status_code == 303
    assert claim_status(env, cid) == "paid"
    # Every party of the case may follow the consultation; the other insurer never sees it.
    for user in ("insured1", "regulator", "adjuster2"):
        page = logged_in(env, user).get(cons)
        assert page.status_code == 200 and "逐项比对" in page.text and "身份确认" not in page.text, user
    assert logged_in(env, "insurer2").get(cons).status_code == 404


def test_broker_refuses_a_blacklisted_insurer_adjuster_with_a_reason(env):
    cid = _to_reported(env)
    case = f"/claims/{cid}"
    broker, risk, insurer = logged_in(env, "broker"), logged_in(env, "risk"), logged_in(env, "insurer1")
    assert post(risk, f"{case}/amount", {"confirm": "1"}).status_code == 303
    assert post(broker, f"{case}/negotiation", {"move": "propose"}).status_code == 303
    assert post(insurer, f"{case}/negotiation", {"move": "dispute", "reason": "屋面单价偏高"}).status_code == 303
    register = adjuster_ids(env, "insurer1")
    assert post(insurer, f"{case}/insurer-adjuster", {"adjuster_id": register["何雪梅"]}).status_code == 303
    assert "保险公司委托的公估师在贵方黑名单上" in text_of(broker.get(case))
    assert "拒绝该公估师" not in insurer.get(case).text
    r = post(broker, f"{case}/insurer-adjuster/refuse", {"reason": ""})
    assert r.status_code == 422 and 'id="refuse-adjuster-reason-error">必填。' in r.text
    r = post(broker, f"{case}/insurer-adjuster/refuse", {"reason": "该公估师在我司黑名单上"})
    assert r.status_code == 303 and "已拒绝保险公司委托的公估师。" in text_of(broker.get(r.headers["location"]))
    t = text_of(insurer.get(case))
    assert "已被经纪人拒绝" in t and "该公估师在我司黑名单上" in t and "委托贵方自己的公估人" in t


# ---- routing by the broker ----------------------------------------------------------------------------


def test_broker_chooses_from_ranked_explained_recommendations(env):
    cid = notice(env, "insured3", POLICY3, location="浙江省杭州市上城区清泰街56号", description="室内水管爆裂")
    broker = logged_in(env, "broker")
    page = broker.get(f"/claims/{cid}")
    t = text_of(page)
    assert "委托公估人" in t and "须在" in t  # the routing countdown
    assert "可承接企业财产保险" in t and "本人服务区域含浙江" in t and "在办案件：0/8" in t
    assert "不符合条件" in t and "资格无效" in t and "列入经纪人黑名单" in t
    order = re.findall(r'name="adjuster_id" value="([0-9a-f-]+)"', page.text)
    ids = adjuster_ids(env, "broker")
    assert order and ids["钱永刚"] not in order and ids["何雪梅"] not in order
    r = post(broker, f"/claims/{cid}/adjuster", {"adjuster_id": ""})
    assert r.status_code == 422 and "请从列表中选择一名公估师。" in r.text
    r = post(broker, f"/claims/{cid}/adjuster", {"adjuster_id": ids["钱永刚"]})
    assert r.status_code == 409 and 'id="choose-adjuster_id-error">该公估师不能承接本案件：执业资格无效。' in r.text
    r = post(broker, f"/claims/{cid}/adjuster", {"adjuster_id": ids["张伟"], "reason": "与被保险人电话确认"})
    assert r.status_code == 303 and claim_status(env, cid) == "routed"
    assert "已委托公估人并发出确认函。" in text_of(broker.get(r.headers["location"]))


def test_insured_withdraws_and_broker_closes(env):
    cid = notice(env, "insured3", POLICY3, location="浙江省杭州市上城区清泰街56号", description="室内水管爆裂")
    insured = logged_in(env, "insured3")
    r = post(insured, f"/claims/{cid}/withdraw", {"reason": ""})
    assert r.status_code == 422 and 'id="withdraw-reason-error">必填。' in r.text
    assert post(insured, f"/claims/{cid}/withdraw", {"reason": "已自行修复"}).status_code == 303
    assert post(logged_in(env, "broker"), f"/claims/{cid}/close", {"confirm": "1"}).status_code == 303
    assert claim_status(env, cid) == "closed"


# ---- messages and documents ---------------------------------------------------------------------------


def test_messages_by_audience_and_evidence_upload(env):
    cid = notice(env, "insured1", POLICY1)
    case = f"/claims/{cid}"
    broker, insurer, firm = logged_in(env, "broker"), logged_in(env, "insurer1"), logged_in(env, "adjuster1")
    r = post(broker, f"{case}/messages", {"audience": "all", "body": ""})
    assert r.status_code == 422 and 'id="message-body-error">请填写消息内容。' in r.text
    assert post(broker, f"{case}/messages", {"audience": "broker_insurer", "body": "请尽快安排预付"}).status_code == 303
    assert post(broker, f"{case}/messages", {"audience": "internal", "body": "内部：客户较急"}).status_code == 303
    assert post(firm, f"{case}/messages", {"audience": "all", "body": "明天下午查勘"}).status_code == 303
    assert "请尽快安排预付" in insurer.get(case).text and "内部：客户较急" not in insurer.get(case).text
    assert "请尽快安排预付" not in firm.get(case).text and "明天下午查勘" in insurer.get(case).text
    assert 'value="broker_insurer"' not in firm.get(case).text  # a firm cannot address broker + insurer

    token = csrf_of(firm.get(case).text)
    photo = b"\x89PNG\r\n\x1a\n" + b"roof" * 100
    r = firm.post(
        f"{case}/documents",
        data={"csrf_token": token, "audience": "broker_adjuster"},
        files={"file": ("屋面.png", photo, "image/png")},
    )
    assert r.status_code == 303
    digest = hashlib.sha256(photo).hexdigest()
    page = broker.get(case)
    assert "屋面.png" in page.text and digest in page.text
    link = re.search(rf'href="({case}/documents/[0-9a-f-]+)" download>屋面.png', page.text).group(1)
    assert broker.get(link).content == photo
    assert "屋面.png" not in insurer.get(case).text and insurer.get(link).status_code == 404
    r = firm.post(f"{case}/documents", data={"csrf_token": token, "audience": "all"})
    assert r.status_code == 422 and 'id="upload-file-error">请选择要上传的文件。' in r.text


# ---- inbound drafts ----------------------------------------------------------------------------------


def _inbound(env, message_id: str, text: str) -> None:
    payload = {
        "channel": "wechat",
        "message_id": message_id,
        "recipient": "gh_hengxin_claims",
        "sender": {"phone": "+86 139 5731 2345"},
        "text": text,
        "received_at": "2026-11-25T08:05:00+08:00",
    }
    raw = json.dumps(payload, ensure_ascii=False).encode()
    sig = hmac.new(env.settings.webhook_secret.encode(), raw, hashlib.sha256).hexdigest()
    r = env.client().post(
        "/api/v1/intake/messages",
        content=raw,
        headers={"X-Tandem-Signature": f"sha256={sig}", "Content-Type": "application/json"},
    )
    assert r.status_code == 202, r.text


def test_broker_turns_inbound_messages_into_notices_or_dismisses_them(env):
    _inbound(env, "wx-1", "你好，我们厂2号车间昨晚着火了，烧了两台注塑机")
    _inbound(env, "wx-2", "广告：低价转让设备")
    broker = logged_in(env, "broker")
    page = broker.get("/intake/drafts")
    t = text_of(page)
    assert "烧了两台注塑机" in t and "嘉兴鑫达电子科技有限公司" in t and "微信" in t
    with env.session() as s:
        drafts = {m.external_id: str(m.id) for m in s.execute(select(InboundMessage)).scalars()}
    token = csrf_of(page.text)
    r = broker.post(
        f"/intake/drafts/{drafts['wx-1']}/confirm",
        data={
            "csrf_token": token,
            "policy_id": policy_id(env, POLICY1),
            "loss_at": "2026-11-24T22:30",
            "location": "",
            "description": "2号车间起火",
        },
    )
    assert r.status_code == 422 and 'id="l-' in r.text and "必填。" in r.text
    r = broker.post(
        f"/intake/drafts/{drafts['wx-1']}/confirm",
        data={
            "csrf_token": token,
            "policy_id": policy_id(env, POLICY1),
            "loss_at": "2026-11-24T22:30",
            "location": "浙江省嘉兴市南湖区亚中路88号",
            "description": "2号车间起火",
        },
    )
    assert r.status_code == 303
    t = text_of(broker.get(r.headers["location"]))
    assert "微信" in t and "+86 139 5731 2345" in t
    assert broker.post(f"/intake/drafts/{drafts['wx-2']}/dismiss", data={"csrf_token": token}).status_code == 303
    assert "没有待处理的消息。" in text_of(broker.get("/intake/drafts"))
    again = broker.post(f"/intake/drafts/{drafts['wx-2']}/dismiss", data={"csrf_token": token})
    assert again.status_code == 409
    outsider = logged_in(env, "insured2")
    assert outsider.get("/intake/drafts").status_code == 403


# ---- the inbox -----------------------------------------------------------------------------------------


def test_inbox_and_unread_count_in_the_top_bar(env):
    cid = notice(env, "insured1", POLICY1)
    runner.run_once(env.factory, env.settings, env.clock)  # the copy to the insurer's claims handlers
    insurer = logged_in(env, "insurer1")
    home = insurer.get("/")
    assert re.search(r'href="/notifications">通知 <span class="count"[^>]*>1</span>', home.text), home.text[:2000]
    page = insurer.get("/notifications")
    assert "【新报案】" in page.text and f'href="/claims/{cid}"' in page.text
    r = insurer.post("/notifications/read", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    assert 'class="count"' not in insurer.get("/notifications").text.split("<main", 1)[0]
    mine = select(User.id).where(User.username == "insurer1").scalar_subquery()
    unread = select(func.count()).select_from(Notification).where(Notification.read_at.is_(None))
    assert one(env, unread.where(Notification.user_id == mine)) == 0


# ---- English ---------------------------------------------------------------------------------------------


def test_case_page_in_english(env):
    cid = notice(env, "insured1", POLICY1)
    client = logged_in(env, "adjuster1")
    client.get("/lang/en")
    t = text_of(client.get(f"/claims/{cid}"))
    assert "Letter issued" in t and "Your next steps" in t and "Accept the letter" in t
    assert "Answer the confirmation letter (24 h)" in t and "Timeline" in t
