"""The admin console: users and staff scopes, and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.context_processor
def audit_helpers():
    from .audit_view import change_rows

    return {"change_rows": change_rows}


from . import data, places, request_deadlines, routes, sms  # noqa: E402,F401
