"""Forms of the love mall's staff pages: items, the pick-up desk, points adjustments.

Numbers are read as people type them on a phone: full-width digits (a Chinese
keyboard) and spaces are fine; anything else (NaN, 1e20, -1) gets a message
that says what to enter. Refused input comes back with 422 and the typing
kept. ``seen`` marks carry the newest record a page showed, so a form sent
twice makes one change (see ``volunteers.mall``).
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..forms import PrefixedForm
from ..urls import MAX_ID
from ..volunteers.mall import MAX_COST, MAX_DESCRIPTION, MAX_LIMIT, MAX_NAME, MAX_RESTOCK, MAX_STOCK
from ..volunteers.points import MAX_ADJUSTMENT, MAX_REASON

_DIGITS = re.compile(r"[0-9]{1,12}")


def whole_number(text: str | None) -> int | None:
    """'１２', ' 1 200 ' → the number; anything but digits → None."""
    normal = "".join(unicodedata.normalize("NFKC", (text or "")[:50]).split())
    return int(normal) if _DIGITS.fullmatch(normal) else None


class WholeNumberField(StringField):
    """A whole number from ``low`` to ``high``; ``data`` is the number or None.

    What was typed is shown again as typed when the form comes back refused.
    """

    def __init__(self, label, *, low: int, high: int, optional: bool = False, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, **kwargs)
        self.low, self.high, self.optional = low, high, optional
        self.raw: str | None = None

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = whole_number(self.raw)

    def pre_validate(self, form):
        if self.raw is not None and not self.raw.strip() and self.optional:
            self.data = None
            return
        if self.data is None or not self.low <= self.data <= self.high:
            self.data = None
            if self.optional:
                message = _l(
                    "Enter a whole number from %(low)s to %(high)s, or leave it empty.",
                    low=self.low, high=self.high,
                )  # fmt: skip
            else:
                message = _l(
                    "Enter a whole number from %(low)s to %(high)s.", low=self.low, high=self.high
                )
            raise ValidationError(message)

    def _value(self):
        if self.raw is not None:
            return self.raw
        return "" if self.data is None else str(self.data)


class MarkField(HiddenField):
    """The ``seen`` mark: a number, or None when it is missing or not one (then a
    second copy of the form is not recognised, and every rule still holds)."""

    def process_formdata(self, valuelist):
        number = whole_number(valuelist[0] if valuelist else "")
        self.data = number if number is not None and number <= MAX_ID else None


def _name():
    return StringField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Give the item a name.")),
            Length(max=MAX_NAME, message=_l("Keep the name to 60 characters or fewer.")),
        ],
    )


def _description():
    return TextAreaField(
        _l("Description (optional)"),
        validators=[
            Length(max=MAX_DESCRIPTION, message=_l("Keep this to 200 characters or fewer."))
        ],
    )


def _site():
    # Choices are the unit's sites, set by the view; the rule checks them again.
    return SelectField(_l("Picked up at"), validate_choice=False)


def _limit():
    return WholeNumberField(_l("Most per person (optional)"), low=1, high=MAX_LIMIT,
                            optional=True)  # fmt: skip


class _ItemFields(PrefixedForm):
    def validate_site(self, field):
        if field.data not in {str(value) for value, _label in field.choices or ()}:
            raise ValidationError(_l("Choose where it is picked up: one of your sites."))

    def photo_file(self) -> FileStorage | None:
        """The photo chosen, if one was (a text value in its place is none)."""
        data = self.photo.data
        return data if isinstance(data, FileStorage) and data.filename else None

    def details(self) -> dict:
        return {
            "name": self.name.data,
            "description": self.description.data or "",
            "site_id": int(self.site.data),
            "per_person_limit": self.per_person_limit.data,
        }


class MallItemForm(_ItemFields):
    """Add an item: what it is, its photo, where it is picked up, price and stock."""

    PREFIX = "item"
    name = _name()
    description = _description()
    photo = FileField(_l("Photo (optional)"))
    site = _site()
    points_cost = WholeNumberField(_l("Price in points"), low=1, high=MAX_COST)
    stock = WholeNumberField(_l("How many there are"), low=0, high=MAX_STOCK)
    per_person_limit = _limit()
    seen = MarkField()

    def values(self) -> dict:
        return {**self.details(), "points_cost": self.points_cost.data, "stock": self.stock.data}


class MallItemEditForm(_ItemFields):
    """Change an item; its price and stock have forms of their own."""

    PREFIX = "edit"
    name = _name()
    description = _description()
    photo = FileField(_l("New photo (optional)"))
    site = _site()
    per_person_limit = _limit()


class RestockForm(PrefixedForm):
    PREFIX = "restock"
    added = WholeNumberField(_l("How many arrived"), low=1, high=MAX_RESTOCK)
    seen = MarkField()


class PriceForm(PrefixedForm):
    PREFIX = "price"
    points_cost = WholeNumberField(_l("New price in points"), low=1, high=MAX_COST)


class ActiveForm(PrefixedForm):
    """Retire or offer again: the button says which (``state-active`` 0 or 1)."""

    PREFIX = "state"
    active = HiddenField()

    def validate_active(self, field):
        if field.data not in ("0", "1"):
            raise ValidationError(_l("Choose to retire the item or to offer it again."))


class FindRedemptionForm(FlaskForm):
    """The desk's look-up by the pick-up code (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    code = StringField(_l("Pick-up code"))


class FindVolunteerForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Real name, or the last 4 digits of the mobile number"))


class AdjustPointsForm(PrefixedForm):
    """Add or take away points, with the reason the volunteer reads in their ledger."""

    PREFIX = "adjust"
    volunteer = MarkField()
    direction = RadioField(
        _l("Add or take away"),
        choices=[SelectChoice("add", _l("Add points")), SelectChoice("take", _l("Take away"))],
        validate_choice=False,
    )
    amount = WholeNumberField(_l("Points"), low=1, high=MAX_ADJUSTMENT)
    reason = StringField(
        _l("Reason (the volunteer sees it)"),
        validators=[
            InputRequired(message=_l("Give a reason for the adjustment.")),
            Length(max=MAX_REASON, message=_l("Keep the reason to 200 characters or fewer.")),
        ],
    )
    seen = MarkField()

    def validate_direction(self, field):
        if field.data not in ("add", "take"):
            raise ValidationError(_l("Choose whether to add or to take away points."))

    def validate_reason(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_l("Give a reason for the adjustment."))

    @property
    def points(self) -> int:
        return self.amount.data if self.direction.data == "add" else -self.amount.data
