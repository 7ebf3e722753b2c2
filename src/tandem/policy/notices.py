"""Who is told what about a policy in force (issue 16 items 3 and 4): the insurer's underwriters of a change
to answer; the broker's account managers and the insured of the answer; the insured and the broker of a
suspension, reinstatement or termination (and the insurer's claims handlers, who take the notices)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from tandem.access.models import Role
from tandem.kit.i18n import N_
from tandem.notification.service import org_users, tell
from tandem.policy.inforce_models import Endorsement, StatusChange
from tandem.policy.models import Policy

CHANGE_SUBJECT = N_("Policy {policy}: a mid-term change to answer")
CHANGE_BODY = N_("The broker asks for a change from {date}; the additional (+) or returned (−) premium is {delta}.")
ANSWER_SUBJECT = {
    "accepted": N_("Policy {policy}: the change is accepted"),
    "declined": N_("Policy {policy}: the change is declined"),
    "withdrawn": N_("Policy {policy}: the change request is withdrawn"),
}
ANSWER_BODY = N_("Change {number} from {date}; premium {delta}.")
DUE_SUBJECT = N_("Policy {policy}: change {number} is to be answered by {due}")
LATE_SUBJECT = N_("Policy {policy}: the insurer's answer to change {number} is late (due {due})")
STATUS_SUBJECT = {
    "suspend": N_("Policy {policy}: cover suspended from {date}"),
    "reinstate": N_("Policy {policy}: cover reinstated from {date}"),
    "terminate": N_("Policy {policy}: terminated from {date}"),
}
STATUS_BODY = N_("Reason: {reason}")

_BROKER = frozenset({Role.BROKER_ACCOUNT_MANAGER.value})
_INSURED = frozenset({Role.INSURED_CONTACT.value})
_UNDERWRITER = frozenset({Role.INSURER_UNDERWRITER.value})
_CLAIMS = frozenset({Role.INSURER_CLAIMS_HANDLER.value, Role.INSURER_UNDERWRITER.value})


def _link(policy: Policy, anchor: str) -> str:
    return f"/policies/{policy.id}#{anchor}"


def change_requested(session: Session, policy: Policy, row: Endorsement, now: dt.datetime) -> None:
    params = {"policy": policy.number, "date": row.effective_date.isoformat(), "delta": f"{row.premium_delta:.2f}"}
    users = org_users(session, policy.insurer_id, _UNDERWRITER)
    key = f"policy-change:{row.id}:requested"
    tell(session, users, CHANGE_SUBJECT, CHANGE_BODY, params, link=_link(policy, "changes"), key=key, now=now)


def change_deadline(session: Session, policy: Policy, row: Endorsement, *, late: bool, now: dt.datetime) -> None:
    """The reminder to the underwriters the working day before a change's last day; once it has passed, the
    late notice to them and the broker's account managers."""
    assert row.answer_due is not None
    params = {
        "policy": policy.number,
        "number": row.number,
        "due": row.answer_due.isoformat(),
        "date": row.effective_date.isoformat(),
        "delta": f"{row.premium_delta:.2f}",
    }
    users = org_users(session, policy.insurer_id, _UNDERWRITER)
    if late:
        users += org_users(session, policy.broker_id, _BROKER)
    key = f"policy-change:{row.id}:{'late' if late else 'remind'}"
    subject = LATE_SUBJECT if late else DUE_SUBJECT
    tell(session, users, subject, CHANGE_BODY, params, link=_link(policy, "changes"), key=key, now=now)


def change_answered(session: Session, policy: Policy, row: Endorsement, now: dt.datetime) -> None:
    status = row.status.value
    params = {
        "policy": policy.number,
        "number": row.number,
        "date": row.effective_date.isoformat(),
        "delta": f"{row.premium_delta:.2f}",
    }
    users = org_users(session, policy.broker_id, _BROKER)
    if status == "accepted":
        users += org_users(session, policy.insured_id, _INSURED)
    elif status == "withdrawn":  # the underwriters had it to answer
        users += org_users(session, policy.insurer_id, _UNDERWRITER)
    key = f"policy-change:{row.id}:{status}"
    link = _link(policy, "changes")
    tell(session, users, ANSWER_SUBJECT[status], ANSWER_BODY, params, link=link, key=key, now=now)


def status_changed(session: Session, policy: Policy, row: StatusChange, now: dt.datetime) -> None:
    params = {"policy": policy.number, "date": row.effective_date.isoformat(), "reason": row.reason}
    users = [
        *org_users(session, policy.insured_id, _INSURED),
        *org_users(session, policy.broker_id, _BROKER),
        *org_users(session, policy.insurer_id, _CLAIMS),
    ]
    key = f"policy-status:{row.id}"
    subject = STATUS_SUBJECT[row.action]
    tell(session, users, subject, STATUS_BODY, params, link=_link(policy, "status"), key=key, now=now)
