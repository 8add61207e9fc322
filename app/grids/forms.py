"""The resident's form for their home: community → grid → compound → building."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import Choice
from wtforms.validators import ValidationError

from ..urls import positive_int


class LevelField(SelectField):
    """One level of the home, by id, or nothing chosen ('').

    The choices are the view's (the level's rows under the one above). A value
    that is not an id, or not among them, reads as "choose one of the list";
    the rules check again that each level belongs to the one before.
    """

    def __init__(self, label, message, **kwargs):
        super().__init__(label, coerce=str, validate_choice=False, **kwargs)
        self.message = message

    def process_data(self, value):
        self.data = value if isinstance(value, int) else None

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = positive_int(text) if text else None
        self.refused = bool(text) and self.data is None

    def pre_validate(self, form):
        allowed = {value for value, _label in self.choices}
        if getattr(self, "refused", False) or (self.data is not None and self.data not in allowed):
            raise ValidationError(self.message)

    def has_groups(self):
        return False

    def iter_choices(self):
        current = "" if self.data is None else self.data
        for value, label in self.choices:
            yield Choice(value=value, label=label, selected=value == current, render_kw={})


class HomeForm(FlaskForm):
    community = LevelField(_l("Community"), _l("Choose your community from the list."))
    grid = LevelField(_l("Grid (网格)"), _l("Choose a grid of your community from the list."))
    compound = LevelField(
        _l("Compound (小区)"), _l("Choose a compound of your grid from the list.")
    )
    building = LevelField(
        _l("Building (楼栋)"), _l("Choose a building of your compound from the list.")
    )
