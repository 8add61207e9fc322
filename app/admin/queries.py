"""Look-ups for the admin console."""

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..clock import LOCAL_TZ
from ..models import AuditEntry, User
from ..paging import paged
from ..sites.directory import like_pattern

_MASKED = re.compile(r"(1[3-9]\d)\*{2,4}(\d{4})")


def search_users(q: str, page: int, per_page: int = 30):
    """Users by name, by masked number (138****5678), by last four digits or whole number."""
    query = select(User).where(User.deleted_at.is_(None))
    q = " ".join(q.split())[:40]
    if q:
        masked = _MASKED.fullmatch(q.replace(" ", ""))
        digits = q.replace(" ", "")
        if masked:
            condition = User.mobile.like(f"{masked.group(1)}%{masked.group(2)}")
        elif digits.isdigit() and len(digits) == 11:
            condition = User.mobile == digits
        elif digits.isdigit() and 3 <= len(digits) <= 4:
            condition = User.mobile.like(f"%{digits}")
        else:
            condition = User.display_name.like(like_pattern(q), escape="\\")
        query = query.where(condition)
    return paged(query.order_by(User.id), page, per_page)


def audit_entries(
    actor_id: int | None, site_id: int | None, day: date | None, page: int, per_page: int = 50
):
    """Audit entries, newest first, filtered by actor, site and local day."""
    query = select(AuditEntry)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    if site_id:
        query = query.where(AuditEntry.site_id == site_id)
    if day:
        start = datetime.combine(day, time(), tzinfo=LOCAL_TZ)
        query = query.where(AuditEntry.at >= start, AuditEntry.at < start + timedelta(days=1))
    query = query.options(joinedload(AuditEntry.actor)).order_by(
        AuditEntry.at.desc(), AuditEntry.id.desc()
    )
    return paged(query, page, per_page)
