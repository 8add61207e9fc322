import math
import time

from flask import current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError

from ..extensions import db, limiter
from ..htmx import wants_fragment
from . import bp


def error_page(status: int, **context):
    """The error page for ``status``; ``detail`` adds a sentence about this request."""
    # htmx swaps error responses too (see htmx-config); send it the message
    # alone so it lands where the fragment was going, not a nested page.
    template = "errors/fragment.html" if wants_fragment() else "errors/page.html"
    return render_template(template, status=status, **context), status


@bp.app_errorhandler(400)
@bp.app_errorhandler(CSRFError)
def bad_request(_error):
    return error_page(400)


@bp.app_errorhandler(403)
def forbidden(_error):
    return error_page(403)


@bp.app_errorhandler(404)
def not_found(_error):
    return error_page(404)


@bp.app_errorhandler(405)
def method_not_allowed(_error):
    return error_page(405)


@bp.app_errorhandler(413)
def too_large(_error):
    """A body over MAX_CONTENT_LENGTH, or one field over MAX_FORM_MEMORY_SIZE."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        detail = _("Send at most %(size)s MB at a time.", size=f"{limit / 2**20:.0f}")
    else:
        detail = _("One of the fields holds far more text than any form takes.")
    return error_page(413, detail=detail)


@bp.app_errorhandler(500)
def internal_error(_error):
    # A failed request may leave the session mid-transaction.
    db.session.rollback()
    return error_page(500)


@bp.app_errorhandler(429)
def too_many_requests(_error):
    """Say in plain words when the visitor may try again."""
    current = limiter.current_limit
    seconds = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    minutes = math.ceil(seconds / 60)
    if seconds < 120:
        retry = ngettext(
            "Please try again in %(num)s second.", "Please try again in %(num)s seconds.", seconds
        )
    else:
        retry = ngettext(
            "Please try again in %(num)s minute.", "Please try again in %(num)s minutes.", minutes
        )
    response = make_response(*error_page(429, retry_after=retry))
    response.headers["Retry-After"] = str(seconds)
    return response
