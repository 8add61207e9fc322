"""The audit log in words: field labels and values as staff read them.

Entries keep the raw before/after the code wrote (``opens_min: 1050``); this
module turns each into a row a person reads on a phone ("Opens: 17:30"), with
"—" for nothing. Unknown fields still show, under their code, so nothing a
change recorded is ever hidden.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..sites.hours import format_minutes
from ..vocab import (
    BOOKING_STATUSES,
    COMMUNITY_CLASSES,
    FACILITIES,
    PROJECT_STATUSES,
    SERVICE_CATEGORIES,
    SIGNUP_STATUSES,
    SPECIAL_DAY_KINDS,
    WEEKDAYS,
)

NOTHING = "—"

FIELD_LABELS = {
    "active": _l("In use"),
    "added": _l("Added"),
    "address": _l("Address"),
    "body": _l("Text"),
    "bookable": _l("Booked online"),
    "cancel_cutoff_minutes": _l("Cancel until (minutes before the start)"),
    "capacity": _l("Places per slot"),
    "category": _l("Category"),
    "closes_min": _l("Closes"),
    "code": _l("Site code"),
    "comment_id": _l("Comment"),
    "created": _l("Created"),
    "description": _l("Description"),
    "ends_min": _l("Until"),
    "ends_on": _l("Until"),
    "expires_on": _l("Show until"),
    "facilities": _l("Facilities"),
    "hours": _l("Hours"),
    "kind": _l("What"),
    "klass": _l("Class"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "max_active": _l("Most active bookings per resident"),
    "max_per_month": _l("Most bookings per resident per month"),
    "min_notice_minutes": _l("Minimum notice (minutes)"),
    "monday": _l("Monday's hours"),
    "name": _l("Name"),
    "needs_approval": _l("Staff approve each booking"),
    "note": _l("Note"),
    "opens_min": _l("Opens"),
    "per_person_limit": _l("Most per person"),
    "phone": _l("Phone"),
    "photo_id": _l("Photo"),
    "points": _l("Points"),
    "publish_on": _l("Show from"),
    "reason": _l("Reason"),
    "seat_limit": _l("Most seats in one booking"),
    "seats": _l("Seats"),
    "site_id": _l("Site number"),
    "slot_minutes": _l("Minutes per slot"),
    "starts_min": _l("From"),
    "starts_on": _l("From"),
    "status": _l("Status"),
    "status_reason": _l("Reason residents will see"),
    "stock": _l("Stock"),
    "title": _l("Title"),
    "updated": _l("Changed"),
    "user_id": _l("User number"),
    "weekday": _l("Weekday"),
    "window_days": _l("Days ahead residents can book"),
}

SITE_STATES = {"open": _l("Open as usual"), "closed": _l("Temporarily closed")}


@dataclass(frozen=True)
class ChangeRow:
    label: str
    before: str
    after: str


def _status(value: str, target_type: str) -> str:
    vocabularies = {
        "booking": BOOKING_STATUSES,
        "project": PROJECT_STATUSES,
        "activity": SIGNUP_STATUSES,
    }
    terms = vocabularies.get(target_type)
    if terms and value in terms:
        return str(terms[value].label)
    if target_type == "site" and value in SITE_STATES:
        return str(SITE_STATES[value])
    return value


def _minutes(value) -> str:
    try:
        return format_minutes(int(value))
    except (TypeError, ValueError):
        return str(value)


def _label_of(terms, code) -> str:
    term = terms.get(code)
    return str(term.label) if term else str(code)


def show_value(key: str, value, target_type: str = "") -> str:
    """One recorded value, as a person reads it."""
    if value is None or value == "" or value == "None" or value == []:
        return NOTHING
    if isinstance(value, bool) or value in ("True", "False"):
        return _("yes") if value in (True, "True") else _("no")
    if key.endswith("_min"):
        return _minutes(value)
    if key == "weekday":
        try:
            return str(WEEKDAYS[int(value)])
        except (TypeError, ValueError, IndexError):
            return str(value)
    if key == "status":
        return _status(str(value), target_type)
    if key == "kind" and value in SPECIAL_DAY_KINDS:
        return _label_of(SPECIAL_DAY_KINDS, value)
    if key == "category" and value in SERVICE_CATEGORIES:
        return _label_of(SERVICE_CATEGORIES, value)
    if key == "klass" and value in COMMUNITY_CLASSES:
        return _label_of(COMMUNITY_CLASSES, value)
    if key == "facilities" and isinstance(value, list):
        return "、".join(_label_of(FACILITIES, code) for code in value) or NOTHING
    if key == "monday" and isinstance(value, list):
        spans = [f"{_minutes(pair[0])}–{_minutes(pair[1])}" for pair in value if len(pair) == 2]
        return ", ".join(spans) or NOTHING
    if key == "hours":
        try:
            return f"{Decimal(str(value)).normalize():f}"
        except (InvalidOperation, ValueError):
            return str(value)
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def change_rows(before: dict | None, after: dict | None, target_type: str = "") -> list[ChangeRow]:
    """Each field a change touched, labelled, with its value before and after."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [
        ChangeRow(
            label=str(FIELD_LABELS.get(key, key)),
            before=show_value(key, before.get(key), target_type),
            after=show_value(key, after.get(key), target_type),
        )
        for key in keys
    ]
