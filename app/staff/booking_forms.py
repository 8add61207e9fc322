"""Forms staff use for booking rules (a simple form; the console issue polishes it)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from ..forms import PrefixedForm
from ..sites.hours import parse_typed_time
from ..vocab import WEEKDAYS


def _number(label, low, high):
    message = _l("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
    return IntegerField(
        label,
        validators=[
            InputRequired(message=message),
            NumberRange(min=low, max=high, message=message),
        ],
    )


class BookingRuleForm(PrefixedForm):
    PREFIX = "rules"

    seat_limit = _number(_l("Most seats in one booking"), 1, 20)
    window_days = _number(_l("Days ahead residents can book"), 1, 60)
    min_notice_minutes = _number(_l("Minimum notice (minutes)"), 0, 10080)
    cancel_cutoff_minutes = _number(_l("Cancel until (minutes before the start)"), 0, 10080)
    max_active = _number(_l("Most active bookings per resident"), 1, 50)
    max_per_month = _number(_l("Most bookings per resident per month"), 1, 200)
    needs_approval = BooleanField(_l("Staff approve each booking"))
    auto_no_show = BooleanField(
        _l("Mark who did not come as a no-show 30 minutes after the end"), default=True
    )


class TimeField(StringField):
    """A time of day ('17:30', '1730', '17.30'); ``minutes`` holds it as minutes after midnight.

    With ``optional=True`` an empty field is allowed (``minutes`` is None).
    """

    minutes: int | None = None

    def __init__(self, *args, optional: bool = False, **kwargs):
        # The phone's text keyboard (it has ":"), not the digits-only pad:
        # 17:30, 1730, 17.30 and full-width digits are all understood.
        kwargs.setdefault(
            "render_kw", {"inputmode": "text", "autocomplete": "off", "spellcheck": "false"}
        )
        super().__init__(*args, **kwargs)
        self.optional = optional

    def pre_validate(self, form):
        if self.optional and not (self.data or "").strip():
            self.minutes = None
            return
        self.minutes = parse_typed_time(self.data or "")
        if self.minutes is None:
            raise ValidationError(_l("Enter a time such as 09:00."))


class SlotRuleForm(PrefixedForm):
    PREFIX = "times"

    weekday = SelectField(
        _l("Weekday"),
        choices=[SelectChoice(str(i), label) for i, label in enumerate(WEEKDAYS)],
        validators=[InputRequired()],
    )
    starts = TimeField(_l("From"))
    ends = TimeField(_l("Until"))
    slot_minutes = _number(_l("Minutes per slot"), 5, 720)
    capacity = _number(_l("Places per slot"), 1, 500)

    def validate_ends(self, field):
        if self.starts.minutes is not None and field.minutes is not None:
            if field.minutes <= self.starts.minutes:
                raise ValidationError(_l("The end must be after the start."))
            if (
                self.slot_minutes.data
                and field.minutes - self.starts.minutes < self.slot_minutes.data
            ):
                raise ValidationError(_l("The period is shorter than one slot."))
