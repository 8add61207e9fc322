"""Forms of residents' requests: reporting, rating, reopening; and staff's steps.

Text fields are checked for length here and again by the rules
(``requests.service``), which also refuse NUL bytes and unknown choices.
Photos are read from their bytes by ``uploads``; up to 3 ride in one form.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError

from ..forms import PrefixedForm
from ..urls import positive_int
from ..vocab import REQUEST_CATEGORIES, REQUEST_PLACES, REQUEST_RATINGS
from .service import MAX_COMMENT, MAX_NOTE, MAX_PHOTOS, MAX_PLACE, MAX_TEXT


def _text(label, most: int, *, required=None, area: bool = False, **kwargs):
    validators = [Length(max=most, message=_l("Keep this to %(most)s characters or fewer.",
                                              most=most))]  # fmt: skip
    if required:
        validators.insert(0, InputRequired(message=required))
    return (TextAreaField if area else StringField)(label, validators=validators, **kwargs)


def _coordinate(valuelist, low: float, high: float) -> float | None:
    """A coordinate the phone gave; anything else (NaN, text, far away) is none."""
    try:
        value = float((valuelist[0] if valuelist else "").strip()[:20])
    except ValueError:
        return None
    return value if low <= value <= high else None


class LatitudeField(HiddenField):
    def process_formdata(self, valuelist):
        self.data = _coordinate(valuelist, -90, 90)


class LongitudeField(HiddenField):
    def process_formdata(self, valuelist):
        self.data = _coordinate(valuelist, -180, 180)


def _listed(field, message) -> None:
    """A choice the page offered (the view sets the choices; anything else is refused)."""
    if (field.data or "") not in {str(choice.value) for choice in field.choices or ()}:
        raise ValidationError(message)


class PhotosMixin:
    def photo_files(self) -> list[FileStorage]:
        """The photos chosen (empty file inputs and text values are none)."""
        files = self.photos.data or []
        return [f for f in files if isinstance(f, FileStorage) and f.filename]

    def validate_photos(self, field):
        if len(self.photo_files()) > MAX_PHOTOS:
            raise ValidationError(_l("At most 3 photos, please."))


class ReportForm(PhotosMixin, PrefixedForm):
    """随手拍: what is wrong, where, a photo or three, and whether others may see it."""

    PREFIX = "report"

    category = RadioField(
        _l("What kind of problem is it?"),
        choices=[SelectChoice(c, t.label) for c, t in REQUEST_CATEGORIES.items()],
        validators=[InputRequired(message=_l("Choose what kind of problem it is."))],
        validate_choice=False,  # the rule refuses an unknown one, with its message
    )
    text = _text(
        _l("What is the problem?"), MAX_TEXT, area=True,
        required=_l("Please write what the problem is."),
    )  # fmt: skip
    photos = MultipleFileField(_l("Photos (up to 3, optional)"))
    place = RadioField(
        _l("Where is it?"),
        choices=[SelectChoice(c, t.label) for c, t in REQUEST_PLACES.items()],
        default="home",
        validators=[InputRequired(message=_l("Choose where the problem is."))],
        validate_choice=False,
    )
    site = SelectField(_l("Which center or station"), validate_choice=False, coerce=str)
    place_text = _text(_l("Where exactly (optional)"), MAX_PLACE)
    lat = LatitudeField()
    lng = LongitudeField()
    public = BooleanField(_l("Others may see it on the public board (without my name)"))

    def site_id(self) -> int | None:
        return positive_int(self.site.data)


class RateForm(PrefixedForm):
    PREFIX = "rate"

    rating = RadioField(
        _l("How satisfied are you with the result?"),
        choices=[SelectChoice(c, t.label) for c, t in REQUEST_RATINGS.items()],
        validators=[InputRequired(message=_l("Choose how satisfied you are."))],
        validate_choice=False,
    )
    comment = _text(_l("Comment (needed if you are not satisfied)"), MAX_COMMENT, area=True)

    def validate_comment(self, field):
        if self.rating.data == "unsatisfied" and not (field.data or "").strip():
            raise ValidationError(_l("Please say what is still wrong."))


class ReopenForm(PrefixedForm):
    PREFIX = "reopen"

    note = _text(
        _l("What is still wrong?"), MAX_NOTE, area=True,
        required=_l("Please say what is still wrong."),
    )  # fmt: skip


class StepForm(PhotosMixin, PrefixedForm):
    """One staff step on a request: the action, a note, photos before or after."""

    action = HiddenField()
    note = _text(_l("Note for the resident"), MAX_NOTE, area=True)
    photos = MultipleFileField(_l("Photos (up to 3, optional)"))
    back = HiddenField()

    def validate_note(self, field):
        if self.action.data == "reject" and not (field.data or "").strip():
            raise ValidationError(_l("Say why it is not taken up: the resident reads it."))


class ReassignForm(PrefixedForm):
    PREFIX = "reassign"

    grid = SelectField(_l("Pass it to"), validate_choice=False, coerce=str)
    note = _text(_l("Note (optional)"), MAX_NOTE)

    def validate_grid(self, field):
        _listed(field, _l("Choose where to pass it: one of the grids listed."))

    def grid_id(self) -> int | None:
        return positive_int(self.grid.data)


class FollowUpForm(PrefixedForm):
    PREFIX = "follow"

    note = _text(
        _l("What the resident said on the follow-up call"), MAX_NOTE, area=True,
        required=_l("Write what the resident said."),
    )  # fmt: skip


class LogForm(PhotosMixin, PrefixedForm):
    """代办: staff log a request for a resident who phoned (12349) or came to the desk."""

    PREFIX = "log"

    mobile = StringField(
        _l("Resident's mobile number"),
        validators=[InputRequired(message=_l("Enter the resident's mobile number."))],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    name = _text(_l("Resident's name"), 40, required=_l("Enter the resident's name."))
    community = SelectField(_l("Community"), validate_choice=False, coerce=str)
    grid = SelectField(_l("Grid (optional)"), validate_choice=False, coerce=str)
    category = SelectField(
        _l("What kind of problem is it?"),
        choices=[SelectChoice("", _l("Choose"))]
        + [SelectChoice(c, t.label) for c, t in REQUEST_CATEGORIES.items()],
        validate_choice=False,
    )
    text = ReportForm.text
    place_text = _text(_l("Where exactly (optional)"), MAX_PLACE)
    photos = MultipleFileField(_l("Photos (up to 3, optional)"))
    public = BooleanField(_l("The resident agrees to show it on the public board"))

    def validate_community(self, field):
        _listed(field, _l("Choose one of your communities."))

    def validate_grid(self, field):
        _listed(field, _l("Choose one of your grids, or none."))

    def community_id(self) -> int | None:
        return positive_int(self.community.data)

    def grid_id(self) -> int | None:
        return positive_int(self.grid.data)


class EmptyForm(FlaskForm):
    """A bare POST button ("me too"): the CSRF token only."""
