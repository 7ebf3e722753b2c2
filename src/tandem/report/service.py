"""One report service for every kind (预评估报告, 公估报告, 阶段性风险评价报告, 终止评估报告): drafts, checks
of the signers, numbers per kind, freezing into an immutable hashed report with signatures, copies to
supervision, corrections (-R1), and reading a case's reports."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import Organisation, OrgKind, User
from tandem.case import audience
from tandem.case.models import Case
from tandem.case.service import ALL, adjuster_side, case_id_of, record_event, team
from tandem.claim.models import Claim, Counter, Participation, PartyRole
from tandem.db import insert_or_skip
from tandem.kit.canonical import canonical_json, sha256_hex
from tandem.kit.clock import SHANGHAI
from tandem.kit.errors import ActionNotAllowed, Conflict, InvalidInput, NotFound
from tandem.kit.i18n import DEFAULT_LOCALE, translate_message
from tandem.kit.money import round_cny
from tandem.notification.outbox import enqueue
from tandem.notification.service import notify
from tandem.party.models import Adjuster
from tandem.report.models import Report, ReportDraft, ReportSignature, ReportSigning
from tandem.report.schemas import assessed_amount, validate_content


class ReportImmutable(Conflict):
    """Any change to a submitted report is refused (409): it is corrected by a new version instead."""

    code = "report.immutable"
    message = "A submitted report cannot be changed; submit a correction (R suffix) instead."


def reports(session: Session, claim: Claim | Case, kind: str | None = None) -> list[Report]:
    """The case's submitted reports (of one kind if given), oldest first."""
    stmt = select(Report).where(Report.case_id == case_id_of(claim))
    if kind is not None:
        stmt = stmt.where(Report.kind == kind)
    return list(session.execute(stmt.order_by(Report.submitted_at, Report.version)).scalars())


def latest_report(
    session: Session, claim: Claim | Case, firm_id: uuid.UUID | None = None, kind: str | None = None
) -> Report | None:
    """The newest version of a firm's report chain (a correction supersedes its original); by default
    the broker's adjuster's report, the first one submitted on the case."""
    rows = reports(session, claim, kind)
    superseded = {r.supersedes_id for r in rows if r.supersedes_id}
    current = [r for r in rows if r.id not in superseded]
    if firm_id is not None:
        current = [r for r in current if r.firm_id == firm_id]
    elif current:
        first_firm = rows[0].firm_id
        current = [r for r in current if r.firm_id == first_firm]
    return current[0] if current else None


def signatures(session: Session, report: Report) -> list[ReportSignature]:
    return list(session.execute(select(ReportSignature).where(ReportSignature.report_id == report.id)).scalars())


# ---- writing reports of every kind -------------------------------------------------------------------

# Each kind numbers from its own gap-free yearly sequence (issue 22 item 8).
NUMBER_PREFIX = {"adjusting": "GR", "pre_assessment": "YP", "staged_risk": "JP", "termination": "ZP"}


def next_report_number(session: Session, now: dt.datetime, kind: str) -> str:
    """The next number of a report kind this year, without gaps: a counter row locked until commit, on
    PostgreSQL too (a rolled-back submission gives its number back)."""
    prefix = NUMBER_PREFIX[kind]
    year = now.astimezone(SHANGHAI).year
    name = f"{prefix}:{year}"
    session.execute(insert_or_skip(session, Counter, "name").values(name=name, value=0))
    value = session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one()
    return f"{prefix}-{year}-{int(value):06d}"


def draft_of(session: Session, claim: Claim | Case, firm_id: uuid.UUID, kind: str) -> ReportDraft | None:
    return session.execute(
        select(ReportDraft).where(
            ReportDraft.case_id == case_id_of(claim), ReportDraft.firm_id == firm_id, ReportDraft.kind == kind
        )
    ).scalar_one_or_none()


def save_draft(
    session: Session, actor: Actor, claim: Claim | Case, kind: str, content: dict[str, Any], *, now: dt.datetime
) -> ReportDraft:
    """Create or replace the firm's working copy of its report of ``kind`` on the case (an adjuster of a
    firm acting on the case; content validated for the kind)."""
    adjuster_side(session, actor, claim)
    content = validate_content(kind, content)
    draft = draft_of(session, claim, actor.org_id, kind)
    if draft is None:
        draft = ReportDraft(
            case_id=case_id_of(claim),
            claim_id=claim.id if isinstance(claim, Claim) else None,
            kind=kind,
            firm_id=actor.org_id,
            content=content,
            updated_at=now,
            updated_by=actor.user_id,
        )
        session.add(draft)
    else:
        draft.content, draft.updated_at, draft.updated_by = content, now, actor.user_id
    session.flush()
    return draft


def acting_adjuster(session: Session, actor: Actor) -> Adjuster | None:
    """The practitioner record of the signed-in user (None for a user who is no adjuster)."""
    return session.execute(select(Adjuster).where(Adjuster.user_id == actor.user_id)).unique().scalar_one_or_none()


def check_signers(
    session: Session, actor: Actor, claim: Claim | Case, signer_ids: list[uuid.UUID]
) -> tuple[list[uuid.UUID], Adjuster]:
    """At least two adjusters of the actor's firm who work the case sign, the submitting one among them
    (returned with the signers, first signer first); strangers are named beside the field."""
    members = {m.adjuster_id for m in team(session, claim, actor.org_id)}
    signers = list(dict.fromkeys(signer_ids))
    if len(signers) < 2:
        raise InvalidInput(
            "At least two adjusters who worked the case must sign.", fields={"signer_ids": "at least two"}
        )
    strangers = [s for s in signers if s not in members]
    if strangers:
        names = [a.name for a in session.execute(select(Adjuster).where(Adjuster.id.in_(strangers))).unique().scalars()]
        words = ", ".join(names) or "unknown adjuster"
        raise InvalidInput(
            "Only adjusters who worked the case may sign.",
            fields={"signer_ids": f"{words}: did not work the case (not on the case team)"},
        )
    me = acting_adjuster(session, actor)
    if me is None or me.id not in signers:
        raise ActionNotAllowed("You must be one of the signing adjusters.")
    return signers, me


def correction_base(
    session: Session, actor: Actor, claim: Claim | Case, correction_of: uuid.UUID | None, reason: str | None
) -> Report | None:
    """The report a correction supersedes (the firm's own, on this case, not corrected yet), or None."""
    if correction_of is None:
        return None
    previous = session.get(Report, correction_of)
    if previous is None or previous.case_id != case_id_of(claim) or previous.firm_id != actor.org_id:
        raise NotFound()
    if not reason:
        raise InvalidInput("Say why the report is corrected.", fields={"reason": "required"})
    if session.execute(select(Report.id).where(Report.supersedes_id == previous.id)).first():
        raise Conflict("That report was already corrected; correct the latest version.")
    return previous


def _store_report(
    session: Session,
    actor: Actor,
    claim: Claim | Case,
    *,
    kind: str,
    firm_id: uuid.UUID,
    number: str,
    version: int,
    supersedes_id: uuid.UUID | None,
    content: dict[str, Any],
    digest: str,
    signed: list[tuple[uuid.UUID, dt.datetime]],
    now: dt.datetime,
) -> Report:
    """The immutable report row with one signature per (adjuster, time) over its hash; PDF after commit."""
    report = Report(
        case_id=case_id_of(claim),
        claim_id=claim.id if isinstance(claim, Claim) else None,
        kind=kind,
        firm_id=firm_id,
        number=number,
        version=version,
        display_number=content["report_number"],
        supersedes_id=supersedes_id,
        content=content,
        content_hash=digest,
        total_loss=round_cny(assessed_amount(kind, content)),
        submitted_at=now,
        submitted_by=actor.user_id,
    )
    session.add(report)
    session.flush()
    for adjuster_id, at in signed:
        session.add(ReportSignature(report_id=report.id, adjuster_id=adjuster_id, content_hash=digest, signed_at=at))
    enqueue(session, "report.render_pdf", {"report_id": str(report.id)}, now=now, dedupe_key=f"pdf:{report.id}")
    return report


def _numbered(content: dict[str, Any], number: str, version: int, signers: list[uuid.UUID]) -> dict[str, Any]:
    return {
        **content,
        "report_number": number if version == 0 else f"{number}-R{version}",
        "signers": [str(s) for s in signers],
    }


def freeze(
    session: Session,
    actor: Actor,
    claim: Claim | Case,
    draft: ReportDraft,
    *,
    signers: list[uuid.UUID],
    previous: Report | None,
    header: dict[str, Any],
    now: dt.datetime,
) -> Report:
    """Freeze the draft into an immutable report numbered per kind (``-R1`` for a correction), hashed over
    its canonical content, signed over that hash; its PDF is rendered after commit."""
    kind = draft.kind
    number = previous.number if previous else next_report_number(session, now, kind)
    version = (previous.version + 1) if previous else 0
    content = _numbered({**draft.content, **header}, number, version, signers)
    digest = sha256_hex(canonical_json(content))
    return _store_report(
        session,
        actor,
        claim,
        kind=kind,
        firm_id=actor.org_id,
        number=number,
        version=version,
        supersedes_id=previous.id if previous else None,
        content=content,
        digest=digest,
        signed=[(s, now) for s in signers],
        now=now,
    )


# ---- signing in person (two adjusters, each from their own login) ----------------------------------


@dataclass(frozen=True)
class SignNotice:
    """What the named co-signers are told: subject and body msgids (params ``report``, ``case``, ``name``,
    ``hash``; ``claim`` too, the case number under its older name) and the page where they sign (``{id}``:
    the case id)."""

    subject: str
    body: str
    link: str


def open_signing(session: Session, claim: Claim | Case, firm_id: uuid.UUID, kind: str) -> ReportSigning | None:
    """The firm's report of ``kind`` waiting for signatures on the case, if any."""
    return session.execute(
        select(ReportSigning).where(
            ReportSigning.case_id == case_id_of(claim),
            ReportSigning.kind == kind,
            ReportSigning.firm_id == firm_id,
            ReportSigning.state == "open",
        )
    ).scalar_one_or_none()


def signing_view(session: Session, signing: ReportSigning) -> dict[str, Any]:
    """The frozen report as its signers see it: number, content hash, each named signer and whether signed."""
    ids = [uuid.UUID(s) for s in signing.signer_ids]
    names = {a.id: a.name for a in session.execute(select(Adjuster).where(Adjuster.id.in_(ids))).unique().scalars()}
    signed = {s["adjuster_id"]: s["at"] for s in signing.signatures}
    return {
        "number": signing.content["report_number"],
        "content_hash": signing.content_hash,
        "signers": [
            {
                "adjuster_id": str(i),
                "name": names.get(i, ""),
                "signed": str(i) in signed,
                "signed_at": signed.get(str(i)),
            }
            for i in ids
        ],
    }


def _add_signature(
    session: Session, actor: Actor, claim: Claim | Case, signing: ReportSigning, me: Adjuster, now: dt.datetime
) -> None:
    signing.signatures = [
        *signing.signatures,
        {"adjuster_id": str(me.id), "user_id": str(actor.user_id), "at": now.isoformat()},
    ]
    side = adjuster_side(session, actor, claim)
    record_event(
        session,
        actor,
        claim,
        "report.signed",
        now=now,
        after={
            "report": signing.content["report_number"],
            "content_hash": signing.content_hash,
            "name": me.name,
            "adjuster_id": str(me.id),
        },
        audience=[audience.BROKER, audience.FIRM_A if side == "a" else audience.FIRM_B],
    )


def start_signing(
    session: Session,
    actor: Actor,
    claim: Claim | Case,
    kind: str,
    content: dict[str, Any],
    *,
    signers: list[uuid.UUID],
    me: Adjuster,
    previous: Report | None,
    reason: str | None,
    notice: SignNotice,
    now: dt.datetime,
) -> ReportSigning:
    """Freeze ``content`` for signature: numbered (a replaced open signing keeps its number) and hashed,
    signed by the acting adjuster ``me``; the other named signers are told to sign in person."""
    pending = open_signing(session, claim, actor.org_id, kind)
    if pending is not None and pending.supersedes_id == (previous.id if previous else None):
        number, version = pending.number, pending.version
    else:
        number = previous.number if previous else next_report_number(session, now, kind)
        version = (previous.version + 1) if previous else 0
    if pending is not None:
        pending.state = "replaced"
    content = _numbered(content, number, version, signers)
    digest = sha256_hex(canonical_json(content))
    signing = ReportSigning(
        case_id=case_id_of(claim),
        claim_id=claim.id if isinstance(claim, Claim) else None,
        kind=kind,
        firm_id=actor.org_id,
        number=number,
        version=version,
        supersedes_id=previous.id if previous else None,
        reason=reason,
        content=content,
        content_hash=digest,
        signer_ids=[str(s) for s in signers],
        signatures=[],
        state="open",
        created_at=now,
        created_by=actor.user_id,
    )
    session.add(signing)
    session.flush()
    _add_signature(session, actor, claim, signing, me, now)
    co_signers = session.execute(
        select(User)
        .join(Adjuster, Adjuster.user_id == User.id)
        .where(Adjuster.id.in_([s for s in signers if s != me.id]), User.active.is_(True))
    ).scalars()
    for user in co_signers:
        locale = user.locale or DEFAULT_LOCALE
        params = {"report": content["report_number"], "case": claim.number, "claim": claim.number, "name": me.name}
        notify(
            session,
            [user],
            subject=translate_message(notice.subject, params, locale),
            body=translate_message(notice.body, {**params, "hash": digest}, locale),
            now=now,
            link=notice.link.format(id=claim.id),
            key=f"sign:{signing.id}",
        )
    return signing


def countersign(
    session: Session, actor: Actor, claim: Claim | Case, kind: str, *, content_hash: str, now: dt.datetime
) -> ReportSigning:
    """A named co-signer signs the frozen report's content hash in person, from their own login; the
    caller submits the report once two have signed (:func:`submit_signed`)."""
    adjuster_side(session, actor, claim)
    signing = open_signing(session, claim, actor.org_id, kind)
    if signing is None:
        raise Conflict("No report of your firm waits for signatures on this case.")
    me = acting_adjuster(session, actor)
    if me is None or str(me.id) not in signing.signer_ids:
        raise ActionNotAllowed("You are not named to sign this report.")
    if any(s["adjuster_id"] == str(me.id) for s in signing.signatures):
        raise Conflict("You have signed this report already.")
    if content_hash != signing.content_hash:
        raise InvalidInput(
            "The report changed since it was frozen; sign the content hash shown.",
            fields={"content_hash": f"must be {signing.content_hash}"},
        )
    _add_signature(session, actor, claim, signing, me, now)
    return signing


def submit_signed(
    session: Session, actor: Actor, claim: Claim | Case, signing: ReportSigning, *, now: dt.datetime
) -> Report:
    """Two signatures: the frozen content becomes the submitted, immutable report, exactly as frozen."""
    signing.state = "submitted"
    return _store_report(
        session,
        actor,
        claim,
        kind=signing.kind,
        firm_id=signing.firm_id,
        number=signing.number,
        version=signing.version,
        supersedes_id=signing.supersedes_id,
        content=signing.content,
        digest=signing.content_hash,
        signed=[(uuid.UUID(s["adjuster_id"]), dt.datetime.fromisoformat(s["at"])) for s in signing.signatures],
        now=now,
    )


def copy_to_supervision(session: Session, claim: Claim | Case, *, now: dt.datetime) -> None:
    """Supervision (中介业务监管) takes a read-only part in the case: the report is copied to it (抄送)."""
    taking_part = set(
        session.execute(
            select(Participation.organisation_id).where(
                Participation.case_id == case_id_of(claim), Participation.party_role == PartyRole.SUPERVISION
            )
        ).scalars()
    )
    for org in session.execute(select(Organisation).where(Organisation.kind == OrgKind.SUPERVISION)).scalars():
        if org.id in taking_part:
            continue
        session.add(
            Participation(
                case_id=case_id_of(claim),
                claim_id=claim.id if isinstance(claim, Claim) else None,
                organisation_id=org.id,
                party_role=PartyRole.SUPERVISION,
                since=now,
            )
        )


def submit(
    session: Session,
    actor: Actor,
    case: Case,
    kind: str,
    *,
    signer_ids: list[uuid.UUID],
    now: dt.datetime,
    correction_of: uuid.UUID | None = None,
    reason: str | None = None,
    again: bool = False,
) -> Report:
    """Submit the firm's report of ``kind`` on a case whose own workflow has no state for it (a placement's
    pre-assessment, staged or termination report): checks, freeze, one audit event, copy to supervision.
    ``again``: a report of a kind the firm files more than once on the case (each stage's staged report).
    A claim's adjusting report goes through ``claim.workflow.submit_report``, which adds the claim's
    transitions around the same steps."""
    adjuster_side(session, actor, case)
    draft = draft_of(session, case, actor.org_id, kind)
    if draft is None:
        raise InvalidInput("The report has no content yet.", fields={"content": "required"})
    signers, _ = check_signers(session, actor, case, signer_ids)
    previous = correction_base(session, actor, case, correction_of, reason)
    if previous is None and not again and any(r.firm_id == actor.org_id for r in reports(session, case, kind)):
        raise Conflict("Your report is already submitted; submit a correction instead.")
    report = freeze(
        session, actor, case, draft, signers=signers, previous=previous, header={"case_number": case.number}, now=now
    )
    record_event(
        session,
        actor,
        case,
        "report.corrected" if previous else "report.submitted",
        now=now,
        after={"report": report.display_number, "kind": kind, "content_hash": report.content_hash},
        reason=reason,
        audience=[*ALL, "supervision"],
    )
    if previous is None:
        copy_to_supervision(session, case, now=now)
    return report
