"""The outbox of text messages: what residents were (or will be) sent."""

from flask import request

from .. import clock
from ..htmx import render
from ..notifications import sms
from ..notifications.kinds import KINDS
from ..permissions import admin_required
from ..urls import positive_int
from . import bp


@bp.get("/sms")
@admin_required
def sms_outbox():
    """Text messages, newest first: time, masked number, kind, text and what happened."""
    page = positive_int(request.args.get("page")) or 1
    items, total, page, pages = sms.outbox_page(page)
    return render(
        "admin/sms.html", items=items, total=total, page=page, pages=pages, now=clock.now(),
        sms_kinds=KINDS, sms_statuses=sms.status_labels(),
    )  # fmt: skip
