"""Form helpers every area shares."""

from flask_wtf import FlaskForm


class PrefixedForm(FlaskForm):
    """A form that shares its page with others.

    Its fields' names and ids start with ``PREFIX`` ("special-opens"), so no id
    repeats on the page and no field needs a made-up name to stay apart from a
    field of another form. ``prefix=`` still wins, for forms repeated per item.
    """

    PREFIX = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.PREFIX)
        super().__init__(*args, **kwargs)
