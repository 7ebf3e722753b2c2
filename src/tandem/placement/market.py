"""Going to market (issue 15 item 3): the broker's disclosure (客户告知书) and the insured's written
mandate (委托书), both acknowledged by the insured before the placement goes to market; the submissions
of the programme to insurers (投保方案提交), each with its own question thread; the insurers' quotes
(报价: rates per section in ‰, factors, deductibles, conditions, validity), priced by the premium engine,
or their declines. Every state change goes through ``CONSENT_RULES`` or ``SUBMISSION_RULES`` with an
audit event on the case's chain in the same transaction.

Who sees what: a submission is read only through ``scope.get_submission`` — an insurer sees the ones
addressed to it and nothing else of the placement (it is not a party to the placement's case), so a
competing insurer's submission and quotes answer 404 like a submission that does not exist."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role
from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.case import audience as _audience
from tandem.case import service as case_service
from tandem.claim.models import Deadline, Participation, PartyRole
from tandem.kit import transition as _transition
from tandem.kit.clock import SHANGHAI, local_day
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.i18n import N_
from tandem.kit.limits import REASON_MAX
from tandem.placement import market_notices as market_notices  # registers the insurers' notifications
from tandem.placement import risk, screening
from tandem.placement import service as placement_service
from tandem.placement.market_models import (
    Consent,
    ConsentKind,
    ConsentStatus,
    Quote,
    Submission,
    SubmissionMessage,
    SubmissionStatus,
)
from tandem.placement.models import Placement, PlacementStatus
from tandem.placement.workflow import ADDABLE_STATES
from tandem.premium.engine import PremiumInputError, compute, parse_input, result_to_json

BAM, INS, UW = Role.BROKER_ACCOUNT_MANAGER.value, Role.INSURED_CONTACT.value, Role.INSURER_UNDERWRITER.value
BROKER, INSURED = PartyRole.BROKER.value, PartyRole.INSURED.value
SS = SubmissionStatus
# The broker's and the insured's sides read the market's events; a submission's events are read by its
# insurer too (``org:<id>``), never by another insurer approached with the same placement.
MARKET_AUDIENCE = [BROKER, INSURED]


def audience_of(sub: Submission) -> list[str]:
    return [*MARKET_AUDIENCE, _audience.org(sub.insurer_id)]


CONSENT_RULES: _transition.Table = {
    (ConsentStatus.GIVEN.value, "acknowledge"): _transition.Rule(ConsentStatus.ACKNOWLEDGED.value, frozenset({INS})),
}
LIVE = (SS.SUBMITTED, SS.QUOTED)
SUBMISSION_RULES: _transition.Table = {
    # The insurer's underwriter answers: a quote (again: a new version) or a decline with its reason.
    (SS.SUBMITTED.value, "quote"): _transition.Rule(SS.QUOTED.value, frozenset({UW})),
    (SS.QUOTED.value, "quote"): _transition.Rule(SS.QUOTED.value, frozenset({UW})),
    (SS.SUBMITTED.value, "decline"): _transition.Rule(SS.DECLINED.value, frozenset({UW})),
    (SS.QUOTED.value, "decline"): _transition.Rule(SS.DECLINED.value, frozenset({UW})),
    # The broker withdraws a submission with its reason (R-U7: another insurer is approached).
    (SS.SUBMITTED.value, "withdraw"): _transition.Rule(SS.WITHDRAWN.value, frozenset({BAM})),
    (SS.QUOTED.value, "withdraw"): _transition.Rule(SS.WITHDRAWN.value, frozenset({BAM})),
    # Binding (placement.binding): the insured accepts this quote; the others are not taken.
    (SS.QUOTED.value, "accept"): _transition.Rule(SS.ACCEPTED.value, frozenset({INS})),
    (SS.SUBMITTED.value, "not_taken"): _transition.Rule(SS.NOT_TAKEN.value, frozenset({"system"})),
    (SS.QUOTED.value, "not_taken"): _transition.Rule(SS.NOT_TAKEN.value, frozenset({"system"})),
}
# The side each role acts for on a submission.
SIDE_OF_ROLE = {BAM: BROKER, INS: INSURED, UW: PartyRole.INSURER.value}

#: Days the insurer has to answer a submission, unless the broker says otherwise.
ANSWER_DAYS = 10
#: Days the insured has to decide once the first quote is in (the ``quote_decision`` deadline).
DECISION_DAYS = 10
MAX_INSURERS = 20

REQUIRED = N_("Required.")
UNKNOWN = N_("Choose from the list.")
TOO_LONG = N_("Too long.")
NOT_MARKET = N_("The placement is not at market.")
NO_SHORTLIST = N_("Name the insurers, or save a shortlist first.")
NOT_INSURER = N_("Not an insurer.")
ALREADY_SUBMITTED = N_("This insurer already has the programme.")
ALREADY_GIVEN = N_("Already given; the insured has acknowledged it.")
BAD_DAYS = N_("Between 1 and 60 days.")
BAD_RATE = N_("Enter a rate in ‰ above 0 and at most 1000, such as 0.85.")
BAD_FACTOR = N_("Enter a factor above 0, such as 0.95.")
BAD_AMOUNT = N_("Enter an amount such as 12500.00.")
UNKNOWN_SECTION = N_("Not a section of the programme.")
SECTION_MISSING = N_("Rate every section of the programme.")
SECTION_TWICE = N_("Each section once.")
PAST_DATE = N_("The date has passed.")
BAD_DATE = N_("Enter a date (YYYY-MM-DD).")


# ---- reading ---------------------------------------------------------------------------------------


def side_on(session: Session, actor: Actor, sub: Submission) -> str | None:
    """The actor's side on this submission: ``insurer`` for the addressee, else its side on the case."""
    if actor.org_kind == OrgKind.INSURER:
        return PartyRole.INSURER.value if sub.insurer_id == actor.org_id else None
    held = case_service.participant_roles(session, _case(session, sub.case_id), actor.org_id)
    for side in (PartyRole.BROKER, PartyRole.INSURED):
        if side in held:
            return side.value
    placement = session.get(Placement, sub.case_id)
    if placement is not None and placement.adjuster_firm_id == actor.org_id and PartyRole.ADJUSTER in held:
        return PartyRole.ADJUSTER.value  # the broker's adjuster: reads and comments, never moves (R-U7)
    return None


def _case(session: Session, case_id: uuid.UUID) -> Any:
    from_case = session.get(Placement, case_id)
    if from_case is None:
        raise NotFound()
    return placement_service.case_of(session, from_case)


CLIENT_SIDES = frozenset({PartyRole.BROKER, PartyRole.INSURED, PartyRole.SUPERVISION})


def require_client_side(session: Session, actor: Actor, placement: Placement) -> None:
    """The comparison and the papers are the broker's, the insured's and supervision's; an insurer on the
    case (approached with it) gets 403."""
    held = case_service.participant_roles(session, placement_service.case_of(session, placement), actor.org_id)
    if not actor.is_admin and not held & CLIENT_SIDES:
        raise ActionNotAllowed()


def get_submission(session: Session, actor: Actor, submission_id: object) -> Submission:
    return scope.get_submission(session, actor, submission_id)


def submissions_of(session: Session, actor: Actor, placement_id: object) -> tuple[Placement, list[Submission]]:
    """A placement's submissions, for the parties to its case (the broker, the insured, supervision)."""
    placement = placement_service.get_placement(session, actor, placement_id)
    rows = session.execute(
        scope.visible_submissions(actor).where(Submission.case_id == placement.id).order_by(Submission.number)
    )
    return placement, list(rows.unique().scalars())


def my_submissions(session: Session, actor: Actor, *, status: SubmissionStatus | None = None) -> list[Submission]:
    """The submissions the actor may see, newest first (an underwriter's inbox)."""
    stmt = scope.visible_submissions(actor)
    if status is not None:
        stmt = stmt.where(Submission.status == status)
    return list(session.execute(stmt.order_by(Submission.created_at.desc()).limit(200)).unique().scalars())


def quotes_of(session: Session, sub: Submission) -> list[Quote]:
    """Every version of the submission's quote, newest first."""
    stmt = select(Quote).where(Quote.submission_id == sub.id).order_by(Quote.version.desc())
    return list(session.execute(stmt).scalars())


def latest_quote(session: Session, sub: Submission) -> Quote | None:
    found = quotes_of(session, sub)
    return found[0] if found else None


def get_quote(session: Session, actor: Actor, quote_id: object) -> tuple[Submission, Quote]:
    """A quote through its submission's access check: another insurer's quote is NotFound."""
    try:
        key = uuid.UUID(str(quote_id))
    except ValueError:
        raise NotFound() from None
    found = session.get(Quote, key)
    if found is None:
        raise NotFound()
    return scope.get_submission(session, actor, found.submission_id), found


def comparison(
    session: Session, actor: Actor, placement_id: object, now: dt.datetime
) -> tuple[Placement, list[tuple[Submission, Quote | None]], uuid.UUID | None]:
    """The quotes side by side for the parties to the case: each submission with its latest quote, and
    the valid quote (of a submission still quoted) with the lowest premium."""
    placement, subs = submissions_of(session, actor, placement_id)
    require_client_side(session, actor, placement)
    rows = [(s, latest_quote(session, s)) for s in subs]
    valid = [q for s, q in rows if q is not None and s.status == SS.QUOTED and is_valid(q, now)]
    cheapest = min(valid, key=lambda q: (q.premium, str(q.id))).id if valid else None
    return placement, rows, cheapest


def messages(session: Session, sub: Submission) -> list[SubmissionMessage]:
    stmt = select(SubmissionMessage).where(SubmissionMessage.submission_id == sub.id)
    return list(session.execute(stmt.order_by(SubmissionMessage.created_at, SubmissionMessage.id)).scalars())


def events(session: Session, sub: Submission) -> list[AuditEvent]:
    """The submission's own audit trail (its events on the case's chain)."""
    stmt = select(AuditEvent).where(
        AuditEvent.chain_key == f"case:{sub.case_id}",
        AuditEvent.entity_type == "submission",
        AuditEvent.entity_id == str(sub.id),
    )
    return list(session.execute(stmt.order_by(AuditEvent.seq)).scalars())


def is_valid(quote: Quote, now: dt.datetime) -> bool:
    """The quote can still be accepted: its last valid day (Asia/Shanghai) has not passed."""
    return quote.valid_until >= local_day(now)


def end_of_day(day: dt.date) -> dt.datetime:
    """The end of ``day`` in Asia/Shanghai, as a UTC instant (midnight after it)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI).astimezone(dt.UTC)


# ---- the disclosure and the mandate ----------------------------------------------------------------


def consents(session: Session, case_id: uuid.UUID) -> dict[str, Consent]:
    rows = session.execute(select(Consent).where(Consent.case_id == case_id)).scalars()
    return {c.kind.value: c for c in rows}


def _broker_manager(session: Session, actor: Actor, placement_id: object) -> Placement:
    placement = placement_service.get_placement(session, actor, placement_id)
    held = case_service.participant_roles(session, placement_service.case_of(session, placement), actor.org_id)
    if PartyRole.BROKER not in held or Role.BROKER_ACCOUNT_MANAGER not in actor.roles or actor.read_only:
        raise ActionNotAllowed()
    return placement


def give_consent(
    session: Session,
    actor: Actor,
    placement_id: object,
    kind: ConsentKind,
    document_id: uuid.UUID,
    *,
    source: str,
    now: dt.datetime,
) -> Consent:
    """Record the disclosure or the mandate given to the insured (a document already on the case); one
    not yet acknowledged is replaced by the new one (audited), an acknowledged one stays."""
    placement = _broker_manager(session, actor, placement_id)
    if placement.status not in ADDABLE_STATES:
        raise Conflict(placement_service.NOT_OPEN)
    found = consents(session, placement.id).get(kind.value)
    if found is not None and found.status == ConsentStatus.ACKNOWLEDGED:
        raise Conflict(ALREADY_GIVEN, fields={kind.value: ALREADY_GIVEN})
    if found is None:
        found = Consent(case_id=placement.id, kind=kind, status=ConsentStatus.GIVEN)
        session.add(found)
    found.source, found.document_id, found.created_at, found.created_by = source, document_id, now, actor.user_id
    session.flush()
    case_service.record_event(
        session,
        actor,
        placement_service.case_of(session, placement),
        f"placement.{kind.value}_given",
        now=now,
        after={"kind": kind.value, "source": source, "document_id": str(document_id)},
        audience=MARKET_AUDIENCE,
    )
    return found


def acknowledge(session: Session, actor: Actor, placement_id: object, kind: str, *, now: dt.datetime) -> Consent:
    """The insured acknowledges the disclosure or the mandate (``CONSENT_RULES``), audited."""
    placement = placement_service.get_placement(session, actor, placement_id)
    try:
        wanted = ConsentKind(kind)
    except ValueError:
        raise NotFound() from None
    found = consents(session, placement.id).get(wanted.value)
    if found is None:
        raise NotFound()
    rule = _transition.resolve(CONSENT_RULES, found.status.value, "acknowledge", _roles(actor))
    case = placement_service.case_of(session, placement)
    if PartyRole.INSURED not in case_service.participant_roles(session, case, actor.org_id) or actor.read_only:
        raise ActionNotAllowed()
    changes = {"status": ConsentStatus(rule.to), "acknowledged_at": now, "acknowledged_by": actor.user_id}
    _transition.move_row(session, found, changes)
    case_service.record_event(
        session,
        actor,
        case,
        f"placement.{wanted.value}_acknowledged",
        now=now,
        after={"kind": wanted.value, "status": rule.to},
        audience=MARKET_AUDIENCE,
    )
    return found


# ---- submissions -----------------------------------------------------------------------------------


def _roles(actor: Actor) -> frozenset[str]:
    return frozenset(r.value for r in actor.roles)


def programme(session: Session, placement: Placement) -> dict[str, Any]:
    """The frozen copy of what is submitted: the subject, lines and period, the pre-assessment report
    (its number and content as submitted) and the risk register with the insured's decisions."""
    report = risk.current_report(session, placement)
    points = risk.points_of(session, placement.id)
    return {
        "number": placement.number,
        "title": placement.title,
        "insured": placement.insured.name,
        "lines": list(placement.lines),
        "period_start": placement.period_start.isoformat(),
        "period_end": placement.period_end.isoformat(),
        "sites": placement.subject.get("sites", []),
        "total_sum_insured": str(placement_service.total_sum_insured(placement)),
        "report": None
        if report is None
        else {
            "id": str(report.id),
            "number": report.display_number,
            "submitted_at": report.submitted_at.isoformat(),
            "content": report.content,
        },
        "risk_points": [
            {
                "ref": p.ref,
                "title": p.title,
                "description": p.description,
                "location": p.location,
                "level": p.level,
                "coefficient": str(p.coefficient),
                "advice": p.advice,
                "choice": p.choice,
                "committed_date": p.committed_date.isoformat() if p.committed_date else None,
            }
            for p in points
        ],
    }


def _targets(session: Session, placement: Placement, insurer_ids: Sequence[object] | None) -> list[tuple[Any, Any]]:
    """(insurer id, product id or None) for each insurer to approach: those named, else the latest
    shortlist's insurers (with the first product of each it kept)."""
    kept: dict[str, str] = {}
    saved = screening.shortlists(session, placement.id)
    for row in saved[0].kept if saved else []:
        kept.setdefault(str(row["insurer_id"]), str(row["product_id"]))
    if insurer_ids is None:
        if not kept:
            raise InvalidInput(NO_SHORTLIST, fields={"insurer_ids": NO_SHORTLIST})
        return [(uuid.UUID(i), uuid.UUID(p)) for i, p in kept.items()]
    if not insurer_ids:
        raise InvalidInput(REQUIRED, fields={"insurer_ids": REQUIRED})
    errors: dict[str, str] = {}
    out = []
    for n, raw in enumerate(insurer_ids):
        org = session.get(Organisation, scope._as_uuid(raw)) if scope._as_uuid(raw) else None
        if org is None or org.kind != OrgKind.INSURER:
            errors[f"insurer_ids[{n}]"] = NOT_INSURER
            continue
        product = kept.get(str(org.id))
        out.append((org.id, uuid.UUID(product) if product else None))
    if errors:
        raise InvalidInput(NOT_INSURER, fields=errors)
    return list(dict.fromkeys(out))


def submit(
    session: Session,
    actor: Actor,
    placement_id: object,
    *,
    insurer_ids: Sequence[object] | None = None,
    answer_days: int = ANSWER_DAYS,
    now: dt.datetime,
) -> list[Submission]:
    """The broker's account manager submits the programme to insurers (default: the shortlist's); each
    gets its own submission, its answer deadline and its notice."""
    placement = _broker_manager(session, actor, placement_id)
    if placement.status != PlacementStatus.TO_MARKET:
        raise Conflict(NOT_MARKET)
    if not 1 <= answer_days <= 60:
        raise InvalidInput(BAD_DAYS, fields={"answer_days": BAD_DAYS})
    targets = _targets(session, placement, insurer_ids)[:MAX_INSURERS]
    live = set(
        session.execute(
            select(Submission.insurer_id).where(Submission.case_id == placement.id, Submission.status.in_(LIVE))
        ).scalars()
    )
    taken = {f"insurer_ids[{n}]": ALREADY_SUBMITTED for n, (i, _) in enumerate(targets) if i in live}
    if taken:
        raise Conflict(ALREADY_SUBMITTED, fields=taken)
    copy = programme(session, placement)
    count = session.execute(select(func.count()).where(Submission.case_id == placement.id)).scalar() or 0
    case = placement_service.case_of(session, placement)
    out = []
    for n, (insurer_id, product_id) in enumerate(targets, start=count + 1):
        sub = Submission(
            case_id=placement.id,
            number=f"{placement.number}-S{n}",
            insurer_id=insurer_id,
            product_id=product_id,
            status=SS.SUBMITTED,
            programme=copy,
            answer_due=now + dt.timedelta(days=answer_days),
            created_at=now,
            created_by=actor.user_id,
            updated_at=now,
        )
        session.add(sub)
        session.flush()
        _join(session, case, insurer_id, now)
        _record(session, actor, sub, "submission.submitted", now, after={"status": sub.status.value})
        case_service.start_deadline(session, case, deadline_kind("answer", sub), "insurer", now=now, due=sub.answer_due)
        out.append(sub)
    return out


def deadline_kind(kind: str, sub: Submission) -> str:
    """The case's deadline of one submission: ``answer:<id>`` (the insurer's answer), ``quote:<id>`` (the
    validity of its quote); both fit the deadline's kind column."""
    return f"{kind}:{sub.id.hex}"


def _record(
    session: Session,
    actor: Actor | None,
    sub: Submission,
    action: str,
    now: dt.datetime,
    *,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """An event of the submission on the case's chain: the broker and the insured read it on the case's
    timeline, the submission's insurer on the submission (``events``)."""
    audit.record(
        session,
        actor.ref if actor else audit.SYSTEM,
        action=action,
        entity_type="submission",
        entity_id=sub.id,
        at=now,
        chain_key=f"case:{sub.case_id}",
        after={"submission": sub.number, "insurer_id": str(sub.insurer_id), **(after or {})},
        reason=reason,
        request_id=actor.request_id if actor else None,
        audience=audience_of(sub),
    )


def move(
    session: Session,
    actor: Actor | None,
    sub: Submission,
    action: str,
    now: dt.datetime,
    *,
    reason: str | None = None,
    after: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
) -> Submission:
    """One transition of ``SUBMISSION_RULES``: role, side (the addressed insurer, the case's broker or
    insured), a conditional UPDATE (one winner) and the audit event ``submission.<action>``."""
    roles = _roles(actor) if actor else frozenset({"system"})
    rule = _transition.resolve(SUBMISSION_RULES, sub.status.value, action, roles)
    if actor is not None:
        wanted = {SIDE_OF_ROLE[r] for r in rule.by & roles if r in SIDE_OF_ROLE}
        if side_on(session, actor, sub) not in wanted or actor.read_only:
            raise ActionNotAllowed()
    before = sub.status.value
    changes = {"status": SS(rule.to), "updated_at": now, **(values or {})}
    _transition.move_row(session, sub, changes)
    _record(
        session,
        actor,
        sub,
        f"submission.{action}",
        now,
        after={"status": rule.to, "from": before, **(after or {})},
        reason=reason,
    )
    return sub


def _reason(text: object) -> str:
    value = str(text or "").strip()
    if not value:
        raise InvalidInput(REQUIRED, fields={"reason": REQUIRED})
    if len(value) > REASON_MAX:
        raise InvalidInput(TOO_LONG, fields={"reason": TOO_LONG})
    return value


def close(
    session: Session, actor: Actor, submission_id: object, action: str, reason: str, *, now: dt.datetime
) -> Submission:
    """End a submission with a reason: the insurer's underwriter declines to quote (``decline``), or the
    broker withdraws it (``withdraw``; the insurer is told). Its clocks stop."""
    if action not in ("decline", "withdraw"):
        raise NotFound()
    sub = scope.get_submission(session, actor, submission_id)
    text = _reason(reason)
    move(session, actor, sub, action, now, reason=text, values={"reason": text})
    _stop_clocks(session, sub, now)
    return sub


def _stop_clocks(session: Session, sub: Submission, now: dt.datetime) -> None:
    """The submission's clocks stop; once none of its submissions is live, the insurer leaves the case."""
    case = _case(session, sub.case_id)
    for kind in ("answer", "quote"):
        case_service.stop_deadline(session, case, deadline_kind(kind, sub), now=now)
    live = select(Submission.id).where(
        Submission.case_id == sub.case_id, Submission.insurer_id == sub.insurer_id, Submission.status.in_(LIVE)
    )
    if sub.status not in (SS.ACCEPTED,) and session.execute(live).first() is None:
        session.execute(
            update(Participation)
            .where(*_insurer_on(sub.case_id, sub.insurer_id), Participation.until.is_(None))
            .values(until=now)
        )


def _insurer_on(case_id: uuid.UUID, insurer_id: uuid.UUID) -> tuple[Any, ...]:
    return (
        Participation.case_id == case_id,
        Participation.organisation_id == insurer_id,
        Participation.party_role == PartyRole.INSURER,
    )


def _join(session: Session, case: Any, insurer_id: uuid.UUID, now: dt.datetime) -> None:
    """The insurer approached takes part in the case as an insurer (its adjuster's appointment, R-U7, needs
    it); what it reads there is what the case shares with insurers, its own submission's events, never
    another insurer's. Approached again after leaving, it takes part again."""
    found = session.execute(select(Participation).where(*_insurer_on(case.id, insurer_id))).scalar_one_or_none()
    if found is None:
        case_service.add_participant(session, case, insurer_id, PartyRole.INSURER, now=now)
    elif found.until is not None:
        found.until, found.since = None, now


def _deadline_readers(session: Session, deadline: Deadline) -> list[str]:
    """Who reads a submission clock's warning and breach: the broker, the insured for the quote's
    validity, and that submission's insurer only."""
    try:
        sub = session.get(Submission, uuid.UUID(hex=deadline.kind.split(":", 1)[1]))
    except ValueError:
        sub = None
    base = [BROKER, INSURED] if deadline.kind.startswith("quote:") else [BROKER]
    return [*base, _audience.org(sub.insurer_id)] if sub else base


_audience.DEADLINE_READERS.update({"answer": _deadline_readers, "quote": _deadline_readers})


def visible_deadline(session: Session, actor: Actor, deadline: Deadline) -> bool:
    """An insurer on the placement sees its own submissions' clocks, not another insurer's."""
    if actor.org_kind != OrgKind.INSURER or deadline.kind.split(":", 1)[0] not in ("answer", "quote"):
        return True
    return _deadline_readers(session, deadline)[-1] == _audience.org(actor.org_id)


def post_message(
    session: Session, actor: Actor, submission_id: object, body: str, *, now: dt.datetime
) -> SubmissionMessage:
    """A question or an answer on the submission's own thread, by its insurer, the broker or the insured."""
    sub = scope.get_submission(session, actor, submission_id)
    if side_on(session, actor, sub) is None or actor.read_only:
        raise ActionNotAllowed()
    text = str(body or "").strip()
    if not text:
        raise InvalidInput(REQUIRED, fields={"body": REQUIRED})
    if len(text) > REASON_MAX:
        raise InvalidInput(TOO_LONG, fields={"body": TOO_LONG})
    msg = SubmissionMessage(
        submission_id=sub.id, author_id=actor.user_id, author_org_id=actor.org_id, body=text, created_at=now
    )
    session.add(msg)
    session.flush()
    _record(session, actor, sub, "submission.message_posted", now, after={"message_id": str(msg.id)})
    return msg


# ---- quotes ----------------------------------------------------------------------------------------


def _decimal(raw: object) -> Decimal | None:
    if isinstance(raw, bool) or raw is None or isinstance(raw, float):
        return None
    try:
        value = Decimal(str(raw).strip())
    except ArithmeticError:
        return None
    return value if value.is_finite() else None


def _money(raw: object, at: str, errors: dict[str, str]) -> str | None:
    if raw in (None, ""):
        return None
    value = _decimal(raw)
    if value is None or value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        errors[at] = BAD_AMOUNT
        return None
    return str(value.quantize(Decimal("0.01")))


def _quote_section(raw: object, n: int, sums: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    at = f"sections[{n}]"
    ref = str(data.get("ref") or "")
    if ref not in sums:
        errors[f"{at}.ref"] = REQUIRED if not ref else UNKNOWN_SECTION
    rate = _decimal(data.get("rate_permille"))
    if rate is None or not Decimal(0) < rate <= 1000:
        errors[f"{at}.rate_permille"] = BAD_RATE
    ded_rate = _decimal(data.get("deductible_rate")) if data.get("deductible_rate") not in (None, "") else None
    if data.get("deductible_rate") not in (None, "") and (ded_rate is None or not 0 <= ded_rate < 1):
        errors[f"{at}.deductible_rate"] = BAD_FACTOR
    options = data.get("options") or {}
    return {
        "ref": ref,
        "sum_insured": sums.get(ref, ""),
        "rate_permille": str(rate) if rate is not None else "",
        "deductible_amount": _money(data.get("deductible_amount"), f"{at}.deductible_amount", errors),
        "deductible_rate": str(ded_rate) if ded_rate is not None else None,
        "options": dict(options) if isinstance(options, Mapping) else {},
    }


def _factors(raw: object, errors: dict[str, str]) -> list[dict[str, str]]:
    out = []
    for n, f in enumerate(raw if isinstance(raw, Sequence) and not isinstance(raw, str) else []):
        data: Mapping[str, Any] = f if isinstance(f, Mapping) else {}
        code = str(data.get("code") or "").strip()
        value = _decimal(data.get("value"))
        if not code or len(code) > 40:
            errors[f"factors[{n}].code"] = REQUIRED if not code else TOO_LONG
        if value is None or value <= 0:
            errors[f"factors[{n}].value"] = BAD_FACTOR
        out.append({"code": code, "value": str(value) if value is not None else ""})
    return out


def check_quote(sub: Submission, data: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The quote as it will be stored, or InvalidInput naming every field in error: each section of the
    programme rated once, factors, deductibles, a validity date not yet passed, conditions."""
    errors: dict[str, str] = {}
    sums = {s["ref"]: s["sum_insured"] for site in sub.programme.get("sites", []) for s in site["sections"]}
    raw = data.get("sections")
    rows = raw if isinstance(raw, Sequence) and not isinstance(raw, str) else []
    sections = [_quote_section(r, n, sums, errors) for n, r in enumerate(rows)]
    refs = [s["ref"] for s in sections if s["ref"] in sums]
    if len(set(refs)) != len(refs):
        errors.setdefault("sections", SECTION_TWICE)
    elif set(refs) != set(sums) and not any(k.startswith("sections[") for k in errors):
        errors["sections"] = SECTION_MISSING
    factors = _factors(data.get("factors") or [], errors)
    valid = data.get("valid_until")
    try:
        until = valid if isinstance(valid, dt.date) else dt.date.fromisoformat(str(valid or ""))
    except ValueError:
        until = None
        errors["valid_until"] = REQUIRED if not valid else BAD_DATE
    if until is not None and until < today:
        errors["valid_until"] = PAST_DATE
    conditions = str(data.get("conditions") or "").strip()
    if len(conditions) > REASON_MAX:
        errors["conditions"] = TOO_LONG
    minimum = _money(data.get("minimum_premium"), "minimum_premium", errors)
    if errors:
        raise InvalidInput(fields=errors)
    return {
        "sections": sections,
        "factors": factors,
        "valid_until": until,
        "conditions": conditions,
        "minimum_premium": minimum,
    }


def engine_document(sub: Submission, clean: Mapping[str, Any]) -> dict[str, Any]:
    """The premium engine's input for a quote: the programme's period, each section's sum insured and
    the quoted rate, the quoted factors, and the register's risk points as loadings (coefficient − 1)
    with the insured's decisions as submitted."""
    prog = sub.programme
    doc: dict[str, Any] = {
        "currency": "CNY",
        "period": {"start": prog["period_start"], "end": prog["period_end"]},
        "sections": [
            {"code": s["ref"], "sum_insured": s["sum_insured"], "rate_permille": s["rate_permille"]}
            for s in clean["sections"]
        ],
        "factors": [dict(f) for f in clean["factors"]],
        "risk_points": [
            {"ref": p["ref"], "loading": str(Decimal(p["coefficient"]) - 1), "choice": p["choice"]}
            for p in prog.get("risk_points", [])
        ],
    }
    if clean.get("minimum_premium"):
        doc["minimum_premium"] = clean["minimum_premium"]
    return doc


def price(sub: Submission, clean: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's result for the quote (422 naming the field the engine refused)."""
    try:
        return result_to_json(compute(parse_input(engine_document(sub, clean))))
    except PremiumInputError as exc:
        raise InvalidInput(exc.message, fields={exc.path or "sections": exc.message}) from None


def quote(session: Session, actor: Actor, submission_id: object, data: Mapping[str, Any], *, now: dt.datetime) -> Quote:
    """The insurer's underwriter quotes (again): the next immutable version, priced by the engine; the
    answer clock stops, the quote's validity and the insured's decision clocks run."""
    sub = scope.get_submission(session, actor, submission_id)
    if side_on(session, actor, sub) != PartyRole.INSURER.value:
        raise ActionNotAllowed()
    _transition.resolve(SUBMISSION_RULES, sub.status.value, "quote", _roles(actor))
    clean = check_quote(sub, data, local_day(now))
    pricing = price(sub, clean)
    last = session.execute(select(func.max(Quote.version)).where(Quote.submission_id == sub.id)).scalar() or 0
    row = Quote(
        submission_id=sub.id,
        version=last + 1,
        sections=clean["sections"],
        factors=clean["factors"],
        conditions=clean["conditions"],
        valid_until=clean["valid_until"],
        currency="CNY",
        premium=Decimal(pricing["total_premium"]),
        pricing=pricing,
        created_at=now,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    move(
        session,
        actor,
        sub,
        "quote",
        now,
        after={"version": row.version, "premium": str(row.premium), "valid_until": row.valid_until.isoformat()},
    )
    case = _case(session, sub.case_id)
    case_service.stop_deadline(session, case, deadline_kind("answer", sub), now=now)
    case_service.start_deadline(
        session, case, deadline_kind("quote", sub), INSURED, now=now, due=end_of_day(row.valid_until)
    )
    running = {d.kind for d in case_service.deadlines(session, case) if d.stopped_at is None}
    if "quote_decision" not in running:
        due = now + dt.timedelta(days=DECISION_DAYS)
        case_service.start_deadline(session, case, "quote_decision", INSURED, now=now, due=due)
    return row
