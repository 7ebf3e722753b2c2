"""Stage 2 comparison (横评, R-U6): for each insurer on the saved shortlist, its historical premium rates
for the placement's lines, its declared underwriting process, its claims record on the platform and its
integrity record (保险人诚信评价记录) with a ranking; the insured then picks an insurer or asks the broker
to recommend one (the recommendation and its reasons recorded, the insured confirms).

The facts about other insureds are read here as observations ``(insured, value)`` — never the
viewing placement's own insured — and handed straight to :func:`comparison_stats.aggregate`: what
leaves this module is :class:`Comparison`, made of insurer names, declared facts and suppressed
:class:`~tandem.placement.comparison_stats.Figure` s only. The days insurers take to pay adjusters'
fees are read from the fee invoices they settled (:data:`FEE_DAYS_SOURCE`); upheld complaints
(:data:`COMPLAINTS_SOURCE`) are not kept on the platform yet, so that component is "not enough data".
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from tandem.access.actor import Actor
from tandem.access.models import Organisation, Role
from tandem.audit import service as audit
from tandem.case import service as case_service
from tandem.claim.models import Claim, ClaimStatus, Participation, PartyRole, Payment
from tandem.fees import ageing
from tandem.fees.models import Invoice
from tandem.kit import transition
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, StateChanged
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.party.models import Insurer
from tandem.placement import comparison_stats as stats
from tandem.placement import screening
from tandem.placement import service as placement_service
from tandem.placement.comparison_models import ComparisonSettings, InsurerChoice
from tandem.placement.models import Placement
from tandem.placement.screening_models import Shortlist
from tandem.policy.models import Policy, PolicySection
from tandem.settlement.models import NegotiationStep

#: The sides on the case that read the comparison (the insured, the broker, the broker's adjuster).
READERS = frozenset({PartyRole.BROKER, PartyRole.INSURED, PartyRole.ADJUSTER})
NO_SHORTLIST = N_("The comparison starts once the broker has saved a shortlist.")
NOT_ON_SHORTLIST = N_("Choose an insurer on the shortlist.")
REASONS_REQUIRED = N_("Give the reasons for the recommendation.")
REASONS_TOO_LONG = N_("The reasons are too long.")
WEIGHTS_INVALID = N_("A weight is a whole number from 0 to 100.")
WEIGHTS_ZERO = N_("At least one weight must be above 0.")

#: Each component of the claims record and the integrity score, in words (msgids).
NAMES: Mapping[str, str] = {
    "payment_days": N_("Median days from notice to payment"),
    "decided_30d": N_("Decided within 30 days of notice"),
    "paid_10d": N_("Paid within 10 days of agreement"),
    "disputes": N_("Dispute rate"),
    "refusals": N_("Refusal rate"),
    "refusals_paid": N_("Refusals later paid"),
    "fee_days": N_("Median days to pay adjusters' fees"),
    "complaints": N_("Upheld complaints per 100 insureds"),
}
#: The components that make the claims record on the platform (the others: fees and complaints).
CLAIMS_RECORD = ("payment_days", "decided_30d", "paid_10d", "disputes", "refusals", "refusals_paid")
#: How each component earns its 0–100 points (published with the weights).
SCORING: Mapping[str, str] = {
    "payment_days": N_("100 at 10 days or fewer, 0 at 90 days or more, straight in between."),
    "decided_30d": N_("The share in %."),
    "paid_10d": N_("The share in %."),
    "disputes": N_("100 minus the rate in %."),
    "refusals": N_("100 minus the rate in %."),
    "refusals_paid": N_("100 minus the share in %."),
    "fee_days": N_("100 at 30 days or fewer, 0 at 120 days or more, straight in between."),
    "complaints": N_("100 minus 10 per upheld complaint per 100 insureds."),
}
#: The unit each figure is shown in.
UNITS: Mapping[str, str] = {
    "payment_days": "days",
    "fee_days": "days",
    "complaints": "count",
}

Observations = list[tuple[Hashable, Any]]
#: (session, insurer ids, the insured left out) -> per insurer the observations, or None: no such data yet.
Source = Callable[[Session, Sequence[uuid.UUID], uuid.UUID], Mapping[uuid.UUID, Observations] | None]


# ---- sources: observations about other insureds (never leave this module) ------------------------


def premium_rates(
    session: Session, insurers: Sequence[uuid.UUID], lines: Sequence[str], exclude: uuid.UUID
) -> dict[uuid.UUID, Observations]:
    """Per insurer, the rate (‰ of the total sum insured) of every policy it wrote on the platform for one
    of ``lines`` with a premium, tagged with its insured."""
    totals = (
        select(PolicySection.policy_id, func.sum(PolicySection.sum_insured).label("total"))
        .group_by(PolicySection.policy_id)
        .subquery()
    )
    rows = session.execute(
        select(Policy.insurer_id, Policy.insured_id, Policy.premium, totals.c.total)
        .join(totals, totals.c.policy_id == Policy.id)
        .where(
            Policy.insurer_id.in_(insurers),
            Policy.line.in_(list(lines)),
            Policy.premium.is_not(None),
            Policy.insured_id != exclude,
        )
    ).all()
    found: dict[uuid.UUID, Observations] = defaultdict(list)
    for insurer, insured, premium, total in rows:
        if total and Decimal(str(total)) > 0:
            found[insurer].append((insured, Decimal(str(premium)) * 1000 / Decimal(str(total))))
    return found


def _first(rows: Sequence[tuple[uuid.UUID, dt.datetime]]) -> dict[uuid.UUID, dt.datetime]:
    first: dict[uuid.UUID, dt.datetime] = {}
    for claim_id, at in rows:
        if claim_id not in first or at < first[claim_id]:
            first[claim_id] = at
    return first


def claim_facts(
    session: Session, insurers: Sequence[uuid.UUID], exclude: uuid.UUID
) -> dict[uuid.UUID, list[stats.ClaimFacts]]:
    """Per insurer, the facts of every claim against it on the platform (other insureds' only)."""
    found: dict[uuid.UUID, list[stats.ClaimFacts]] = defaultdict(list)
    for insurer, facts in facts_by_claim(session, Claim.insurer_id.in_(insurers), Claim.insured_id != exclude).values():
        found[insurer].append(facts)
    return found


def facts_by_claim(
    session: Session, *where: ColumnElement[bool]
) -> dict[uuid.UUID, tuple[uuid.UUID, stats.ClaimFacts]]:
    """The integrity record's facts of the claims ``where`` selects, by claim id, with each claim's insurer
    (the comparison reads them per insurer; the broker's tracking of an insurer per policy)."""
    claims = session.execute(
        select(Claim.id, Claim.insurer_id, Claim.insured_id, Claim.notified_at, Claim.status).where(*where)
    ).all()
    ours = select(Claim.id).where(*where)
    steps = session.execute(
        select(NegotiationStep.claim_id, NegotiationStep.move, NegotiationStep.at).where(
            NegotiationStep.claim_id.in_(ours)
        )
    ).all()
    payments = session.execute(
        select(Payment.claim_id, Payment.kind, Payment.paid_at).where(Payment.claim_id.in_(ours))
    ).all()
    moves: dict[str, list[tuple[uuid.UUID, dt.datetime]]] = defaultdict(list)
    for claim_id, move, at in steps:
        moves[move].append((claim_id, at))
    negotiated = {claim_id for claim_id, _move, _at in steps}
    agreed, refused, disputed = _first(moves["accept"]), _first(moves["refuse"]), {c for c, _ in moves["dispute"]}
    final = _first([(c, at) for c, kind, at in payments if kind == "final"])
    last_paid = {c: at for c, at in sorted(((c, at) for c, _kind, at in payments), key=lambda row: row[1])}
    found: dict[uuid.UUID, tuple[uuid.UUID, stats.ClaimFacts]] = {}
    for claim_id, insurer, insured, notified, status in claims:
        refusal = refused.get(claim_id)
        paid = last_paid.get(claim_id)
        later = refusal is not None and paid is not None and paid > refusal
        found[claim_id] = (
            insurer,
            stats.ClaimFacts(
                insured=insured,
                notified_at=notified,
                agreed_at=agreed.get(claim_id),
                refused_at=refusal,
                negotiated=claim_id in negotiated,
                disputed=claim_id in disputed,
                paid_at=final.get(claim_id),
                paid_after_refusal=later,
                withdrawn=status == ClaimStatus.WITHDRAWN,
            ),
        )
    return found


def fee_invoice_days(
    session: Session, insurers: Sequence[uuid.UUID], exclude: uuid.UUID
) -> Mapping[uuid.UUID, Observations] | None:
    """Per insurer, the calendar days from each adjuster's fee invoice it paid to the payment that settled
    it (``fees.ageing.days_to_pay``), tagged with the insured of the invoice's case (invoices of a case
    without an insured, or of the viewing insured, are left out)."""
    rows = session.execute(
        select(Invoice.payer_id, Invoice.invoice_date, Invoice.settled_on, Participation.organisation_id)
        .join(
            Participation,
            (Participation.case_id == Invoice.case_id) & (Participation.party_role == PartyRole.INSURED),
        )
        .where(
            Invoice.payer_id.in_(insurers),
            Invoice.state == "paid",
            Invoice.settled_on.is_not(None),
            Participation.organisation_id != exclude,
        )
    ).all()
    found: dict[uuid.UUID, Observations] = defaultdict(list)
    for payer, issued, settled, insured in rows:
        if settled is not None:
            found[payer].append((insured, Decimal(ageing.days_to_pay(issued, settled))))
    return found


def no_complaints(
    session: Session, insurers: Sequence[uuid.UUID], exclude: uuid.UUID
) -> Mapping[uuid.UUID, Observations] | None:
    """Upheld complaints against the insurer: the platform keeps no complaints yet."""
    return None


#: Where the days to pay adjusters' fees come from: observations ``(insured, days)`` per insurer.
FEE_DAYS_SOURCE: Source = fee_invoice_days
#: Where upheld complaints come from: one observation ``(insured, its upheld complaints)`` per insured the
#: insurer covered, shown as upheld complaints per 100 insureds.
COMPLAINTS_SOURCE: Source = no_complaints


def _sourced(
    source: Source,
    compute: Callable[[list[Any]], Any],
    session: Session,
    insurers: Sequence[uuid.UUID],
    exclude: uuid.UUID,
) -> dict[Any, Any]:
    found = source(session, insurers, exclude)
    return {i: stats.aggregate(found.get(i, []), compute) for i in insurers} if found is not None else {}


# ---- weights (the broker's published settings) ---------------------------------------------------


def weights_of(session: Session, broker_id: uuid.UUID) -> dict[str, int]:
    row = session.get(ComparisonSettings, broker_id)
    saved = dict(row.weights) if row else {}
    return {c.code: int(saved.get(c.code, c.default_weight)) for c in stats.COMPONENTS}


def check_weights(weights: Mapping[str, object]) -> dict[str, int]:
    """Every component's weight (the ones not given keep their default); 422 naming ``weights.CODE``."""
    errors: dict[str, str] = {}
    checked = dict(stats.DEFAULT_WEIGHTS)
    for code, value in weights.items():
        ok = code in stats.BY_CODE and isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100
        if not ok:
            errors[f"weights.{code}"] = WEIGHTS_INVALID
        else:
            checked[code] = int(value)  # type: ignore[call-overload]
    if not errors and not any(checked.values()):
        errors["weights"] = WEIGHTS_ZERO
    if errors:
        raise InvalidInput(fields=errors)
    return checked


def may_set_weights(actor: Actor) -> bool:
    return not actor.read_only and actor.has_any(frozenset({Role.BROKER_ACCOUNT_MANAGER}))


def set_weights(session: Session, actor: Actor, weights: Mapping[str, object], *, now: dt.datetime) -> dict[str, int]:
    """The broker's account manager publishes the weights of the integrity score (audited)."""
    if not may_set_weights(actor):
        raise ActionNotAllowed()
    checked = check_weights(weights)
    before = weights_of(session, actor.org_id)
    row = session.get(ComparisonSettings, actor.org_id)
    if row is None:
        row = ComparisonSettings(broker_id=actor.org_id, weights=checked, updated_at=now, updated_by=actor.user_id)
        session.add(row)
    else:
        row.weights, row.updated_at, row.updated_by = checked, now, actor.user_id
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="broker.comparison_weights_set",
        entity_type="organisation",
        entity_id=actor.org_id,
        at=now,
        chain_key=f"org:{actor.org_id}",
        before=before,
        after=checked,
        request_id=actor.request_id,
    )
    return checked


# ---- the comparison ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One shortlisted insurer as every reader sees it: declared facts and suppressed figures only."""

    insurer_id: uuid.UUID
    name: str
    products: tuple[str, ...]
    underwriting_steps: tuple[str, ...]
    underwriting_days: int | None
    rates: stats.Figure  # (lower quartile, median, upper quartile) in ‰
    record: Mapping[str, stats.Figure]
    integrity: stats.Integrity


@dataclass(frozen=True)
class Comparison:
    placement: Placement
    shortlist_version: int
    lines: tuple[str, ...]
    weights: Mapping[str, int]
    columns: tuple[Column, ...]
    choice: InsurerChoice | None = None
    state: str = "open"
    actions: frozenset[str] = field(default_factory=frozenset)

    def column(self, insurer_id: object) -> Column | None:
        return next((c for c in self.columns if str(c.insurer_id) == str(insurer_id)), None)


def _readable(session: Session, actor: Actor, placement_id: object) -> tuple[Placement, set[PartyRole]]:
    placement = placement_service.get_placement(session, actor, placement_id)
    sides = case_service.participant_roles(session, placement_service.case_of(session, placement), actor.org_id)
    if not sides & READERS:
        raise ActionNotAllowed()
    return placement, set(sides)


def latest_shortlist(session: Session, placement: Placement) -> Shortlist:
    saved = screening.shortlists(session, placement.id)
    if not saved:
        raise Conflict(NO_SHORTLIST)
    return saved[0]


def shortlisted(shortlist: Shortlist) -> dict[uuid.UUID, tuple[str, list[str]]]:
    """The insurers kept on the shortlist, each with its name and the products kept."""
    found: dict[uuid.UUID, tuple[str, list[str]]] = {}
    for o in shortlist.kept:
        _name, kept = found.setdefault(uuid.UUID(o["insurer_id"]), (o["insurer"], []))
        kept.append(o["name"])
    return found


def build(session: Session, placement: Placement, shortlist: Shortlist, now: dt.datetime) -> tuple[Column, ...]:
    """Every shortlisted insurer's column, ranked by the integrity score."""
    insurers = shortlisted(shortlist)
    ids = list(insurers)
    exclude = placement.insured_id
    rates = premium_rates(session, ids, list(placement.lines or []), exclude)
    facts = claim_facts(session, ids, exclude)
    fees = _sourced(FEE_DAYS_SOURCE, stats.median_days, session, ids, exclude)
    complaints = _sourced(COMPLAINTS_SOURCE, stats.per_hundred, session, ids, exclude)
    weights = weights_of(session, placement.broker_id)
    records = {i: stats.claims_record(facts.get(i, []), now) for i in ids}
    for i in ids:
        records[i]["fee_days"] = fees.get(i, stats.HIDDEN)
        records[i]["complaints"] = complaints.get(i, stats.HIDDEN)
    scores = {i: stats.integrity(records[i], weights) for i in ids}
    ranks = stats.ranked({i: scores[i].score for i in ids})
    declared = {
        r.organisation_id: r for r in session.execute(select(Insurer).where(Insurer.organisation_id.in_(ids))).scalars()
    }
    columns = []
    for i, (name, products) in insurers.items():
        record = declared.get(i)
        columns.append(
            Column(
                insurer_id=i,
                name=name,
                products=tuple(products),
                underwriting_steps=tuple(record.underwriting_steps or []) if record else (),
                underwriting_days=record.underwriting_days if record else None,
                rates=stats.aggregate(rates.get(i, []), stats.rate_quartiles),
                record=records[i],
                integrity=stats.Integrity(scores[i].parts, scores[i].score, ranks[i]),
            )
        )
    return tuple(sorted(columns, key=lambda c: (c.integrity.rank is None, c.integrity.rank or 0, c.name)))


def comparison(session: Session, actor: Actor, placement_id: object, now: dt.datetime) -> Comparison:
    """The comparison as the actor reads it (the insured, the broker, the broker's adjuster): 404 not
    yours, 403 for the other parties, 409 before a shortlist is saved."""
    placement, _sides = _readable(session, actor, placement_id)
    shortlist = latest_shortlist(session, placement)
    choice = session.get(InsurerChoice, placement.id)
    state = state_of(choice, shortlist)
    return Comparison(
        placement=placement,
        shortlist_version=shortlist.version,
        lines=tuple(placement.lines or []),
        weights=weights_of(session, placement.broker_id),
        columns=build(session, placement, shortlist, now),
        choice=choice,
        state=state,
        actions=frozenset(_allowed(session, actor, placement, state)),
    )


# ---- the insured's choice (its own small table of moves) ----------------------------------------

BAM, INS = Role.BROKER_ACCOUNT_MANAGER.value, Role.INSURED_CONTACT.value
#: The side on the case each role acts for.
SIDE = {BAM: PartyRole.BROKER, INS: PartyRole.INSURED}


def _r(to: str, *roles: str) -> transition.Rule:
    return transition.Rule(to, frozenset(roles))


#: The insured's choice of insurer: picked, or asked for, recommended with reasons and confirmed.
CHOICE_RULES: transition.Table = {
    ("open", "pick"): _r("chosen", INS),
    ("open", "ask"): _r("requested", INS),
    ("requested", "pick"): _r("chosen", INS),
    ("requested", "recommend"): _r("recommended", BAM),
    ("recommended", "recommend"): _r("recommended", BAM),
    ("recommended", "confirm"): _r("chosen", INS),
    ("recommended", "pick"): _r("chosen", INS),
}
ACTIONS = ("pick", "ask", "recommend", "confirm")
#: A choice made on a new shortlist version starts from nothing.
FRESH: Mapping[str, Any] = dict.fromkeys(
    [
        *("insurer_id", "how", "recommended_insurer_id", "recommendation_reasons"),
        *("recommended_at", "recommended_by", "chosen_at", "chosen_by"),
    ]
)


def state_of(choice: InsurerChoice | None, shortlist: Shortlist) -> str:
    """The choice's state; a new shortlist version opens the choice again."""
    if choice is None or choice.shortlist_version != shortlist.version:
        return "open"
    return choice.state


def _allowed(session: Session, actor: Actor, placement: Placement, state: str) -> set[str]:
    sides = case_service.participant_roles(session, placement_service.case_of(session, placement), actor.org_id)
    roles = frozenset(r.value for r in actor.roles if SIDE.get(r.value) in sides)
    return set() if actor.read_only else set(transition.allowed_actions(CHOICE_RULES, state, roles))


def _insurer(shortlist: Shortlist, insurer_id: object) -> uuid.UUID:
    for i in shortlisted(shortlist):
        if str(i) == str(insurer_id):
            return i
    raise InvalidInput(NOT_ON_SHORTLIST, fields={"insurer_id": NOT_ON_SHORTLIST})


def _reasons(reasons: str | None) -> str:
    text = (reasons or "").strip()
    if not text:
        raise InvalidInput(REASONS_REQUIRED, fields={"reasons": REASONS_REQUIRED})
    if len(text) > REASON_MAX:
        raise InvalidInput(REASONS_TOO_LONG, fields={"reasons": REASONS_TOO_LONG})
    return text


def _values(action: str, actor: Actor, shortlist: Shortlist, row: InsurerChoice | None, **given: Any) -> dict[str, Any]:
    """The columns an action writes (after checking what it was given)."""
    if action == "ask":
        return {"insurer_id": None, "how": None}
    if action == "recommend":
        insurer = _insurer(shortlist, given.get("insurer_id"))
        reasons = _reasons(given.get("reasons"))
        return {"recommended_insurer_id": insurer, "recommendation_reasons": reasons, "recommended_by": actor.user_id}
    if action == "confirm":
        assert row is not None and row.recommended_insurer_id is not None
        return {"insurer_id": row.recommended_insurer_id, "how": "recommended", "chosen_by": actor.user_id}
    return {"insurer_id": _insurer(shortlist, given.get("insurer_id")), "how": "picked", "chosen_by": actor.user_id}


def choose(
    session: Session, actor: Actor, placement_id: object, action: str, *, now: dt.datetime, **given: Any
) -> Comparison:
    """One move of :data:`CHOICE_RULES` (``pick``/``ask``/``confirm`` by the insured's contacts,
    ``recommend`` by the broker's account manager), with an audit event on the case in the same
    transaction. The chosen insurer's comparison figures go into the event as the insured saw them."""
    placement, _sides = _readable(session, actor, placement_id)
    shortlist = latest_shortlist(session, placement)
    row = session.get(InsurerChoice, placement.id)
    state = state_of(row, shortlist)
    if action not in ACTIONS:
        raise InvalidInput(fields={"action": ", ".join(ACTIONS)})
    rule = transition.resolve(CHOICE_RULES, state, action, frozenset(r.value for r in actor.roles))
    if action not in _allowed(session, actor, placement, state):  # the role, but not for this side
        raise ActionNotAllowed()
    values = (dict(FRESH) if state == "open" else {}) | _values(action, actor, shortlist, row, **given)
    stamp = {"recommend": "recommended_at"}.get(action, "chosen_at" if rule.to == "chosen" else None)
    values |= {"state": rule.to, "shortlist_version": shortlist.version, "updated_at": now}
    if stamp:
        values[stamp] = now
    _write(session, placement, row, state, values, now)
    comp = comparison(session, actor, placement.id, now)
    _audit(session, actor, placement, action, comp, values, now)
    return comp


def _write(
    session: Session,
    placement: Placement,
    row: InsurerChoice | None,
    state: str,
    values: dict[str, Any],
    now: dt.datetime,
) -> None:
    if row is None:
        session.add(InsurerChoice(case_id=placement.id, created_at=now, **values))
        session.flush()
        return
    moved = session.execute(
        update(InsurerChoice)
        .where(
            InsurerChoice.case_id == placement.id,
            InsurerChoice.state == row.state,
            InsurerChoice.shortlist_version == row.shortlist_version,
        )
        .values(**values)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise StateChanged()
    session.refresh(row)


def _audit(
    session: Session,
    actor: Actor,
    placement: Placement,
    action: str,
    comp: Comparison,
    values: dict[str, Any],
    now: dt.datetime,
) -> None:
    insurer = values.get("insurer_id") or values.get("recommended_insurer_id")
    column = comp.column(insurer) if insurer else None
    after: dict[str, Any] = {"state": values["state"], "shortlist_version": comp.shortlist_version}
    if column is not None:
        after |= {
            "insurer_id": str(column.insurer_id),
            "insurer": column.name,
            "score": str(column.integrity.score) if column.integrity.score is not None else None,
            "rank": column.integrity.rank,
        }
    case_service.record_event(
        session,
        actor,
        placement_service.case_of(session, placement),
        f"placement.insurer_{action}",
        now=now,
        after=after,
        reason=values.get("recommendation_reasons"),
        audience=[PartyRole.BROKER.value, PartyRole.INSURED.value, PartyRole.ADJUSTER.value],
    )


def organisation_name(session: Session, org_id: uuid.UUID | None) -> str | None:
    org = session.get(Organisation, org_id) if org_id else None
    return org.name if org else None


# ---- the comparison as data (the API's body; the page and the PDF read the same) ----------------


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def figure_json(figure: stats.Figure) -> dict[str, Any]:
    value = figure.value
    if isinstance(value, tuple):
        value = [str(v) for v in value]
    elif value is not None:
        value = str(value)
    return {"shown": figure.shown, "value": value, "insureds": figure.insureds}


def column_json(column: Column) -> dict[str, Any]:
    rates = figure_json(column.rates)
    return {
        "insurer_id": str(column.insurer_id),
        "name": column.name,
        "products": list(column.products),
        "underwriting": {"steps": list(column.underwriting_steps), "turnaround_days": column.underwriting_days},
        "premium_rates": rates,
        "claims_record": {code: figure_json(column.record[code]) for code in CLAIMS_RECORD},
        "integrity": {
            "score": _dec(column.integrity.score),
            "rank": column.integrity.rank,
            "components": [
                {
                    "code": p.code,
                    "weight": p.weight,
                    "effective_weight": _dec(p.effective),
                    "points": _dec(p.points),
                    **figure_json(p.figure),
                }
                for p in column.integrity.parts
            ],
        },
    }


def choice_json(session: Session, comp: Comparison) -> dict[str, Any]:
    row = comp.choice if comp.state != "open" else None
    return {
        "state": comp.state,
        "insurer_id": str(row.insurer_id) if row and row.insurer_id else None,
        "insurer": organisation_name(session, row.insurer_id) if row else None,
        "how": row.how if row else None,
        "recommended_insurer_id": str(row.recommended_insurer_id) if row and row.recommended_insurer_id else None,
        "recommended_insurer": organisation_name(session, row.recommended_insurer_id) if row else None,
        "reasons": row.recommendation_reasons if row else None,
        "recommended_at": row.recommended_at.isoformat() if row and row.recommended_at else None,
        "chosen_at": row.chosen_at.isoformat() if row and row.chosen_at else None,
    }


def as_json(session: Session, comp: Comparison) -> dict[str, Any]:
    """The comparison as the API returns it; it holds nothing :class:`Comparison` does not."""
    return {
        "placement_id": str(comp.placement.id),
        "shortlist_version": comp.shortlist_version,
        "lines": list(comp.lines),
        "min_insureds": stats.MIN_INSUREDS,
        "min_components": stats.MIN_COMPONENTS,
        "components": [
            {"code": c.code, "name": NAMES[c.code], "scoring": SCORING[c.code], "weight": comp.weights[c.code]}
            for c in stats.COMPONENTS
        ],
        "insurers": [column_json(c) for c in comp.columns],
        "choice": choice_json(session, comp),
        "actions": sorted(comp.actions),
    }
