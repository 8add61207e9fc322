"""Account forms. Validation messages are lazy so they follow the language."""

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from .mobile import normalize_mobile
from .service import find_by_mobile

PASSWORD_MIN = 8


class MobileField(StringField):
    """A mainland mobile number; ``data`` holds it normalized (or None)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.raw = self.data or ""
        self.data = normalize_mobile(self.raw)

    def pre_validate(self, form):
        if not self.raw.strip():
            raise ValidationError(_l("Enter your mobile number."))
        if self.data is None:
            raise ValidationError(
                _l("Enter an 11-digit mainland mobile number, such as 138 1234 5678.")
            )

    def _value(self):
        return getattr(self, "raw", None) or self.data or ""


class CodeField(StringField):
    """The 6 digits of a text message (spaces and full-width digits are fine)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        text = unicodedata.normalize("NFKC", self.data or "")
        self.data = "".join(ch for ch in text if not ch.isspace())

    def pre_validate(self, form):
        if not (len(self.data or "") == 6 and all(ch in "0123456789" for ch in self.data)):
            raise ValidationError(_l("Enter the 6 digits of the code in the text message."))


def _display_name_text(form, field):
    field.data = " ".join((field.data or "").split())
    if not field.data:
        raise ValidationError(_l("Enter the name we should call you."))


class RegisterCodeForm(FlaskForm):
    """Step one of registering: the number the code goes to."""

    mobile = MobileField(_l("Mobile number"))

    def validate_mobile(self, field):
        if field.data and find_by_mobile(field.data):
            raise ValidationError(_l("This mobile number is already registered."))


class RegisterForm(FlaskForm):
    """Step two of registering (the number is the one the code went to)."""

    code = CodeField(_l("Code from the text message"))
    display_name = StringField(
        _l("Name to show"),
        validators=[
            _display_name_text,
            Length(max=40, message=_l("Keep the name to 40 characters or fewer.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Choose a password.")),
            Length(
                min=PASSWORD_MIN,
                max=128,
                message=_l("Use 8 to 128 characters for your password."),
            ),
        ],
    )
    consent = BooleanField(
        _l("I have read and agree to the privacy notice"),
        validators=[
            DataRequired(message=_l("Please read the privacy notice and tick the box to agree."))
        ],
    )

    def __init__(self, *args, mobile=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mobile_number = mobile

    def validate_password(self, field):
        if self.mobile_number and field.data == self.mobile_number:
            raise ValidationError(_l("Your password must not be your mobile number."))


class LoginForm(FlaskForm):
    mobile = MobileField(_l("Mobile number"))
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Enter your password."))]
    )
    remember = BooleanField(_l("Keep me logged in on this phone"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
    )
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(message=_l("Choose a new password.")),
            Length(
                min=PASSWORD_MIN,
                max=128,
                message=_l("Use 8 to 128 characters for your password."),
            ),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", message=_l("The two new passwords are not the same."))],
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_password(self, field):
        if self.user is not None and field.data == self.user.mobile:
            raise ValidationError(_l("Your password must not be your mobile number."))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(message=_l("Enter your password."))]
    )


class VolunteerProfileForm(FlaskForm):
    real_name = StringField(
        _l("Real name"),
        validators=[
            DataRequired(message=_l("Enter your real name, as on your ID card.")),
            Length(max=20, message=_l("Keep the name to 20 characters or fewer.")),
        ],
    )
    skills = StringField(
        _l("Skills (optional)"),
        validators=[Length(max=200, message=_l("Keep this to 200 characters or fewer."))],
    )
    bio = TextAreaField(
        _l("A few words about you (optional)"),
        validators=[Length(max=500, message=_l("Keep this to 500 characters or fewer."))],
    )


def _new_password(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Choose a new password.")),
            Length(
                min=PASSWORD_MIN, max=128, message=_l("Use 8 to 128 characters for your password.")
            ),
        ],
    )


class MobileForm(FlaskForm):
    """Step one of proving a number: where to send the code."""

    mobile = MobileField(_l("Mobile number"))


class NewMobileForm(FlaskForm):
    """Step one of a change of number: the new number, where the code goes."""

    mobile = MobileField(_l("New mobile number"))


class ResetPasswordForm(FlaskForm):
    """Step two of a forgotten password (or taking over an account made at the desk)."""

    code = CodeField(_l("Code from the text message"))
    password = _new_password(_l("New password"))
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", message=_l("The two new passwords are not the same."))],
    )

    def __init__(self, *args, mobile=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mobile_number = mobile

    def validate_password(self, field):
        if self.mobile_number and field.data == self.mobile_number:
            raise ValidationError(_l("Your password must not be your mobile number."))


class ChangeMobileForm(FlaskForm):
    """Step two of a change of number: the code sent to the new one, and the password."""

    code = CodeField(_l("Code sent to the new number"))
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(message=_l("Enter your password."))]
    )
