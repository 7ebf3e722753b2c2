"""The broker's help at the site survey (现场查勘, R-C3): the broker's staff join a survey the adjuster
scheduled or recorded, as participants, and add notes and photos. Each note is written for one channel
of the case thread (``tandem.case.audience.CHANNELS``: everyone, broker and adjuster, broker and insurer,
or the broker's own people) and read by that channel's parties only; its photos are evidence documents of
the case that the author may see."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access import scope
from tandem.access.actor import Actor
from tandem.access.models import User
from tandem.audit import service as audit
from tandem.case import audience as _audience
from tandem.case.service import require_party
from tandem.claim.models import Claim, ClaimStatus, Document, PartyRole, Survey, SurveyNote
from tandem.kit.errors import Conflict, InvalidInput, NotFound

NOTE_MAX = 20000
SETTLED = (ClaimStatus.CLOSED, ClaimStatus.WITHDRAWN, ClaimStatus.REFUSED, ClaimStatus.PAID)


def claim_survey(session: Session, claim: Claim, survey_id: object) -> Survey:
    """A survey of this claim (NotFound for any other id, as for a missing one)."""
    try:
        key = uuid.UUID(str(survey_id))
    except ValueError:
        raise NotFound() from None
    survey = session.get(Survey, key)
    if survey is None or survey.claim_id != claim.id:
        raise NotFound()
    return survey


def _photos(session: Session, actor: Actor, claim: Claim, hashes: list[str]) -> list[str]:
    """The note's photos: evidence documents of this case the author may see (by content hash)."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return []
    viewer = _audience.viewer(session, actor, claim)
    known = {
        d.sha256
        for d in session.execute(
            select(Document).where(
                Document.claim_id == claim.id, Document.kind == "evidence", Document.sha256.in_(wanted)
            )
        ).scalars()
        if viewer.sees(d.audience)
    }
    missing = [h for h in wanted if h not in known]
    if missing:
        raise InvalidInput(
            "Photos must be evidence uploaded to this case.",
            fields={"photo_hashes": f"not evidence of this case: {', '.join(h[:12] for h in missing)}"},
        )
    return wanted


def add_survey_note(
    session: Session,
    actor: Actor,
    claim_id: object,
    survey_id: object,
    *,
    audience: str,
    body: str,
    photo_hashes: list[str],
    now: dt.datetime,
) -> SurveyNote:
    """A member of the broker's staff joins the survey (named among its participants) and adds a note with
    photos for one channel; the channel's parties see it on the case."""
    claim = scope.get_claim(session, actor, claim_id)
    require_party(session, actor, claim, PartyRole.BROKER)
    survey = claim_survey(session, claim, survey_id)
    if claim.status in SETTLED:
        raise Conflict("The survey can no longer be added to: the claim is settled.")
    _audience.check_channel(session, actor, claim, audience)
    text = (body or "").strip()
    if not text:
        raise InvalidInput("Write what you saw at the survey.", fields={"body": "required"})
    if len(text) > NOTE_MAX:
        raise InvalidInput("The note is too long.", fields={"body": f"at most {NOTE_MAX} characters"})
    photos = _photos(session, actor, claim, photo_hashes)
    user = session.get(User, actor.user_id)
    name = user.display_name if user else ""
    if name and name not in survey.participants:
        survey.participants = [*survey.participants, name]
    note = SurveyNote(
        case_id=claim.case_id,
        claim_id=claim.id,
        survey_id=survey.id,
        audience=audience,
        author_id=actor.user_id,
        author_org_id=actor.org_id,
        author_name=name,
        body=text,
        photo_hashes=photos,
        created_at=now,
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor.ref,
        action="claim.survey_note_added",
        entity_type="claim",
        entity_id=claim.id,
        at=now,
        chain_key=f"case:{claim.id}",
        after={"survey_id": str(survey.id), "note_id": str(note.id), "channel": audience, "photos": len(photos)},
        request_id=actor.request_id,
        # An internal note is its author's organisation's only: its event goes to nobody's timeline.
        audience=[] if audience == "internal" else list(_audience.CHANNELS[audience]),
    )
    return note


def visible_notes(session: Session, actor: Actor, claim: Claim) -> dict[uuid.UUID, list[SurveyNote]]:
    """The survey notes this actor may read, by survey, oldest first."""
    viewer = _audience.viewer(session, actor, claim)
    out: dict[uuid.UUID, list[SurveyNote]] = {}
    for note in session.execute(
        select(SurveyNote).where(SurveyNote.claim_id == claim.id).order_by(SurveyNote.created_at)
    ).scalars():
        internal = note.audience == "internal"
        if viewer.admin or (
            note.author_org_id == actor.org_id if internal else viewer.sees(_audience.CHANNELS[note.audience])
        ):
            out.setdefault(note.survey_id, []).append(note)
    return out
