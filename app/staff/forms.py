from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField


class SiteStatusForm(FlaskForm):
    status = RadioField(
        _l("Status"),
        choices=[
            SelectChoice("open", _l("Open as usual")),
            SelectChoice("closed", _l("Temporarily closed")),
        ],
        validate_choice=False,  # the service gives the message
    )
    reason = StringField(_l("Reason residents will see"))
