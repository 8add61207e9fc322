"""The question a closure asks when it meets bookings or activities.

A view that closes a site (for the rest of today, or for whole days) calls
``ask_first``: when the span holds bookings or activities with sign-ups and
the staff member has not answered yet, it returns the page that asks, carrying
everything they typed; otherwise None, and the view saves the closure and then
calls ``follow_up`` with the answer. Without JavaScript it is a page and a
form; with htmx the same page swaps in.
"""

from flask import flash, request
from flask_babel import gettext as _
from flask_babel import npgettext
from flask_login import current_user

from ..htmx import render
from ..sites import closures
from .forms import AffectedForm


def _carried(prefix: str) -> list[tuple[str, str]]:
    """The fields of the first form, to send again with the answer (not its own fields)."""
    return [
        (name, value)
        for name in request.form
        if not name.startswith(prefix)
        for value in request.form.getlist(name)
    ]


def ask_first(site, start, end, *, default_message: str, action: str, back: str):
    """``(page, affected, answer)``: the page that asks, or None for the page when
    there is nothing to ask or the answer came with the form (then the view
    saves the closure and calls ``follow_up(site, affected, answer)``)."""
    hit = closures.affected(site.id, start, end)
    form = AffectedForm()
    if not hit:
        return None, None, form
    if form.asked() and form.validate():
        return None, hit, form
    if not form.asked():
        form = AffectedForm(formdata=None, data={"message": default_message[:200]})
    page = render(
        "staff/closure_confirm.html",
        site=site,
        hit=hit,
        form=form,
        action=action,
        back=back,
        carried=_carried(AffectedForm.PREFIX + "-"),
        status=422 if form.errors else 200,
    )
    return page, hit, form


def follow_up(site, hit, form) -> None:
    """After the closure is saved: cancel and tell, or leave as they are, and say so."""
    if not hit:
        return
    if form.then.data == "cancel":
        done = closures.cancel_affected(site.id, hit.start, hit.end, form.message.data,
                                        current_user._get_current_object())  # fmt: skip
        flash(
            _(
                "%(bookings)s and %(activities)s cancelled; each person is told.",
                bookings=npgettext("closure", "%(num)s booking", "%(num)s bookings", done.bookings),
                activities=npgettext(
                    "closure", "%(num)s activity", "%(num)s activities", done.activities
                ),
            )
        )
    else:
        flash(
            _(
                "The bookings and activities stay as they were. Remember to contact the "
                "people: %(bookings)s, %(signups)s.",
                bookings=npgettext(
                    "closure", "%(num)s booking", "%(num)s bookings", len(hit.booking_ids)
                ),
                signups=npgettext("closure", "%(num)s sign-up", "%(num)s sign-ups", hit.signups),
            )
        )
