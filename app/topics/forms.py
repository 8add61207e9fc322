"""Forms of deliberation: the resident's (a topic, a rating, a withdrawal) and
the staff's (threshold, meeting, record, implementation, decline). The rules in
``service`` check every value; a form here names and labels the fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField

from ..forms import PrefixedForm


class TopicForm(FlaskForm):
    title = StringField(_l("Topic"))
    text = TextAreaField(_l("What should be decided, and why"))


class RateForm(PrefixedForm):
    PREFIX = "rate"
    rating = RadioField(
        _l("How satisfied are you with the outcome?"),
        choices=[("satisfied", _l("Satisfied")), ("basic", _l("Mostly satisfied")),
                 ("unsatisfied", _l("Not satisfied"))],
        validate_choice=False,
    )  # fmt: skip


class WithdrawForm(PrefixedForm):
    PREFIX = "withdraw"
    reason = StringField(_l("Why withdraw it"))


class ThresholdForm(PrefixedForm):
    PREFIX = "threshold"
    threshold = StringField(_l("Supports needed for the agenda"))


class StaffTopicForm(PrefixedForm):
    PREFIX = "topic"
    title = StringField(_l("Topic"))
    text = TextAreaField(_l("What should be decided, and why"))


class MeetingForm(PrefixedForm):
    PREFIX = "meeting"
    topics = SelectMultipleField(_l("Topics on the agenda"), choices=[], validate_choice=False)
    slot = SelectField(_l("Free time"), choices=[], validate_choice=False)


class RecordForm(PrefixedForm):
    PREFIX = "record"
    minutes = TextAreaField(_l("Minutes"))
    residents = StringField(_l("Residents' representatives"))
    owners_committee = StringField(_l("Owners' committee"))
    property_company = StringField(_l("Property company"))
    party_committee = StringField(_l("Community party committee"))
    names = StringField(_l("Names of attendees (optional)"))
    decision = TextAreaField(_l("Decision"))
    votes_for = StringField(_l("Votes for"))
    votes_against = StringField(_l("Votes against"))
    votes_abstain = StringField(_l("Abstentions"))


class ImplementationForm(PrefixedForm):
    PREFIX = "impl"
    state = SelectField(
        _l("Implementation"),
        choices=[("implementing", _l("Being implemented")), ("implemented", _l("Implemented")),
                 ("note", _l("An update only"))],
        validate_choice=False,
    )  # fmt: skip
    note = TextAreaField(_l("What was done"))


class DeclineForm(PrefixedForm):
    PREFIX = "decline"
    reason = StringField(_l("Why it is not taken up"))
