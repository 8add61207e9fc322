"""The one refusal type: a rule said no, with a message for people.

Every area's error (``BookingError``, ``ListingError``, ``AccountError``,
``VolunteerError``) is a ``Refused``: ``message`` is what the person reads,
``reason`` a stable word for code and tests, ``field`` the form field it
concerns, if any. ``show_on`` puts one on its form, so a refused form comes
back with the message beside the field and the person's typing kept.
"""


class Refused(Exception):
    def __init__(self, message: str, field: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason


def show_on(form, error: Refused, field: str | None = None) -> None:
    """Add ``error``'s message to its field of ``form`` (or to the form as a whole)."""
    name = field or error.field
    target = getattr(form, name, None) if name else None
    if target is not None and hasattr(target, "errors"):
        if not isinstance(target.errors, list):
            target.errors = list(target.errors)
        target.errors.append(error.message)
    else:
        form.form_errors.append(error.message)
