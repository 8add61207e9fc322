"""Forms staff use to run volunteer teams; the team's leaders use the removal form too.

The longest text each field takes is the length of its column, so a form and
the database never disagree (one over-long name is the same 422 on SQLite and
PostgreSQL). A refusal from the rules lands on its field (``show_on``).
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..accounts.forms import MobileField
from ..forms import PrefixedForm
from ..models import Membership, Team
from ..urls import positive_int
from ..vocab import MEMBERSHIP_STATUSES

# Team.description is TEXT (no length of its own): what a phone screen reads.
DESCRIPTION_MAX = 2000


def column_max(column) -> int:
    """The longest text a String column holds."""
    return column.type.length


def _squeeze(value):
    """Runs of white space as one space, none at the ends."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=_l("Keep this to %(max)s characters or fewer.", max=limit))


class SiteChoiceField(SelectField):
    """One of the sites a worker manages, by id; any other value gets our message.

    The choices are set by the view (the sites of the page's unit that the
    worker manages). A value that is not an id, an id beyond the database's
    integers or a site outside the scope all read as "choose one of yours".
    """

    def __init__(self, label, **kwargs):
        super().__init__(label, coerce=int, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist):
        self.data = positive_int(valuelist[0]) if valuelist else None

    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(_l("Choose one of the sites you manage."))


class TeamForm(PrefixedForm):
    """A new team: its name, brand, what it does, where it is based, the skills it needs."""

    PREFIX = "team"

    name = StringField(
        _l("Team name"),
        filters=[_squeeze],
        validators=[
            DataRequired(message=_l("Enter the team's name.")),
            _at_most(column_max(Team.name)),
        ],
    )
    brand = StringField(
        _l("Brand (optional)"), filters=[_squeeze], validators=[_at_most(column_max(Team.brand))]
    )
    slogan = StringField(
        _l("Slogan (optional)"),
        filters=[_squeeze],
        validators=[_at_most(column_max(Team.slogan))],
    )
    description = TextAreaField(
        _l("What the team does (optional)"),
        filters=[_strip],
        validators=[_at_most(DESCRIPTION_MAX)],
    )
    skills = StringField(
        _l("Skills the team needs (optional)"),
        filters=[_squeeze],
        validators=[_at_most(column_max(Team.skills))],
    )
    home_site_id = SiteChoiceField(_l("Home site"))

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "brand": self.brand.data or "",
            "slogan": self.slogan.data or "",
            "description": self.description.data or "",
            "skills": self.skills.data or "",
            "home_site_id": self.home_site_id.data,
        }


class TeamEditForm(TeamForm):
    """The same fields, on the team's own page beside its other forms."""

    PREFIX = "edit"


class NameRoleForm(PrefixedForm):
    """Name a volunteer, found by their number, the team's leader or a deputy."""

    PREFIX = "role"

    mobile = MobileField(_l("The volunteer's mobile number"))
    role = RadioField(
        _l("Role"),
        choices=[SelectChoice(s, MEMBERSHIP_STATUSES[s].label) for s in Membership.RUNS_THE_TEAM],
        default="leader",
        validate_choice=False,
    )

    def validate_role(self, field):
        if field.data not in Membership.RUNS_THE_TEAM:
            raise ValidationError(_l("Choose leader or deputy."))


def role_prefix(membership_id: int) -> str:
    """Each member's row has its own forms, apart from every other row's: "role12-role"."""
    return f"role{membership_id}"


def remove_prefix(membership_id: int) -> str:
    """The removal form of member 12's row is "remove12-reason"."""
    return f"remove{membership_id}"


class MemberRoleForm(FlaskForm):
    """Staff make someone in the team its leader, a deputy or a plain member."""

    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(s, MEMBERSHIP_STATUSES[s].label) for s in Membership.IN_THE_TEAM],
        validate_choice=False,
    )

    def validate_role(self, field):
        if field.data not in Membership.IN_THE_TEAM:
            raise ValidationError(_l("Choose leader, deputy or member."))


class RemoveMemberForm(FlaskForm):
    """Take someone out of the team, with the reason they will read on its page."""

    reason = StringField(
        _l("Reason (the person sees it)"),
        filters=[_squeeze],
        validators=[
            DataRequired(message=_l("Say why, for the person removed.")),
            _at_most(column_max(Membership.removed_reason)),
        ],
    )
