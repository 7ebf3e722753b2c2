"""The claim case from routing to closure (理赔协处理, R-C2..R-C4): appointment, team, survey, report,
amount confirmation, negotiation, payments. Every state change goes through ``CLAIM_RULES`` and writes
one audit event in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Role, User
from tandem.audit import service as audit
from tandem.case import audience as _audience
from tandem.case import letters, thread
from tandem.case import notices as notices  # registers the case notifications
from tandem.case.service import ALL as ALL
from tandem.case.service import AUDIENCES as AUDIENCES
from tandem.case.service import adjuster_side as adjuster_side
from tandem.case.service import deadlines as deadlines
from tandem.case.service import participant_roles as _participant_role
from tandem.case.service import require_party as _require_party
from tandem.case.service import start_deadline as start_deadline
from tandem.case.service import stop_deadline as stop_deadline
from tandem.case.service import team as team
from tandem.claim import proposal
from tandem.claim.lifecycle import CLAIM_RULES, STATUTORY_CLOCKS, last_offer_step
from tandem.claim.models import (
    Appointment,
    Claim,
    ClaimStatus,
    Deadline,
    Document,
    Message,
    PartyRole,
    Payment,
    Survey,
    TeamMember,
    TeamRole,
)
from tandem.config import Settings
from tandem.fees.engine import FeeTerms
from tandem.kit import transition
from tandem.kit.clock import local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NeedsConfirmation, NotFound, StateChanged
from tandem.kit.i18n import N_
from tandem.kit.money import round_cny
from tandem.party.models import Adjuster
from tandem.policy.versions import sections_at
from tandem.report import service as report_service
from tandem.report.models import Report, ReportDraft, ReportSigning
from tandem.report.service import latest_report as latest_report
from tandem.report.service import reports as reports
from tandem.report.service import signatures as signatures
from tandem.routing.service import evaluate
from tandem.settlement import basis as calc_basis
from tandem.settlement import calculator
from tandem.settlement.models import AmountConfirmation, NegotiationStep


def _roles(actor: Actor) -> frozenset[str]:
    return frozenset(r.value for r in actor.roles)


_CLAIM_COLUMNS = tuple(Claim.__table__.c)


def _loaded(session: Session, claim: Claim, row: Any, changes: dict[str, Any]) -> None:
    """The row as the UPDATE returned it, without reading it again; relations on changed keys reload."""
    mapper = inspect(Claim)
    for col in _CLAIM_COLUMNS:
        set_committed_value(claim, mapper.get_property_by_column(col).key, row._mapping[col])
    stale = [r.key for r in mapper.relationships if any(c.key in changes for c in r.local_columns)]
    if stale:
        session.expire(claim, stale)


def move(
    session: Session,
    actor: Actor | None,
    claim: Claim,
    action: str,
    *,
    now: dt.datetime,
    reason: str | None = None,
    after: dict[str, Any] | None = None,
    audience: list[str] | None = None,
    values: dict[str, Any] | None = None,
) -> Claim:
    """Apply one transition: table lookup, role check, conditional UPDATE (one winner), audit event."""
    roles = _roles(actor) if actor else frozenset({"system"})
    rule = transition.resolve(CLAIM_RULES, claim.status.value, action, roles)
    transition.check_guard(rule, session, claim, actor)
    before = claim.status.value
    changes = {"status": ClaimStatus(rule.to), **(values or {})}
    moved = session.execute(
        update(Claim)
        .where(Claim.id == claim.id, Claim.status == claim.status)
        .values(**changes)
        .returning(*_CLAIM_COLUMNS)
    ).first()
    if moved is None:
        raise StateChanged()
    _loaded(session, claim, moved, changes)
    audit.record(
        session,
        actor.ref if actor else audit.SYSTEM,
        action=f"claim.{action}",
        entity_type="claim",
        entity_id=claim.id,
        at=now,
        chain_key=f"case:{claim.id}",
        before={"status": before},
        after={"status": rule.to, **(after or {})},
        reason=reason,
        request_id=actor.request_id if actor else None,
        audience=audience if audience is not None else ALL,
    )
    return claim


def _event(
    session: Session,
    actor: Actor,
    claim: Claim,
    action: str,
    now: dt.datetime,
    *,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    request_id: str | None = None,
    audience: list[str] | None = None,
) -> None:
    """An event on the claim's case (its audit chain) by the actor, for ``audience``."""
    audit.record(
        session,
        actor.ref,
        action=action,
        entity_type="claim",
        entity_id=claim.id,
        at=now,
        chain_key=f"case:{claim.id}",
        after=after,
        reason=reason,
        request_id=request_id,
        audience=audience,
    )


def allowed(session: Session, actor: Actor, claim: Claim) -> set[str]:
    """The claim transitions this actor may take now: ``CLAIM_RULES`` by role, then its guards."""
    return transition.permitted(CLAIM_RULES, claim.status.value, _roles(actor), session, claim, actor)


# ---- deadlines (SLA clocks) ------------------------------------------------------------------------


# ---- routing: choose an adjuster, the confirmation letter, the firm's answer ------------------------


def choose_adjuster(
    session: Session,
    actor: Actor,
    claim_id: object,
    adjuster_id: object,
    *,
    now: dt.datetime,
    reason: str | None = None,
) -> Claim:
    """The broker (with the insured) picks an eligible adjuster; the confirmation letter is issued. After a
    proposal to the insured (tandem.claim.proposal), the adjuster its answer names, once it has answered."""
    claim = scope.get_claim(session, actor, claim_id)
    _require_party(session, actor, claim, PartyRole.BROKER)
    adj = scope.get_adjuster(session, actor, adjuster_id)
    proposal.check_eligible(session, claim, adj, now)
    standing = proposal.check_appointment(session, claim, adj)
    move(
        session,
        actor,
        claim,
        "route",
        now=now,
        reason=reason,
        values={"adjuster_id": adj.id},
        after={"adjuster_id": str(adj.id), "firm_id": str(adj.firm_id)},
    )
    proposal.appointed(session, actor, claim, standing, now=now)
    _appoint(session, claim, adj, now)
    return claim


def route_designated(session: Session, claim: Claim, now: dt.datetime) -> None:
    """At intake: a designated adjuster who is eligible gets the case at once (R-C2)."""
    adj = claim.policy.designated_adjuster
    if adj is None:
        return
    rec = evaluate(session, claim, adj, now)
    if rec.reasons:
        audit.record(
            session,
            audit.SYSTEM,
            action="routing.designated_not_eligible",
            entity_type="claim",
            entity_id=claim.id,
            at=now,
            chain_key=f"case:{claim.id}",
            # The insured and the insurer see who was passed over and why (a listing shows only as
            # `blacklisted`, never the broker's deliberations); the reasons are the routing codes.
            after={"adjuster_id": str(adj.id), "adjuster": adj.name, "reasons": rec.reasons},
            audience=["broker", "insurer", "insured"],
        )
        return
    move(
        session,
        None,
        claim,
        "route",
        now=now,
        reason="designated by the policy",
        values={"adjuster_id": adj.id},
        after={"adjuster_id": str(adj.id), "firm_id": str(adj.firm_id)},
    )
    _appoint(session, claim, adj, now)


def _appoint(session: Session, claim: Claim, adj: Adjuster, now: dt.datetime, side: str = "broker") -> Appointment:
    if side == "broker":
        stop_deadline(session, claim, "routing", now=now)
    return letters.issue_letter(session, claim, adj, side=side, now=now)


def current_appointment(session: Session, claim: Claim, side: str = "broker") -> Appointment | None:
    return letters.current_letter(session, claim, side)


def appoint_insurer_adjuster(
    session: Session, actor: Actor, claim_id: object, adjuster_id: object, *, now: dt.datetime
) -> Appointment:
    """The insurer, disputing the report, appoints its own adjuster at its own cost (R-C5). The routing
    checks apply; a firm never acts for both sides; a blacklisted firm is allowed but flagged for the broker."""
    claim = scope.get_claim(session, actor, claim_id)
    _require_party(session, actor, claim, PartyRole.INSURER)
    if claim.status != ClaimStatus.DISPUTED:
        raise Conflict("The insurer appoints its own adjuster after disputing the report.")
    adj = scope.get_adjuster(session, actor, adjuster_id)
    open_letter = current_appointment(session, claim, "insurer")
    if open_letter is not None and open_letter.state in ("issued", "accepted"):
        raise Conflict("Your adjuster is already appointed.")
    rec = evaluate(session, claim, adj, now)
    reasons = [r for r in rec.reasons if r != "blacklisted"]
    broker_side = current_appointment(session, claim, "broker")
    if broker_side is not None and broker_side.firm_id == adj.firm_id and "conflict_of_interest" not in reasons:
        reasons.append("conflict_of_interest")
    if reasons:
        raise Conflict(
            "This adjuster cannot take the case: {reasons}.",
            reasons=", ".join(reasons),
            fields={"adjuster_id": ", ".join(reasons)},
        )
    letter = _appoint(session, claim, adj, now, side="insurer")
    _event(
        session,
        actor,
        claim,
        "claim.insurer_adjuster_appointed",
        now,
        after={"adjuster_id": str(adj.id), "firm_id": str(adj.firm_id), "blacklisted": "blacklisted" in rec.reasons},
        audience=ALL,
    )
    return letter


def require_other_insurer_adjuster(
    session: Session, actor: Actor, claim_id: object, *, now: dt.datetime, reason: str
) -> None:
    """The broker refuses the insurer's adjuster because it is on the broker's blacklist (R-U7)."""
    claim = scope.get_claim(session, actor, claim_id)
    _require_party(session, actor, claim, PartyRole.BROKER)
    letter = current_appointment(session, claim, "insurer")
    if letter is None or letter.state not in ("issued", "accepted"):
        raise Conflict("The insurer has no adjuster appointed.")
    adj = session.get(Adjuster, letter.adjuster_id)
    assert adj is not None
    from tandem.party.service import blacklist_hits

    if not blacklist_hits(session, adj, now.date(), actor.org_id, claim.policy.line):
        raise Conflict("Only an adjuster on the broker's blacklist can be refused.")
    if not reason:
        raise InvalidInput("Give the reason.", fields={"reason": "required"})
    letters.end_letter(session, claim, letter, "refused_by_broker", reason, now)
    _event(
        session,
        actor,
        claim,
        "claim.insurer_adjuster_refused",
        now,
        reason=reason,
        after={"firm_id": str(letter.firm_id)},
        audience=ALL,
    )


def answer_appointment(
    session: Session,
    actor: Actor,
    claim_id: object,
    *,
    accept: bool,
    now: dt.datetime,
    terms: FeeTerms | None = None,
    reason: str | None = None,
) -> Claim:
    """The firm accepts (fee terms fixed, 资产评估法 Art. 23; regulation.md §1.6) or declines with a reason."""
    claim = scope.get_claim(session, actor, claim_id)
    side = "broker" if adjuster_side(session, actor, claim) == "a" else "insurer"
    letter = letters.answer_letter(
        session,
        actor,
        claim,
        side,
        accept=accept,
        now=now,
        terms=terms,
        reason=reason,
    )
    if accept:
        agreed = {"fee_terms": letter.fee_terms, "fee_payment_days": letter.fee_payment_days}
        if side == "broker":
            move(session, actor, claim, "accept_appointment", now=now, after=agreed)
        else:
            _event(session, actor, claim, "claim.insurer_adjuster_accepted", now, after=agreed, audience=ALL)
        return claim
    if side == "broker":
        move(session, actor, claim, "decline_appointment", now=now, reason=reason, values={"adjuster_id": None})
    else:
        _event(session, actor, claim, "claim.insurer_adjuster_declined", now, reason=reason, audience=ALL)
    return claim


def add_team_member(
    session: Session, actor: Actor, claim_id: object, adjuster_id: object, *, now: dt.datetime
) -> TeamMember:
    claim = scope.get_claim(session, actor, claim_id)
    side = adjuster_side(session, actor, claim)
    adj = scope.get_adjuster(session, actor, adjuster_id)
    if adj.firm_id != actor.org_id:
        raise NotFound()
    rec = evaluate(session, claim, adj, now)
    # The firm itself was screened when appointed; a second may be a junior outside its line or area.
    blocking = [
        r
        for r in rec.reasons
        if r not in ("over_capacity", "not_qualified_for_line", "outside_area", "conflict_of_interest")
    ]
    if blocking:
        from tandem.party.service import ineligibility_words

        why = ineligibility_words(session, adj, local_day(now), claim.broker_id) or adj.name
        raise InvalidInput("This adjuster cannot work the case: {why}.", why=why, fields={"adjuster_id": str(why)})
    if session.execute(
        select(TeamMember.id).where(TeamMember.claim_id == claim.id, TeamMember.adjuster_id == adj.id)
    ).first():
        raise Conflict("Already on the case.", fields={"adjuster_id": "already on the case"})
    member = TeamMember(claim_id=claim.id, adjuster_id=adj.id, role=TeamRole.SECOND, since=now)
    session.add(member)
    session.flush()
    _event(
        session,
        actor,
        claim,
        "claim.team_member_added",
        now,
        after={"adjuster_id": str(adj.id), "name": adj.name},
        audience=[_audience.BROKER, _audience.FIRM_A if side == "a" else _audience.FIRM_B],
    )
    return member


# ---- survey -----------------------------------------------------------------------------------------


def check_survey_time(claim: Claim, surveyed_at: dt.datetime | None, now: dt.datetime) -> None:
    """An actual survey time lies between the loss notice (to the minute: forms give minutes) and now
    (five minutes of clock skew allowed, as for the loss time)."""
    if surveyed_at is None:
        return
    if surveyed_at < claim.notified_at.replace(second=0, microsecond=0):
        raise InvalidInput(
            "The survey cannot have taken place before the loss was notified.",
            fields={"surveyed_at": "before the loss notice"},
        )
    if surveyed_at > now + dt.timedelta(minutes=5):
        raise InvalidInput("The survey time is in the future.", fields={"surveyed_at": "in the future"})


def survey_done(session: Session, claim: Claim, firm_id: uuid.UUID) -> bool:
    """Whether one of the firm's people recorded a survey of this case as done (an actual survey time)."""

    return (
        session.execute(
            select(Survey.id)
            .join(User, User.id == Survey.created_by)
            .where(Survey.claim_id == claim.id, Survey.surveyed_at.is_not(None), User.organisation_id == firm_id)
            .limit(1)
        ).first()
        is not None
    )


def record_survey(
    session: Session,
    actor: Actor,
    claim_id: object,
    *,
    now: dt.datetime,
    scheduled_at: dt.datetime,
    surveyed_at: dt.datetime | None,
    participants: list[str],
    notes: str | None,
    photo_hashes: list[str],
) -> Survey:
    """Schedule or record a site survey (现场查勘); the first record starts the survey stage."""
    claim = scope.get_claim(session, actor, claim_id)
    side = adjuster_side(session, actor, claim)
    check_survey_time(claim, surveyed_at, now)
    if side == "b":
        if claim.status != ClaimStatus.DISPUTED:
            raise Conflict("Surveys are recorded while the case is being surveyed.")
    elif claim.status == ClaimStatus.ADJUSTER_ASSIGNED:
        if len(team(session, claim, actor.org_id)) < 2:
            raise Conflict(
                "At least two adjusters must work the case (lead and second).", fields={"team": "add a second adjuster"}
            )
        move(session, actor, claim, "start_survey", now=now)
    elif claim.status != ClaimStatus.SURVEYING:
        raise Conflict("Surveys are recorded while the case is being surveyed.")
    survey = Survey(
        case_id=claim.case_id,
        claim_id=claim.id,
        scheduled_at=scheduled_at,
        surveyed_at=surveyed_at,
        participants=participants,
        notes=notes,
        photo_hashes=photo_hashes,
        created_by=actor.user_id,
    )
    session.add(survey)
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="claim.survey_recorded",
        entity_type="claim",
        entity_id=claim.id,
        at=now,
        chain_key=f"case:{claim.id}",
        after={
            "scheduled_at": scheduled_at.isoformat(),
            "surveyed_at": surveyed_at.isoformat() if surveyed_at else None,
        },
        audience=ALL,
    )
    return survey


# ---- reports ----------------------------------------------------------------------------------------


def save_draft(
    session: Session, actor: Actor, claim_id: object, content: dict[str, Any], *, now: dt.datetime
) -> ReportDraft:
    claim = scope.get_claim(session, actor, claim_id)
    return report_service.save_draft(session, actor, claim, "adjusting", content, now=now)


def report_total(content: dict[str, Any]) -> Decimal:
    return sum((Decimal(str(i["loss"])) for s in content["sections"] for i in s["items"]), Decimal(0))


def _report_to_correct(
    session: Session, actor: Actor, claim: Claim, side: str, correction_of: uuid.UUID | None, reason: str | None
) -> Report | None:
    """The report a submission corrects (None for a first report), after checking that this submission
    may be made now: a correction with its reason of the latest version, else a first report in its state."""
    if correction_of is not None:
        return report_service.correction_base(session, actor, claim, correction_of, reason)
    if side == "b":
        if claim.status != ClaimStatus.DISPUTED or any(r.firm_id == actor.org_id for r in reports(session, claim)):
            raise Conflict("Your report on this dispute is already submitted; submit a correction instead.")
    elif claim.status != ClaimStatus.SURVEYING:
        raise Conflict("A report is submitted after the survey.")
    return None


def submit_report(
    session: Session,
    actor: Actor,
    claim_id: object,
    *,
    signer_ids: list[uuid.UUID],
    now: dt.datetime,
    correction_of: uuid.UUID | None = None,
    reason: str | None = None,
) -> ReportSigning:
    """Freeze the draft for signature: numbered and hashed, signed by the acting adjuster, waiting for the
    named co-signers (≥ 2 adjusters who worked the case) to sign the same hash from their own logins
    (:func:`sign_report`); the co-signers are told. A new signing replaces the firm's open one."""
    claim = scope.get_claim(session, actor, claim_id)
    side = adjuster_side(session, actor, claim)
    draft = report_service.draft_of(session, claim, actor.org_id, "adjusting")
    if draft is None or not draft.content.get("sections"):
        raise InvalidInput("The report has no loss items yet.", fields={"sections": "add the itemised loss"})
    signers, me = report_service.check_signers(session, actor, claim, signer_ids)
    previous = _report_to_correct(session, actor, claim, side, correction_of, reason)
    if previous is None and not survey_done(session, claim, actor.org_id):
        raise Conflict("Record the site survey as done (with the time it took place) before submitting the report.")
    content = {**draft.content, "claim_number": claim.number, "policy_number": claim.policy.number}
    return report_service.start_signing(
        session,
        actor,
        claim,
        "adjusting",
        content,
        signers=signers,
        me=me,
        previous=previous,
        reason=reason,
        notice=SIGN_NOTICE,
        now=now,
    )


SIGN_NOTICE = report_service.SignNotice(
    subject=N_("Please sign report {report} of claim {claim}"),
    body=N_("{name} signed report {report} (content hash {hash}) and named you as co-signer. Sign it in person."),
    link="/claims/{id}",
)


def open_signing(session: Session, claim: Claim, firm_id: uuid.UUID) -> ReportSigning | None:
    """The firm's adjusting report waiting for signatures on this claim, if any."""
    return report_service.open_signing(session, claim, firm_id, "adjusting")


signing_view = report_service.signing_view


def sign_report(session: Session, actor: Actor, claim_id: object, *, content_hash: str, now: dt.datetime) -> Claim:
    """A named co-signer signs the frozen report's content hash in person; with two signatures the report
    is submitted (immutable, copied to the parties) exactly as it was frozen."""
    claim = scope.get_claim(session, actor, claim_id)
    signing = report_service.countersign(session, actor, claim, "adjusting", content_hash=content_hash, now=now)
    if len(signing.signatures) >= 2:
        _submit_signed(session, actor, claim, signing, now)
    return claim


def _submit_signed(session: Session, actor: Actor, claim: Claim, signing: ReportSigning, now: dt.datetime) -> Report:
    """Two signatures: the frozen content becomes the submitted, immutable report."""
    side = adjuster_side(session, actor, claim)
    previous = session.get(Report, signing.supersedes_id) if signing.supersedes_id else None
    report = report_service.submit_signed(session, actor, claim, signing, now=now)
    digest = report.content_hash
    reason = signing.reason
    if previous is None and side == "b":
        _event(
            session,
            actor,
            claim,
            "report.second_submitted",
            now,
            after={"report": report.display_number, "content_hash": digest},
            audience=ALL,
        )
    elif previous is None:
        move(
            session,
            actor,
            claim,
            "submit_report",
            now=now,
            after={"report": report.display_number, "content_hash": digest},
        )
        report_service.copy_to_supervision(session, claim, now=now)
    else:
        from tandem.reconciliation.consultation import note_report_reissued

        note_report_reissued(session, actor, claim, previous, report, now=now)
        _event(
            session,
            actor,
            claim,
            "report.corrected",
            now,
            reason=reason,
            after={"report": report.display_number, "supersedes": previous.display_number, "content_hash": digest},
            audience=ALL,
        )
    return report


# ---- amount confirmation, negotiation, payment ------------------------------------------------------


def build_calc_input(session: Session, claim: Claim, content: dict[str, Any]) -> dict[str, Any]:
    """The engine's input: the policy's sections with the report's (or the MoU's) items."""
    doc, _ = calc_basis.calc_input(session, claim, content, basis=("report", ""), advance_paid=advances(session, claim))
    return doc


def confirm_amount(session: Session, actor: Actor, claim_id: object, *, now: dt.datetime) -> AmountConfirmation:
    """The broker's risk evaluators confirm the amount payable with the engine (R-C4)."""
    claim, conf, basis_no = amount_preview(session, actor, claim_id, now=now)
    session.add(conf)
    session.flush()
    move(
        session,
        actor,
        claim,
        "confirm_amount",
        now=now,
        after={
            "total_payable": str(conf.calc_result["total_payable"]),
            "due": conf.calc_result["due"],
            "basis": basis_no,
        },
    )
    return conf


def amount_preview(
    session: Session, actor: Actor, claim_id: object, *, now: dt.datetime
) -> tuple[Claim, AmountConfirmation, str]:
    """The confirmation the risk evaluators would make now, computed but not stored (the preview shown
    before confirming); with the basis's number."""
    claim = scope.get_claim(session, actor, claim_id)
    _require_party(session, actor, claim, PartyRole.BROKER)
    transition.resolve(CLAIM_RULES, claim.status.value, "confirm_amount", _roles(actor))
    from tandem.reconciliation.consultation import acknowledged_memorandum

    memo = acknowledged_memorandum(session, claim)
    if claim.status == ClaimStatus.DISPUTED and memo is None:
        raise Conflict("The dispute is settled by the memorandum of understanding first.")
    report = latest_report(session, claim)
    if report is None:
        raise Conflict("There is no submitted report to confirm.")
    basis_kind, basis_id, basis_no = "report", report.id, report.display_number
    content = report.content
    if memo is not None:
        basis_kind, basis_id, basis_no, content = "mou", memo.id, memo.number, memo.content
    doc, sources = calc_basis.calc_input(
        session, claim, content, basis=(basis_kind, basis_no), advance_paid=advances(session, claim)
    )
    try:
        result = calculator.compute(calculator.parse_input(doc))
    except calculator.CalcInputError as exc:
        raise Conflict("The report cannot be calculated: {err}.", err=str(exc)) from None
    out = calculator.result_to_json(result)
    conf = AmountConfirmation(
        claim_id=claim.id,
        basis_kind=basis_kind,
        basis_id=basis_id,
        calc_input=doc,
        calc_result=out,
        sources=sources,
        total_payable=Decimal(out["total_payable"]),
        due=Decimal(out["due"]),
        confirmed_at=now,
        confirmed_by=actor.user_id,
    )
    return claim, conf, basis_no


def latest_confirmation(session: Session, claim: Claim) -> AmountConfirmation | None:
    return session.execute(
        select(AmountConfirmation)
        .where(AmountConfirmation.claim_id == claim.id)
        .order_by(AmountConfirmation.confirmed_at.desc())
        .limit(1)
    ).scalar_one_or_none()


MOVES = ("propose", "accept", "counter", "dispute", "refuse", "reconsider", "withdraw")


def negotiate(
    session: Session,
    actor: Actor,
    claim_id: object,
    move_name: str,
    *,
    now: dt.datetime,
    amount: Decimal | None = None,
    reason: str | None = None,
    confirm: bool = False,
) -> NegotiationStep:
    """Broker proposes; the insurer accepts, counters, disputes the report or refuses (with reasons), and may
    reconsider a refusal (with its reason: the negotiation resumes); the broker may accept the insurer's
    counter-offer. Only the side that did not make the standing offer may
    accept or answer it (the guards of ``CLAIM_RULES``); its maker may withdraw it until then. A zero or
    implausible offer is sent only when ``confirm`` says so (:func:`implausible_offer`)."""
    if move_name not in MOVES:
        raise InvalidInput("Unknown move.", fields={"move": ", ".join(MOVES)})
    claim = scope.get_claim(session, actor, claim_id)
    if move_name == "withdraw":
        return _withdraw_offer(session, actor, claim, now=now, reason=reason)
    if move_name == "propose":
        _require_party(session, actor, claim, PartyRole.BROKER)
        conf = latest_confirmation(session, claim)
        if conf is None:
            raise Conflict("Confirm the amount first.")
        amount = amount if amount is not None else conf.due
    elif move_name == "accept" and PartyRole.BROKER in _participant_role(session, claim, actor.org_id):
        pass  # the broker accepts the insurer's counter-offer (the table's guard checks whose offer it is)
    else:
        _require_party(session, actor, claim, PartyRole.INSURER)
    if move_name in ("counter", "dispute", "refuse", "reconsider") and not reason:
        raise InvalidInput("Give your reasons.", fields={"reason": "required"})
    if move_name == "counter" and (amount is None or amount < 0):
        raise InvalidInput("Give the amount you offer.", fields={"amount": "required"})
    if move_name in ("propose", "counter") and amount is not None and not confirm:
        found = implausible_offer(session, claim, amount)
        if found:
            kind, limit = found
            why = OFFER_WORDS[kind].format(limit=limit)
            raise OfferNeedsConfirmation(
                why=why, kind=kind, limit=limit, fields={"amount": f"{why}; send it again with confirm: true"}
            )
    # The transition first: its guard judges whose turn it is on the steps before this one.
    if move_name == "accept":
        agreed = last_offer(session, claim)
        move(session, actor, claim, "accept", now=now, after={"agreed": str(agreed) if agreed is not None else None})
        stop_deadline(session, claim, "decision_30d", now=now)
        stop_deadline(session, claim, "advance_60d", now=now)
        start_deadline(session, claim, "payment_10d", "insurer", now=now, due=now + dt.timedelta(days=10))
    elif move_name == "refuse":
        move(session, actor, claim, "refuse", now=now, reason=reason)
        stop_deadline(session, claim, "decision_30d", now=now)
        stop_deadline(session, claim, "advance_60d", now=now)
    elif move_name == "reconsider":  # the refusal withdrawn: the standing offer is answered again
        move(session, actor, claim, "reconsider", now=now, reason=reason, audience=["broker", "insurer", "insured"])
    else:
        move(
            session,
            actor,
            claim,
            move_name,
            now=now,
            reason=reason,
            after={"amount": str(amount) if amount is not None else None},
            audience=["broker", "insurer", "insured"],
        )
    return _record_step(session, actor, claim, move_name, amount, reason, now)


def _record_step(
    session: Session,
    actor: Actor,
    claim: Claim,
    move_name: str,
    amount: Decimal | None,
    reason: str | None,
    now: dt.datetime,
) -> NegotiationStep:
    """A step of the negotiation as made by the actor's side (its transition is already recorded)."""
    step = NegotiationStep(
        claim_id=claim.id,
        move=move_name,
        amount=amount,
        reason=reason,
        by_org_id=actor.org_id,
        by_user_id=actor.user_id,
        at=now,
    )
    session.add(step)
    session.flush()
    return step


class OfferNeedsConfirmation(InvalidInput):
    code = "claim.offer_needs_confirmation"
    message = "Please confirm this offer: {why}."


# An offer above this multiple of the confirmed amount payable is implausible (a slip of a digit or two).
IMPLAUSIBLE_MULTIPLE = Decimal(10)


OFFER_WORDS = {
    "zero": "the offer is zero",
    "sum_insured": "the offer is more than the sum insured {limit}",
    "multiple": "the offer is more than ten times the confirmed amount {limit}",
}


def implausible_offer(session: Session, claim: Claim, amount: Decimal) -> tuple[str, str] | None:
    """Why an offer needs an explicit confirmation, as (kind, limit): ``zero``, more than the policy's total
    ``sum_insured``, or more than ten times (``multiple``) the confirmed amount payable. None when plausible."""
    if amount == 0:
        return "zero", ""
    sums = [s.sum_insured for s in sections_at(session, claim.policy, claim.loss_at) if s.sum_insured is not None]
    if sums and amount > sum(sums, Decimal(0)):
        return "sum_insured", f"{sum(sums, Decimal(0)):.2f}"
    conf = latest_confirmation(session, claim)
    if conf is not None and conf.total_payable > 0 and amount > conf.total_payable * IMPLAUSIBLE_MULTIPLE:
        return "multiple", f"{conf.total_payable:.2f}"
    return None


def _withdraw_offer(
    session: Session, actor: Actor, claim: Claim, *, now: dt.datetime, reason: str | None
) -> NegotiationStep:
    """The maker withdraws its standing offer before it is answered: the earlier offer stands again, or,
    when the broker withdraws its only proposal, the case is back at the confirmed amount."""
    from tandem.claim.lifecycle import NotYourOffer, last_offer_step

    roles = _participant_role(session, claim, actor.org_id)
    if not roles & {PartyRole.BROKER, PartyRole.INSURER}:
        raise ActionNotAllowed()
    offer = last_offer_step(session, claim) if claim.status == ClaimStatus.NEGOTIATING else None
    if claim.status == ClaimStatus.NEGOTIATING and (offer is None or offer.by_org_id != actor.org_id):
        raise NotYourOffer()
    earlier = session.execute(
        select(NegotiationStep.id).where(
            NegotiationStep.claim_id == claim.id,
            NegotiationStep.move.in_(["propose", "counter"]),
            NegotiationStep.withdrawn_at.is_(None),
            NegotiationStep.id != (offer.id if offer else None),
        )
    ).first()
    action = "withdraw_offer" if earlier is not None else "withdraw_proposal"
    move(
        session,
        actor,
        claim,
        action,
        now=now,
        reason=reason,
        after={"amount": str(offer.amount) if offer and offer.amount is not None else None},
        audience=["broker", "insurer", "insured"],
    )
    assert offer is not None  # the guard refused otherwise
    offer.withdrawn_at = now
    return _record_step(session, actor, claim, "withdraw", offer.amount, reason, now)


def last_offer(session: Session, claim: Claim) -> Decimal | None:
    step = last_offer_step(session, claim)
    return step.amount if step else None


def negotiation(session: Session, claim: Claim) -> list[NegotiationStep]:
    return list(
        session.execute(
            select(NegotiationStep).where(NegotiationStep.claim_id == claim.id).order_by(NegotiationStep.at)
        ).scalars()
    )


def advances(session: Session, claim: Claim) -> Decimal:
    rows = session.execute(
        select(Payment.amount).where(Payment.claim_id == claim.id, Payment.kind == "advance")
    ).scalars()
    return round_cny(sum(rows, Decimal("0")))


# Payments are the claims handlers' (an underwriter prices risks; it does not pay claims).
PAYERS = frozenset({Role.INSURER_CLAIMS_HANDLER})


def _check_advance(session: Session, claim: Claim, amount: Decimal) -> None:
    """Advances in total stay within the agreed amount, else the confirmed amount payable, else (before any
    amount is confirmed, 保险法 Art. 25) the policy's sums insured."""
    agreed = last_offer(session, claim) if claim.status == ClaimStatus.AGREED else None
    conf = latest_confirmation(session, claim)
    cover = sections_at(session, claim.policy, claim.loss_at)
    insured = [sec.sum_insured for sec in cover if sec.sum_insured is not None]
    cap = agreed if agreed is not None else conf.total_payable if conf is not None else sum(insured, Decimal(0))
    room = round_cny(cap - advances(session, claim))
    if round_cny(amount) > room:
        raise InvalidInput(
            "Advances may not exceed the agreed or confirmed amount; at most {room} remains.",
            fields={"amount": f"at most {room}"},
            room=str(max(room, Decimal(0))),
        )


def record_payment(
    session: Session, actor: Actor, claim_id: object, *, kind: str, amount: Decimal, reference: str, now: dt.datetime
) -> Payment:
    """The insurer's claims handler records an advance (预付赔款) or the final payment (= agreed − advances).
    Advances never exceed the agreed amount, or before an agreement the confirmed one."""
    claim = scope.get_claim(session, actor, claim_id)
    _require_party(session, actor, claim, PartyRole.INSURER)
    if not actor.has_any(PAYERS):
        raise ActionNotAllowed()
    if amount <= 0:
        raise InvalidInput("The amount must be positive.", fields={"amount": "must be positive"})
    if kind == "advance":
        if claim.status in (ClaimStatus.PAID, ClaimStatus.CLOSED, ClaimStatus.REFUSED, ClaimStatus.WITHDRAWN):
            raise Conflict("No advance can be paid on this case now.")
        _check_advance(session, claim, amount)
        pay = Payment(
            claim_id=claim.id, kind=kind, amount=amount, paid_at=now, reference=reference, recorded_by=actor.user_id
        )
        session.add(pay)
        session.flush()
        stop_deadline(session, claim, "advance_60d", now=now)
        _event(
            session,
            actor,
            claim,
            "claim.advance_paid",
            now,
            after={"amount": str(amount), "reference": reference},
            audience=ALL,
        )
        return pay
    if kind != "final":
        raise InvalidInput("Unknown payment kind.", fields={"kind": "advance or final"})
    agreed = last_offer(session, claim)
    if claim.status != ClaimStatus.AGREED or agreed is None:
        raise Conflict("The final payment follows the agreement.")
    expected = round_cny(agreed - advances(session, claim)) if agreed is not None else None
    if expected is not None and round_cny(amount) != expected:
        raise InvalidInput(
            "The final payment must be the agreed amount less advances ({expected}).",
            fields={"amount": f"must be {expected}"},
            expected=str(expected),
        )
    pay = Payment(
        claim_id=claim.id, kind=kind, amount=amount, paid_at=now, reference=reference, recorded_by=actor.user_id
    )
    session.add(pay)
    session.flush()
    move(session, actor, claim, "record_final_payment", now=now, after={"amount": str(amount), "reference": reference})
    stop_deadline(session, claim, "payment_10d", now=now)
    return pay


def payments(session: Session, claim: Claim) -> list[Payment]:
    return list(
        session.execute(select(Payment).where(Payment.claim_id == claim.id).order_by(Payment.paid_at)).scalars()
    )


def close(session: Session, actor: Actor, claim_id: object, *, now: dt.datetime, confirm: bool = False) -> Claim:
    """The broker closes the claim; only with ``confirm`` (the pages' ticked box, the API's ``confirm: true``)."""
    claim = scope.get_claim(session, actor, claim_id)
    _require_party(session, actor, claim, PartyRole.BROKER)
    if not confirm:
        raise NeedsConfirmation()
    return move(session, actor, claim, "close", now=now)


def withdraw(session: Session, actor: Actor, claim_id: object, *, now: dt.datetime, reason: str) -> Claim:
    """The insured, or the broker for it, withdraws the claim with a reason until an amount is agreed; every
    running clock stops and everyone on the case is told (tandem.case.notices)."""
    claim = scope.get_claim(session, actor, claim_id)
    if not _participant_role(session, claim, actor.org_id) & {PartyRole.INSURED, PartyRole.BROKER}:
        raise ActionNotAllowed()
    if not (reason or "").strip():
        raise InvalidInput("Give the reason.", fields={"reason": "required"})
    move(session, actor, claim, "withdraw", now=now, reason=reason.strip())
    for dl in deadlines(session, claim):
        stop_deadline(session, claim, dl.kind, now=now)
    return claim


# ---- missing documents (保险法 Art. 22: one consolidated request) ----------------------------------


def request_documents(
    session: Session, actor: Actor, claim_id: object, *, items: list[str], due_days: int, now: dt.datetime
) -> Message:
    """The insurer (or the broker for it) asks for every missing document at once; a second request is
    refused because the law allows only one consolidated notice."""
    claim = scope.get_claim(session, actor, claim_id)
    roles = _participant_role(session, claim, actor.org_id)
    if not roles & {PartyRole.INSURER, PartyRole.BROKER}:
        raise ActionNotAllowed()
    wanted = [i.strip() for i in items if i.strip()]
    if not wanted:
        raise InvalidInput("List the missing documents.", fields={"items": "at least one document"})
    if session.execute(select(Deadline.id).where(Deadline.claim_id == claim.id, Deadline.kind == "documents")).first():
        raise Conflict("Missing documents were already requested; the request is made once, in full.")
    body = "请补充以下材料：\n" + "\n".join(f"{n}. {d}" for n, d in enumerate(wanted, start=1))
    msg = Message(
        case_id=claim.case_id,
        claim_id=claim.id,
        audience="all",
        author_id=actor.user_id,
        author_org_id=actor.org_id,
        body=body,
        created_at=now,
    )
    session.add(msg)
    start_deadline(session, claim, "documents", "insured", now=now, due=now + dt.timedelta(days=due_days))
    _event(
        session,
        actor,
        claim,
        "claim.documents_requested",
        now,
        after={"items": wanted, "due_days": due_days},
        audience=ALL,
    )
    return msg


def documents_complete(session: Session, actor: Actor, claim_id: object, *, now: dt.datetime) -> Claim:
    """The insured (or the broker for it) declares the requested documents complete: the clock stops."""
    claim = scope.get_claim(session, actor, claim_id)
    if not _participant_role(session, claim, actor.org_id) & {PartyRole.INSURED, PartyRole.BROKER}:
        raise ActionNotAllowed()
    dl = session.execute(
        select(Deadline).where(Deadline.claim_id == claim.id, Deadline.kind == "documents")
    ).scalar_one_or_none()
    if dl is None or dl.stopped_at is not None:
        raise Conflict("No documents are outstanding.")
    stop_deadline(session, claim, "documents", now=now)
    # 保险法 Art. 23 / 25: the insurer's clocks run again from the complete documents.
    running = {d.kind for d in deadlines(session, claim) if d.stopped_at is None}
    for kind, days in STATUTORY_CLOCKS:
        if kind in running:
            start_deadline(session, claim, kind, "insurer", now=now, due=now + dt.timedelta(days=days))
    _event(session, actor, claim, "claim.documents_completed", now, audience=ALL)
    return claim


# ---- messages and timeline --------------------------------------------------------------------------


def post_message(
    session: Session, actor: Actor, claim_id: object, *, audience: str, body: str, now: dt.datetime
) -> Message:
    """A message on the claim's thread to a channel the author belongs to (tandem.case.thread)."""
    claim = scope.get_claim(session, actor, claim_id)
    return thread.post_message(
        session, actor, claim, audience=audience, body=body, now=now, action="claim.message_posted"
    )


def upload_evidence(
    session: Session,
    settings: Settings,
    actor: Actor,
    claim_id: object,
    channel: str,
    filename: str | None,
    content_type: str,
    data: bytes,
    *,
    now: dt.datetime,
) -> Document:
    """Evidence (photos, PDFs) for a channel the uploader belongs to, stored content-addressed, audited."""
    claim = scope.get_claim(session, actor, claim_id)
    return thread.upload_evidence(
        session,
        settings,
        actor,
        claim,
        channel,
        filename,
        content_type,
        data,
        now=now,
        action="claim.document_uploaded",
    )


visible_messages = thread.visible_messages
visible_documents = thread.visible_documents
visible_document = thread.visible_document
timeline = thread.timeline
