"""Forms of the volunteering pages residents and volunteers use.

Refused input re-renders the same page with 422, keeping what was typed.
Staff's volunteering forms are beside their pages in app/staff.
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, Regexp, ValidationError


class CertificateForm(FlaskForm):
    """Ask for a certificate of hours for a period; both days empty is all time."""

    period_from = DateField(_l("From (optional)"), validators=[Optional()])
    period_to = DateField(_l("Until (optional)"), validators=[Optional()])


# Attendance: checking in and out, and the organiser's roster ---------------------


def _collapse(text):
    return " ".join(text.split()) if text else text


class AttendanceCodeForm(FlaskForm):
    """The activity's 6-digit code, to check in or out: typed, or carried by the
    door's QR code. Full-width digits and spaces (a Chinese keyboard) are read."""

    code = StringField(_l("The activity's code"))

    def validate_code(self, field):
        text = "".join(ch for ch in unicodedata.normalize("NFKC", field.data or "")
                       if not ch.isspace())  # fmt: skip
        if not (len(text) == 6 and text.isascii() and text.isdigit()):
            raise ValidationError(_l("Enter the activity's 6-digit code."))
        field.data = text


# Hours as people type them on the roster: '2', '1.5', '2.25' (ASCII digits).
# WTForms' Regexp matches at the start only, so the end is anchored here too.
HOURS_TEXT = re.compile(r"[0-9]{1,2}(\.[0-9]{1,2})?\Z")
HOURS_MESSAGE = _l("Hours must be more than 0 and at most 24.")


class RosterMarkForm(FlaskForm):
    """One volunteer on the roster: came (with the hours, if not the scheduled
    ones, and why) or did not come. The two buttons send ``attended``."""

    attended = StringField(
        validators=[AnyOf(("1", "0"), message=_l("Choose came or did not come."))]
    )
    hours = StringField(
        _l("Hours"),
        filters=[lambda text: text.strip() if text else text],
        validators=[Optional(), Regexp(HOURS_TEXT, message=HOURS_MESSAGE)],
    )
    # Checked here, not left to the database: PostgreSQL refuses a reason
    # longer than its column where SQLite would keep it.
    reason = StringField(
        _l("Reason"),
        filters=[_collapse],
        validators=[Length(max=200, message=_l("Keep the reason to 200 characters or fewer."))],
    )


# Service projects: a resident's opinion during publicity (公示) ---------------------


class OpinionForm(FlaskForm):
    """A resident's opinion on a project in its publicity period."""

    body = TextAreaField(
        _l("Your opinion"),
        validators=[
            InputRequired(message=_l("Write your opinion in 1 to 500 characters.")),
            Length(max=500, message=_l("Write your opinion in 1 to 500 characters.")),
        ],
    )
