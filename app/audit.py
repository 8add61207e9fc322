"""The audit log: one call records who did what, with before and after."""

from flask import has_request_context, request
from flask_login import current_user

from .extensions import client_address, db
from .models import AuditEntry


def record(
    action: str,
    target_type: str,
    target_id: int | None = None,
    *,
    site_id: int | None = None,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits).

    ``actor`` defaults to the logged-in user; the entry commits or rolls back
    with the change it describes, so the log never claims what did not happen.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        site_id=site_id,
        summary=summary,
        before=before,
        after=after,
        ip=client_address() if has_request_context() and request else "",
    )
    db.session.add(entry)
    return entry
