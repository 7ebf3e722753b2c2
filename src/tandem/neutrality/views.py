"""What the API and the pages show of findings, notices, proposals and an adjuster's or firm's record."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import OrgKind, Role, User
from tandem.case.models import Case
from tandem.kit import transition
from tandem.kit.errors import NotFound
from tandem.neutrality import analytics, bias, common, findings, proposals
from tandem.neutrality.models import Finding, Proposal
from tandem.party.models import Adjuster, BlacklistEntry

# Who may open a record page: the regime's parties; insurers and insureds see only `blacklisted` in routing.
RECORD_READERS = frozenset({OrgKind.BROKER, OrgKind.ADJUSTER_FIRM, OrgKind.SUPERVISION, OrgKind.PLATFORM})


class Person(BaseModel):
    id: uuid.UUID
    name: str


class FindingOut(BaseModel):
    id: uuid.UUID
    number: str
    state: str
    adjuster: Person
    firm_id: uuid.UUID
    case_id: uuid.UUID
    case_number: str
    kind: str
    severity: str
    text: str
    evidence: list[dict[str, Any]]
    recorded_by: Person
    recorded_at: dt.datetime
    reviewed_by: Person | None = None
    reviewed_at: dt.datetime | None = None
    review_reason: str | None = None
    notified_at: dt.datetime | None = None
    answer_due: dt.datetime | None = None
    reminded_at: dt.datetime | None = None
    answer: str | None = None
    answered_at: dt.datetime | None = None
    decided_by: Person | None = None
    decided_at: dt.datetime | None = None
    decision_reason: str | None = None
    upheld_by_default: bool
    pdf: str | None = None
    actions: list[str]


class ProposalOut(BaseModel):
    id: uuid.UUID
    state: str
    adjuster: Person
    firm_id: uuid.UUID
    trigger: str
    notices: list[str]
    finding_ids: list[uuid.UUID]
    opened_at: dt.datetime
    decided_by: Person | None = None
    decided_at: dt.datetime | None = None
    decision_reason: str | None = None
    lines: list[str]
    term_months: int | None = None
    entry_id: uuid.UUID | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    entry_state: str | None = None
    appeal_due: dt.datetime | None = None
    appeal: str | None = None
    appealed_at: dt.datetime | None = None
    appeal_decided_by: Person | None = None
    appeal_decided_at: dt.datetime | None = None
    appeal_reason: str | None = None
    actions: list[str]


class ToleranceOut(BaseModel):
    tolerance: int
    window_months: int


class BiasCaseOut(BaseModel):
    """One measured report (one dot of the chart): signed toward the appointer (``lean``)."""

    case_number: str
    claim_id: uuid.UUID
    source: str  # mou | agreed
    side: str  # insured | insurer: who appointed the adjuster
    report_amount: str
    settled_amount: str
    deviation: str
    lean: str


class BiasOut(BaseModel):
    """The bias figures (偏向分析) of an adjuster or a firm over the cases the reader may see."""

    n: int
    mean: str
    sd: str
    lower: str | None
    toward_insured: str
    flagged: bool
    direction: str | None
    min_cases: int
    tolerance: str
    confidence: str
    cases: list[BiasCaseOut]


class RecordOut(BaseModel):
    adjuster: Person | None = None
    firm: Person
    notices: list[FindingOut]
    decisions: list[ProposalOut]
    counting: int
    tolerance: ToleranceOut | None = None
    figures: BiasOut | None = None


def _person(session: Session, user_id: uuid.UUID | None) -> Person | None:
    user = session.get(User, user_id) if user_id else None
    return Person(id=user.id, name=user.display_name) if user else None


def _finding_actions(finding: Finding, actor: Actor, now: dt.datetime) -> list[str]:
    if actor.read_only:
        return []
    return sorted(transition.permitted(findings.RULES, finding.state, common.roles_of(actor), finding, actor, now))


def finding_out(session: Session, actor: Actor, finding: Finding, now: dt.datetime) -> FindingOut:
    case = session.get(Case, finding.case_id)
    recorder = _person(session, finding.recorded_by)
    assert case is not None and recorder is not None
    return FindingOut(
        id=finding.id,
        number=finding.number,
        state=finding.state,
        adjuster=Person(id=finding.adjuster.id, name=finding.adjuster.name),
        firm_id=finding.firm_id,
        case_id=case.id,
        case_number=case.number,
        kind=finding.kind,
        severity=finding.severity,
        text=finding.text,
        evidence=finding.evidence,
        recorded_by=recorder,
        recorded_at=finding.recorded_at,
        reviewed_by=_person(session, finding.reviewed_by),
        reviewed_at=finding.reviewed_at,
        review_reason=finding.review_reason,
        notified_at=finding.notified_at,
        answer_due=finding.answer_due,
        reminded_at=finding.reminded_at,
        answer=finding.answer,
        answered_at=finding.answered_at,
        decided_by=_person(session, finding.decided_by),
        decided_at=finding.decided_at,
        decision_reason=finding.decision_reason,
        upheld_by_default=finding.by_default,
        pdf=finding.pdf_sha256,
        actions=_finding_actions(finding, actor, now),
    )


def _proposal_actions(session: Session, proposal: Proposal, actor: Actor, now: dt.datetime) -> list[str]:
    if actor.read_only:
        return []
    roles = common.roles_of(actor)
    return sorted(transition.permitted(proposals.RULES, proposal.state, roles, proposal, actor, now, session))


def proposal_out(session: Session, actor: Actor, proposal: Proposal, now: dt.datetime) -> ProposalOut:
    ids = [uuid.UUID(i) for i in proposal.finding_ids]
    numbers = sorted(session.execute(select(Finding.number).where(Finding.id.in_(ids))).scalars())
    entry = session.get(BlacklistEntry, proposal.entry_id) if proposal.entry_id else None
    return ProposalOut(
        id=proposal.id,
        state=proposal.state,
        adjuster=Person(id=proposal.adjuster.id, name=proposal.adjuster.name),
        firm_id=proposal.firm_id,
        trigger=proposal.trigger,
        notices=numbers,
        finding_ids=ids,
        opened_at=proposal.opened_at,
        decided_by=_person(session, proposal.decided_by),
        decided_at=proposal.decided_at,
        decision_reason=proposal.decision_reason,
        lines=proposal.lines,
        term_months=proposal.term_months,
        entry_id=proposal.entry_id,
        valid_from=entry.valid_from if entry else None,
        valid_until=entry.valid_until if entry else None,
        entry_state=entry.state if entry else None,
        appeal_due=proposal.appeal_due,
        appeal=proposal.appeal,
        appealed_at=proposal.appealed_at,
        appeal_decided_by=_person(session, proposal.appeal_decided_by),
        appeal_decided_at=proposal.appeal_decided_at,
        appeal_reason=proposal.appeal_reason,
        actions=_proposal_actions(session, proposal, actor, now),
    )


def bias_out(found: analytics.Figures, group: bias.GroupFigures | None) -> BiasOut | None:
    """The figures of one group as the API and the record page show them (4-decimal strings)."""
    if group is None or found.result is None:
        return None
    fmt = bias.format_figure
    options = found.result.options
    return BiasOut(
        n=group.n,
        mean=fmt(group.mean),
        sd=fmt(group.sd),
        lower=None if group.lower is None else fmt(group.lower),
        toward_insured=fmt(group.toward_insured),
        flagged=group.flagged,
        direction=group.direction,
        min_cases=options.min_cases,
        tolerance=str(options.tolerance),
        confidence=str(options.confidence),
        cases=[
            BiasCaseOut(
                case_number=m.row.case,
                claim_id=found.claim_of(m),
                source=found.rows[m.index].source,
                side=m.row.side.value,
                report_amount=f"{m.row.report_amount:.2f}",
                settled_amount=f"{m.row.settled_amount:.2f}",
                deviation=fmt(m.deviation),
                lean=fmt(m.lean),
            )
            for m in group.rows
        ],
    )


class SuggestionOut(BaseModel):
    """A flagged adjuster: a suggestion to review, linked to the cases behind it; never a finding."""

    adjuster: Person
    firm: Person
    figures: BiasOut


def suggestions(session: Session, actor: Actor) -> list[SuggestionOut]:
    """The adjusters the bias analytics flag on the broker's cases (for its risk evaluators' queue)."""
    if actor.org_kind != OrgKind.BROKER:
        return []
    found = analytics.figures(session, actor)
    out = []
    for g in found.flagged_adjusters():
        figures = bias_out(found, g)
        assert figures is not None
        adjuster = Person(id=uuid.UUID(g.key), name=found.names[g.key])
        out.append(
            SuggestionOut(
                adjuster=adjuster, firm=Person(id=uuid.UUID(g.firm), name=found.names[g.firm]), figures=figures
            )
        )
    return out


@dataclass(frozen=True)
class Queue:
    """The risk evaluators' queue: what waits on the broker, oldest first."""

    to_review: list[Finding]
    answered: list[Finding]
    waiting: list[Finding]
    proposals: list[Proposal]
    appeals: list[Proposal]
    closed: list[Finding]
    decided: list[Proposal]


def queue(session: Session, actor: Actor) -> Queue:
    all_findings = list(
        session.execute(scope.visible_findings(actor).order_by(Finding.recorded_at, Finding.number)).unique().scalars()
    )
    all_proposals = list(
        session.execute(scope.visible_proposals(actor).order_by(Proposal.opened_at)).unique().scalars()
    )

    def of(state: str) -> list[Finding]:
        return [f for f in all_findings if f.state == state]

    return Queue(
        to_review=of("recorded"),
        answered=of("answered"),
        waiting=of("notified"),
        proposals=[p for p in all_proposals if p.state == "open"],
        appeals=[p for p in all_proposals if p.state == "appealed"],
        closed=[f for f in all_findings if f.state in ("upheld", "withdrawn", "rejected")][::-1],
        decided=[p for p in all_proposals if p.state not in ("open", "appealed")][::-1],
    )


def _require_reader(actor: Actor) -> None:
    if actor.org_kind not in RECORD_READERS:
        raise NotFound()


def adjuster_record(session: Session, actor: Actor, adjuster_id: Any, now: dt.datetime) -> RecordOut:
    """One adjuster's whole record as the actor may see it: notices, answers, decisions, what counts."""
    _require_reader(actor)
    adj = scope.get_adjuster(session, actor, adjuster_id)
    if actor.org_kind == OrgKind.ADJUSTER_FIRM and not common.speaks_for(actor, adj):
        raise NotFound()
    return _record(session, actor, now, Finding.adjuster_id == adj.id, Proposal.adjuster_id == adj.id, adj)


def firm_record(session: Session, actor: Actor, firm_id: Any, now: dt.datetime) -> RecordOut:
    _require_reader(actor)
    firm = scope.get_firm(session, actor, firm_id)
    if actor.org_kind == OrgKind.ADJUSTER_FIRM and Role.ADJUSTER_FIRM_ADMIN not in actor.roles:
        raise NotFound()
    oid = firm.organisation_id
    return _record(session, actor, now, Finding.firm_id == oid, Proposal.firm_id == oid, None, firm.organisation)


def _record(
    session: Session,
    actor: Actor,
    now: dt.datetime,
    f_cond: Any,
    p_cond: Any,
    adj: Adjuster | None,
    firm_org: Any = None,
) -> RecordOut:
    notices = session.execute(
        scope.visible_findings(actor)
        .where(f_cond, Finding.state.in_(scope.NOTICE_STATES))
        .order_by(Finding.notified_at)
    )
    decided = session.execute(
        scope.visible_proposals(actor)
        .where(p_cond, Proposal.state.in_(scope.DECIDED_STATES))
        .order_by(Proposal.opened_at)
    )
    counting = 0
    tol = None
    found = analytics.figures(session, actor)
    firm = adj.firm.organisation if adj is not None else firm_org
    figures = bias_out(found, found.adjuster(adj.id) if adj is not None else found.firm(firm.id))
    if adj is not None and actor.org_kind == OrgKind.BROKER:
        counting = len(proposals.counting(session, actor.org_id, adj.id, now))
        t = proposals.tolerance_of(session, actor.org_id)
        tol = ToleranceOut(tolerance=t.tolerance, window_months=t.window_months)
    return RecordOut(
        adjuster=Person(id=adj.id, name=adj.name) if adj else None,
        firm=Person(id=firm.id, name=firm.name),
        notices=[finding_out(session, actor, f, now) for f in notices.unique().scalars()],
        decisions=[proposal_out(session, actor, p, now) for p in decided.unique().scalars()],
        counting=counting,
        tolerance=tol,
        figures=figures,
    )
