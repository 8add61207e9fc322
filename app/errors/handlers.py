from flask import render_template
from flask_wtf.csrf import CSRFError

from ..extensions import db
from ..htmx import wants_fragment
from . import bp


def _error_page(status: int):
    # htmx swaps error responses too (see htmx-config); send it the message
    # alone so it lands where the fragment was going, not a nested page.
    template = "errors/fragment.html" if wants_fragment() else "errors/page.html"
    return render_template(template, status=status), status


@bp.app_errorhandler(400)
@bp.app_errorhandler(CSRFError)
def bad_request(_error):
    return _error_page(400)


@bp.app_errorhandler(403)
def forbidden(_error):
    return _error_page(403)


@bp.app_errorhandler(404)
def not_found(_error):
    return _error_page(404)


@bp.app_errorhandler(405)
def method_not_allowed(_error):
    return _error_page(405)


@bp.app_errorhandler(500)
def internal_error(_error):
    # A failed request may leave the session mid-transaction.
    db.session.rollback()
    return _error_page(500)
