"""Forms of the staff's service project pages (服务项目).

Each form shares its page with others, so each has a prefix: no id repeats
and no field is renamed. Field names are those of the rule's refusals
(``volunteers.projects``), so a refusal lands beside its field (``show_on``).
Numbers typed with a Chinese keyboard (full-width digits, "，" and "．") are
read as ASCII; anything else that is not a number gets a message, never a 500.
"""

import re
import unicodedata
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import (
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import PrefixedForm
from ..inputs import DayRefused, parse_day
from ..vocab import PROJECT_CATEGORIES
from ..volunteers.projects import MAX_AMOUNT, MAX_BUDGET_YUAN, MAX_SERVED, Draft

WHOLE_COMMUNITY = "community"
_WHOLE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")
_AMOUNT = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?")
# More characters than any amount or count has: refused before it is read.
_LONGEST = 20


def _plain(text: str | None) -> str:
    """What was typed, with full-width digits and signs made ASCII and spaces gone."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(text.split()).removeprefix("¥").removesuffix("元")


class DayField(DateField):
    """A date (2026-11-23) read the way every date parameter is (``parse_day``):
    one outside 2000 … five years ahead is refused with its message."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_day(valuelist[0])
        except DayRefused as refusal:
            self.data = None
            raise ValueError(refusal.message) from None


class WholeNumberField(StringField):
    """A whole number from 0 to ``most`` (a budget in yuan, people served); ``number``
    holds it once valid. The text as typed stays, so a refused form shows it."""

    number: int | None = None

    def __init__(self, label, *, most: int, message, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, **kwargs)
        self.most, self.message = most, message

    def pre_validate(self, form):
        text = _plain(self.data)
        self.number = None
        if len(text) > _LONGEST or not _WHOLE.fullmatch(text):
            raise ValidationError(self.message)
        number = int(text.replace(",", ""))
        if number > self.most:
            raise ValidationError(self.message)
        self.number = number


def parse_amount(text: str | None) -> Decimal:
    """An amount of money in yuan with at most two decimals (fen), above 0.

    Raises ValueError with the message to show: NaN, infinities, signs,
    exponents, parts of a fen and more digits than the column holds are all refused.
    """
    plain = _plain(text)
    if not plain:
        raise ValueError(_l("Enter the amount, such as 1280.50."))
    if len(plain) > _LONGEST or not _AMOUNT.fullmatch(plain):
        raise ValueError(
            _l("Enter an amount in yuan above 0, with at most two decimals, such as 1280.50.")
        )
    amount = Decimal(plain.replace(",", ""))
    if amount <= 0:
        raise ValueError(_l("The amount must be more than 0."))
    if amount > MAX_AMOUNT:
        raise ValueError(_l("An entry is at most 99,999,999.99 yuan."))
    return amount


class AmountField(StringField):
    """Yuan and fen ("1280.50", "１２８０．５"); ``amount`` holds the Decimal once valid."""

    amount: Decimal | None = None

    def __init__(self, label, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, **kwargs)

    def pre_validate(self, form):
        try:
            self.amount = parse_amount(self.data)
        except ValueError as error:
            self.amount = None
            raise ValidationError(str(error)) from None


def _text(label, most: int, *, required=None, area: bool = False):
    validators = [Length(max=most, message=_l("Keep this to %(most)s characters or fewer.",
                                              most=most))]  # fmt: skip
    if required:
        validators.insert(0, InputRequired(message=required))
    return (TextAreaField if area else StringField)(label, validators=validators)


class ProjectForm(PrefixedForm):
    """A draft: what the project is, where, who takes part, and its money."""

    PREFIX = "project"

    title = _text(_l("Title"), 80, required=_l("Give the project a title."))
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice(code, term.label) for code, term in PROJECT_CATEGORIES.items()],
        validate_choice=False,
    )
    site_id = SelectField(_l("Takes place at"), validate_choice=False)
    team_ids = SelectMultipleField(
        _l("Teams taking part"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    beneficiaries = _text(_l("Who it serves"), 200)
    budget_yuan = WholeNumberField(
        _l("Budget (whole yuan)"), most=MAX_BUDGET_YUAN,
        message=_l("Enter the budget in whole yuan, from 0 to 100,000,000."),
    )  # fmt: skip
    fund_source = _text(_l("Fund source"), 80)
    description = _text(_l("Description"), 2000, area=True)

    def __init__(self, *args, places=(), teams=(), whole_community: str | None = None, **kwargs):
        """``places``: the sites it may be at; ``whole_community``: the label of the
        community-wide choice (a center's console only); ``teams``: those that may take part."""
        super().__init__(*args, **kwargs)
        choices = [SelectChoice(WHOLE_COMMUNITY, whole_community)] if whole_community else []
        self.site_id.choices = choices + [SelectChoice(str(s.id), s.name) for s in places]
        self.team_ids.choices = [SelectChoice(str(t.id), t.name) for t in teams]

    @classmethod
    def of(cls, project, **kwargs):
        """The form filled in with a draft's values, to edit it."""
        place = WHOLE_COMMUNITY if project.site_id is None else str(project.site_id)
        data = {
            "title": project.title, "category": project.category, "site_id": place,
            "team_ids": [str(t.id) for t in project.teams],
            "beneficiaries": project.beneficiaries, "budget_yuan": str(project.budget_yuan),
            "fund_source": project.fund_source, "description": project.description,
        }  # fmt: skip
        return cls(formdata=None, data=data, **kwargs)

    def validate_category(self, field):
        if field.data not in PROJECT_CATEGORIES:
            raise ValidationError(_l("Choose a category from the list."))

    def validate_site_id(self, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose where the project takes place."))

    def validate_team_ids(self, field):
        offered = {choice.value for choice in field.choices}
        if not set(field.data or ()) <= offered:
            raise ValidationError(_l("Choose teams from the list."))

    def draft(self) -> Draft:
        place = self.site_id.data
        return Draft(
            title=self.title.data or "", category=self.category.data,
            site_id=None if place == WHOLE_COMMUNITY else int(place),
            team_ids=sorted({int(v) for v in self.team_ids.data or ()}),
            beneficiaries=self.beneficiaries.data or "", budget_yuan=self.budget_yuan.number,
            fund_source=self.fund_source.data or "", description=self.description.data or "",
        )  # fmt: skip


class FilingForm(PrefixedForm):
    """备案: the number the street office gave, and the day."""

    PREFIX = "filing"

    filing_number = _text(_l("Filing number"), 40, required=_l("Enter the filing number."))
    filed_on = DayField(
        _l("Filed on"), validators=[InputRequired(message=_l("Enter the day it was filed."))]
    )


class PublicityForm(PrefixedForm):
    """公示: the period residents can give their opinions."""

    PREFIX = "publicity"

    starts_on = DayField(
        _l("Publicity starts"), validators=[InputRequired(message=_l("Choose the first day."))]
    )
    ends_on = DayField(
        _l("Publicity ends"), validators=[InputRequired(message=_l("Choose the last day."))]
    )


class StepForm(PrefixedForm):
    """A step that needs nothing but the tap (start the project, remove an entry)."""


class StartForm(StepForm):
    PREFIX = "start"


class CompleteForm(PrefixedForm):
    """The outcome: people served, a short summary, and a photo if there is one."""

    PREFIX = "complete"

    beneficiaries = WholeNumberField(
        _l("People served"), most=MAX_SERVED,
        message=_l("Enter how many people the project served, from 0 to 1,000,000."),
    )  # fmt: skip
    summary = _text(_l("Short summary"), 500, required=_l("Write a short summary."), area=True)
    photo = FileField(_l("Photo (optional)"))

    @property
    def photo_file(self) -> FileStorage | None:
        """The chosen photo, if one was sent as a file (a text value is no photo)."""
        data = self.photo.data
        return data if isinstance(data, FileStorage) and data.filename else None


def reply_prefix(comment_id: int) -> str:
    return f"comment{comment_id}-reply"


def hide_prefix(comment_id: int) -> str:
    return f"comment{comment_id}-hide"


class ReplyForm(PrefixedForm):
    """The staff's answer to one opinion (one form per opinion: ``reply_prefix``)."""

    body = _text(_l("Answer"), 500, required=_l("Write the answer."), area=True)


class HideForm(PrefixedForm):
    """Hide one opinion, with the reason shown in its place (``hide_prefix``)."""

    reason = _text(
        _l("Why it is hidden (shown publicly)"), 200,
        required=_l("Say why the opinion is hidden: residents see the reason."),
    )  # fmt: skip


class SpendingForm(PrefixedForm):
    """One spending entry against the budget, shown on the public page."""

    PREFIX = "spending"

    spent_on = DayField(
        _l("Day spent"), validators=[InputRequired(message=_l("Enter the day it was spent."))]
    )
    amount = AmountField(_l("Amount (yuan)"))
    purpose = _text(_l("What for"), 200, required=_l("Say what it was for."))
    payee = _text(_l("Paid to"), 100, required=_l("Say who was paid."))


def remove_prefix(spending_id: int) -> str:
    return f"spending{spending_id}-remove"
