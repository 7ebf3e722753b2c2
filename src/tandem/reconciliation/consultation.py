"""Competitive consultation (竞争性磋商, R-C5/R-U8): the alignment engine proposes item pairs, both adjusters
may correct them, then only the differing items are negotiated in rounds with deadlines; what stays
open goes to an umpire accepted by both sides. When nothing is open the MoU (谅解备忘录) is generated."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.case import audience
from tandem.case import notices as notices  # registers the case notifications
from tandem.case.models import Case
from tandem.case.numbering import next_number
from tandem.case.service import ALL, adjuster_side, case_id_of, get_subject, record_event
from tandem.claim.models import Claim, ClaimStatus, Participation, PartyRole
from tandem.kit.canonical import canonical_json, sha256_hex
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NeedsConfirmation, NotFound
from tandem.kit.money import round_cny
from tandem.kit.workdays import add_working_days, on_working_day_before
from tandem.notification.outbox import enqueue
from tandem.reconciliation import align as engine
from tandem.reconciliation.models import (
    Consultation,
    ConsultationItem,
    ConsultationMove,
    Memorandum,
    MemorandumAck,
)
from tandem.report.models import Report
from tandem.report.schemas import RISK_KINDS, coefficient
from tandem.report.service import latest_report
from tandem.sla import calendar

log = logging.getLogger(__name__)
REMINDER_AT = dt.time(9, 0)  # Asia/Shanghai, on the working day before the round's last day
PARTIES = ("adjuster_a", "adjuster_b", "broker", "insurer")
# Who must acknowledge the MoU, per kind of case: for a placement also the insured (R-U8), and the
# broker acknowledges through its risk evaluators (风险评价部门) in both.
ACKNOWLEDGERS = {"claim": PARTIES, "placement": (*PARTIES, "insured")}
Subject = Claim | Case


def acknowledgers(cons: Consultation) -> tuple[str, ...]:
    return ACKNOWLEDGERS["claim" if cons.subject_kind == "claim" else "placement"]


def _number(claim: Subject) -> str:
    return claim.number


def _items_of(report: Report) -> list[dict[str, Any]]:
    out = []
    for sec in report.content["sections"]:
        for it in sec["items"]:
            out.append(
                {
                    k: v
                    for k, v in {**it, "section": sec["code"]}.items()
                    if k
                    in (
                        "ref",
                        "section",
                        "category",
                        "description",
                        "quantity",
                        "unit",
                        "unit_value",
                        "depreciation_rate",
                        "loss",
                    )
                }
            )
    return out


def to_engine(report: Report) -> engine.Report:
    return engine.parse_report(
        {"report_no": report.display_number, "items": _items_of(report)}, source=report.display_number
    )


def _of_case(session: Session, claim: Subject) -> Consultation | None:
    return session.execute(select(Consultation).where(Consultation.case_id == case_id_of(claim))).scalar_one_or_none()


def get_consultation(session: Session, actor: Actor, claim_id: object) -> tuple[Claim, Consultation]:
    """A claim's consultation (the claims' pages and API), else 404."""
    claim = scope.get_claim(session, actor, claim_id)
    cons = _of_case(session, claim)
    if cons is None:
        raise NotFound()
    return claim, cons


def case_consultation(session: Session, actor: Actor, case_id: object) -> tuple[Subject, Consultation]:
    """The consultation of any case the actor may see (a claim's, or a placement's), else 404; a placement's
    is not read by another insurer approached with it, nor by that insurer's adjuster."""
    claim = get_subject(session, actor, case_id)
    cons = _of_case(session, claim)
    if cons is None or not _reads(session, actor, claim, cons):
        raise NotFound()
    return claim, cons


def _reads(session: Session, actor: Actor, claim: Subject, cons: Consultation) -> bool:
    if cons.insurer_id is None or actor.is_admin:
        return True
    roles = _roles(session, claim, actor)
    if not roles & {PartyRole.INSURER, PartyRole.INSURER_ADJUSTER}:
        return True
    return actor.org_id in (cons.insurer_id, cons.firm_b_id)


def items(session: Session, cons: Consultation) -> list[ConsultationItem]:
    return list(
        session.execute(
            select(ConsultationItem)
            .where(ConsultationItem.consultation_id == cons.id)
            .order_by(ConsultationItem.position)
        ).scalars()
    )


def _event(
    session: Session,
    actor: Actor | None,
    claim: Subject,
    action: str,
    now: dt.datetime,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    record_event(
        session,
        actor,
        claim,
        f"consultation.{action}",
        now=now,
        after=after,
        reason=reason,
        audience=_audience(session, claim),
    )


def _audience(session: Session, claim: Subject) -> list[str]:
    """Who reads the consultation's events: every party and supervision; a placement's, of the parties on
    the insurers' side only the insurer whose adjuster reported and that adjuster's firm."""
    cons = _of_case(session, claim)
    if cons is None or cons.insurer_id is None:
        return [*ALL, "supervision"]
    sides = [s for s in ALL if s not in (audience.INSURER, audience.FIRM_B)]
    return [*sides, "supervision", audience.org(cons.insurer_id), audience.org(cons.firm_b_id)]


def _build_items(
    session: Session, cons: Consultation, ra: Report, rb: Report, pairs: list[tuple[str, str]] | None
) -> None:
    if cons.kind in RISK_KINDS:
        _build_risk_items(session, cons, ra, rb, pairs)
        return
    ea, eb = to_engine(ra), to_engine(rb)
    by_a = {i.ref: i for i in ea.items}
    by_b = {i.ref: i for i in eb.items}
    if pairs is None:
        al = engine.align(ea, eb)
        chosen: list[tuple[engine.Item, engine.Item, float | None, list[str]]] = [
            (p.a, p.b, p.confidence, list(p.fields_differ)) for p in al.pairs
        ]
    else:
        chosen = []
        for a_ref, b_ref in pairs:
            if a_ref not in by_a or b_ref not in by_b:
                raise InvalidInput("Unknown item in the alignment.", fields={"pairs": f"{a_ref}/{b_ref}"})
            if by_a[a_ref].section != by_b[b_ref].section:
                raise InvalidInput("Pairs never cross sections.", fields={"pairs": f"{a_ref}/{b_ref}"})
            chosen.append((by_a[a_ref], by_b[b_ref], None, []))
        if len({a for a, _ in pairs}) != len(pairs) or len({b for _, b in pairs}) != len(pairs):
            raise InvalidInput("An item can be in one pair only.", fields={"pairs": "one to one"})
    for old in items(session, cons):
        session.delete(old)
    session.flush()
    paired_a = {a.ref for a, _, _, _ in chosen}
    paired_b = {b.ref for _, b, _, _ in chosen}
    pos = 0
    for a, b, conf, differ in chosen:
        same = a.loss == b.loss
        session.add(
            ConsultationItem(
                consultation_id=cons.id,
                position=pos,
                section=a.section,
                a_ref=a.ref,
                b_ref=b.ref,
                description=a.description if a.description == b.description else f"{a.description} / {b.description}",
                a_loss=a.loss,
                b_loss=b.loss,
                a_position=a.loss,
                b_position=b.loss,
                confidence=conf,
                fields_differ=differ,
                state="agreed" if same else "open",
                agreed_loss=a.loss if same else None,
                how="identical" if same else None,
            )
        )
        pos += 1
    for side, report, taken in (("a", ea, paired_a), ("b", eb, paired_b)):
        for it in report.items:
            if it.ref in taken:
                continue
            session.add(
                ConsultationItem(
                    consultation_id=cons.id,
                    position=pos,
                    section=it.section,
                    description=it.description,
                    a_ref=it.ref if side == "a" else None,
                    b_ref=it.ref if side == "b" else None,
                    a_loss=it.loss if side == "a" else None,
                    b_loss=it.loss if side == "b" else None,
                    a_position=it.loss if side == "a" else Decimal("0"),
                    b_position=it.loss if side == "b" else Decimal("0"),
                    fields_differ=[],
                    state="open",
                )
            )
            pos += 1
    session.flush()


def open_consultation(
    session: Session,
    actor: Actor,
    claim_id: object,
    *,
    now: dt.datetime,
    round_working_days: int,
    second: tuple[uuid.UUID, uuid.UUID] | None = None,
) -> Consultation:
    """Open the consultation on the two submitted reports of one kind: a disputed claim's adjusting reports
    (R-C5, the broker opens), or a placement's two pre-assessments (R-U8): the broker's adjuster's and,
    ``second`` = (insurer, its firm), the insurer's own adjuster's — opened by that insurer or the broker.
    Each round will last ``round_working_days`` working days (TANDEM_ROUND_WORKING_DAYS)."""
    claim = get_subject(session, actor, claim_id)
    is_claim = isinstance(claim, Claim)
    _check_opener(session, actor, claim, second)
    if _of_case(session, claim) is not None:
        raise Conflict("The consultation is already open.")
    kind = "adjusting" if is_claim else "pre_assessment"
    firms = {r.org: r.role for r in _participants(session, claim)}
    firm_a = next((o for o, r in firms.items() if r == PartyRole.ADJUSTER), None)
    firm_b = second[1] if second else next((o for o, r in firms.items() if r == PartyRole.INSURER_ADJUSTER), None)
    ra = latest_report(session, claim, firm_a, kind) if firm_a else None
    rb = latest_report(session, claim, firm_b, kind) if firm_b else None
    if ra is None or rb is None or firm_a is None or firm_b is None:
        raise Conflict("Both adjusters' reports are needed.")
    cons = Consultation(
        subject_kind="claim" if is_claim else "placement",
        kind=kind,
        case_id=case_id_of(claim),
        claim_id=claim.id if is_claim else None,
        report_a_id=ra.id,
        report_b_id=rb.id,
        firm_a_id=firm_a,
        firm_b_id=firm_b,
        insurer_id=second[0] if second else None,
        state="aligning",
        round=0,
        max_rounds=3,
        round_working_days=round_working_days,
        notes=[],
        created_at=now,
    )
    session.add(cons)
    session.flush()
    _build_items(session, cons, ra, rb, None)
    _event(
        session,
        actor,
        claim,
        "opened",
        now,
        {
            "report_a": ra.display_number,
            "report_b": rb.display_number,
            "hash_a": ra.content_hash,
            "hash_b": rb.content_hash,
        },
    )
    _maybe_finish(session, claim, cons, now)
    return cons


def _check_opener(session: Session, actor: Actor, claim: Subject, second: tuple[uuid.UUID, uuid.UUID] | None) -> None:
    """A claim's consultation is opened by the broker once the claim is disputed; a placement's by the
    broker or the insurer whose adjuster wrote the second report."""
    roles = _roles(session, claim, actor)
    if isinstance(claim, Claim):
        if claim.status != ClaimStatus.DISPUTED:
            raise Conflict("A consultation is opened on a disputed claim.")
        if PartyRole.BROKER not in roles:
            raise ActionNotAllowed()
        return
    if PartyRole.BROKER not in roles and (second is None or actor.org_id != second[0]):
        raise ActionNotAllowed()


class _P:
    def __init__(self, org: uuid.UUID, role: PartyRole) -> None:
        self.org, self.role = org, role


def _participants(session: Session, claim: Subject) -> list[_P]:
    rows = session.execute(
        select(Participation).where(Participation.case_id == case_id_of(claim), Participation.until.is_(None))
    ).scalars()
    return [_P(p.organisation_id, p.party_role) for p in rows]


def _roles(session: Session, claim: Subject, actor: Actor) -> set[PartyRole]:
    return {p.role for p in _participants(session, claim) if p.org == actor.org_id}


def realign(
    session: Session, actor: Actor, claim_id: object, pairs: list[tuple[str, str]], *, now: dt.datetime
) -> Consultation:
    """Either adjuster corrects the proposed pairs before the rounds start; then the alignment is frozen."""
    claim, cons = case_consultation(session, actor, claim_id)
    adjuster_side(session, actor, claim)
    if cons.state != "aligning":
        raise Conflict("The alignment is frozen once the rounds start.")
    ra, rb = session.get(Report, cons.report_a_id), session.get(Report, cons.report_b_id)
    assert ra is not None and rb is not None
    _build_items(session, cons, ra, rb, pairs)
    _event(session, actor, claim, "realigned", now, {"pairs": [list(p) for p in pairs]})
    return cons


def start_rounds(session: Session, actor: Actor, claim_id: object, *, now: dt.datetime) -> Consultation:
    claim, cons = case_consultation(session, actor, claim_id)
    if PartyRole.BROKER not in _roles(session, claim, actor):
        adjuster_side(session, actor, claim)
    if cons.state != "aligning":
        raise Conflict("The rounds have started.")
    _next_round(session, actor, claim, cons, now)
    return cons


def _next_round(session: Session, actor: Actor | None, claim: Subject, cons: Consultation, now: dt.datetime) -> None:
    if not any(i.state == "open" for i in items(session, cons)):
        _maybe_finish(session, claim, cons, now)
        return
    if cons.round >= cons.max_rounds:
        cons.state, cons.round_deadline = "umpire", None
        _event(
            session,
            actor,
            claim,
            "to_umpire",
            now,
            {"open_items": [str(i.id) for i in items(session, cons) if i.state == "open"]},
        )
        return
    cons.state, cons.round = "negotiating", cons.round + 1
    deadline, reminder, missing = round_schedule(session, now, cons.round_working_days)
    cons.round_deadline = deadline
    session.flush()
    enqueue(
        session,
        "consultation.round_due",
        {"consultation_id": str(cons.id), "round": cons.round},
        now=now,
        not_before=deadline,
        dedupe_key=f"round:{cons.id}:{cons.round}",
    )
    enqueue(
        session,
        "consultation.round_reminder",
        {"consultation_id": str(cons.id), "round": cons.round},
        now=now,
        not_before=reminder,
        dedupe_key=f"round-remind:{cons.id}:{cons.round}",
    )
    after: dict[str, Any] = {
        "round": cons.round,
        "deadline": deadline.isoformat(),
        "working_days": cons.round_working_days,
    }
    if missing:
        after["calendar_missing"] = missing  # counted Monday–Friday: no holiday schedule for these years
    _event(session, actor, claim, "round_started", now, after)


def round_schedule(session: Session, now: dt.datetime, working_days: int) -> tuple[dt.datetime, dt.datetime, list[int]]:
    """A round started at ``now``: its deadline (end of the n-th working day after today, Asia/Shanghai),
    its reminder (09:00 on the working day before the last day, never before now) and the years the count
    had to assume Monday–Friday for."""
    cal = calendar.load(session)
    deadline = add_working_days(now, working_days, cal)
    reminder = max(now, on_working_day_before(deadline, cal, REMINDER_AT))
    missing = cal.missing_years(now, deadline)
    if missing:
        log.warning(
            "consultation round deadline %s counted Monday to Friday in %s: no working-day calendar",
            deadline.isoformat(),
            ", ".join(map(str, missing)),
        )
    return deadline, reminder, missing


def close_round(session: Session, actor: Actor | None, claim: Subject, cons: Consultation, now: dt.datetime) -> None:
    """End the current round (both sides done, or the deadline passed)."""
    if cons.state != "negotiating":
        return
    _event(session, actor, claim, "round_closed", now, {"round": cons.round})
    _next_round(session, actor, claim, cons, now)


def end_round(
    session: Session, actor: Actor, claim_id: object, *, now: dt.datetime, confirm: bool = False
) -> Consultation:
    """The broker ends the current round; only with ``confirm`` (the open items move on, to the umpire after
    the last round)."""
    claim, cons = case_consultation(session, actor, claim_id)
    if PartyRole.BROKER not in _roles(session, claim, actor):
        raise ActionNotAllowed()
    if not confirm:
        raise NeedsConfirmation()
    close_round(session, actor, claim, cons, now)
    return cons


def item_move(
    session: Session,
    actor: Actor,
    claim_id: object,
    item_id: object,
    *,
    kind: str,
    now: dt.datetime,
    amount: Decimal | None = None,
    reason: str | None = None,
    evidence_sha256: str | None = None,
    level: str | None = None,
    coefficient: Decimal | None = None,
) -> ConsultationItem:
    """Per item: accept the other side's figure (a risk point's level and coefficient), propose a new one
    (reason required) or hold."""
    claim, cons = case_consultation(session, actor, claim_id)
    side = adjuster_side(session, actor, claim)
    if cons.state != "negotiating":
        raise Conflict("Items are negotiated during the rounds.")
    item = _item(session, cons, item_id)
    if item.state != "open":
        raise Conflict("This item is agreed and locked.")
    turn = _Turn(session, actor, claim, cons, item, side, kind, now)
    if cons.kind in RISK_KINDS:
        _risk_move(turn, level, coefficient, reason, evidence_sha256)
        return item
    other = item.b_position if side == "a" else item.a_position
    if kind == "accept":
        amount = other
    elif kind == "propose":
        if amount is None:
            raise InvalidInput("Give the figure you propose.", fields={"amount": "required"})
        if not reason:
            raise InvalidInput("Give the reason for your figure.", fields={"reason": "required"})
    elif kind != "hold":
        raise InvalidInput("Unknown move.", fields={"kind": "accept, propose or hold"})
    if kind != "hold":
        if side == "a":
            item.a_position = amount
        else:
            item.b_position = amount
    turn.record(reason, evidence_sha256, amount=amount)
    if item.a_position is not None and item.a_position == item.b_position:
        item.state, item.agreed_loss, item.how = "agreed", item.a_position, f"round {cons.round}"
    _moved(turn, {"amount": str(amount) if amount is not None else None}, reason)
    return item


@dataclass(frozen=True)
class _Turn:
    """One side's move (accept, propose, hold) on one open item in the current round."""

    session: Session
    actor: Actor
    claim: Subject
    cons: Consultation
    item: ConsultationItem
    side: str
    kind: str
    now: dt.datetime

    def record(self, reason: str | None, evidence_sha256: str | None, **figures: Any) -> None:
        """The move on the item's record, with the figures it moves to."""
        self.session.add(
            ConsultationMove(
                item_id=self.item.id,
                round=self.cons.round,
                side=self.side,
                kind=self.kind,
                reason=reason,
                evidence_sha256=evidence_sha256,
                by_user_id=self.actor.user_id,
                at=self.now,
                **figures,
            )
        )


def _moved(turn: _Turn, figures: dict[str, Any], reason: str | None) -> None:
    """After a move on an item: on the timeline with the figures moved to; the MoU once nothing is open."""
    cons, item = turn.cons, turn.item
    turn.session.flush()
    _event(
        turn.session,
        turn.actor,
        turn.claim,
        f"item_{turn.kind}",
        turn.now,
        {"item": str(item.id), "side": turn.side, "round": cons.round, **figures, "agreed": item.state == "agreed"},
        reason,
    )
    if not any(i.state == "open" for i in items(turn.session, cons)):
        cons.round_deadline = None
        _maybe_finish(turn.session, turn.claim, cons, turn.now)


def _item(session: Session, cons: Consultation, item_id: object) -> ConsultationItem:
    try:
        key = uuid.UUID(str(item_id))
    except ValueError:
        raise NotFound() from None
    item = session.get(ConsultationItem, key)
    if item is None or item.consultation_id != cons.id:
        raise NotFound()
    return item


def propose_umpire(
    session: Session, actor: Actor, claim_id: object, *, kind: str, umpire_id: uuid.UUID, now: dt.datetime
) -> Consultation:
    """One side proposes an umpire (an expert or a third adjuster), screened for conflicts."""
    claim, cons = case_consultation(session, actor, claim_id)
    adjuster_side(session, actor, claim)
    if cons.state != "umpire":
        raise Conflict("An umpire decides what stays open after the last round.")
    if kind not in ("expert", "adjuster"):
        raise InvalidInput("Unknown umpire kind.", fields={"kind": "expert or adjuster"})
    from tandem.reconciliation.umpire import screen

    found = screen(session, actor, claim, cons, kind, umpire_id, now)
    name = found.name
    cons.umpire_kind, cons.umpire_id, cons.umpire_name = kind, umpire_id, name
    cons.umpire_proposed_by, cons.umpire_accepted = actor.org_id, False
    _event(
        session,
        actor,
        claim,
        "umpire_proposed",
        now,
        {"kind": kind, "name": name, "affiliation": found.affiliation, "neutral": found.neutral},
    )
    return cons


def accept_umpire(session: Session, actor: Actor, claim_id: object, *, now: dt.datetime) -> Consultation:
    claim, cons = case_consultation(session, actor, claim_id)
    adjuster_side(session, actor, claim)
    if cons.umpire_id is None or cons.umpire_accepted:
        raise Conflict("There is no umpire proposal to accept.")
    if cons.umpire_proposed_by == actor.org_id:
        raise Conflict("The other side accepts the umpire.")
    cons.umpire_accepted = True
    _event(session, actor, claim, "umpire_accepted", now, {"name": cons.umpire_name})
    return cons


def award_accepted_by_both(session: Session, cons: Consultation, item: ConsultationItem, amount: Decimal) -> bool:
    sides = session.execute(
        select(ConsultationMove.side).where(
            ConsultationMove.item_id == item.id,
            ConsultationMove.kind == "accept_award",
            ConsultationMove.amount == amount,
        )
    ).scalars()
    return {"a", "b"} <= set(sides)


def accept_award(
    session: Session, actor: Actor, claim_id: object, item_id: object, *, amount: Decimal, now: dt.datetime
) -> ConsultationItem:
    """One side accepts, explicitly, an umpire's award outside the range of the two positions."""
    claim, cons = case_consultation(session, actor, claim_id)
    side = adjuster_side(session, actor, claim)
    if cons.state != "umpire" or not cons.umpire_accepted:
        raise Conflict("Both sides must accept the umpire first.")
    item = _item(session, cons, item_id)
    if item.state != "open":
        raise Conflict("This item is agreed and locked.")
    session.add(
        ConsultationMove(
            item_id=item.id,
            round=cons.round,
            side=side,
            kind="accept_award",
            amount=amount,
            by_user_id=actor.user_id,
            at=now,
        )
    )
    session.flush()
    _event(session, actor, claim, "award_accepted", now, {"item": str(item.id), "side": side, "amount": str(amount)})
    return item


def umpire_decision(
    session: Session,
    actor: Actor,
    claim_id: object,
    item_id: object,
    *,
    amount: Decimal | None = None,
    reason: str,
    now: dt.datetime,
    level: str | None = None,
    coefficient: Decimal | None = None,
) -> ConsultationItem:
    """Record the accepted umpire's final figure (entered by the broker's risk evaluation department)."""
    claim, cons = case_consultation(session, actor, claim_id)
    if PartyRole.BROKER not in _roles(session, claim, actor) or not actor.has_any(frozenset({"broker_risk_evaluator"})):
        raise ActionNotAllowed()
    if cons.state != "umpire" or not cons.umpire_accepted:
        raise Conflict("Both sides must accept the umpire first.")
    item = _item(session, cons, item_id)
    if item.state != "open":
        raise Conflict("This item is agreed and locked.")
    if not reason:
        raise InvalidInput("Give the umpire's reasons.", fields={"reason": "required"})
    if cons.kind in RISK_KINDS:
        level, coefficient = _risk_position(level, coefficient)
        item.state, item.agreed_level, item.agreed_coefficient, item.how = "agreed", level, str(coefficient), "umpire"
        amount = None
    else:
        if amount is None:
            raise InvalidInput("Give the figure you propose.", fields={"amount": "required"})
        low, high = sorted((item.a_position or Decimal(0), item.b_position or Decimal(0)))
        if not (low <= amount <= high) and not award_accepted_by_both(session, cons, item, amount):
            words = f"outside the two positions {low:.2f}–{high:.2f}; both sides must accept {amount:.2f} first"
            raise Conflict(
                "The award is outside the two positions {low}–{high}; both sides must accept {amount} first.",
                low=f"{low:.2f}",
                high=f"{high:.2f}",
                amount=f"{amount:.2f}",
                fields={"amount": words},
            )
        item.state, item.agreed_loss, item.how = "agreed", amount, "umpire"
    session.add(
        ConsultationMove(
            item_id=item.id,
            round=cons.round,
            side="umpire",
            kind="decide",
            amount=amount,
            level=level if cons.kind in RISK_KINDS else None,
            coefficient=str(coefficient) if cons.kind in RISK_KINDS else None,
            reason=reason,
            by_user_id=actor.user_id,
            at=now,
        )
    )
    session.flush()
    _event(
        session,
        actor,
        claim,
        "umpire_decided",
        now,
        {"item": str(item.id), "amount": str(amount), "umpire": cons.umpire_name}
        if cons.kind not in RISK_KINDS
        else {"item": str(item.id), "level": level, "coefficient": str(coefficient), "umpire": cons.umpire_name},
        reason,
    )
    _maybe_finish(session, claim, cons, now)
    return item


def _maybe_finish(session: Session, claim: Subject, cons: Consultation, now: dt.datetime) -> None:
    rows = items(session, cons)
    if any(i.state == "open" for i in rows) or cons.state == "agreed":
        return
    if cons.state == "aligning":
        return  # nothing differs, but the adjusters may still correct the alignment; start_rounds finishes
    cons.state = "agreed"
    ra, rb = session.get(Report, cons.report_a_id), session.get(Report, cons.report_b_id)
    assert ra is not None and rb is not None
    if cons.kind in RISK_KINDS:
        _generate_memorandum(session, claim, cons, _risk_content(claim, cons, ra, rb, rows), now)
        return
    sections: dict[str, list[dict[str, Any]]] = {}
    salvages = item_salvage(session, cons)
    for i in rows:
        sv = salvages[i.id]
        agreed = round_cny(i.agreed_loss or Decimal(0))
        sections.setdefault(i.section, []).append(
            {
                "ref": i.a_ref or f"B{i.b_ref}",
                "a_ref": i.a_ref,
                "b_ref": i.b_ref,
                "description": i.description,
                "a_loss": f"{i.a_loss:.2f}" if i.a_loss is not None else None,
                "b_loss": f"{i.b_loss:.2f}" if i.b_loss is not None else None,
                "loss": f"{agreed:.2f}",
                "salvage": str(min(sv, agreed)),
                "how": i.how,
            }
        )
    assert isinstance(claim, Claim)  # loss items: a claim's adjusting reports
    content = {
        "claim_number": claim.number,
        "policy_number": claim.policy.number,
        "report_a": {"number": ra.display_number, "sha256": ra.content_hash, "total": f"{ra.total_loss:.2f}"},
        "report_b": {"number": rb.display_number, "sha256": rb.content_hash, "total": f"{rb.total_loss:.2f}"},
        "umpire": cons.umpire_name,
        "sections": [
            {"code": code, **replacement_values(ra, rb, code), "items": its} for code, its in sections.items()
        ],
        "total_agreed": f"{sum((round_cny(i.agreed_loss or Decimal(0)) for i in rows), Decimal(0)):.2f}",
    }
    _generate_memorandum(session, claim, cons, content, now)


def _generate_memorandum(
    session: Session, claim: Subject, cons: Consultation, content: dict[str, Any], now: dt.datetime
) -> None:
    memo = Memorandum(
        consultation_id=cons.id,
        number=next_number(session, now, "MOU"),
        content=content,
        content_hash=sha256_hex(canonical_json(content)),
        created_at=now,
    )
    session.add(memo)
    session.flush()
    enqueue(
        session, "consultation.render_mou", {"memorandum_id": str(memo.id)}, now=now, dedupe_key=f"mou-pdf:{memo.id}"
    )
    settled = {"total_agreed": content["total_agreed"]} if "total_agreed" in content else {}
    if "risk_points" in content:
        settled = {"risk_points": len(content["risk_points"])}
    _event(
        session,
        None,
        claim,
        "memorandum_generated",
        now,
        {"number": memo.number, "content_hash": memo.content_hash, **settled},
    )


def replacement_values(ra: Report, rb: Report, code: str) -> dict[str, str]:
    """The section's replacement value (重置价值) in the MoU: the reports' when they agree or only one gives
    it; when they differ both are recorded and none is agreed (the policy's declared value then applies)."""
    found = []
    for r in (ra, rb):
        sec = next((s for s in r.content["sections"] if s["code"] == code), None)
        value = sec.get("replacement_value") if sec else None
        found.append(f"{Decimal(str(value)):.2f}" if value not in (None, "") else None)
    a, b = found
    if a is not None and b is not None and a != b:
        return {"replacement_value_a": a, "replacement_value_b": b}
    agreed = a or b
    return {"replacement_value": agreed} if agreed else {}


def item_salvage(session: Session, cons: Consultation) -> dict[uuid.UUID, Decimal]:
    """Salvage (残值) per item: report A's where A has the item, else report B's; it is not negotiated."""
    ra, rb = session.get(Report, cons.report_a_id), session.get(Report, cons.report_b_id)
    assert ra is not None and rb is not None

    def table(r: Report) -> dict[tuple[str, str], Decimal]:
        return {
            (s["code"], str(i["ref"])): Decimal(str(i.get("salvage") or 0))
            for s in r.content["sections"]
            for i in s["items"]
        }

    sa, sb = table(ra), table(rb)
    return {
        i.id: sa.get((i.section, i.a_ref), Decimal(0)) if i.a_ref else sb.get((i.section, i.b_ref or ""), Decimal(0))
        for i in items(session, cons)
    }


def memorandum(session: Session, cons: Consultation) -> Memorandum | None:
    return session.execute(select(Memorandum).where(Memorandum.consultation_id == cons.id)).scalar_one_or_none()


def acks(session: Session, memo: Memorandum) -> list[MemorandumAck]:
    return list(
        session.execute(
            select(MemorandumAck).where(MemorandumAck.memorandum_id == memo.id).order_by(MemorandumAck.at)
        ).scalars()
    )


def acknowledge(session: Session, actor: Actor, claim_id: object, *, now: dt.datetime) -> MemorandumAck:
    """Both adjusters, the broker and the insurer acknowledge the MoU; then it is the basis of the claim."""
    claim, cons = case_consultation(session, actor, claim_id)
    memo = memorandum(session, cons)
    if memo is None:
        raise Conflict("The memorandum is generated when no item is open.")
    roles = _roles(session, claim, actor)
    if PartyRole.BROKER in roles and actor.has_any(frozenset({"broker_risk_evaluator"})):
        party = "broker"
    elif PartyRole.INSURER in roles:
        party = "insurer"
    elif actor.org_id == cons.firm_a_id:
        party = "adjuster_a"
    elif actor.org_id == cons.firm_b_id:
        party = "adjuster_b"
    elif PartyRole.INSURED in roles and "insured" in acknowledgers(cons):
        party = "insured"
    else:
        raise ActionNotAllowed()
    if any(a.party == party for a in acks(session, memo)):
        raise Conflict("Already acknowledged.")
    ack = MemorandumAck(
        memorandum_id=memo.id,
        party=party,
        organisation_id=actor.org_id,
        user_id=actor.user_id,
        content_hash=memo.content_hash,
        at=now,
    )
    session.add(ack)
    session.flush()
    _event(session, actor, claim, "memorandum_acknowledged", now, {"party": party, "content_hash": memo.content_hash})
    return ack


def acknowledged_memorandum(session: Session, claim: Subject) -> Memorandum | None:
    """The case's MoU once every party its kind requires has acknowledged it."""
    cons = _of_case(session, claim)
    memo = memorandum(session, cons) if cons else None
    if cons is None or memo is None or {a.party for a in acks(session, memo)} != set(acknowledgers(cons)):
        return None
    return memo


def note_report_reissued(
    session: Session, actor: Actor, claim: Subject, previous: Report, new: Report, *, now: dt.datetime
) -> None:
    """A report in an open consultation may be corrected, but the consultation notes it."""
    cons = _of_case(session, claim)
    if cons is None or previous.id not in (cons.report_a_id, cons.report_b_id):
        return
    if cons.state == "agreed":
        raise Conflict("The consultation on this report is concluded; the MoU stands.")
    cons.notes = [
        *cons.notes,
        {
            "at": now.isoformat(),
            "kind": "report_reissued",
            "previous": previous.display_number,
            "new": new.display_number,
            "new_hash": new.content_hash,
        },
    ]
    _event(
        session,
        actor,
        claim,
        "report_reissued",
        now,
        {"previous": previous.display_number, "new": new.display_number, "new_hash": new.content_hash},
    )


# ---- risk points (two pre-assessments of a placement, R-U8) -----------------------------------------


def _risk_points(report: Report) -> list[engine.RiskPoint]:
    return [
        engine.RiskPoint(p["ref"], p["title"], p["location"], p["level"], Decimal(p["coefficient"]))
        for p in report.content["risk_points"]
    ]


def _differ(a: engine.RiskPoint, b: engine.RiskPoint) -> list[str]:
    return [f for f in ("level", "coefficient") if getattr(a, f) != getattr(b, f)]


def _build_risk_items(
    session: Session, cons: Consultation, ra: Report, rb: Report, pairs: list[tuple[str, str]] | None
) -> None:
    """One item per risk point: pairs proposed by the alignment engine (or given by the adjusters), then
    the points only one report found. A pair with the same level and coefficient is agreed at once."""
    pa, pb = _risk_points(ra), _risk_points(rb)
    by_a, by_b = {p.ref: p for p in pa}, {p.ref: p for p in pb}
    if pairs is None:
        found, _, _ = engine.align_risk_points(pa, pb)
        chosen = [(p.a, p.b, p.confidence, list(p.fields_differ)) for p in found]
    else:
        if any(a not in by_a or b not in by_b for a, b in pairs):
            raise InvalidInput("Unknown item in the alignment.", fields={"pairs": "unknown risk point"})
        if len({a for a, _ in pairs}) != len(pairs) or len({b for _, b in pairs}) != len(pairs):
            raise InvalidInput("An item can be in one pair only.", fields={"pairs": "one to one"})
        chosen = [(by_a[a], by_b[b], 1.0, _differ(by_a[a], by_b[b])) for a, b in pairs]
    for old in items(session, cons):
        session.delete(old)
    session.flush()
    rows: list[tuple[engine.RiskPoint | None, engine.RiskPoint | None, float | None, list[str]]] = list(chosen)
    taken_a, taken_b = {a.ref for a, _, _, _ in chosen}, {b.ref for _, b, _, _ in chosen}
    rows += [(p, None, None, []) for p in pa if p.ref not in taken_a]
    rows += [(None, p, None, []) for p in pb if p.ref not in taken_b]
    for pos, (a, b, conf, differ) in enumerate(rows):
        same = a is not None and b is not None and not differ
        title = " / ".join(dict.fromkeys(f"{p.title}（{p.location}）" for p in (a, b) if p is not None))
        session.add(
            ConsultationItem(
                consultation_id=cons.id,
                position=pos,
                section="risk",
                a_ref=a.ref if a else None,
                b_ref=b.ref if b else None,
                description=title,
                a_level=a.level if a else None,
                b_level=b.level if b else None,
                a_coefficient=str(a.coefficient) if a else None,
                b_coefficient=str(b.coefficient) if b else None,
                confidence=conf,
                fields_differ=differ,
                state="agreed" if same else "open",
                agreed_level=a.level if same and a else None,
                agreed_coefficient=str(a.coefficient) if same and a else None,
                how="identical" if same else None,
            )
        )
    session.flush()


def _risk_position(level: str | None, value: Decimal | None) -> tuple[str, Decimal]:
    if level not in ("低", "中", "高", "重大"):
        raise InvalidInput("Give the level and the coefficient you propose.", fields={"level": "低, 中, 高 or 重大"})
    try:
        return level, coefficient(value)
    except ValueError as exc:
        raise InvalidInput(
            "Give the level and the coefficient you propose.", fields={"coefficient": str(exc)}
        ) from None


def _risk_move(
    turn: _Turn, level: str | None, value: Decimal | None, reason: str | None, evidence_sha256: str | None
) -> None:
    """A move on a risk point: accept the other side's level and coefficient, propose one's own (with a
    reason) or hold; the point is agreed when both sides hold the same level and coefficient."""
    item, side, kind = turn.item, turn.side, turn.kind
    if kind == "accept":
        other = (item.b_level, item.b_coefficient) if side == "a" else (item.a_level, item.a_coefficient)
        if other[0] is None or other[1] is None:
            raise Conflict("The other report does not have this risk point.")
        level, value = other[0], Decimal(other[1])
    elif kind == "propose":
        level, value = _risk_position(level, value)
        if not reason:
            raise InvalidInput("Give the reason for your figure.", fields={"reason": "required"})
    elif kind != "hold":
        raise InvalidInput("Unknown move.", fields={"kind": "accept, propose or hold"})
    if kind != "hold":
        assert level is not None and value is not None
        if side == "a":
            item.a_level, item.a_coefficient = level, str(value)
        else:
            item.b_level, item.b_coefficient = level, str(value)
    turn.record(
        reason,
        evidence_sha256,
        level=level if kind != "hold" else None,
        coefficient=str(value) if kind != "hold" and value is not None else None,
    )
    if item.a_level is not None and (item.a_level, item.a_coefficient) == (item.b_level, item.b_coefficient):
        item.state, item.how = "agreed", f"round {turn.cons.round}"
        item.agreed_level, item.agreed_coefficient = item.a_level, item.a_coefficient
    moved_to = {"level": level, "coefficient": str(value)} if kind != "hold" else {"level": None, "coefficient": None}
    _moved(turn, moved_to, reason)


def _risk_content(
    claim: Subject, cons: Consultation, ra: Report, rb: Report, rows: list[ConsultationItem]
) -> dict[str, Any]:
    """What a placement's MoU settles: every risk point with both reports' original level and loading
    coefficient and the agreed ones (the basis of the premium, R-U8), and who must acknowledge it."""
    by_a, by_b = ({p.ref: p for p in _risk_points(r)} for r in (ra, rb))

    def original(points: dict[str, engine.RiskPoint], ref: str | None) -> tuple[str | None, str | None]:
        p = points.get(ref) if ref is not None else None
        return (p.level, str(p.coefficient)) if p else (None, None)

    settled = []
    for i in rows:
        (a_level, a_coefficient), (b_level, b_coefficient) = original(by_a, i.a_ref), original(by_b, i.b_ref)
        settled.append(
            {
                "a_ref": i.a_ref,
                "b_ref": i.b_ref,
                "description": i.description,
                "a_level": a_level,
                "b_level": b_level,
                "a_coefficient": a_coefficient,
                "b_coefficient": b_coefficient,
                "level": i.agreed_level,
                "coefficient": i.agreed_coefficient,
                "how": i.how,
            }
        )
    return {
        "case_number": _number(claim),
        "kind": cons.kind,
        "report_a": {"number": ra.display_number, "sha256": ra.content_hash},
        "report_b": {"number": rb.display_number, "sha256": rb.content_hash},
        "umpire": cons.umpire_name,
        "risk_points": settled,
        "acknowledgers": list(acknowledgers(cons)),
    }
