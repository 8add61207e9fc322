from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange


class GrantScopeForm(FlaskForm):
    site_id = IntegerField(
        _l("Site number"),
        validators=[
            InputRequired(message=_l("Enter the number of the site (shown on its page).")),
            NumberRange(min=1, max=2**31 - 1, message=_l("Enter a site number.")),
        ],
    )
