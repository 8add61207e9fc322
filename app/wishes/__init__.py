"""Small wishes (微心愿): the public wall, posting a wish, claiming and granting it.

The rules are in ``service``; the resident pages in ``routes``; staff post
for elders and children, set the credit rule and confirm from
``app/staff/wishes.py``.
"""

from flask import Blueprint

bp = Blueprint("wishes", __name__)

from . import routes  # noqa: E402,F401
