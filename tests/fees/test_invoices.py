"""Invoices of adjusters' fees over the API: raise, accept, dispute a line, reissue, pay (part, full, never
above the open amount), the ageing of receivables and payables, days-to-pay, the reminders and the
escalation on a moved clock, and the gap-free number under concurrent raises."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select, update

from tandem.access.models import Organisation
from tandem.audit.models import AuditEvent
from tandem.fees import invoices
from tandem.fees.models import Invoice, InvoiceCounter
from tandem.report.models import Report
from tandem.worker import runner
from tests.helpers import _draft, _ok, _to_reported, inbox, logged_in, notice, one, pdf_text, reported

FIRM_A = "华信保险公估有限公司"
FEN = Decimal("0.01")


def _loss(env, cid: str) -> Decimal:
    return one(env, select(Report.total_loss).where(Report.case_id == uuid.UUID(cid)))


def _expected(loss: Decimal, incurred: Decimal) -> dict[str, Decimal]:
    """CLAIM_TERMS by hand: 1.5 % of the loss, at least 3,000; expenses as incurred up to 5,000; VAT 6 %."""
    fee = max((loss * Decimal("0.015")).quantize(FEN, ROUND_HALF_UP), Decimal("3000.00"))
    expenses = min(incurred, Decimal("5000.00"))
    vat = ((fee + expenses) * Decimal("0.06")).quantize(FEN, ROUND_HALF_UP)
    return {"fee": fee, "expenses": expenses, "vat": vat, "total": fee + expenses + vat}


def _raise(env, cid: str, incurred: str = "1200.00") -> dict[str, Any]:
    body = {"work": {"expenses_incurred": incurred}}
    return _ok(env.client("adjuster1").post(f"/api/v1/cases/{cid}/invoices", json=body), 201)


def _lines(inv: dict[str, Any]) -> dict[str, Decimal]:
    return {line["code"]: Decimal(line["amount"]) for line in inv["lines"]}


def test_raise_accept_and_pay_in_parts(env):
    cid = _to_reported(env)
    firm, insurer = env.client("adjuster1"), env.client("insurer1")
    missing = firm.post(f"/api/v1/cases/{cid}/invoices", json={})
    assert missing.status_code == 422
    assert "work.expenses_incurred" in missing.json()["error"]["fields"]

    inv = _raise(env, cid)
    want = _expected(_loss(env, cid), Decimal("1200.00"))
    assert _lines(inv) == {k: want[k] for k in ("fee", "expenses", "vat")}
    assert Decimal(inv["total"]) == want["total"] == Decimal(inv["open"])
    assert inv["number"] == "GF-2026-000001"
    assert (inv["invoice_date"], inv["due_date"]) == ("2026-11-25", "2026-12-25")  # 30 payment days
    assert inv["state"] == "issued" and inv["payer_kind"] == "insurer"

    # the payer and the instructing broker read it; the insured (not a reader of the fees) and outsiders do not
    assert _ok(insurer.get(f"/api/v1/invoices/{inv['id']}"))["number"] == inv["number"]
    assert [i["number"] for i in _ok(env.client("broker").get(f"/api/v1/cases/{cid}/invoices"))] == [inv["number"]]
    assert _ok(env.client("insured1").get(f"/api/v1/cases/{cid}/invoices")) == []
    for outsider in ("insured1", "insurer2", "adjuster3"):
        assert env.client(outsider).get(f"/api/v1/invoices/{inv['id']}").status_code == 404
    assert env.client("insurer2").get(f"/api/v1/cases/{cid}/invoices").status_code == 404
    # only the payer answers; the firm may not raise a second invoice on the same engagement
    assert firm.post(f"/api/v1/invoices/{inv['id']}/accept").status_code == 403
    assert firm.post(f"/api/v1/cases/{cid}/invoices", json={"work": {"expenses_incurred": "1.00"}}).status_code == 409

    assert _ok(insurer.post(f"/api/v1/invoices/{inv['id']}/accept"))["state"] == "accepted"
    pay = {"amount": "1000.00", "paid_on": "2026-11-25", "reference": "HX-001"}
    part = _ok(insurer.post(f"/api/v1/invoices/{inv['id']}/payments", json=pay))
    assert part["state"] == "part_paid" and Decimal(part["open"]) == want["total"] - Decimal("1000.00")

    over = insurer.post(f"/api/v1/invoices/{inv['id']}/payments", json={**pay, "amount": f"{want['total']:.2f}"})
    assert over.status_code == 422
    assert over.json()["error"]["fields"] == {"amount": f"at most {want['total'] - Decimal('1000.00'):.2f}"}
    future = insurer.post(f"/api/v1/invoices/{inv['id']}/payments", json={**pay, "paid_on": "2026-11-26"})
    assert future.status_code == 422 and "paid_on" in future.json()["error"]["fields"]

    rest = f"{want['total'] - Decimal('1000.00'):.2f}"
    paid = _ok(
        insurer.post(f"/api/v1/invoices/{inv['id']}/payments", json={**pay, "amount": rest, "reference": "HX-2"})
    )
    assert (paid["state"], paid["open"], paid["paid"], paid["settled_on"]) == (
        "paid",
        "0.00",
        inv["total"],
        "2026-11-25",
    )
    assert [p["amount"] for p in paid["payments"]] == ["1000.00", rest]
    again = insurer.post(f"/api/v1/invoices/{inv['id']}/payments", json={**pay, "amount": "0.01"})
    assert again.status_code == 409

    actions = env.session().execute(
        select(AuditEvent.action)
        .where(AuditEvent.entity_id == inv["id"])
        .order_by(AuditEvent.occurred_at, AuditEvent.seq)
    )
    assert list(actions.scalars()) == [
        "fees.invoice_issued",
        "fees.invoice_accepted",
        "fees.payment_recorded",
        "fees.payment_recorded",
    ]


def test_a_disputed_line_is_answered_by_a_reissue(env):
    cid = _to_reported(env)
    firm, insurer = env.client("adjuster1"), env.client("insurer1")
    inv = _raise(env, cid, "4800.00")
    bad = insurer.post(f"/api/v1/invoices/{inv['id']}/dispute", json={"reason": "x", "lines": ["stamp_duty"]})
    assert bad.status_code == 422 and "lines[0]" in bad.json()["error"]["fields"]
    body = {"reason": "差旅费超出实际发生额", "lines": ["expenses"]}
    disputed = _ok(insurer.post(f"/api/v1/invoices/{inv['id']}/dispute", json=body))
    assert (disputed["state"], disputed["disputed_lines"]) == ("disputed", ["expenses"])
    assert disputed["dispute_reason"] == "差旅费超出实际发生额"
    # nothing is paid on a disputed invoice, and only its firm reissues it
    pay = {"amount": "1.00", "paid_on": "2026-11-25", "reference": "x"}
    assert insurer.post(f"/api/v1/invoices/{inv['id']}/payments", json=pay).status_code == 409
    reissue = {"reason": "按票据核减差旅费", "work": {"expenses_incurred": "3600.00"}}
    assert insurer.post(f"/api/v1/invoices/{inv['id']}/reissue", json=reissue).status_code == 403

    _at(env, days=2)
    firm, insurer = env.client("adjuster1"), env.client("insurer1")
    new = _ok(firm.post(f"/api/v1/invoices/{inv['id']}/reissue", json=reissue), 201)
    want = _expected(_loss(env, cid), Decimal("3600.00"))
    assert (new["number"], new["replaces"], new["state"]) == ("GF-2026-000002", inv["number"], "issued")
    assert Decimal(new["total"]) == want["total"] and _lines(new)["fee"] == _lines(inv)["fee"]
    assert (new["invoice_date"], new["due_date"]) == ("2026-11-27", "2026-12-27")
    old = _ok(insurer.get(f"/api/v1/invoices/{inv['id']}"))
    assert (old["state"], old["replaced_by"], old["total"]) == ("replaced", new["number"], inv["total"])  # unchanged
    pdf = insurer.get(f"/api/v1/invoices/{new['id']}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert (
        "公估费发票" in text
        and new["number"] in text
        and inv["number"] in text
        and new["total"] in text.replace(",", "")
    )
    assert env.client("insured1").get(f"/api/v1/invoices/{new['id']}/invoice.pdf").status_code == 404
    assert firm.post(f"/api/v1/invoices/{inv['id']}/reissue", json=reissue).status_code == 409
    assert [i["state"] for i in _ok(insurer.get(f"/api/v1/cases/{cid}/invoices"))] == ["replaced", "issued"]
    assert [s for s in inbox(env, "insurer1") if new["number"] in s and inv["number"] in s]


def _at(env, when: dt.datetime | None = None, **delta: float) -> None:
    """Move the clock (to ``when`` or by ``delta``) and log in again: tokens expire on the moved clock."""
    env.clock.current = when if when is not None else env.clock.current + dt.timedelta(**delta)
    env._clients.clear()


def _org_id(env, name: str) -> uuid.UUID:
    return one(env, select(Organisation.id).where(Organisation.name == name))


def test_ageing_buckets_and_days_to_pay(env):
    """Two invoices of firm A to insurer1, due 2026-12-25 and 2027-01-04; on 2027-02-10 they are 47 and 37
    days overdue: both in 31-60. One is paid that day (77 days after its invoice date)."""
    first = _raise(env, _to_reported(env))
    _at(env, days=10)
    later = notice(env, loss_at=env.clock.now().isoformat())
    reported(env, later, _draft())
    second = _raise(env, later, "100.00")
    assert (first["due_date"], second["due_date"]) == ("2026-12-25", "2027-01-04")

    _at(env, days=20)  # 2026-12-25: the first is due today, both are current
    rec = _ok(env.client("adjuster1").get("/api/v1/receivables"))
    (row,) = rec["ageing"]
    total = Decimal(first["total"]) + Decimal(second["total"])
    assert (row["org_id"], Decimal(row["current"]), Decimal(row["total"])) == (first["payer_id"], total, total)

    _at(env, days=10)  # 2027-01-04: the first is 10 days overdue, the second due today
    row = _ok(env.client("adjuster1").get("/api/v1/receivables"))["ageing"][0]
    assert (Decimal(row["1-30"]), Decimal(row["current"])) == (Decimal(first["total"]), Decimal(second["total"]))

    _at(env, days=37)  # 2027-02-10
    pay = {"amount": first["total"], "paid_on": "2027-02-10", "reference": "late"}
    _ok(env.client("insurer1").post(f"/api/v1/invoices/{first['id']}/payments", json=pay))
    payables = _ok(env.client("insurer1").get("/api/v1/payables"))
    assert payables["as_of"] == "2027-02-10"
    (row,) = payables["ageing"]
    assert row["name"] == FIRM_A
    assert {k: row[k] for k in ("current", "1-30", "31-60", "61-90", "90+", "total")} == {
        "current": "0.00",
        "1-30": "0.00",
        "31-60": second["total"],
        "61-90": "0.00",
        "90+": "0.00",
        "total": second["total"],
    }
    assert [i["number"] for i in payables["invoices"]] == [second["number"]]
    assert _ok(env.client("insurer2").get("/api/v1/payables"))["ageing"] == []

    insurer1 = uuid.UUID(first["payer_id"])
    with env.session() as s:
        habits = invoices.days_to_pay_by_payer(s, [insurer1, _org_id(env, FIRM_A)])
    assert habits[insurer1] == invoices.PayerDays(Decimal("77.0"), 1, 1)  # 2026-11-25 → 2027-02-10
    assert habits[_org_id(env, FIRM_A)] == invoices.PayerDays(None, 0, 0)


def _run_due(env) -> None:
    runner.run_once(env.factory, env.settings, env.clock)


def test_reminders_before_and_on_the_due_date_then_escalation(env):
    inv = _raise(env, _to_reported(env))  # due 2026-12-25
    _run_due(env)
    assert not [s for s in inbox(env, "insurer1") if "提醒" in s and inv["number"] in s]

    _at(env, dt.datetime(2026, 12, 18, 1, 0, tzinfo=dt.UTC))  # 09:00 Shanghai, a week before
    _run_due(env)
    reminders = [s for s in inbox(env, "insurer1") if inv["number"] in s and "提醒" in s]
    assert len(reminders) == 1, inbox(env, "insurer1")
    _at(env, dt.datetime(2026, 12, 25, 1, 0, tzinfo=dt.UTC))  # on the due date
    _run_due(env)
    assert len([s for s in inbox(env, "insurer1") if inv["number"] in s and "提醒" in s]) == 2
    _at(env, dt.datetime(2027, 1, 24, 1, 0, tzinfo=dt.UTC))  # 30 days overdue: not yet
    _run_due(env)
    assert not [s for s in inbox(env, "insurer1") if inv["number"] in s and "逾期超过30天" in s]
    _at(env, dt.datetime(2027, 1, 25, 1, 0, tzinfo=dt.UTC))  # 31 days overdue
    _run_due(env)
    for user in ("insurer1", "adjuster1"):  # insurer1 is its organisation's administrator; the firm's admin
        assert [s for s in inbox(env, user) if inv["number"] in s and "逾期超过30天" in s], user
    for user in ("underwriter1", "insurer2"):
        assert not [s for s in inbox(env, user) if inv["number"] in s], user


def test_no_reminder_for_a_paid_invoice(env):
    inv = _raise(env, _to_reported(env))
    pay = {"amount": inv["total"], "paid_on": "2026-11-25", "reference": "on time"}
    _ok(env.client("insurer1").post(f"/api/v1/invoices/{inv['id']}/payments", json=pay))
    _at(env, dt.datetime(2027, 3, 1, 1, 0, tzinfo=dt.UTC))
    for _ in range(2):
        _run_due(env)
    assert not [s for s in inbox(env, "insurer1") if inv["number"] in s and "提醒" in s]
    assert not [s for s in inbox(env, "insurer1") if inv["number"] in s and "逾期超过30天" in s]


def test_concurrent_raises_take_consecutive_numbers_with_no_gap(env):
    """Six transactions take a number of the same firm at once; every third rolls back. The committed ones
    hold 1..4 with no gap and the counter ends at 4 (on PostgreSQL the counter row's lock queues them)."""
    firm = _org_id(env, FIRM_A)
    day = dt.date(2027, 5, 4)
    barrier = threading.Barrier(6, timeout=30)
    got: list[tuple[int, str | Exception]] = []
    lock = threading.Lock()

    def take(i: int) -> None:
        try:
            barrier.wait()
            with env.session() as s:
                number = invoices.next_number(s, firm, day)
                if i % 3 == 0:
                    s.rollback()
                    return
                s.commit()
            with lock:
                got.append((i, number))
        except Exception as exc:  # surfaced by the assertion below
            with lock:
                got.append((i, exc))

    threads = [threading.Thread(target=take, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    numbers = sorted(n for _i, n in got if isinstance(n, str))
    assert numbers == [f"GF-2027-{k:06d}" for k in range(1, 5)], got
    with env.session() as s:
        assert s.execute(select(func.max(InvoiceCounter.value)).where(InvoiceCounter.firm_id == firm)).scalar() == 4


def test_an_invoice_without_a_computation_still_shows(env):
    """Invoices written without the engine's document (the comparison demo's history) show and print."""
    inv = _raise(env, _to_reported(env))
    with env.factory.begin() as s:
        s.execute(update(Invoice).where(Invoice.id == uuid.UUID(inv["id"])).values(calculation={}))
    pdf = env.client("insurer1").get(f"/api/v1/invoices/{inv['id']}/invoice.pdf")
    assert pdf.status_code == 200 and inv["number"] in pdf_text(pdf.content)
    page = logged_in(env, "insurer1").get(f"/invoices/{inv['id']}")
    assert page.status_code == 200 and inv["number"] in page.text
