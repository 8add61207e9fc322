"""Forms staff use to run activities: one activity, a weekly series, an edit,
the places, and cancelling with a reason.

The lists to choose from (the unit's projects, teams and sites) are set by the
view (``offer``); the rules in ``volunteers.activities`` check the choice
again, so a tampered form is refused with a message, never a 500.
"""

import re
import unicodedata
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from ..forms import PrefixedForm
from ..urls import positive_int
from ..vocab import PROJECT_CATEGORIES, WEEKDAYS
from ..volunteers.activities import MAX_DEADLINE_HOURS, MAX_PLACES, MAX_WEEKS, Details
from .booking_forms import TimeField
from .forms import in_window

# Hours as people type them: '2', '1.5', '1.25' (full-width digits read as ASCII).
HOURS_TEXT = re.compile(r"[0-9]{1,2}(\.[0-9]{1,2})?")


def _number(label, low, high, **kwargs):
    message = _l("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
    return IntegerField(
        label,
        validators=[
            InputRequired(message=message),
            NumberRange(min=low, max=high, message=message),
        ],
        **kwargs,
    )


def _text(label, limit, *, required=None):
    validators = [Length(max=limit, message=_l("Keep this to %(num)s characters or fewer.",
                                               num=limit))]  # fmt: skip
    if required:
        validators.insert(0, InputRequired(message=required))
    return StringField(label, validators=validators)


class HoursField(StringField):
    """Hours credited, optional: blank credits as long as the activity lasts."""

    hours: Decimal | None = None

    def pre_validate(self, form):
        text = unicodedata.normalize("NFKC", self.data or "").strip()
        self.hours = None
        if not text:
            return
        if not HOURS_TEXT.fullmatch(text):
            raise ValidationError(_l("Enter hours such as 2 or 1.5."))
        self.hours = Decimal(text)


class ChoiceField(SelectField):
    """A choice from a list the view fills; what is sent is checked by the rules
    (and a number that is not an id by ``validate``), so WTForms' own English
    "Not a valid choice" never shows."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        kwargs.setdefault("choices", [])
        super().__init__(*args, **kwargs)

    @property
    def id_or_none(self) -> int | None:
        return positive_int(self.data)

    def pre_validate(self, form):
        if (self.data or "") and self.id_or_none is None:
            raise ValidationError(_l("Choose from the list."))


class _ActivityFields(PrefixedForm):
    """What an activity and every occurrence of a series share."""

    title = _text(_l("Title"), 80, required=_l("Enter the activity's title."))
    project_id = ChoiceField(_l("Project"))
    team_id = ChoiceField(_l("Team"))
    site_id = ChoiceField(_l("Held at"))
    address = _text(_l("Address, when not at the site (optional)"), 200)
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice("", _l("As the project"))]
        + [SelectChoice(code, term.label) for code, term in PROJECT_CATEGORIES.items()],
        validate_choice=False,
    )
    starts = TimeField(_l("From"))
    ends = TimeField(_l("Until"))
    deadline_hours = _number(_l("Sign-up closes (hours before the start)"), 0,
                             MAX_DEADLINE_HOURS, default=2)  # fmt: skip
    hours = HoursField(_l("Hours credited (optional)"))
    requirements = _text(_l("Requirements (optional)"), 200)
    skills = _text(_l("Skills wanted (optional)"), 200)
    description = TextAreaField(
        _l("Description (optional)"),
        validators=[Length(max=2000, message=_l("Keep this to 2000 characters or fewer."))],
    )

    def validate_category(self, field):
        if field.data and field.data not in PROJECT_CATEGORIES:
            raise ValidationError(_l("Choose a category."))

    def validate_ends(self, field):
        starts, ends = self.starts.minutes, field.minutes
        if starts is not None and ends is not None and ends <= starts:
            raise ValidationError(_l("The end must be after the start."))

    def details(self) -> Details:
        return Details(
            title=self.title.data or "", project_id=self.project_id.id_or_none,
            team_id=self.team_id.id_or_none, site_id=self.site_id.id_or_none or 0,
            address=self.address.data or "", category=self.category.data or "",
            description=self.description.data or "", requirements=self.requirements.data or "",
            skills=self.skills.data or "", hours=self.hours.hours,
            deadline_hours=self.deadline_hours.data,
        )  # fmt: skip

    def offer(self, *, projects, teams, sites) -> None:
        """The unit's projects, teams and sites to choose from."""
        none = SelectChoice("", _l("None"))
        self.project_id.choices = [none] + [SelectChoice(str(p.id), p.title) for p in projects]
        self.team_id.choices = [none] + [SelectChoice(str(t.id), t.name) for t in teams]
        self.site_id.choices = [SelectChoice(str(s.id), s.name) for s in sites]


class ActivityForm(_ActivityFields):
    PREFIX = "activity"

    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Choose the day.")),
                                           in_window])  # fmt: skip
    places = _number(_l("Volunteer places"), 1, MAX_PLACES, default=10)


class SeriesForm(_ActivityFields):
    """Every week on one weekday, from a first day, for a number of weeks."""

    PREFIX = "series"

    weekday = SelectField(
        _l("Every"),
        choices=[SelectChoice(str(i), label) for i, label in enumerate(WEEKDAYS)],
        default="5",
        validate_choice=False,
    )
    starts_on = DateField(
        _l("From the week of"),
        validators=[InputRequired(message=_l("Choose the first day.")), in_window],
    )
    weeks = _number(_l("For how many weeks"), 1, MAX_WEEKS, default=8)
    places = _number(_l("Places each week"), 1, MAX_PLACES, default=10)

    def validate_weekday(self, field):
        if field.data not in {str(i) for i in range(7)}:
            raise ValidationError(_l("Choose a weekday."))


class ActivityEditForm(_ActivityFields):
    """Change one activity (one occurrence of a series alone)."""

    PREFIX = "edit"

    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Choose the day.")),
                                           in_window])  # fmt: skip
    reason = _text(_l("Why it changes (the volunteers read it)"), 200)


class PlacesForm(PrefixedForm):
    PREFIX = "places"

    places = _number(_l("Volunteer places"), 1, MAX_PLACES)


class CancelForm(PrefixedForm):
    """Cancel an activity, or what remains of a series, with the reason volunteers read."""

    PREFIX = "cancel"

    reason = _text(
        _l("Reason the volunteers will read"), 200,
        required=_l("Tell the volunteers why it is cancelled."),
    )  # fmt: skip
