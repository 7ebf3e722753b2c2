"""Claims as the pages show them: the work queue, who holds the ball, the case file and the moves the
signed-in user may make now. Everything is read through ``tandem.access.scope`` and the claim and
consultation services, so a page never shows more than the JSON API would."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, Role, User
from tandem.audit.models import AuditEvent
from tandem.case import thread
from tandem.case.audience import Viewer
from tandem.case.audience import viewer as case_viewer
from tandem.case.models import Case as CaseRow
from tandem.claim import lifecycle, proposal, service, survey_notes, workflow
from tandem.claim.models import (
    AdjusterProposal,
    Appointment,
    Claim,
    ClaimStatus,
    Deadline,
    Document,
    Message,
    Participation,
    PartyRole,
    Payment,
    Survey,
    SurveyNote,
    TeamMember,
)
from tandem.config import Settings
from tandem.expert import engagement as engagements
from tandem.expert.endpoints import Suggestion, expert_suggestions
from tandem.expert.models import Engagement
from tandem.expert.service import IndexPreparing
from tandem.kit import i18n, transition
from tandem.kit.clock import local_day
from tandem.kit.i18n import N_
from tandem.kit.pagination import decode_cursor, encode_cursor
from tandem.party import service as party_service
from tandem.party.models import Adjuster, Expert
from tandem.policy import versions as policy_versions
from tandem.policy.models import Policy
from tandem.reconciliation import consultation as consult
from tandem.reconciliation.models import Consultation
from tandem.report.models import Report, ReportDraft
from tandem.settlement import calculator
from tandem.settlement.models import AmountConfirmation, NegotiationStep
from tandem.web.labels import Message as Msg

S = ClaimStatus
K = OrgKind
PAGE_SIZE = 25

# Queue tabs: a tab is a group of statuses.
TABS: dict[str, frozenset[ClaimStatus]] = {
    "active": frozenset(s for s in S if s != S.CLOSED),
    "routing": frozenset({S.NOTIFIED, S.ROUTED}),
    "adjusting": frozenset({S.ADJUSTER_ASSIGNED, S.SURVEYING}),
    "settling": frozenset({S.REPORTED, S.AMOUNT_CONFIRMED, S.NEGOTIATING}),
    "disputed": frozenset({S.DISPUTED}),
    "payment": frozenset({S.AGREED}),
    "done": frozenset({S.PAID, S.CLOSED, S.REFUSED, S.WITHDRAWN}),
    "all": frozenset(S),
}
DEFAULT_TAB = "all"  # closed claims stay in sight; "In progress" is one click away

# The progress line every party sees at the top of a case.
PROGRESS: list[tuple[str, str]] = [
    ("notified", N_("Loss notified")),
    ("routed", N_("Adjuster appointed")),
    ("surveying", N_("Survey")),
    ("reported", N_("Adjusting report")),
    ("amount_confirmed", N_("Amount confirmed")),
    ("negotiating", N_("Agreement with the insurer")),
    ("paid", N_("Paid")),
    ("closed", N_("Closed")),
]
_STEP_OF = {
    S.NOTIFIED: 0,
    S.ROUTED: 1,
    S.ADJUSTER_ASSIGNED: 2,  # the letter is accepted: the survey is next
    S.SURVEYING: 2,
    S.REPORTED: 3,
    S.AMOUNT_CONFIRMED: 4,
    S.NEGOTIATING: 5,
    S.DISPUTED: 5,
    S.AGREED: 5,
    S.REFUSED: 5,
    S.PAID: 6,
    S.CLOSED: 7,
    S.WITHDRAWN: 0,
}

INTAKE_ROLES = frozenset({Role.INSURED_CONTACT, Role.BROKER_ACCOUNT_MANAGER})
BAM, BRE = Role.BROKER_ACCOUNT_MANAGER, Role.BROKER_RISK_EVALUATOR
ADJ, FADM, ICH = Role.ADJUSTER, Role.ADJUSTER_FIRM_ADMIN, Role.INSURER_CLAIMS_HANDLER

EXPLAIN = {
    "line": N_("Qualified for {value} (base {points})"),
    "region": N_("Works in {value} (+{points})"),
    "region_firm": N_("{value} through the firm's service area (+{points})"),
    "based": N_("Based in {value}"),
    "workload": N_("Open cases: {value} (+{points})"),
    "designated_by_policy": N_("Designated by the policy (+{points})"),
}


def explain_ranking(codes: list[str]) -> list[Msg]:
    """The routing engine's "reason:value:points" codes as the page says them."""
    out = []
    for code in codes:
        key, _, rest = code.partition(":")
        value, _, points = rest.partition(":")
        out.append(Msg(EXPLAIN.get(key, key), {"value": value, "points": points}))
    return out


# ---- the work queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    claim: Claim
    holder: str | None
    deadline: Deadline | None
    overdue: bool
    say: Msg | None = None  # the insured's say on the adjuster, for the broker and the insured


# Where the adjuster proposal stands (tandem.claim.proposal), as the broker's and the insured's lists say it.
SAY = {
    "proposed": N_("Adjuster {name} proposed; waiting for the insured's answer"),
    "agreed": N_("The insured agreed to {name}"),
    "other": N_("The insured chose {name} instead"),
    "left_to_broker": N_("The insured leaves the choice of adjuster to the broker"),
}


@dataclass(frozen=True)
class Queue:
    tab: str
    q: str
    rows: list[QueueRow]
    counts: dict[str, int]
    next_cursor: str | None


def can_report(actor: Actor) -> bool:
    return actor.has_any(INTAKE_ROLES) and actor.org_kind in (K.INSURED, K.BROKER)


def status_counts(session: Session, actor: Actor) -> dict[str, int]:
    stmt = scope.visible_claims(actor).with_only_columns(Claim.status, func.count()).group_by(Claim.status)
    by_status = {S(row[0]): int(row[1]) for row in session.execute(stmt)}
    return {tab: sum(by_status.get(s, 0) for s in statuses) for tab, statuses in TABS.items()}


def queue(
    session: Session,
    actor: Actor,
    now: dt.datetime,
    *,
    tab: str,
    q: str = "",
    cursor: str | None = None,
    limit: int | None = None,
) -> Queue:
    """The actor's claims, newest notice first, keyset-paginated like the API's claim list."""
    limit = limit or PAGE_SIZE
    statuses = TABS.get(tab, TABS[DEFAULT_TAB])
    stmt = scope.visible_claims(actor).where(Claim.status.in_(sorted(statuses)))
    q = q.strip().upper()[:40]
    if q:
        stmt = stmt.where(Claim.number.startswith(q, autoescape=True))
    after = decode_cursor(cursor)
    if after and len(after) == 2:
        try:
            at, cid = dt.datetime.fromisoformat(str(after[0])), uuid.UUID(str(after[1]))
        except ValueError:
            pass
        else:
            stmt = stmt.where((Claim.notified_at < at) | ((Claim.notified_at == at) & (Claim.id < cid)))
    stmt = stmt.order_by(Claim.notified_at.desc(), Claim.id.desc()).limit(limit + 1)
    claims = list(session.execute(stmt).unique().scalars())
    last = claims[limit - 1] if len(claims) > limit else None
    claims = claims[:limit]
    rows = queue_rows(session, claims, now, actor)
    nxt = encode_cursor([last.notified_at.isoformat(), str(last.id)]) if last else None
    return Queue(tab, q, rows, status_counts(session, actor), nxt)


def queue_rows(session: Session, claims: list[Claim], now: dt.datetime, actor: Actor) -> list[QueueRow]:
    open_deadlines: dict[uuid.UUID, Deadline] = {}
    if claims:
        for d in session.execute(
            select(Deadline)
            .where(Deadline.case_id.in_([c.case_id for c in claims]), Deadline.stopped_at.is_(None))
            .order_by(Deadline.due_at)
        ).scalars():
            open_deadlines.setdefault(d.case_id, d)
    rows = []
    for c in claims:
        found = open_deadlines.get(c.case_id)
        late = bool(found and (found.breached_at or found.due_at < now))
        rows.append(QueueRow(c, holder(session, c), found, late, proposal_say(session, actor, c)))
    return rows


def proposal_say(session: Session, actor: Actor, claim: Claim) -> Msg | None:
    """While the adjuster is being agreed, where the broker's proposal stands (for the broker and the insured)."""
    if claim.status != S.NOTIFIED or actor.org_kind not in (K.BROKER, K.INSURED):
        return None
    prop = proposal.current_proposal(session, claim)
    if prop is None:
        return None
    adj = prop.chosen_adjuster or prop.adjuster
    return Msg(SAY[prop.state], {"name": adj.name})


def my_turn(session: Session, actor: Actor, now: dt.datetime, limit: int = 5) -> tuple[list[QueueRow], int]:
    """Open claims whose ball is with the actor's kind of party (for the start page)."""
    stmt = (
        scope.visible_claims(actor)
        .where(Claim.status != S.CLOSED)
        .order_by(Claim.notified_at.desc(), Claim.id.desc())
        .limit(200)
    )
    claims = list(session.execute(stmt).unique().scalars())
    mine = [c for c in claims if _is_my_turn(session, c, actor)]
    return queue_rows(session, mine[:limit], now, actor), len(mine)


def _is_my_turn(session: Session, claim: Claim, actor: Actor) -> bool:
    who = holder(session, claim)
    kind = actor.org_kind.value
    if kind == "adjuster_firm":
        if who == "adjusters":
            return True
        if who != kind:
            return False
        side = "insurer" if claim.status == S.DISPUTED else "broker"
        letter = workflow.current_appointment(session, claim, side)
        return letter is not None and letter.firm_id == actor.org_id
    return who == kind


# ---- who holds the ball --------------------------------------------------------------------------


def consultation_of(session: Session, claim: Claim) -> Consultation | None:
    return session.execute(select(Consultation).where(Consultation.claim_id == claim.id)).scalar_one_or_none()


def holder(session: Session, claim: Claim) -> str | None:
    """The kind of party whose move it is (``broker``, ``adjuster_firm``, ``insurer``, ``adjusters``)."""
    st = claim.status
    if st == S.NOTIFIED:
        return proposal.routing_holder(session, claim)  # the insured while the broker's proposal waits
    if st in (S.REPORTED, S.AMOUNT_CONFIRMED, S.PAID, S.REFUSED, S.WITHDRAWN):
        return "broker"
    if st in (S.ROUTED, S.ADJUSTER_ASSIGNED, S.SURVEYING):
        return "adjuster_firm"
    if st == S.AGREED:
        return "insurer"
    if st == S.NEGOTIATING:
        last = session.execute(
            select(NegotiationStep)
            .where(NegotiationStep.claim_id == claim.id)
            .order_by(NegotiationStep.at.desc())
            .limit(1)
        ).scalar_one_or_none()
        return "broker" if last is not None and last.move == "counter" else "insurer"
    if st == S.DISPUTED:
        cons = consultation_of(session, claim)
        if cons is not None:
            if cons.state == "negotiating" or (cons.state == "umpire" and not cons.umpire_accepted):
                return "adjusters"
            return "broker"
        letter = workflow.current_appointment(session, claim, "insurer")
        if letter is None or letter.state not in ("issued", "accepted"):
            return "insurer"
        if not any(r.firm_id == letter.firm_id for r in workflow.reports(session, claim)):
            return "adjuster_firm"
        return "broker"
    return None


# ---- the case file -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRow:
    deadline: Deadline
    held: dt.timedelta
    state: str  # running | overdue | met | breached
    left: dt.timedelta | None


@dataclass(frozen=True)
class ReportRow:
    report: Report
    firm: str
    side: str  # a | b
    signers: list[str]
    pdf: Document | None
    superseded: bool


@dataclass(frozen=True)
class LetterRow:
    letter: Appointment
    firm: str
    adjuster: str
    pdf: Document | None
    fees: bool = False  # the viewer may read the fee terms (the two firms and the payer)


@dataclass(frozen=True)
class StepRow:
    key: str
    value: str
    formula: str
    money: bool
    sources: list[Msg] = field(default_factory=list)  # where the step's figures came from


@dataclass(frozen=True)
class SectionSteps:
    code: str
    name: str
    rows: list[StepRow]
    payable: Decimal


@dataclass(frozen=True)
class ConfirmationView:
    conf: AmountConfirmation
    basis_number: str
    sections: list[SectionSteps]
    total_payable: Decimal
    advance_paid: Decimal
    due: Decimal
    by: str


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    who: str
    details: list[tuple[str, str | Decimal | list[str]]]  # (msgid label, value; a list = exclusion codes)
    reason: Msg | None


@dataclass(frozen=True)
class MessageRow:
    message: Message
    author: str
    org: str
    mine: bool


@dataclass(frozen=True)
class Choice:
    """An adjuster the user may pick (or not), with the reasons."""

    adjuster: Adjuster
    firm: str
    score: float
    explain: list[Msg]
    reasons: list[str]
    flagged: list[str]


@dataclass
class Actions:
    choose: list[Choice] | None = None
    excluded: list[Choice] = field(default_factory=list)
    # The broker's standing adjuster proposal to the insured (shown to the broker with the answer).
    proposal: AdjusterProposal | None = None
    # The proposal waiting for this insured's answer, and the other eligible adjusters it may pick instead.
    answer: AdjusterProposal | None = None
    answer_choices: list[Choice] = field(default_factory=list)
    withdraw: bool = False
    letter: Appointment | None = None
    team_candidates: list[Adjuster] | None = None
    survey: bool = False
    survey_needs_second: bool = False
    draft: bool = False
    submit: list[TeamMember] | None = None
    confirm_amount: bool = False
    confirm_basis: str = ""
    confirm_from_mou: bool = False
    propose: Decimal | None = None
    # The standing offer this user may answer, whose it is ("broker" or "insurer") and the answers allowed.
    offer: Decimal | None = None
    offer_by: str = ""
    accept: bool = False
    counter: bool = False
    dispute: bool = False
    refuse: bool = False
    reconsider: bool = False  # the insurer may withdraw its refusal
    # This side's own standing offer, waiting for the other side's answer.
    waiting: Decimal | None = None
    pay_advance: bool = False
    pay_final: Decimal | None = None
    close: bool = False
    appoint: list[Choice] | None = None
    appoint_excluded: list[Choice] = field(default_factory=list)
    refuse_adjuster: LetterRow | None = None
    open_consultation: bool = False
    message_audiences: list[str] = field(default_factory=list)
    upload_audiences: list[str] = field(default_factory=list)
    # The firm's report waiting for signatures (workflow.signing_view) and whether this user signs now.
    signing: dict[str, Any] | None = None
    sign: bool = False

    @property
    def any(self) -> bool:
        return any(
            (
                self.choose is not None,
                self.answer is not None,
                self.withdraw,
                self.letter is not None,
                self.team_candidates is not None,
                self.survey,
                self.draft,
                self.submit is not None,
                self.confirm_amount,
                self.propose is not None,
                self.offer is not None,
                self.waiting is not None,  # it may be withdrawn until answered
                self.sign,
                self.dispute,
                self.refuse,
                self.reconsider,
                self.pay_advance,
                self.pay_final is not None,
                self.close,
                self.appoint is not None,
                self.refuse_adjuster is not None,
                self.open_consultation,
            )
        )


@dataclass
class Case:
    claim: Claim
    kind: str
    roles: set[PartyRole]
    side: str | None
    holder: str | None
    step: int
    broker: str
    insured: str
    firm_a: str | None
    firm_b: str | None
    duplicates: list[tuple[str, uuid.UUID | None]]
    deadlines: list[DeadlineRow]
    routing_left: dt.timedelta | None
    team_a: list[TeamMember]
    team_b: list[TeamMember]
    letters: list[LetterRow]
    surveys: list[Survey]
    draft: dict[str, Any] | None
    draft_at: dt.datetime | None
    reports: list[ReportRow]
    confirmation: ConfirmationView | None
    negotiation: list[tuple[NegotiationStep, str]] | None
    last_offer: Decimal | None
    payments: list[Payment]
    paid_total: Decimal
    documents: list[Document]
    evidence: list[Document]
    messages: list[MessageRow]
    timeline: list[EventRow]
    consultation: Consultation | None
    actions: Actions
    policy_sections: list[tuple[str, str]]
    engagements: list[EngagementRow] = field(default_factory=list)
    suggest_experts: bool = False
    # The survey notes this viewer may read, by survey; whether it may join a survey and add one (the broker).
    survey_notes: dict[uuid.UUID, list[SurveyNote]] = field(default_factory=dict)
    survey_note: bool = False


def party_roles(session: Session, claim: Claim, org_id: uuid.UUID) -> set[PartyRole]:
    return set(
        session.execute(
            select(Participation.party_role).where(
                Participation.claim_id == claim.id,
                Participation.organisation_id == org_id,
                Participation.until.is_(None),
            )
        ).scalars()
    )


def org_names(session: Session, org_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    ids = {i for i in org_ids if i is not None}
    if not ids:
        return {}
    return {o.id: o.name for o in session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars()}


def _users(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {r[0]: r[1] for r in rows}


def deadline_rows(session: Session, claim: Claim | CaseRow, now: dt.datetime) -> list[DeadlineRow]:
    rows = []
    for d in workflow.deadlines(session, claim):
        end = d.stopped_at or now
        if d.stopped_at is not None:
            state = "breached" if d.breached_at or d.stopped_at > d.due_at else "met"
        else:
            state = "overdue" if d.breached_at or d.due_at < now else "running"
        rows.append(DeadlineRow(d, end - d.started_at, state, d.due_at - now if d.stopped_at is None else None))
    return rows


visible_documents = workflow.visible_documents
visible_document = workflow.visible_document


def _money_plain(value: Decimal, locale: str) -> str:
    return format_decimal(value, "#,##0.00", locale=i18n.normalise_locale(locale) or "zh_CN")


NO_UNDERINSURANCE = N_("No under-insurance")
LIMIT_PER_OCCURRENCE = N_("limit per occurrence")
SUM_INSURED = N_("sum insured")
AGGREGATE_REMAINING = N_("aggregate remaining")


SOURCE_OF = {
    "report": N_("adjusting report {number}"),
    "mou": N_("memorandum of understanding {number}"),
    "policy": N_("policy {number}, section terms"),
}


def _source(ref: dict[str, Any] | None, msgid: str) -> list[Msg]:
    if not ref:
        return []
    return [Msg(msgid, {"source": Msg(SOURCE_OF.get(ref.get("kind", ""), "{number}"), {"number": ref.get("number")})})]


def step_sources(sources: dict[str, Any] | None, locale: str) -> dict[str, list[Msg]]:
    """Per step key, where its figures came from (the confirmation's recorded sources)."""
    if not sources:
        return {}
    paid = [
        Msg(N_("{amount} paid on claim {claim}"), {**p, "amount": _money_plain(Decimal(p["amount"]), locale)})
        for p in sources.get("paid_to_date") or []
    ]
    return {
        "gross_loss": _source(sources.get("items"), N_("Items: {source}")),
        "average_ratio": _source(sources.get("insured_value"), N_("Insured value: {source}"))
        + _source(sources.get("sum_insured"), N_("Sum insured: {source}")),
        "deductible": _source(sources.get("sum_insured"), N_("Deductible: {source}")),
        "payable": _source(sources.get("sum_insured"), N_("Limits: {source}"))
        + ([Msg(N_("Paid to date by the policy's other claims:")), *paid] if paid else []),
    }


def settlement_sections(
    result: calculator.CalcResult, names: dict[str, str], locale: str, sources: dict[str, Any] | None = None
) -> list[SectionSteps]:
    """The engine's steps per section (``explain_steps``), with language-neutral formulas and sources."""
    explained = {s.code: s for s in calculator.explain_steps(result)}
    out = []
    for s in result.sections:
        sec = s.section
        opts, ded = sec.options, sec.deductible

        def m(v: Decimal) -> str:
            return _money_plain(v, locale)

        def t(msgid: str) -> str:
            return i18n.gettext(msgid, locale)

        def pct(rate: Decimal) -> str:
            return format((rate * 100).normalize(), "f") + "%"

        plain = (
            opts.basis is calculator.Basis.AVERAGE
            and opts.salvage is calculator.SalvageOrder.BEFORE_AVERAGE
            and ded.kind is calculator.DeductibleKind.ABSOLUTE
            and ded.rate_base is calculator.RateBase.LOSS
            and not (opts.sum_insured_reduces and sec.paid_to_date)
        )
        engine = {st.key: st for st in explained[s.code].steps}
        formulas: dict[str, str] = {k: st.formula for k, st in engine.items()}
        if plain:
            losses = [m(it.loss) for it in sec.items]
            formulas["gross_loss"] = " + ".join(losses[:8]) + (" + …" if len(losses) > 8 else "")
            formulas["net_loss"] = (
                f"{m(s.gross_loss)} − {m(s.salvage_total)}"
                if s.net_loss == s.gross_loss - s.salvage_total
                else formulas["net_loss"]
            )
            if s.average_applied and sec.insured_value is not None and s.effective_sum_insured is not None:
                formulas["average_ratio"] = f"{m(s.effective_sum_insured)} ÷ {m(sec.insured_value)}"
                formulas["after_average"] = f"{m(s.net_loss)} × {m(s.effective_sum_insured)} ÷ {m(sec.insured_value)}"
            else:
                formulas["average_ratio"] = t(NO_UNDERINSURANCE)
                formulas["after_average"] = m(s.net_loss)
            formulas["after_liability"] = f"{m(s.after_average)} × {pct(s.liability_ratio)}"
            if ded.rate is not None and ded.amount:
                formulas["deductible"] = f"max({m(ded.amount)}, {pct(ded.rate)} × {m(s.after_liability)})"
            elif ded.rate is not None:
                formulas["deductible"] = f"{pct(ded.rate)} × {m(s.after_liability)}"
            else:
                formulas["deductible"] = m(ded.amount)
            formulas["after_deductible"] = f"{m(s.after_liability)} − {m(s.deductible)}"
            parts = [m(s.after_deductible)]
            for label, bound in (
                (LIMIT_PER_OCCURRENCE, s.per_occurrence_limit),
                (SUM_INSURED, s.sum_insured_bound),
                (AGGREGATE_REMAINING, s.aggregate_remaining),
            ):
                if bound is not None:
                    parts.append(t(label) + " " + m(bound))
            formulas["payable"] = f"min({', '.join(parts)})" if len(parts) > 1 else parts[0]
            formulas["limited_by"] = ""
        where = step_sources((sources or {}).get(s.code), locale)
        rows = [
            StepRow(
                st.key,
                st.value,
                formulas.get(st.key, st.formula),
                st.key not in ("average_ratio", "limited_by"),
                where.get(st.key, []),
            )
            for st in engine.values()
        ]
        out.append(SectionSteps(s.code, names.get(s.code, s.code), rows, s.payable))
    return out


def confirmation_view(
    session: Session, claim: Claim, conf: AmountConfirmation, locale: str, number: str | None = None
) -> ConfirmationView:
    """A confirmation (or a preview of one, with its basis ``number``) as the step tables show it."""
    result = calculator.compute(calculator.parse_input(conf.calc_input))
    names = {s.code: s.name for s in claim.policy.sections}
    if number is None and conf.basis_kind == "mou":
        from tandem.reconciliation.models import Memorandum

        memo = session.get(Memorandum, conf.basis_id)
        number = memo.number if memo else ""
    elif number is None:
        report = session.get(Report, conf.basis_id)
        number = report.display_number if report else ""
    by = _users(session, [conf.confirmed_by]).get(conf.confirmed_by, "")
    return ConfirmationView(
        conf,
        number,
        settlement_sections(result, names, locale, conf.sources),
        result.total_payable,
        result.advance_paid,
        result.due,
        by,
    )


# Reasons the system itself writes on the timeline.
SYSTEM_REASONS = {"designated by the policy": N_("Designated by the policy")}
MONEY_KEYS = frozenset({"total_payable", "amount", "agreed", "total_agreed"})


def _details(after: dict[str, Any], names: dict[uuid.UUID, str]) -> list[tuple[str, str | Decimal | list[str]]]:
    out: list[tuple[str, str | Decimal | list[str]]] = []
    pick = [
        ("number", N_("Claim no.")),
        ("report", N_("Report")),
        ("basis", N_("Basis")),
        ("total_payable", N_("Payable")),
        ("amount", N_("Amount")),
        ("agreed", N_("Agreed amount")),
        ("reference", N_("Reference")),
        ("fee_basis", N_("Fee basis")),
        ("name", N_("Name")),
        ("round", N_("Round")),
        ("total_agreed", N_("Total agreed loss")),
        ("expert", N_("Expert")),
        ("adjuster", N_("Adjuster")),
        ("letter_no", N_("Confirmation letter")),
    ]
    for key, label in pick:
        value = after.get(key)
        if value in (None, "") or isinstance(value, bool):  # a consultation move's "agreed": its title says it
            continue
        if key in MONEY_KEYS:
            try:
                out.append((label, Decimal(str(value))))
            except ArithmeticError:
                out.append((label, str(value)))
        else:
            out.append((label, str(value)))
    if isinstance(after.get("reasons"), list):  # routing exclusions: codes the page labels
        out.append((N_("Not eligible because"), [str(r) for r in after["reasons"]]))
    if after.get("firm_id"):
        try:
            firm = names.get(uuid.UUID(str(after["firm_id"])))
        except ValueError:
            firm = None
        if firm:
            out.append((N_("Adjuster firm"), firm))
    return out


def recommendation_choices(session: Session, claim: Claim, now: dt.datetime) -> tuple[list[Choice], list[Choice]]:
    ok: list[Choice] = []
    excluded: list[Choice] = []
    for r in service.recommendations(session, claim, now):
        choice = Choice(
            r.adjuster, r.adjuster.firm.organisation.name, r.score, explain_ranking(r.explain), r.reasons, []
        )
        (excluded if r.reasons else ok).append(choice)
    ok.sort(key=lambda c: (-c.score, c.adjuster.name))
    excluded.sort(key=lambda c: (c.firm, c.adjuster.name))
    return ok, excluded


def insurer_choices(
    session: Session, actor: Actor, claim: Claim, now: dt.datetime
) -> tuple[list[Choice], list[Choice]]:
    """The register as the insurer picks its own adjuster: the routing checks, a blacklist is only flagged."""
    broker_side = workflow.current_appointment(session, claim, "broker")
    ok: list[Choice] = []
    excluded: list[Choice] = []
    stmt = scope.visible_adjusters(actor).order_by(Adjuster.certificate_no)
    for adj in session.execute(stmt).unique().scalars():
        rec = service.evaluate(session, claim, adj, now)
        reasons = [r for r in rec.reasons if r != "blacklisted"]
        if broker_side is not None and broker_side.firm_id == adj.firm_id and "conflict_of_interest" not in reasons:
            reasons.append("conflict_of_interest")
        flagged = [r for r in rec.reasons if r == "blacklisted"]
        choice = Choice(adj, adj.firm.organisation.name, rec.score, explain_ranking(rec.explain), reasons, flagged)
        (excluded if reasons else ok).append(choice)
    ok.sort(key=lambda c: (bool(c.flagged), c.firm, c.adjuster.name))
    excluded.sort(key=lambda c: (c.firm, c.adjuster.name))
    return ok, excluded


def my_adjuster(session: Session, actor: Actor) -> Adjuster | None:
    return session.execute(select(Adjuster).where(Adjuster.user_id == actor.user_id)).unique().scalar_one_or_none()


def actions_for(
    session: Session,
    actor: Actor,
    claim: Claim,
    roles: set[PartyRole],
    now: dt.datetime,
    reports: list[Report],
    letters: dict[str, Appointment | None],
    confirmation: AmountConfirmation | None,
) -> Actions:
    """The moves this user may make now: the claim transitions come from ``CLAIM_RULES`` (roles and guards,
    e.g. only the side that did not make an offer may accept it), the party roles say on whose behalf."""
    a = Actions()
    ok = workflow.allowed(session, actor, claim)
    broker = PartyRole.BROKER in roles
    has = actor.has_any
    if broker and "route" in ok:
        a.choose, a.excluded = recommendation_choices(session, claim, now)
        a.proposal = proposal.current_proposal(session, claim)
    _insured_say(session, actor, claim, roles, now, a)
    if "withdraw" in ok and (
        (broker and has(frozenset({BAM}))) or (PartyRole.INSURED in roles and has(frozenset({Role.INSURED_CONTACT})))
    ):
        a.withdraw = True
    _adjuster_actions(session, actor, claim, roles, reports, letters, a, now)
    if broker and "confirm_amount" in ok:
        memo = consult.acknowledged_memorandum(session, claim)
        latest = workflow.latest_report(session, claim)
        if claim.status != S.DISPUTED and latest is not None:
            a.confirm_amount, a.confirm_basis = True, (memo.number if memo else latest.display_number)
            a.confirm_from_mou = memo is not None
        elif claim.status == S.DISPUTED and memo is not None:
            a.confirm_amount, a.confirm_basis, a.confirm_from_mou = True, memo.number, True
    if broker and confirmation is not None and "propose" in ok:
        a.propose = confirmation.due
    if broker and "close" in ok:
        a.close = True
    _negotiation_actions(session, actor, claim, roles, ok, a)
    _insurer_actions(session, actor, claim, roles, ok, letters, now, a)
    _dispute_actions(session, actor, claim, roles, reports, letters, now, a)
    if actor.org_kind != K.SUPERVISION:
        a.message_audiences = case_viewer(session, actor, claim).channels()
        a.upload_audiences = [k for k in a.message_audiences if k != "internal"]
    return a


def _insured_say(
    session: Session, actor: Actor, claim: Claim, roles: set[PartyRole], now: dt.datetime, a: Actions
) -> None:
    """The broker's proposal waiting for this insured's answer: agree, pick another eligible adjuster (the
    recommendations), or leave the choice to the broker."""
    if claim.status != S.NOTIFIED or PartyRole.INSURED not in roles:
        return
    if not actor.has_any(frozenset({Role.INSURED_CONTACT})):
        return
    prop = proposal.current_proposal(session, claim)
    if prop is None or prop.state != "proposed":
        return
    a.answer = prop
    ok, _ = recommendation_choices(session, claim, now)
    a.answer_choices = [c for c in ok if c.adjuster.id != prop.adjuster_id]


def _adjuster_actions(
    session: Session,
    actor: Actor,
    claim: Claim,
    roles: set[PartyRole],
    reports: list[Report],
    letters: dict[str, Appointment | None],
    a: Actions,
    now: dt.datetime,
) -> None:
    """The confirmation letter to answer, then team, survey, draft and submission while the firm works;
    the report waiting for signatures and the sign button for a named co-signer. Practitioners who may not
    take work (lapsed, sanctioned, blacklisted) are not offered for the team."""
    side = "a" if PartyRole.ADJUSTER in roles else "b" if PartyRole.INSURER_ADJUSTER in roles else None
    if side is None:
        return
    st, has = claim.status, actor.has_any
    letter = letters["broker" if side == "a" else "insurer"]
    if letter is not None and letter.state == "issued" and letter.firm_id == actor.org_id and has(frozenset({FADM})):
        a.letter = letter
    accepted = letter is not None and letter.state == "accepted" and letter.firm_id == actor.org_id
    if side == "a":
        # The broker's firm works while the claim can still be surveyed or reported on.
        phase = transition.possible(lifecycle.CLAIM_RULES, st.value) & {"start_survey", "submit_report"}
        working = accepted and bool(phase)
    else:
        working = accepted and st == S.DISPUTED and not any(r.firm_id == actor.org_id for r in reports)
    signing = workflow.open_signing(session, claim, actor.org_id) if working else None
    if signing is not None:
        a.signing = workflow.signing_view(session, signing)
        mine = my_adjuster(session, actor)
        a.sign = mine is not None and any(
            s["adjuster_id"] == str(mine.id) and not s["signed"] for s in a.signing["signers"]
        )
    if not (working and has(frozenset({ADJ, FADM}))):
        return
    team_ids = {m.adjuster_id for m in workflow.team(session, claim)}
    today = local_day(now)
    a.team_candidates = [
        adj
        for adj in session.execute(
            select(Adjuster)
            .where(Adjuster.firm_id == actor.org_id, Adjuster.active.is_(True))
            .order_by(Adjuster.registration_no)
        )
        .unique()
        .scalars()
        if adj.id not in team_ids and not party_service.ineligibility(session, adj, today, claim.broker_id)
    ]
    a.survey = True
    a.survey_needs_second = (
        side == "a" and st == S.ADJUSTER_ASSIGNED and len(workflow.team(session, claim, actor.org_id)) < 2
    )
    a.draft = True
    if (side == "b" or st == S.SURVEYING) and has(frozenset({ADJ})):
        a.submit = workflow.team(session, claim, actor.org_id)


def _negotiation_actions(
    session: Session, actor: Actor, claim: Claim, roles: set[PartyRole], ok: set[str], a: Actions
) -> None:
    """The standing offer: the other side may accept it (or answer it), its maker sees it waiting; a refused
    claim: the insurer may reconsider."""
    if claim.status == S.REFUSED:
        a.reconsider = PartyRole.INSURER in roles and "reconsider" in ok
        return
    if claim.status != S.NEGOTIATING or not (roles & {PartyRole.BROKER, PartyRole.INSURER}):
        return
    last = lifecycle.last_offer_step(session, claim)
    if last is None:
        return
    by = "insurer" if last.move == "counter" else "broker"
    if last.by_org_id == actor.org_id:
        a.waiting = last.amount
    if "accept" in ok or "counter" in ok:
        a.offer, a.offer_by = last.amount, by
        a.accept, a.counter = "accept" in ok, "counter" in ok
    if PartyRole.INSURER in roles:
        a.dispute, a.refuse = "dispute" in ok, "refuse" in ok


def _insurer_actions(
    session: Session,
    actor: Actor,
    claim: Claim,
    roles: set[PartyRole],
    ok: set[str],
    letters: dict[str, Appointment | None],
    now: dt.datetime,
    a: Actions,
) -> None:
    if not (PartyRole.INSURER in roles and actor.has_any(frozenset({ICH}))):
        return
    st = claim.status
    if st not in (S.PAID, S.CLOSED, S.REFUSED, S.WITHDRAWN):
        a.pay_advance = True
    if "record_final_payment" in ok:
        agreed = workflow.last_offer(session, claim)
        if agreed is not None:
            a.pay_final = agreed - workflow.advances(session, claim)
    letter_b = letters["insurer"]
    if st == S.DISPUTED and (letter_b is None or letter_b.state not in ("issued", "accepted")):
        a.appoint, a.appoint_excluded = insurer_choices(session, actor, claim, now)


def _dispute_actions(
    session: Session,
    actor: Actor,
    claim: Claim,
    roles: set[PartyRole],
    reports: list[Report],
    letters: dict[str, Appointment | None],
    now: dt.datetime,
    a: Actions,
) -> None:
    """The broker's moves in a dispute: refuse a blacklisted adjuster, open the consultation."""
    if PartyRole.BROKER not in roles or claim.status != S.DISPUTED:
        return
    letter_b = letters["insurer"]
    if letter_b is not None and letter_b.state in ("issued", "accepted"):
        adj = session.get(Adjuster, letter_b.adjuster_id)
        from tandem.party.service import blacklist_hits

        if adj is not None and blacklist_hits(session, adj, now.date(), actor.org_id, claim.policy.line):
            firm = org_names(session, [letter_b.firm_id]).get(letter_b.firm_id, "")
            a.refuse_adjuster = LetterRow(letter_b, firm, adj.name, None)
    if consultation_of(session, claim) is None:
        firms = {p: r for p, r in _current_parties(session, claim)}
        has_a = any(r == PartyRole.ADJUSTER for r in firms.values())
        has_b = any(r == PartyRole.INSURER_ADJUSTER for r in firms.values())
        firm_b = next((o for o, r in firms.items() if r == PartyRole.INSURER_ADJUSTER), None)
        a.open_consultation = has_a and has_b and any(r.firm_id == firm_b for r in reports)


def _current_parties(session: Session, claim: Claim) -> list[tuple[uuid.UUID, PartyRole]]:
    rows = session.execute(
        select(Participation.organisation_id, Participation.party_role).where(
            Participation.claim_id == claim.id, Participation.until.is_(None)
        )
    )
    return [(r[0], r[1]) for r in rows]


@dataclass(frozen=True)
class Thread:
    """What every case file shows alike: its documents, message threads and timeline as one side sees them."""

    documents: list[Document]
    messages: list[MessageRow]
    timeline: list[EventRow]


def thread_view(
    session: Session,
    actor: Actor,
    subject: Claim | CaseRow,
    viewer: Viewer,
    org_ids: Iterable[uuid.UUID | None] = (),
) -> tuple[Thread, dict[uuid.UUID, str]]:
    """The case file's thread for this actor (claims and placements alike), and the names of the
    organisations it and ``org_ids`` mention."""
    docs = thread.visible_documents(session, actor, subject)
    messages = thread.visible_messages(session, actor, subject)
    events = thread.timeline(session, actor, subject)
    ids = [*org_ids, *(m.author_org_id for m in messages), *(e.actor_org_id for e in events)]
    for e in events:
        firm_ref = (e.after or {}).get("firm_id")
        if firm_ref:
            try:
                ids.append(uuid.UUID(str(firm_ref)))
            except ValueError:
                pass
    names = org_names(session, ids)
    users = _users(session, [m.author_id for m in messages] + [e.actor_user_id for e in events])
    msg_rows = [
        MessageRow(m, users.get(m.author_id, ""), names.get(m.author_org_id, ""), m.author_org_id == actor.org_id)
        for m in messages
    ]
    timeline = []
    for e in reversed(events):
        who = users.get(e.actor_user_id, "") if e.actor_user_id else ""
        org = names.get(e.actor_org_id, "") if e.actor_org_id else ""
        reason = Msg(SYSTEM_REASONS.get(e.reason, "{text}"), {"text": e.reason}) if e.reason else None
        details = _details(viewer.event_after(e.action, e.after) or {}, names)
        timeline.append(EventRow(e, " · ".join(x for x in (org, who) if x), details, reason))
    return Thread(docs, msg_rows, timeline), names


def case_view(session: Session, actor: Actor, claim: Claim, now: dt.datetime, locale: str) -> Case:
    roles = party_roles(session, claim, actor.org_id)
    kind = actor.org_kind.value
    viewer = case_viewer(session, actor, claim)
    side = "a" if PartyRole.ADJUSTER in roles else "b" if PartyRole.INSURER_ADJUSTER in roles else None
    letters_all = list(
        session.execute(
            select(Appointment).where(Appointment.claim_id == claim.id).order_by(Appointment.issued_at)
        ).scalars()
    )
    reports = workflow.reports(session, claim)
    org_ids: list[uuid.UUID | None] = [claim.broker_id, claim.insured_id, claim.insurer_id]
    org_ids += [lt.firm_id for lt in letters_all] + [r.firm_id for r in reports]
    negotiation = workflow.negotiation(session, claim) if kind != "adjuster_firm" else None
    org_ids += [s.by_org_id for s in negotiation or []]
    file, names = thread_view(session, actor, claim, viewer, org_ids)
    docs = file.documents
    by_hash_kind = {(d.kind, d.sha256): d for d in docs}
    by_name = {(d.kind, d.filename): d for d in docs}
    letter_rows = []
    for lt in letters_all:
        adj = session.get(Adjuster, lt.adjuster_id)
        pdf = by_hash_kind.get(("confirmation_letter", lt.letter_sha256 or ""))
        letter_rows.append(
            LetterRow(lt, names.get(lt.firm_id, ""), adj.name if adj else "", pdf, viewer.sees_fees(lt.side))
        )
    current = {
        "broker": workflow.current_appointment(session, claim, "broker"),
        "insurer": workflow.current_appointment(session, claim, "insurer"),
    }
    firm_a = current["broker"].firm_id if current["broker"] else None
    superseded = {r.supersedes_id for r in reports if r.supersedes_id}
    signer_ids = {uuid.UUID(str(s)) for r in reports for s in r.content.get("signers", [])}
    adjusters = (
        {a.id: a.name for a in session.execute(select(Adjuster).where(Adjuster.id.in_(signer_ids))).unique().scalars()}
        if signer_ids
        else {}
    )
    report_rows = [
        ReportRow(
            r,
            names.get(r.firm_id, ""),
            "a" if firm_a is None or r.firm_id == firm_a else "b",
            [adjusters.get(uuid.UUID(str(s)), str(s)) for s in r.content.get("signers", [])],
            by_name.get(("report_pdf", f"{r.display_number}.pdf")),
            r.id in superseded,
        )
        for r in reports
    ]
    team = workflow.team(session, claim)
    team_a = [m for m in team if firm_a is not None and m.adjuster.firm_id == firm_a]
    team_b = [m for m in team if m not in team_a]
    draft_row = (
        session.execute(
            select(ReportDraft).where(ReportDraft.claim_id == claim.id, ReportDraft.firm_id == actor.org_id)
        ).scalar_one_or_none()
        if side
        else None
    )
    conf = workflow.latest_confirmation(session, claim)
    duplicates: list[tuple[str, uuid.UUID | None]] = []
    if claim.possible_duplicates:
        visible = {
            c.number: c.id
            for c in session.execute(scope.visible_claims(actor).where(Claim.number.in_(claim.possible_duplicates)))
            .unique()
            .scalars()
        }
        duplicates = [(n, visible.get(n)) for n in claim.possible_duplicates]
    pays = workflow.payments(session, claim)
    routing_left = claim.routing_deadline - now if claim.status == S.NOTIFIED else None
    return Case(
        claim=claim,
        kind=kind,
        roles=roles,
        side=side,
        holder=holder(session, claim),
        step=_STEP_OF.get(claim.status, 0),
        broker=names.get(claim.broker_id, "") if claim.broker_id else "",
        insured=names.get(claim.insured_id, ""),
        firm_a=names.get(firm_a) if firm_a else None,
        firm_b=names.get(current["insurer"].firm_id) if current["insurer"] else None,
        duplicates=duplicates,
        deadlines=deadline_rows(session, claim, now),
        routing_left=routing_left,
        team_a=team_a,
        team_b=team_b,
        letters=letter_rows,
        surveys=list(
            session.execute(select(Survey).where(Survey.claim_id == claim.id).order_by(Survey.scheduled_at)).scalars()
        ),
        survey_notes=survey_notes.visible_notes(session, actor, claim),
        survey_note=PartyRole.BROKER in roles and claim.status not in survey_notes.SETTLED,
        draft=draft_row.content if draft_row else None,
        draft_at=draft_row.updated_at if draft_row else None,
        reports=report_rows,
        confirmation=confirmation_view(session, claim, conf, locale) if conf else None,
        negotiation=[(s, names.get(s.by_org_id, "")) for s in negotiation] if negotiation is not None else None,
        last_offer=workflow.last_offer(session, claim),
        payments=pays,
        paid_total=sum((p.amount for p in pays), Decimal(0)),
        documents=docs,
        evidence=[d for d in docs if d.kind == "evidence"],
        messages=file.messages,
        timeline=file.timeline,
        consultation=consultation_of(session, claim),
        actions=actions_for(session, actor, claim, roles, now, reports, current, conf),
        policy_sections=[(s.code, s.name) for s in policy_versions.sections_at(session, claim.policy, claim.loss_at)],
        engagements=engagement_rows(session, actor, claim),
        suggest_experts=suggests_experts(actor, claim, roles),
    )


def inbound_count(session: Session, actor: Actor) -> int:
    """Inbound messages waiting for the broker to turn them into notices."""
    from tandem.claim.inbound import _visible
    from tandem.claim.models import InboundMessage

    stmt = _visible(actor).where(InboundMessage.state == "draft").with_only_columns(func.count())
    return int(session.execute(stmt).scalar_one())


# ---- loss notice form ----------------------------------------------------------------------------


def notice_policies(session: Session, actor: Actor) -> list[Policy]:
    """Policies the actor may report a loss on: in force (or suspended or terminated, for a loss before the
    date), the insured's own or the broker's clients'."""
    stmt = scope.visible_policies(actor).where(Policy.status.in_(service.NOTIFIABLE)).order_by(Policy.number)
    return list(session.execute(stmt).unique().scalars())


# ---- consultation --------------------------------------------------------------------------------


def umpire_candidates(
    session: Session, actor: Actor, claim: Claim, cons: Consultation
) -> tuple[list[Expert], list[Adjuster]]:
    """Experts and third adjusters the actor may propose as umpire (both firms' own excluded)."""
    experts = [
        e
        for e in session.execute(scope.visible_experts(actor).order_by(Expert.name).limit(200)).unique().scalars()
        if e.owner_id not in (cons.firm_a_id, cons.firm_b_id)
    ]
    involved = {o for o, _ in _current_parties(session, claim)}
    adjusters = [
        a
        for a in session.execute(scope.visible_adjusters(actor).order_by(Adjuster.certificate_no).limit(500))
        .unique()
        .scalars()
        if a.firm_id not in involved
    ]
    return experts, adjusters


# ---- experts on the case (R-C6) ------------------------------------------------------------------

# How a search hit matched (``Hit.matched``: ``specialties:火灾原因调查``, ``filter-miss:region=广东`` …).
MATCHED = {
    "specialties": N_("Specialty: {value}"),
    "lines": N_("Line: {value}"),
    "regions": N_("Region: {value}"),
    "certificates": N_("Certificate: {value}"),
    "title": N_("Title: {value}"),
    "organisation": N_("Organisation: {value}"),
    "bio": N_("Biography mentions {value}"),
    "name": N_("Name: {value}"),
    "filter:line": N_("Covers the line {value}"),
    "filter:region": N_("Covers {value}"),
    "filter-miss:line": N_("Not for the line {value}"),
    "filter-miss:region": N_("Outside {value}"),
    "synonym": N_("Read “{trigger}” as “{term}”"),
}
UNENGAGEABLE = frozenset({S.CLOSED, S.WITHDRAWN, S.REFUSED})


@dataclass(frozen=True)
class Matched:
    message: Msg
    tone: str  # "" | ok | warn


def explain_match(matched: Iterable[str]) -> list[Matched]:
    """The search engine's explanation as translated chips."""
    out = []
    for code in matched:
        key, _, value = code.partition(":")
        if key == "synonym":
            trigger, _, term = value.partition("→")
            out.append(Matched(Msg(MATCHED[key], {"trigger": trigger, "term": term}), ""))
        elif key in ("filter", "filter-miss"):
            name, _, wanted = value.partition("=")
            msgid = MATCHED.get(f"{key}:{name}", "{value}")
            out.append(Matched(Msg(msgid, {"value": wanted}), "ok" if key == "filter" else "warn"))
        else:
            out.append(Matched(Msg(MATCHED.get(key, "{value}"), {"value": value}), ""))
    return out


@dataclass(frozen=True)
class EngagementRow:
    engagement: Engagement
    out: dict[str, Any]  # engagement_out: contact data only per the rule
    requester: str
    owner: str
    contact: bool  # the rule said yes


def engagement_rows(
    session: Session, actor: Actor, claim: Claim | None = None, engaged: list[Engagement] | None = None
) -> list[EngagementRow]:
    """Engagements as the actor may see them: a claim's (:func:`engagements.on_claim`) or the given ones."""
    found = engaged if engaged is not None else engagements.on_claim(session, actor, claim) if claim else []
    names = org_names(session, [o for e in found for o in (e.requester_org_id, e.owner_org_id)])
    return [
        EngagementRow(
            e,
            engagements.engagement_out(e, actor),
            names.get(e.requester_org_id, ""),
            names.get(e.owner_org_id, ""),
            engagements.shows_contact(e, actor),
        )
        for e in found
    ]


def suggests_experts(actor: Actor, claim: Claim, roles: set[PartyRole]) -> bool:
    """Brokers and adjuster firms on the case may engage experts from the pools they see."""
    return bool(roles) and actor.org_kind in engagements.POOL_KINDS and claim.status not in UNENGAGEABLE


@dataclass(frozen=True)
class ExpertChoice:
    item: Suggestion
    explain: list[Matched]  # what the card shows: fields and filters, then the first few synonyms
    more: list[Matched]  # the other synonym chips, folded away
    fee_basis: str | None
    busy_until: dt.date | None  # busy today, per the expert's availability
    conflicts: list[str]  # parties of the claim the expert declared a conflict with
    status: str | None  # the actor's open engagement of this expert on the claim


@dataclass(frozen=True)
class ClaimExperts:
    line: str | None
    region: str | None
    choices: list[ExpertChoice]
    query: str  # what was searched: the loss description and place, for "more in the pool"
    preparing: bool = False  # the expert index is still being prepared (the section reloads itself)


SHOWN_SYNONYMS = 3  # per suggestion card; the rest are one click away


def _busy_until(extra: dict[str, Any], today: dt.date) -> dt.date | None:
    for period in extra.get("availability") or []:
        start, end = dt.date.fromisoformat(period["from"]), dt.date.fromisoformat(period["until"])
        if start <= today <= end:
            return end
    return None


def claim_experts(
    session: Session, settings: Settings, actor: Actor, claim: Claim, today: dt.date, top: int = 5
) -> ClaimExperts:
    """The suggestions of the API (``expert_suggestions``) with explanations, availability and conflicts."""
    try:
        found = expert_suggestions(str(claim.id), actor, session, settings, top=top)
    except IndexPreparing:
        query = f"{claim.description} {claim.location}"[:500]
        return ClaimExperts(claim.policy.line, None, [], query, preparing=True)
    experts = (
        {
            e.id: e
            for e in session.execute(select(Expert).where(Expert.id.in_([i.expert_id for i in found.items])))
            .unique()
            .scalars()
        }
        if found.items
        else {}
    )
    parties = [n for n in org_names(session, [claim.insured_id, claim.insurer_id, claim.broker_id]).values() if n]
    mine = {
        e.expert_id: e.status.value
        for e in engagements.on_claim(session, actor, claim)
        if e.requester_org_id == actor.org_id and e.status.value != "declined"
    }
    choices = []
    for item in found.items:
        e = experts[item.expert_id]
        declared = (e.extra or {}).get("conflicts") or []
        conflicts = [p for p in parties if any(c and (c in p or p in c) for c in declared)]
        chips = explain_match(item.matched)
        synonyms = [c for c in chips if c.message.msgid == MATCHED["synonym"]]
        shown = [c for c in chips if c.message.msgid != MATCHED["synonym"]] + synonyms[:SHOWN_SYNONYMS]
        choices.append(
            ExpertChoice(
                item,
                shown,
                synonyms[SHOWN_SYNONYMS:],
                e.fee_basis,
                _busy_until(e.extra or {}, today),
                conflicts,
                mine.get(e.id),
            )
        )
    return ClaimExperts(found.line, found.region, choices, f"{claim.description} {claim.location}"[:500])
