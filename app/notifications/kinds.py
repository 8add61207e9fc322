"""Every kind of message the portal sends, with its words.

A message is stored as its kind and its values; the words are made when it is
read (the inbox, in the reader's language) or sent (a text message, in
Chinese). A provider sends text messages from templates it has approved: each
kind's ``sms_params`` are the values, in order, that fill its template, whose
id is configured per kind (``SMS_TEMPLATES``).
"""

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..vocab import REQUEST_CATEGORIES


@dataclass(frozen=True)
class Kind:
    code: str
    label: str  # what the preferences page calls it
    title: str
    text: str  # a %(name)s template of the values
    sms_params: tuple[str, ...] = ()
    # Preferences can turn the text message off (the inbox is always on);
    # a verification code or a change of number is always sent.
    optional_sms: bool = True


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {kind.code: kind for kind in kinds}


KINDS = _kinds(
    Kind(
        "booking_confirmed",
        _l("Booking confirmed"),
        _l("Booking confirmed"),
        _l("%(service)s at %(site)s, %(when)s. Show the code %(code)s at the desk."),
        ("service", "when", "code"),
    ),
    Kind(
        "booking_pending",
        _l("Booking waiting for approval"),
        _l("Booking received"),
        _l("%(service)s at %(site)s, %(when)s: the staff will approve it soon."),
        ("service", "when"),
    ),
    Kind(
        "booking_approved",
        _l("Booking approved"),
        _l("Booking approved"),
        _l("%(service)s at %(site)s, %(when)s is approved. Show the code %(code)s at the desk."),
        ("service", "when", "code"),
    ),
    Kind(
        "booking_declined",
        _l("Booking declined"),
        _l("Booking declined"),
        _l("Sorry: %(service)s at %(site)s, %(when)s was declined."),
        ("service", "when"),
    ),
    Kind(
        "booking_cancelled",
        _l("Booking cancelled by the site"),
        _l("Booking cancelled"),
        _l("%(service)s at %(site)s, %(when)s is cancelled by the site: %(reason)s"),
        ("service", "when", "reason"),
    ),
    Kind(
        "booking_promoted",
        _l("A place from the waiting list"),
        _l("You have a place"),
        _l(
            "A place came free: %(service)s at %(site)s, %(when)s is booked for you. Code %(code)s."
        ),
        ("service", "when", "code"),
    ),  # fmt: skip
    Kind(
        "booking_reminder",
        _l("Booking reminders"),
        _l("Reminder"),
        _l("Reminder: %(service)s at %(site)s, %(when)s. Code %(code)s."),
        ("service", "when", "code"),
    ),
    Kind(
        "activity_signed_up",
        _l("Activity sign-up"),
        _l("Signed up"),
        _l("You are signed up for %(activity)s, %(when)s at %(place)s. Thank you!"),
        ("activity", "when"),
    ),
    Kind(
        "activity_promoted",
        _l("A place in an activity"),
        _l("You have a place"),
        _l("A place came free: you are signed up for %(activity)s, %(when)s."),
        ("activity", "when"),
    ),
    Kind(
        "activity_changed",
        _l("Activity changed"),
        _l("Activity changed"),
        _l("%(activity)s has changed: now %(when)s at %(place)s."),
        ("activity", "when"),
    ),
    Kind(
        "activity_cancelled",
        _l("Activity cancelled"),
        _l("Activity cancelled"),
        _l("%(activity)s on %(when)s is cancelled: %(reason)s"),
        ("activity", "when", "reason"),
    ),
    Kind(
        "activity_reminder",
        _l("Activity reminders"),
        _l("Reminder"),
        _l("Reminder: %(activity)s, %(when)s at %(place)s."),
        ("activity", "when"),
    ),
    Kind(
        "team_request_decided",
        _l("Team requests"),
        _l("Your request to join"),
        _l("%(team)s: %(decision)s"),
        ("team", "decision"),
    ),
    Kind(
        "redemption_ready",
        _l("Exchanges to pick up"),
        _l("Ready to pick up"),
        _l("%(item)s is waiting for you at %(site)s. Pick-up code %(code)s."),
        ("item", "code"),
    ),
    Kind(
        "topic_on_agenda",
        _l("Topics: on the agenda"),
        _l("A topic is on the agenda"),
        _l("“%(title)s” has the support it needs and goes to a deliberation meeting."),
        ("title",),
    ),
    Kind(
        "meeting_invited",
        _l("Deliberation meetings"),
        _l("You are invited to a deliberation meeting"),
        _l("“%(title)s” is discussed at %(site)s, %(when)s."),
        ("title", "when"),
    ),
    Kind(
        "topic_published",
        _l("Topics: decisions published"),
        _l("A decision is published"),
        _l("The decision on “%(title)s” is published: see the topic's page."),
        ("title",),
    ),
    Kind(
        "wish_claimed",
        _l("Your small wish is claimed"),
        _l("Your wish is claimed"),
        _l("A neighbour has taken on your wish “%(what)s” and will be in touch."),
        ("what",),
    ),
    Kind(
        "wish_fulfilled",
        _l("A wish you granted"),
        _l("Thank you for granting a wish"),
        _l("“%(what)s” is confirmed as granted: %(points)s points are credited to you."),
        ("what", "points"),
    ),
    Kind(
        "wish_withdrawn",
        _l("A wish you claimed is withdrawn"),
        _l("Wish withdrawn"),
        _l("The wish “%(what)s” you claimed was withdrawn: no need to grant it."),
        ("what",),
    ),
    Kind(
        "request_received",
        _l("Your requests: received"),
        _l("Request received"),
        _l("Your request no. %(number)s (%(category)s) is received and on its way to your grid."),
        ("number", "category"),
    ),
    Kind(
        "request_accepted",
        _l("Your requests: accepted"),
        _l("Request accepted"),
        _l("Your request no. %(number)s (%(category)s) is accepted. %(note)s"),
        ("number", "note"),
    ),
    Kind(
        "request_in_progress",
        _l("Your requests: work started"),
        _l("Work on your request"),
        _l("Work on your request no. %(number)s (%(category)s) has started. %(note)s"),
        ("number", "note"),
    ),
    Kind(
        "request_resolved",
        _l("Your requests: resolved"),
        _l("Request resolved"),
        _l("Your request no. %(number)s (%(category)s) is resolved: %(note)s Please rate it."),
        ("number", "note"),
    ),
    Kind(
        "request_rejected",
        _l("Your requests: not taken up"),
        _l("Request not taken up"),
        _l("Your request no. %(number)s (%(category)s) is not taken up: %(note)s"),
        ("number", "note"),
    ),
    Kind(
        "request_reopened",
        _l("Requests reopened by residents"),
        _l("A request is open again"),
        _l("Request no. %(number)s (%(category)s) is open again: the resident is not satisfied."),
        ("number",),
    ),
    Kind(
        "request_overdue",
        _l("Overdue requests"),
        _l("A request is overdue"),
        _l("Request no. %(number)s (%(category)s) is past its deadline and needs you."),
        ("number",),
    ),
    Kind(
        "verification_code",
        _l("Verification codes"),
        _l("Your code"),
        _l("Your code is %(code)s. It is valid for 10 minutes. Do not tell anyone."),
        ("code",),
        optional_sms=False,
    ),
    Kind(
        "mobile_changed",
        _l("Change of mobile number"),
        _l("Your number was changed"),
        _l(
            "The mobile number of your Doorstep account was changed to %(masked)s. "
            "If this was not you, call the site."
        ),
        ("masked",),
        optional_sms=False,
    ),  # fmt: skip
)


# Values stored as codes, so a message reads in its reader's language.
VALUE_WORDS = {
    "category": {code: term.label for code, term in REQUEST_CATEGORIES.items()},
    "decision": {
        "approved": _l("accepted, welcome to the team"),
        "declined": _l("not accepted this time"),
    },
}


def shown(params: dict | None) -> dict[str, str]:
    """The values as words, in the current language."""
    return {
        key: str(VALUE_WORDS[key][value])
        if key in VALUE_WORDS and value in VALUE_WORDS[key]
        else str(value)
        for key, value in (params or {}).items()
    }


def words(kind_code: str, params: dict) -> tuple[str, str]:
    """(title, text) of a message, in the current language."""
    kind = KINDS[kind_code]
    values = {name: "" for name in _placeholders(str(kind.text))}
    values.update(shown(params))
    return str(kind.title), str(kind.text) % values


def sms_text(kind_code: str, params: dict, sign: str) -> str:
    """What a text message says, after the provider's sign: in Chinese, the city's language."""
    with force_locale("zh"):
        title, text = words(kind_code, params)
        return f"【{sign}】{title}：{text}"


def _placeholders(template: str) -> list[str]:
    import re

    return re.findall(r"%\((\w+)\)s", template)
