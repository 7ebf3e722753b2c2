"""Who on a case reads a message, a document or a timeline event, and who may write to which channel.

Audiences name **sides** on the case (``case_participation.party_role``), never organisation kinds: the
broker's adjuster firm (``adjuster``) and the insurer's own adjuster firm (``insurer_adjuster``) are two
sides although both are adjuster firms, so neither reads the other's private channel. The API and the
pages both ask this module; nothing else decides.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.access.actor import Actor
from tandem.access.models import OrgKind
from tandem.case.models import Case
from tandem.claim.models import Claim, Deadline, Message, Participation, PartyRole
from tandem.kit.errors import ActionNotAllowed, InvalidInput

P = PartyRole
BROKER, INSURED, INSURER = P.BROKER.value, P.INSURED.value, P.INSURER.value
FIRM_A, FIRM_B, SUPERVISION = P.ADJUSTER.value, P.INSURER_ADJUSTER.value, P.SUPERVISION.value

# Every party working the case (supervision reads copies only).
ALL = [BROKER, INSURED, INSURER, FIRM_A, FIRM_B]
# Channels of the case thread and of evidence uploads: who reads them (and may write to them).
CHANNELS: dict[str, list[str]] = {
    "all": ALL,
    "broker_adjuster": [BROKER, FIRM_A],
    "broker_insurer": [BROKER, INSURER],
    "insurer_adjuster": [INSURER, FIRM_B],
    "internal": [],  # the author's own organisation
}
UPLOAD_CHANNELS = [c for c in CHANNELS if c != "internal"]
# Events written before audiences named sides said "adjuster_firm" for both firms.
LEGACY = {"adjuster_firm": (FIRM_A, FIRM_B)}

# The confirmation letter and the fee terms of an engagement: the instructing party, its adjuster firm
# and the payer. The insurer bears the cost of establishing the loss (保险法 Art. 64), so it pays both.
LETTER_READERS = {"broker": [BROKER, FIRM_A, INSURED], "insurer": [INSURER, FIRM_B]}
FEE_READERS = {"broker": [BROKER, FIRM_A, INSURER], "insurer": [INSURER, FIRM_B]}
FEE_KEYS = ("fee_terms", "fee_basis", "fee_payment_days")
# Timeline events that carry an engagement's fee terms, by the side of the engagement.
FEE_EVENTS = {"claim.accept_appointment": "broker", "claim.insurer_adjuster_accepted": "insurer"}

NOT_YOUR_AUDIENCE = "not an audience you belong to"
# An audience may also name one organisation (``org:<id>``): an event about one insurer's own dealings on a
# placement (its adjuster, its submission) is read by that insurer, not by every insurer on the case.
ORG_PREFIX = "org:"


def org(org_id: uuid.UUID) -> str:
    """The audience token of one organisation."""
    return f"{ORG_PREFIX}{org_id}"


# Who reads the warning and the breach of a deadline whose kind is ``<prefix>:<id>`` (a clock of one
# object, e.g. one insurer's submission): the module owning the prefix says; otherwise the broker and
# the holder's side. Each reader is ``reader(session, deadline) -> audience``.
DEADLINE_READERS: dict[str, Callable[[Session, Deadline], list[str]]] = {}


def deadline_audience(session: Session, deadline: Deadline) -> list[str]:
    reader = DEADLINE_READERS.get(deadline.kind.split(":", 1)[0]) if ":" in deadline.kind else None
    return reader(session, deadline) if reader else [BROKER, deadline.holder]


def sides_of(session: Session, claim_id: uuid.UUID, org_id: uuid.UUID) -> frozenset[str]:
    """The organisation's current sides on the case (usually one); ``claim_id`` is the case's id (a
    claim's case has the claim's id)."""
    return frozenset(
        r.value
        for r in session.execute(
            select(Participation.party_role).where(
                Participation.case_id == claim_id,
                Participation.organisation_id == org_id,
                Participation.until.is_(None),
            )
        ).scalars()
    )


def _expand(audience: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for token in audience:
        out.update(LEGACY.get(token, (token,)))
    return out


@dataclass(frozen=True)
class Viewer:
    """One organisation looking at one case: its sides there (the platform admin sees everything)."""

    org_id: uuid.UUID
    sides: frozenset[str]
    admin: bool = False

    def sees(self, audience: Iterable[str]) -> bool:
        tokens = _expand(audience)
        return self.admin or bool(self.sides & tokens) or org(self.org_id) in tokens

    def sees_message(self, m: Message) -> bool:
        if self.admin:
            return True
        if m.audience == "internal":
            return m.author_org_id == self.org_id
        return self.sees(CHANNELS.get(m.audience, []))

    def sees_fees(self, letter_side: str) -> bool:
        return self.sees(FEE_READERS.get(letter_side, []))

    def event_after(self, action: str, after: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """An event's details as this viewer may read them: fee terms only for their readers."""
        if after is None:
            return None
        side = FEE_EVENTS.get(action)
        if side is None or self.sees_fees(side):
            return dict(after)
        return {k: v for k, v in after.items() if k not in FEE_KEYS}

    def chooses_adjuster(self, choosing: bool) -> bool:
        """Who sees the broker's judgement of adjusters (exclusions, blacklist, ranking): the broker, and
        the insured while the adjuster is being chosen (R-C2). Everyone else sees the choice only."""
        return self.admin or BROKER in self.sides or (choosing and INSURED in self.sides)

    def channels(self) -> list[str]:
        """The channels this viewer may write to."""
        if not self.sides or self.sides == {SUPERVISION}:
            return []
        return [c for c, members in CHANNELS.items() if c == "internal" or self.admin or self.sides & set(members)]


def viewer(session: Session, actor: Actor, claim: Claim | Case) -> Viewer:
    return Viewer(actor.org_id, sides_of(session, claim.id, actor.org_id), actor.is_admin)


def check_channel(
    session: Session, actor: Actor, claim: Claim | Case, channel: str, *, uploads: bool = False
) -> Viewer:
    """The one write rule for messages and uploads (API and pages): supervision writes nothing, and a party
    writes only to a channel it belongs to."""
    v = viewer(session, actor, claim)
    if actor.org_kind == OrgKind.SUPERVISION or (not v.sides and not v.admin) or v.sides == {SUPERVISION}:
        raise ActionNotAllowed()
    known = UPLOAD_CHANNELS if uploads else list(CHANNELS)
    if channel not in known:
        raise InvalidInput("Unknown audience.", fields={"audience": ", ".join(known)})
    if channel not in v.channels():
        raise InvalidInput("You may not write to this audience.", fields={"audience": NOT_YOUR_AUDIENCE})
    return v


def upload_audience(channel: str) -> list[str]:
    """Who reads evidence uploaded to a channel: its members, and supervision (copies of the file)."""
    return [*CHANNELS[channel], SUPERVISION]
