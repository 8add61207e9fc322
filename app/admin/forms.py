from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Regexp, ValidationError

from ..staff.forms import SiteBasicForm
from ..vocab import COMMUNITY_CLASSES, SITE_KINDS, STATION_TYPES


class GrantScopeForm(FlaskForm):
    site_id = IntegerField(
        _l("Site number"),
        validators=[
            InputRequired(message=_l("Enter the number of the site (shown on its page).")),
            NumberRange(min=1, max=2**31 - 1, message=_l("Enter a site number.")),
        ],
    )


class NameForm(FlaskForm):
    """A district's or street's name."""

    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Enter a name.")),
            Length(max=40, message=_l("Keep the name to 40 characters or fewer.")),
        ],
    )


class CommunityForm(NameForm):
    klass = SelectField(
        _l("Class"),
        choices=[SelectChoice(code, term.label) for code, term in COMMUNITY_CLASSES.items()],
        validate_choice=False,
    )

    def validate_klass(self, field):
        if field.data not in COMMUNITY_CLASSES:
            raise ValidationError(_l("Choose the community's class, A to D."))


class NewSiteForm(SiteBasicForm):
    """A new center or station; its staff then set hours, services and the rest."""

    version = None
    code = StringField(
        _l("Site code"),
        description=_l("A stable code from your records, e.g. PD-HM-001. Imports match on it."),
        validators=[
            InputRequired(message=_l("Enter the site's code.")),
            Length(max=40, message=_l("Keep the code to 40 characters or fewer.")),
            Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dots and dashes only.")),
        ],
    )
    kind = RadioField(
        _l("Kind"),
        choices=[SelectChoice(code, term.label) for code, term in SITE_KINDS.items()],
        default="station",
        validate_choice=False,
    )
    station_type = SelectField(
        _l("Station type"),
        choices=[SelectChoice(code, term.label) for code, term in STATION_TYPES.items()],
        validate_choice=False,
    )

    def validate_kind(self, field):
        if field.data not in SITE_KINDS:
            raise ValidationError(_l("Choose center or station."))

    def validate_station_type(self, field):
        if self.kind.data == "station" and field.data not in STATION_TYPES:
            raise ValidationError(_l("Choose the station's type."))

    def values(self) -> dict:
        return {
            **super().values(),
            "code": self.code.data.strip(),
            "kind": self.kind.data,
            "station_type": self.station_type.data,
        }
