"""Forms staff use to keep a community's grid tree: grids, compounds,
buildings, heads and grid workers, and the CSV import.

Each text field takes at most its column's length; phone numbers are read in
the shapes people type them (full-width digits too) and kept in one shape.
The rules in ``grids.tree`` check the same again, for callers without a form.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.fields.choices import Choice
from wtforms.validators import DataRequired, Length, ValidationError

from ..accounts.forms import MobileField
from ..forms import PrefixedForm
from ..grids.common import clean_text, normalize_phone
from ..grids.tree import BUILDING_NAME_MAX, COMPOUND_NAME_MAX, GRID_NAME_MAX, HEAD_NAME_MAX
from ..urls import positive_int


def _clean(value):
    return clean_text(value) if isinstance(value, str) else value


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=_l("Keep this to %(max)s characters or fewer.", max=limit))


class PhoneField(StringField):
    """A published phone number (optional): a mobile or a landline with its area code."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.raw = self.data or ""
        self.data = normalize_phone(self.raw)

    def pre_validate(self, form):
        if self.data is None:
            raise ValidationError(
                _l("Enter a mobile number of 11 digits or a landline with its area code, "
                   "such as 0371-12345678.")
            )  # fmt: skip

    def _value(self):
        return getattr(self, "raw", None) or self.data or ""


class ParentField(SelectField):
    """The grid above (an id of this community's grids), or none: a first-level grid."""

    def __init__(self, label, **kwargs):
        super().__init__(label, coerce=str, validate_choice=False, **kwargs)

    def process_data(self, value):
        self.data = value if isinstance(value, int) else None

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = positive_int(text) if text.strip() else None
        self.refused = bool(text.strip()) and self.data is None

    def pre_validate(self, form):
        allowed = {value for value, _label in self.choices}
        if getattr(self, "refused", False) or (self.data is not None and self.data not in allowed):
            raise ValidationError(_l("Choose a grid of this community."))

    def has_groups(self):
        return False

    def iter_choices(self):
        current = "" if self.data is None else self.data
        for value, label in self.choices:
            yield Choice(value=value, label=label, selected=value == current, render_kw={})


def _name_field(label, limit, required_message):
    return StringField(
        label,
        filters=[_clean],
        validators=[DataRequired(message=required_message), _at_most(limit)],
    )


class _HeadFields:
    head_name = StringField(
        _l("Grid head (网格长), optional"), filters=[_clean], validators=[_at_most(HEAD_NAME_MAX)]
    )
    head_phone = PhoneField(_l("Grid head's published phone, optional"))


class GridForm(PrefixedForm, _HeadFields):
    """A new grid: its name, the grid above it (none for a first-level grid), its head."""

    PREFIX = "grid"

    name = _name_field(_l("Grid name"), GRID_NAME_MAX, _l("Enter the grid's name."))
    parent_id = ParentField(_l("Under"))

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "parent_id": self.parent_id.data,
            "head_name": self.head_name.data or "",
            "head_phone": self.head_phone.data or "",
        }


class GridEditForm(GridForm):
    """The same fields on the grid's own page: rename, move, change the head."""

    PREFIX = "edit"


class CompoundForm(PrefixedForm):
    """A compound (小区) in the grid."""

    PREFIX = "compound"

    name = _name_field(_l("Compound name"), COMPOUND_NAME_MAX, _l("Enter the compound's name."))


def compound_prefix(compound_id: int) -> str:
    return f"compound{compound_id}"


def building_prefix(building_id: int) -> str:
    return f"building{building_id}"


def new_building_prefix(compound_id: int) -> str:
    return f"in{compound_id}-building"


class CompoundEditForm(FlaskForm):
    """Rename a compound (each compound's row has its own, by prefix)."""

    name = _name_field(_l("Compound name"), COMPOUND_NAME_MAX, _l("Enter the compound's name."))


class BuildingForm(FlaskForm):
    """A building (楼栋) and its building head (楼栋长); by prefix per compound or building."""

    name = _name_field(_l("Building"), BUILDING_NAME_MAX, _l("Enter the building's name."))
    head_name = StringField(
        _l("Building head (楼栋长), optional"), filters=[_clean],
        validators=[_at_most(HEAD_NAME_MAX)],
    )  # fmt: skip
    head_phone = PhoneField(_l("Building head's published phone, optional"))

    def values(self) -> dict:
        return {"name": self.name.data, "head_name": self.head_name.data or "",
                "head_phone": self.head_phone.data or ""}  # fmt: skip


class WorkerForm(PrefixedForm):
    """Name a grid worker (网格员): an existing account, found by its mobile number."""

    PREFIX = "worker"

    mobile = MobileField(_l("The worker's mobile number (their account)"))
    public_phone = PhoneField(_l("Phone residents may call, optional"))


class GridImportForm(FlaskForm):
    file = FileField(_l("CSV file"))
