"""The acting user, resolved once per request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tandem.access.models import OrgKind, Role, User
from tandem.access.permissions import READ_ONLY_KINDS, Perm, roles_with
from tandem.audit.service import ActorRef


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    org_id: uuid.UUID
    org_kind: OrgKind
    org_name: str
    username: str
    display_name: str
    roles: frozenset[Role]
    locale: str | None = None
    request_id: str | None = None

    @classmethod
    def from_user(cls, user: User, request_id: str | None = None) -> Actor:
        return cls(
            user.id,
            user.organisation_id,
            user.organisation.kind,
            user.organisation.name,
            user.username,
            user.display_name,
            user.roles,
            user.locale,
            request_id,
        )

    def has_any(self, roles: frozenset[Role] | frozenset[str]) -> bool:
        return bool(self.roles & roles)

    def can(self, perm: Perm) -> bool:
        return self.has_any(roles_with(perm))

    @property
    def read_only(self) -> bool:
        """Supervision reads copies and writes nothing (checked once per request in ``tandem.deps``)."""
        return self.org_kind in READ_ONLY_KINDS

    @property
    def is_admin(self) -> bool:
        return Role.PLATFORM_ADMIN in self.roles

    @property
    def ref(self) -> ActorRef:
        return ActorRef(self.user_id, self.org_id)
