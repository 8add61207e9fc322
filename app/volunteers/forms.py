"""Forms of the volunteering pages residents and volunteers use.

Refused input re-renders the same page with 422, keeping what was typed.
Staff's volunteering forms are beside their pages in app/staff.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional


class CertificateForm(FlaskForm):
    """Ask for a certificate of hours for a period; both days empty is all time."""

    period_from = DateField(_l("From (optional)"), validators=[Optional()])
    period_to = DateField(_l("Until (optional)"), validators=[Optional()])
