"""Bias analytics over the platform's own data (偏向分析, neutrality.md "Bias analytics").

Two kinds of case feed :mod:`tandem.neutrality.bias`, one row per report:

- a dual-report consultation (竞争性磋商) on a claim's loss items that ended in an MoU: each of the two
  reports' ``total_loss`` against the MoU's ``total_agreed``;
- a claim agreed with the insurer (accepted offer) on the basis of one report at another amount than
  the report gave: the amount payable the report gave (the risk evaluators' confirmation computed from
  that report, on the same footing as the offer) against the agreed amount.

The adjuster of a report is the one named in its firm's accepted appointment letter on the case, and
the side is who appointed it (the broker, for the insured, or the insurer). Only cases the actor may
see are read (``scope.visible_claims``): a broker's figures cover its own cases, a firm's its own
reports, supervision's every case it supervises.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.claim.lifecycle import last_offer_step
from tandem.claim.models import Appointment, Claim, ClaimStatus
from tandem.claim.workflow import latest_confirmation
from tandem.neutrality import bias
from tandem.party.models import Adjuster
from tandem.reconciliation.models import Consultation, Memorandum
from tandem.report.models import Report
from tandem.settlement.models import NegotiationStep

AGREED_STATES = (ClaimStatus.AGREED, ClaimStatus.PAID, ClaimStatus.CLOSED)


@dataclass(frozen=True)
class CaseRow:
    """One measured report with what a page links to: the claim, its number, the adjuster's name."""

    claim_id: uuid.UUID
    source: str  # mou | agreed
    row: bias.BiasRow


@dataclass(frozen=True)
class Figures:
    """The engine's result over the actor's cases, with the names and claims behind its keys."""

    result: bias.BiasResult | None
    rows: tuple[CaseRow, ...]
    names: dict[str, str]

    def adjuster(self, adjuster_id: uuid.UUID) -> bias.GroupFigures | None:
        return _find(self.result.adjusters if self.result else (), str(adjuster_id))

    def firm(self, firm_id: uuid.UUID) -> bias.GroupFigures | None:
        return _find(self.result.firms if self.result else (), str(firm_id))

    def flagged_adjusters(self) -> list[bias.GroupFigures]:
        return [g for g in (self.result.adjusters if self.result else ()) if g.flagged]

    def claim_of(self, measure: bias.RowMeasure) -> uuid.UUID:
        return self.rows[measure.index].claim_id


def _find(groups: tuple[bias.GroupFigures, ...], key: str) -> bias.GroupFigures | None:
    return next((g for g in groups if g.key == key), None)


def _appointments(session: Session, actor: Actor) -> dict[tuple[uuid.UUID, uuid.UUID], Appointment]:
    """Each firm's accepted appointment letter per case of the actor's claims (the latest, if it was
    appointed twice), read in one query."""
    visible = scope.visible_claims(actor).with_only_columns(Claim.case_id)
    rows = session.execute(
        select(Appointment)
        .where(Appointment.case_id.in_(visible), Appointment.state == "accepted")
        .order_by(Appointment.issued_at)
    ).scalars()
    return {(a.case_id, a.firm_id): a for a in rows}


class _Collector:
    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.rows: list[CaseRow] = []
        self.names: dict[str, str] = {}
        self._seen: set[tuple[uuid.UUID, str]] = set()
        self._appointments = _appointments(session, actor)

    def add(self, claim: Claim, source: str, report: Report, report_amount: Decimal, settled: Decimal) -> None:
        appointment = self._appointments.get((claim.case_id, report.firm_id))
        if appointment is None or settled <= 0 or report_amount < 0:
            return
        adjuster = self.session.get(Adjuster, appointment.adjuster_id)
        assert adjuster is not None
        key = str(adjuster.id)
        if (claim.id, key) in self._seen:
            return
        self._seen.add((claim.id, key))
        firm = str(adjuster.firm_id)
        self.names[key] = adjuster.name
        self.names[firm] = adjuster.firm.organisation.name
        side = bias.Side.INSURER if appointment.side == "insurer" else bias.Side.INSURED
        row = bias.BiasRow(claim.number, key, firm, side, report_amount, settled)
        self.rows.append(CaseRow(claim.id, source, row))


def _memoranda(session: Session, actor: Actor, out: _Collector) -> None:
    visible = scope.visible_claims(actor).with_only_columns(Claim.id)
    found = session.execute(
        select(Consultation, Memorandum)
        .join(Memorandum, Memorandum.consultation_id == Consultation.id)
        .where(Consultation.kind == "adjusting", Consultation.claim_id.in_(visible))
    ).all()
    for cons, memo in found:
        claim = session.get(Claim, cons.claim_id)
        assert claim is not None
        settled = Decimal(memo.content["total_agreed"])
        for report_id in (cons.report_a_id, cons.report_b_id):
            report = session.get(Report, report_id)
            assert report is not None
            out.add(claim, "mou", report, report.total_loss, settled)


def _agreements(session: Session, actor: Actor, out: _Collector) -> None:
    accepted = select(NegotiationStep.claim_id).where(NegotiationStep.move == "accept")
    claims = session.execute(
        scope.visible_claims(actor).where(Claim.status.in_(AGREED_STATES), Claim.id.in_(accepted))
    ).unique()
    for claim in claims.scalars():
        conf = latest_confirmation(session, claim)
        offer = last_offer_step(session, claim)
        if conf is None or conf.basis_kind != "report" or offer is None or offer.amount is None:
            continue  # an MoU basis is measured as the MoU
        if offer.amount == conf.total_payable:
            continue
        report = session.get(Report, conf.basis_id)
        assert report is not None
        out.add(claim, "agreed", report, conf.total_payable, offer.amount)


def case_rows(session: Session, actor: Actor) -> tuple[list[CaseRow], dict[str, str]]:
    """Every measured report on the actor's cases, in claim-number order, and the names of the keys."""
    out = _Collector(session, actor)
    _memoranda(session, actor, out)
    _agreements(session, actor, out)
    out.rows.sort(key=lambda r: (r.row.case, r.row.adjuster))
    return out.rows, out.names


def figures(session: Session, actor: Actor) -> Figures:
    """The engine (default options) over :func:`case_rows`; ``result`` is None when there is no row."""
    rows, names = case_rows(session, actor)
    if not rows:
        return Figures(None, (), names)
    result = bias.analyse(bias.BiasInput(tuple(r.row for r in rows)))
    return Figures(result, tuple(rows), names)
