"""Changes staff make to a site's listing. Every change is audited."""

import re

from flask_babel import gettext as _

from .. import audit
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import Site
from ..refusals import Refused
from .hours import format_minutes


class ListingError(Refused):
    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)


def set_site_status(site_id: int, status: str, reason: str, *, by=None) -> Site:
    """Open a site, or mark it temporarily closed with a reason residents see."""
    reason = " ".join((reason or "").split())
    if status not in ("open", "closed"):
        raise ListingError("status", _("Choose open or temporarily closed."))
    if status == "closed" and not reason:
        raise ListingError("reason", _("Tell residents why the site is closed."))
    if len(reason) > 200:
        raise ListingError("reason", _("Keep the reason to 200 characters or fewer."))
    begin_write()
    lock_row(Site, site_id)
    site = db.session.get(Site, site_id)
    before = {"status": site.status, "status_reason": site.status_reason}
    site.status = status
    site.status_reason = reason if status == "closed" else ""
    after = {"status": site.status, "status_reason": site.status_reason}
    if before != after:
        audit.record(
            "site.status", "site", site.id, site_id=site.id, actor=by,
            summary=site.name, before=before, after=after,
        )  # fmt: skip
    db.session.commit()
    return site


# Editing the listing ---------------------------------------------------------------

BASIC_FIELDS = ("name", "address", "phone", "description", "latitude", "longitude")
# Landlines with an area code (021-5888 1234) or mainland mobiles.
PHONE_RE = re.compile(
    r"(0[0-9]{2,3}[- ]?[0-9]{3,4}[- ]?[0-9]{4}|1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}|[0-9]{3,5})"
)
# Mainland China, roughly: a site outside is a typo in the coordinates.
CHINA_LAT = (3.8, 53.6)
CHINA_LNG = (73.5, 135.1)
# Dates staff enter (special days, notices) lie within a year back and two
# years ahead: anything further is a typo, and an unbounded range would make
# every day-by-day rule (slots, open now) pay for it.
DAYS_BACK = 366
DAYS_AHEAD = 731


def date_window(today):
    """(first, last): the days a staff-entered date may fall on."""
    from datetime import timedelta

    return today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)


def check_in_window(*days) -> None:
    """Refuse a date outside ``date_window`` (the forms check it too)."""
    from .. import clock

    first, last = date_window(clock.today())
    for day in days:
        if day is not None and not first <= day <= last:
            raise ListingError(
                "ends_on",
                _("Choose a date between %(first)s and %(last)s.", first=first, last=last),
            )


class Conflict(Exception):
    """Someone saved the listing since this editor loaded it.

    ``changes`` lists (field, value now, value you entered) for each field
    that differs, so the editor can see what changed before saving again.
    """

    def __init__(self, current_version: int, changes: list[tuple[str, object, object]]):
        super().__init__("conflict")
        self.current_version = current_version
        self.changes = changes


def _load_for_edit(site_id: int, version: int | None, entered: dict) -> Site:
    """The site under the write lock; a stale ``version`` raises Conflict.

    Autoflush is off for the rest of the transaction, so a save makes one
    UPDATE of the site and moves its version on by exactly one.
    """
    begin_write()
    db.session.autoflush = False
    lock_row(Site, site_id)
    site = db.session.get(Site, site_id)
    if version is not None and site.version != version:
        changes = [
            (name, getattr(site, name), value)
            for name, value in entered.items()
            if getattr(site, name) != value
        ]
        db.session.rollback()
        raise Conflict(site.version, changes)
    return site


def update_basic(site_id: int, values: dict, version: int, *, by) -> Site:
    """Name, address, phone, description and coordinates (checked by the form)."""
    site = _load_for_edit(site_id, version, values)
    before = {name: getattr(site, name) for name in values}
    for name, value in values.items():
        setattr(site, name, value)
    from .directory import refresh_search_text

    refresh_search_text(site)
    audit.record("site.edited", "site", site.id, site_id=site.id, actor=by, summary=site.name,
                 before=before, after=dict(values))  # fmt: skip
    db.session.commit()
    return site


def set_facilities(site_id: int, codes: list[str], version: int, *, by) -> Site:
    from ..models import SiteFacility

    site = _load_for_edit(site_id, version, {})
    before = sorted(site.facility_codes)
    site.facilities = [SiteFacility(facility=code) for code in sorted(set(codes))]
    _touch(site)
    after = sorted(set(codes))
    audit.record("site.facilities", "site", site.id, site_id=site.id, actor=by, summary=site.name,
                 before={"facilities": before}, after={"facilities": after})  # fmt: skip
    db.session.commit()
    return site


def _touch(site: Site) -> None:
    """Mark the listing changed, so its version moves on with any part of it.

    ``flag_modified`` forces the UPDATE (and so the version bump) even when the
    clock has not moved since the last edit.
    """
    from sqlalchemy.orm.attributes import flag_modified

    from .. import clock

    site.updated_at = clock.now()
    flag_modified(site, "updated_at")


def overlapping(intervals: list[tuple[int, int]], opens: int, closes: int) -> bool:
    """Does [opens, closes) overlap any of ``intervals`` (touching is fine)?"""
    return any(opens < c and o < closes for o, c in intervals)


def add_interval(site_id: int, weekday: int, opens: int, closes: int, version: int, *, by) -> Site:
    from ..models import OpeningInterval

    if not 0 <= opens < closes <= 1440:
        raise ListingError("closes", _("The closing time must be after the opening time."))
    site = _load_for_edit(site_id, version, {})
    same_day = [(i.opens_min, i.closes_min) for i in site.opening_intervals if i.weekday == weekday]
    if overlapping(same_day, opens, closes):
        db.session.rollback()
        raise ListingError("opens", _("This overlaps hours already set for that day."))
    site.opening_intervals.append(
        OpeningInterval(weekday=weekday, opens_min=opens, closes_min=closes)
    )
    _touch(site)
    audit.record("site.hours_added", "site", site.id, site_id=site.id, actor=by, summary=site.name,
                 after={"weekday": weekday, "opens_min": opens, "closes_min": closes})  # fmt: skip
    db.session.commit()
    return site


def remove_interval(site_id: int, interval_id: int, version: int, *, by) -> Site:
    site = _load_for_edit(site_id, version, {})
    interval = next((i for i in site.opening_intervals if i.id == interval_id), None)
    if interval is None:
        db.session.rollback()
        raise LookupError(interval_id)
    before = {
        "weekday": interval.weekday,
        "opens_min": interval.opens_min,
        "closes_min": interval.closes_min,
    }
    site.opening_intervals.remove(interval)
    _touch(site)
    audit.record("site.hours_removed", "site", site.id, site_id=site.id, actor=by,
                 summary=site.name, before=before)  # fmt: skip
    db.session.commit()
    return site


def copy_monday_to_weekdays(site_id: int, version: int, *, by) -> Site:
    """Tuesday to Friday get Monday's hours (weekends are left as they are)."""
    from ..models import OpeningInterval

    site = _load_for_edit(site_id, version, {})
    monday = [(i.opens_min, i.closes_min) for i in site.opening_intervals if i.weekday == 0]
    site.opening_intervals = [
        i for i in site.opening_intervals if i.weekday not in (1, 2, 3, 4)
    ] + [
        OpeningInterval(weekday=day, opens_min=o, closes_min=c)
        for day in (1, 2, 3, 4)
        for o, c in monday
    ]
    _touch(site)
    audit.record("site.hours_copied", "site", site.id, site_id=site.id, actor=by, summary=site.name,
                 after={"monday": monday})  # fmt: skip
    db.session.commit()
    return site


def add_special_day(site_id: int, values: dict, version: int, *, by) -> Site:
    """A closure, holiday or extended hours over a date range (checked by the form)."""
    from ..models import SpecialDay

    check_in_window(values["starts_on"], values["ends_on"])
    site = _load_for_edit(site_id, version, {})
    site.special_days.append(SpecialDay(**values))
    _touch(site)
    after = {k: str(v) for k, v in values.items()}
    audit.record("site.special_day_added", "site", site.id, site_id=site.id, actor=by,
                 summary=site.name, after=after)  # fmt: skip
    db.session.commit()
    return site


def remove_special_day(site_id: int, special_id: int, version: int, *, by) -> Site:
    site = _load_for_edit(site_id, version, {})
    special = next((s for s in site.special_days if s.id == special_id), None)
    if special is None:
        db.session.rollback()
        raise LookupError(special_id)
    before = {
        "kind": special.kind,
        "starts_on": str(special.starts_on),
        "ends_on": str(special.ends_on),
    }
    site.special_days.remove(special)
    _touch(site)
    audit.record("site.special_day_removed", "site", site.id, site_id=site.id, actor=by,
                 summary=site.name, before=before)  # fmt: skip
    db.session.commit()
    return site


def add_notice(site_id: int, values: dict, version: int, *, by) -> Site:
    from ..models import Notice

    check_in_window(values["publish_on"], values["expires_on"])
    site = _load_for_edit(site_id, version, {})
    site.notices.append(Notice(**values))
    _touch(site)
    audit.record("site.notice_added", "site", site.id, site_id=site.id, actor=by,
                 summary=values["title"], after={k: str(v) for k, v in values.items()})  # fmt: skip
    db.session.commit()
    return site


def remove_notice(site_id: int, notice_id: int, version: int, *, by) -> Site:
    site = _load_for_edit(site_id, version, {})
    notice = next((n for n in site.notices if n.id == notice_id), None)
    if notice is None:
        db.session.rollback()
        raise LookupError(notice_id)
    site.notices.remove(notice)
    _touch(site)
    audit.record("site.notice_removed", "site", site.id, site_id=site.id, actor=by,
                 summary=notice.title, before={"title": notice.title})  # fmt: skip
    db.session.commit()
    return site


def add_service(site_id: int, values: dict, version: int, *, by) -> Site:
    """A new service the site offers; it shows in the site page and in search."""
    from ..models import Service
    from .directory import refresh_search_text

    site = _load_for_edit(site_id, version, {})
    site.services.append(Service(active=True, **values))
    refresh_search_text(site)
    _touch(site)
    audit.record("site.service_added", "site", site.id, site_id=site.id, actor=by,
                 summary=values["name"], after={k: str(v) for k, v in values.items()})  # fmt: skip
    db.session.commit()
    return site


def set_service_active(site_id: int, service_id: int, active: bool, version: int, *, by) -> Site:
    """Retire a service (it disappears from the site and from booking) or bring it back."""
    from .directory import refresh_search_text

    site = _load_for_edit(site_id, version, {})
    service = next((s for s in site.services if s.id == service_id), None)
    if service is None:
        db.session.rollback()
        raise LookupError(service_id)
    service.active = active
    refresh_search_text(site)
    _touch(site)
    audit.record(
        "site.service_active", "site", site.id, site_id=site.id, actor=by,
        summary=service.name, before={"active": not active}, after={"active": active},
    )  # fmt: skip
    db.session.commit()
    return site


def update_service(site_id: int, service_id: int, values: dict, version: int, *, by) -> Site:
    """Rename a service, change its category or what residents read about it."""
    from .directory import refresh_search_text

    site = _load_for_edit(site_id, None, {})
    service = next((s for s in site.services if s.id == service_id), None)
    if service is None:
        db.session.rollback()
        raise LookupError(service_id)
    if site.version != version:
        changes = [
            (name, getattr(service, name), value)
            for name, value in values.items()
            if getattr(service, name) != value
        ]
        current = site.version
        db.session.rollback()
        raise Conflict(current, changes)
    before = {name: getattr(service, name) for name in values}
    for name, value in values.items():
        setattr(service, name, value)
    refresh_search_text(site)
    _touch(site)
    audit.record("site.service_edited", "site", site.id, site_id=site.id, actor=by,
                 summary=service.name, before=before, after=dict(values))  # fmt: skip
    db.session.commit()
    return site


# One-tap actions from the staff home ---------------------------------------------


def tonight_opens_at(site: Site, day) -> int:
    """Where extended hours tonight start: the day's last closing time, else 17:00."""
    weekday = day.weekday()
    closes = [i.closes_min for i in site.opening_intervals if i.weekday == weekday]
    closes += [
        s.closes_min
        for s in site.special_days
        if s.kind == "extended" and s.starts_on <= day <= s.ends_on and s.closes_min is not None
    ]
    return max(closes, default=17 * 60)


def extend_tonight(site_id: int, until_min: int, *, by) -> Site:
    """延时服务 tonight: stay open from today's closing time until ``until_min``."""
    from .. import clock
    from ..models import SpecialDay

    site = _load_for_edit(site_id, None, {})
    if site.status == "closed":
        db.session.rollback()
        raise ListingError(
            "until", _("The site is marked temporarily closed. Open it first, then extend.")
        )
    day = clock.today()
    opens = tonight_opens_at(site, day)
    if not opens < until_min <= 1440:
        db.session.rollback()
        raise ListingError(
            "until",
            _("Choose a time after today's closing time (%(time)s).", time=format_minutes(opens)),
        )
    values = {"kind": "extended", "starts_on": day, "ends_on": day,
              "opens_min": opens, "closes_min": until_min, "note": ""}  # fmt: skip
    site.special_days.append(SpecialDay(**values))
    _touch(site)
    audit.record("site.extended_tonight", "site", site.id, site_id=site.id, actor=by,
                 summary=site.name, after={k: str(v) for k, v in values.items()})  # fmt: skip
    db.session.commit()
    return site
