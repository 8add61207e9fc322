import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from .. import clock
from ..forms import PrefixedForm
from ..sites.editing import BASIC_FIELDS, CHINA_LAT, CHINA_LNG, PHONE_RE, date_window
from ..sites.hours import format_minutes
from ..vocab import FACILITIES, SERVICE_CATEGORIES, SPECIAL_DAY_KINDS, WEEKDAYS
from .booking_forms import TimeField


class SiteStatusForm(FlaskForm):
    status = RadioField(
        _l("Status"),
        choices=[
            SelectChoice("open", _l("Open as usual")),
            SelectChoice("closed", _l("Temporarily closed")),
        ],
        validate_choice=False,  # the service gives the message
    )
    reason = StringField(_l("Reason residents will see"))


def in_window(form, field):
    """A date staff enter lies within a year back and two years ahead."""
    first, last = date_window(clock.today())
    if field.data is not None and not first <= field.data <= last:
        raise ValidationError(
            _l("Choose a date between %(first)s and %(last)s.", first=first, last=last)
        )


class VersionedForm(PrefixedForm):
    """Carries the listing's version, so a stale save is caught."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def _phone(form, field):
    # Full-width digits and dashes (typed with a Chinese keyboard) become ASCII.
    text = unicodedata.normalize("NFKC", field.data or "").strip()
    if text and not PHONE_RE.fullmatch(text):
        raise ValidationError(_l("Enter a phone number such as 021-5888 1234 or 138 1234 5678."))
    field.data = text


class CoordinateField(FloatField):
    """A decimal degree; text that is not a number gets our message, not WTForms'."""

    def __init__(self, label, *, example: str, **kwargs):
        super().__init__(label, **kwargs)
        self.example = example

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            message = _l("Enter a number such as %(example)s.", example=self.example)
            raise ValueError(message) from None


class SiteBasicForm(VersionedForm):
    PREFIX = "basic"
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Enter the site's name.")),
            Length(max=80, message=_l("Keep the name to 80 characters or fewer.")),
        ],
    )
    address = StringField(
        _l("Address"),
        validators=[
            InputRequired(message=_l("Enter the address.")),
            Length(max=200, message=_l("Keep the address to 200 characters or fewer.")),
        ],
    )
    phone = StringField(_l("Phone"), validators=[_phone])
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=2000, message=_l("Keep this to 2000 characters or fewer."))],
    )
    latitude = CoordinateField(
        _l("Latitude"),
        example="31.2304",
        validators=[
            InputRequired(message=_l("Enter the latitude, e.g. 31.2304.")),
            NumberRange(*CHINA_LAT, message=_l("These coordinates are outside China. Check them.")),
        ],
    )
    longitude = CoordinateField(
        _l("Longitude"),
        example="121.4737",
        validators=[
            InputRequired(message=_l("Enter the longitude, e.g. 121.4737.")),
            NumberRange(*CHINA_LNG, message=_l("These coordinates are outside China. Check them.")),
        ],
    )

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in BASIC_FIELDS}


class FacilitiesForm(VersionedForm):
    PREFIX = "facilities"
    facilities = SelectMultipleField(
        _l("Facilities"),
        choices=[SelectChoice(code, term.label) for code, term in FACILITIES.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class IntervalForm(VersionedForm):
    PREFIX = "hours"
    weekday = SelectField(
        _l("Weekday"),
        choices=[SelectChoice(str(i), label) for i, label in enumerate(WEEKDAYS)],
    )
    opens = TimeField(_l("Opens"))
    closes = TimeField(_l("Closes"))

    def validate_closes(self, field):
        opens, closes = self.opens.minutes, field.minutes
        if opens is not None and closes is not None and closes <= opens:
            raise ValidationError(_l("The closing time must be after the opening time."))


class SpecialDayForm(VersionedForm):
    PREFIX = "special"
    kind = SelectField(
        _l("What"),
        choices=[SelectChoice(code, term.label) for code, term in SPECIAL_DAY_KINDS.items()],
    )
    starts_on = DateField(
        _l("From"), validators=[InputRequired(message=_l("Choose the first day.")), in_window]
    )
    ends_on = DateField(
        _l("Until"), validators=[InputRequired(message=_l("Choose the last day.")), in_window]
    )
    opens = TimeField(_l("Extended hours from"), optional=True)
    closes = TimeField(_l("Extended hours until"), optional=True)
    note = StringField(
        _l("Note for residents (optional)"),
        validators=[Length(max=100, message=_l("Keep this to 100 characters or fewer."))],
    )

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day must not be before the first day."))

    def validate_closes(self, field):
        if self.kind.data != "extended":
            return
        opens, closes = self.opens.minutes, field.minutes
        if opens is None or closes is None:
            raise ValidationError(
                _l("Extended hours need a start and an end, such as 18:00–21:00.")
            )
        if closes <= opens:
            raise ValidationError(_l("The closing time must be after the opening time."))

    def values(self) -> dict:
        extended = self.kind.data == "extended"
        return {
            "kind": self.kind.data,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "opens_min": self.opens.minutes if extended else None,
            "closes_min": self.closes.minutes if extended else None,
            "note": (self.note.data or "").strip(),
        }


class NoticeForm(VersionedForm):
    PREFIX = "notice"
    title = StringField(
        _l("Title"),
        validators=[
            InputRequired(message=_l("Enter a title.")),
            Length(max=80, message=_l("Keep the title to 80 characters or fewer.")),
        ],
    )
    body = TextAreaField(
        _l("Text"),
        validators=[Length(max=2000, message=_l("Keep this to 2000 characters or fewer."))],
    )
    publish_on = DateField(
        _l("Show from"),
        validators=[InputRequired(message=_l("Choose the first day to show it.")), in_window],
    )
    expires_on = DateField(_l("Show until (optional)"), validators=[Optional(), in_window])

    def validate_expires_on(self, field):
        if field.data and self.publish_on.data and field.data < self.publish_on.data:
            raise ValidationError(_l("The last day must not be before the first day."))

    def values(self) -> dict:
        return {
            "title": self.title.data.strip(),
            "body": (self.body.data or "").strip(),
            "publish_on": self.publish_on.data,
            "expires_on": self.expires_on.data,
        }


class ServiceForm(VersionedForm):
    PREFIX = "service"
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice(code, term.label) for code, term in SERVICE_CATEGORIES.items()],
    )
    name = StringField(
        _l("Service name"),
        validators=[
            InputRequired(message=_l("Enter the service's name.")),
            Length(max=80, message=_l("Keep the name to 80 characters or fewer.")),
        ],
    )
    description = TextAreaField(
        _l("What residents get (optional)"),
        validators=[Length(max=2000, message=_l("Keep this to 2000 characters or fewer."))],
    )
    bookable = BooleanField(_l("Residents book it online"))

    def values(self) -> dict:
        return {
            "category": self.category.data,
            "name": self.name.data.strip(),
            "description": (self.description.data or "").strip(),
            "bookable": self.bookable.data,
        }


class ServiceEditForm(ServiceForm):
    """Change an existing service; whether it is booked online stays as it is."""

    bookable = None

    def values(self) -> dict:
        return {
            "category": self.category.data,
            "name": self.name.data.strip(),
            "description": (self.description.data or "").strip(),
        }


def close_prefix(site_id: int) -> str:
    """Each card of the staff home has its own forms: "site12-close-reason"."""
    return f"site{site_id}-close"


def extend_prefix(site_id: int) -> str:
    return f"site{site_id}-extend"


class CloseForm(FlaskForm):
    """One tap from the staff home: temporarily closed, with the reason residents see."""

    reason = StringField(
        _l("Reason residents will see"),
        validators=[
            InputRequired(message=_l("Tell residents why the site is closed.")),
            Length(max=200, message=_l("Keep the reason to 200 characters or fewer.")),
        ],
    )


# Extended hours tonight end on the hour, from 18:00 to midnight.
TONIGHT_UNTIL = [(m, format_minutes(m)) for m in range(18 * 60, 24 * 60 + 1, 60)]


class ExtendTonightForm(FlaskForm):
    """One tap from the staff home: 延时服务 tonight, until the chosen hour."""

    until = SelectField(
        _l("Open tonight until"),
        choices=[SelectChoice(str(m), label) for m, label in TONIGHT_UNTIL],
        default=str(20 * 60),
        validate_choice=False,
    )

    def validate_until(self, field):
        if field.data not in {str(m) for m, _label in TONIGHT_UNTIL}:
            raise ValidationError(_l("Choose a time from the list."))

    @property
    def minutes(self) -> int:
        return int(self.until.data)


class AffectedForm(PrefixedForm):
    """A closure meets bookings or activities: cancel them and tell each person, or keep them."""

    PREFIX = "affected"
    then = RadioField(
        _l("What should happen to them?"),
        choices=[
            SelectChoice("cancel", _l("Cancel them and tell each person")),
            SelectChoice("keep", _l("Keep them: I will contact the people myself")),
        ],
        validate_choice=False,
    )
    message = StringField(
        _l("What they will read"),
        validators=[Length(max=200, message=_l("Keep this to 200 characters or fewer."))],
    )

    def asked(self) -> bool:
        """The staff member has seen the question (their answer came with the form)."""
        return bool(self.then.raw_data)

    def validate_then(self, field):
        if field.data not in ("cancel", "keep"):
            raise ValidationError(_l("Choose whether to cancel them or keep them."))

    def validate_message(self, field):
        field.data = " ".join((field.data or "").split())
        if self.then.data == "cancel" and not field.data:
            raise ValidationError(_l("Tell them why, in a few words."))
