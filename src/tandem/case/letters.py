"""The confirmation letter (确认函, R-U2 / R-C2) on any case, from either instructing side: the broker
(for the insured) or the insurer (its own adjuster, R-U7 / R-C5), and the firm's answer — fee terms and
payment deadline, or a reason for declining. The case kind's own workflow adds its transitions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation
from tandem.case.models import Case
from tandem.case.numbering import next_number
from tandem.case.service import case_id_of, start_deadline, stop_deadline
from tandem.claim.models import Appointment, Claim, Participation, PartyRole, TeamMember, TeamRole
from tandem.fees.engine import Engagement, FeeTerms, allowed_payers, terms_to_json
from tandem.fees.terms import engagement_for
from tandem.kit.errors import Conflict, InvalidInput
from tandem.notification.outbox import enqueue
from tandem.party.models import Adjuster

SIDES = ("broker", "insurer")
# The party that instructs the firm on each side, and the firm's role on the case.
INSTRUCTING_ROLE = {"broker": PartyRole.BROKER, "insurer": PartyRole.INSURER}
FIRM_ROLE = {"broker": PartyRole.ADJUSTER, "insurer": PartyRole.INSURER_ADJUSTER}
# What a letter instructs (``Appointment.purpose``, the kind of the report it asks for): a claim's loss, a
# placement's pre-assessment, or a bound policy's termination assessment (on the placement's case, beside
# its pre-assessment letter).
ADJUSTING, PRE_ASSESSMENT, TERMINATION = "adjusting", "pre_assessment", "termination"
PURPOSES = (ADJUSTING, PRE_ASSESSMENT, TERMINATION)


def _claim_id(claim: Claim | Case) -> object:
    return claim.id if isinstance(claim, Claim) else None


def case_purpose(claim: Claim | Case) -> str:
    """The case's own letters: a claim's adjusting, a placement's pre-assessment."""
    return ADJUSTING if isinstance(claim, Claim) or claim.kind.value == "claim" else PRE_ASSESSMENT


def engagement_of(claim: Claim | Case, side: str, purpose: str | None = None) -> Engagement:
    """The fee engagement of a letter on this case: a claim's, a placement's pre-assessment (预评估) or a
    termination assessment, instructed by ``side`` (broker or insurer); it decides who may pay."""
    if purpose == TERMINATION:
        return engagement_for(TERMINATION, side)
    return engagement_for("claim" if isinstance(claim, Claim) else claim.kind.value, side)


def issue_letter(
    session: Session,
    claim: Claim | Case,
    adj: Adjuster,
    *,
    side: str,
    now: dt.datetime,
    purpose: str | None = None,
    answer_clock: bool = True,
) -> Appointment:
    """Issue the letter to the adjuster's firm, which takes part in the case from now on (again, if it
    took part before); the firm has 24 hours to answer (``answer_clock``: a caller with its own clock
    passes False); the PDF is rendered after commit. ``purpose``: the case's own by default."""
    role = FIRM_ROLE[side]
    case_id = case_id_of(claim)
    ended = session.execute(
        select(Participation).where(
            Participation.case_id == case_id,
            Participation.organisation_id == adj.firm_id,
            Participation.party_role == role,
        )
    ).scalar_one_or_none()
    if ended is not None:  # the firm comes back (another of its adjusters): reopen its participation
        ended.since, ended.until = now, None
    else:
        session.add(
            Participation(
                case_id=case_id, claim_id=_claim_id(claim), organisation_id=adj.firm_id, party_role=role, since=now
            )
        )
    letter = Appointment(
        case_id=case_id,
        claim_id=_claim_id(claim),
        firm_id=adj.firm_id,
        adjuster_id=adj.id,
        state="issued",
        side=side,
        purpose=purpose or case_purpose(claim),
        letter_no=next_number(session, now, "QRH"),
        issued_at=now,
    )
    session.add(letter)
    session.flush()
    enqueue(
        session, "claim.render_letter", {"appointment_id": str(letter.id)}, now=now, dedupe_key=f"letter:{letter.id}"
    )
    if answer_clock:
        due = now + dt.timedelta(hours=24)
        start_deadline(session, claim, "appointment_answer", "adjuster_firm", now=now, due=due)
    return letter


def current_letter(
    session: Session, claim: Claim | Case, side: str = "broker", purpose: str | None = None
) -> Appointment | None:
    """The newest letter of one side and purpose (the case's own by default) on the case."""
    return session.execute(
        select(Appointment)
        .where(
            Appointment.case_id == case_id_of(claim),
            Appointment.side == side,
            Appointment.purpose == (purpose or case_purpose(claim)),
        )
        .order_by(Appointment.issued_at.desc(), Appointment.letter_no.desc())  # numbers rise within a second
        .limit(1)
    ).scalar_one_or_none()


def instructing_party(session: Session, letter: Appointment) -> Organisation | None:
    """Who instructs the firm (委托方): the broker for the broker's letter, the insurer for its own."""
    org_id = session.execute(
        select(Participation.organisation_id)
        .where(Participation.case_id == letter.case_id, Participation.party_role == INSTRUCTING_ROLE[letter.side])
        .order_by(Participation.since)
        .limit(1)
    ).scalar_one_or_none()
    return session.get(Organisation, org_id) if org_id else None


def answer_letter(
    session: Session,
    actor: Actor,
    claim: Claim | Case,
    side: str,
    *,
    accept: bool,
    now: dt.datetime,
    terms: FeeTerms | None = None,
    reason: str | None = None,
    letter: Appointment | None = None,
) -> Appointment:
    """The firm's answer to its open letter on one side (``letter``, else the side's newest): accepted
    with its fee terms (the fee, how it is paid and when: regulation.md §1.6, 资产评估法 Art. 23; stored in
    their canonical form; the appointed adjuster leads the firm's team), or declined with a reason (the
    firm no longer takes part). The answer clock stops either way."""
    letter = letter or current_letter(session, claim, side)
    if letter is None or letter.firm_id != actor.org_id or letter.state != "issued":
        raise Conflict("There is no open confirmation letter for your firm.")
    if accept:
        if terms is None:
            raise InvalidInput("Agree the fee terms.", fields={"terms": "required"})
        payers = allowed_payers(engagement_of(claim, side, letter.purpose))
        if terms.payer not in payers:
            raise InvalidInput(fields={"terms.payer": f"must be {' or '.join(p.value for p in payers)}"})
        letter.state, letter.answered_at = "accepted", now
        letter.fee_terms, letter.fee_payment_days = terms_to_json(terms), terms.payment_days
        stop_deadline(session, claim, "appointment_answer", now=now)  # either side's letter is answered
        on_team = session.execute(
            select(TeamMember.id).where(
                TeamMember.case_id == case_id_of(claim), TeamMember.adjuster_id == letter.adjuster_id
            )
        ).first()
        if on_team is None:  # a second letter on the case (a termination assessment) may name one already on it
            session.add(
                TeamMember(
                    case_id=case_id_of(claim),
                    claim_id=_claim_id(claim),
                    adjuster_id=letter.adjuster_id,
                    role=TeamRole.LEAD,
                    since=now,
                )
            )
        return letter
    if not reason:
        raise InvalidInput("Give the reason for declining.", fields={"reason": "required"})
    end_letter(session, claim, letter, "declined", reason, now)
    stop_deadline(session, claim, "appointment_answer", now=now)
    return letter


def end_letter(
    session: Session, claim: Claim | Case, letter: Appointment, state: str, reason: str, now: dt.datetime
) -> None:
    """The letter ends — ``declined`` by the firm, or ``refused_by_broker`` (an insurer's adjuster on the
    broker's blacklist, R-U7) — with its reason, and the firm no longer takes part in the case (unless
    another of its letters there, of another purpose, still stands)."""
    letter.state, letter.decline_reason, letter.answered_at = state, reason, now
    standing = session.execute(
        select(Appointment.id).where(
            Appointment.case_id == case_id_of(claim),
            Appointment.firm_id == letter.firm_id,
            Appointment.side == letter.side,
            Appointment.purpose != letter.purpose,
            Appointment.state.in_(("issued", "accepted")),
        )
    ).first()
    if standing is not None:
        return
    session.execute(
        update(Participation)
        .where(
            Participation.case_id == case_id_of(claim),
            Participation.organisation_id == letter.firm_id,
            Participation.party_role == FIRM_ROLE[letter.side],
            Participation.until.is_(None),
        )
        .values(until=now)
    )
