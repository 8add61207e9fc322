from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..accounts.forms import MobileField
from ..urls import MAX_ID


class RateForm(FlaskForm):
    stars = RadioField(
        _l("How was it?"),
        choices=[SelectChoice(str(n), _l("%(n)s stars", n=n)) for n in range(5, 0, -1)],
        validators=[InputRequired(message=_l("Choose 1 to 5 stars."))],
    )
    comment = TextAreaField(
        _l("Anything to add? (optional)"),
        validators=[Length(max=500, message=_l("Keep this to 500 characters or fewer."))],
    )


class CheckInForm(FlaskForm):
    code = StringField(
        _l("Booking code"),
        validators=[InputRequired(message=_l("Enter the 8-digit code the resident shows you."))],
    )


class ProxyBookForm(FlaskForm):
    mobile = MobileField(_l("Resident's mobile number"))
    display_name = StringField(
        _l("Resident's name (for a new account)"),
        validators=[
            Optional(),
            Length(max=40, message=_l("Keep the name to 40 characters or fewer.")),
        ],
    )
    slot_id = IntegerField(
        _l("Time"),
        validators=[
            InputRequired(message=_l("Choose a time.")),
            # An id the database can hold: a bigger number is an error there, not "no such slot".
            NumberRange(min=1, max=MAX_ID, message=_l("Choose a time.")),
        ],
    )
    seats = IntegerField(
        _l("Seats"),
        default=1,
        validators=[
            InputRequired(message=_l("Enter how many seats.")),
            NumberRange(min=1, max=20, message=_l("Enter 1 to 20 seats.")),
        ],
    )
