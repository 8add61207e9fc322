"""Look-ups for the admin console."""

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..clock import LOCAL_TZ
from ..extensions import db
from ..inputs import search_text
from ..models import AuditEntry, User
from ..paging import paged
from ..sites.directory import like_pattern

_MASKED = re.compile(r"(1[3-9][0-9])\*{2,4}([0-9]{4})")
_DIGITS = re.compile(r"[0-9]+")
MAX_USER_QUERY = 40


def search_users(q: str, page: int, per_page: int = 30):
    """Users by name, by masked number (138****5678), by last four digits or whole number."""
    query = select(User).where(User.deleted_at.is_(None))
    q = search_text(q, MAX_USER_QUERY)
    if q:
        masked = _MASKED.fullmatch(q.replace(" ", ""))
        digits = q.replace(" ", "")
        if masked:
            condition = User.mobile.like(f"{masked.group(1)}%{masked.group(2)}")
        elif _DIGITS.fullmatch(digits) and len(digits) == 11:
            condition = User.mobile == digits
        elif _DIGITS.fullmatch(digits) and 3 <= len(digits) <= 4:
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


SITE_PICKS = 15


def sites_to_pick(q: str, limit: int = SITE_PICKS):
    """Sites an admin may be looking for: by name, code, district, street or community.

    Rows carry what the picker shows (name, kind, code, the place around it), so
    an admin can tell two "阳光站" apart before granting a scope.
    """
    from ..models import Community, District, Site, Street

    q = " ".join(q.split())[:40]
    if not q:
        return []
    pattern = like_pattern(q)
    query = (
        select(
            Site.id, Site.name, Site.code, Site.kind, Site.station_type,
            District.name.label("district"), Street.name.label("street"),
            Community.name.label("community"),
        )
        .join(Community, Site.community_id == Community.id)
        .join(Street, Community.street_id == Street.id)
        .join(District, Street.district_id == District.id)
        .where(
            Site.name.like(pattern, escape="\\")
            | Site.code.like(pattern, escape="\\")
            | District.name.like(pattern, escape="\\")
            | Street.name.like(pattern, escape="\\")
            | Community.name.like(pattern, escape="\\")
        )
        .order_by(District.name, Street.name, Community.name, Site.kind, Site.name, Site.id)
        .limit(limit)
    )  # fmt: skip
    return db.session.execute(query).all()
