"""Composition of the worker: the explicit list of modules whose outbox handlers register themselves
into ``tandem.worker.registry``. It sits at the top (only the worker's runner imports it) so that the
registry never imports the task modules that import it."""

from __future__ import annotations


def load_builtin_tasks() -> None:
    """Import every task module; each registers its handlers once, on first import."""
    from tandem.access import tasks as access_tasks  # noqa: F401
    from tandem.claim import tasks as claim_tasks  # noqa: F401
    from tandem.complaint import tasks as complaint_tasks  # noqa: F401
    from tandem.fees import tasks as fee_tasks  # noqa: F401
    from tandem.inforce import tasks as inforce_tasks  # noqa: F401
    from tandem.neutrality import tasks as neutrality_tasks  # noqa: F401
    from tandem.notification import tasks as notification_tasks  # noqa: F401
    from tandem.party import filing_tasks as party_filing_tasks  # noqa: F401
    from tandem.placement import market  # noqa: F401  (the submissions' clocks: readers and insurers' notices)
    from tandem.reconciliation import tasks as reconciliation_tasks  # noqa: F401
    from tandem.retention import tasks as retention_tasks  # noqa: F401
