"""Forms of small wishes: the resident's, and the staff's (posting for someone,
the credit rule, a co-building unit's claim). The rules in ``service`` read
and check every value, so a form here only names and labels the fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from ..forms import PrefixedForm


class WishFields(FlaskForm):
    what = StringField(_l("What is the wish"))
    for_name = StringField(_l("For whom (first name or how neighbours call them)"))
    for_age = StringField(_l("Age (optional)"))
    place = StringField(_l("Where (only the volunteer and the staff see it)"))
    due_on = StringField(_l("By when"))


class WishForm(WishFields):
    """A resident's own wish, in a community they choose."""

    community = SelectField(_l("Community"), choices=[], validate_choice=False)


class StaffWishForm(PrefixedForm, WishFields):
    """Staff post for an elder or a child who phoned or came to the desk (代办)."""

    PREFIX = "wish"
    site = SelectField(_l("Site (optional)"), choices=[], validate_choice=False)
    mobile = StringField(_l("Their mobile number, if they have an account (optional)"))
    credit_points = StringField(_l("Points for this wish (optional, else the rule's)"))


class RuleForm(PrefixedForm):
    PREFIX = "rule"
    points = StringField(_l("Points for each wish granted"))
    hours = StringField(_l("Hours for each wish granted"))


class UnitClaimForm(FlaskForm):
    """A co-building unit (共建单位) takes a wish on; one per wish, ``prefix`` by wish."""

    unit = StringField(_l("Co-building unit"))


def unit_prefix(wish_id: int) -> str:
    return f"wish{wish_id}"
