"""The inbox (/me/messages) and the text-message choices."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..htmx import render
from . import bp, inbox, mark_all_read, set_preferences, sms_choices
from .kinds import KINDS, words


@bp.get("/me/messages")
@login_required
def messages():
    """Every message the portal sent me, newest first; unread ones marked."""
    items = inbox(current_user.id)
    return render(
        "notifications/inbox.html", items=[(m, *words(m.kind, m.params)) for m in items],
        form=FlaskForm(),
    )  # fmt: skip


@bp.post("/me/messages/read")
@login_required
def read_all():
    """Mark every message read (the count in the header goes)."""
    form = FlaskForm()
    if form.validate_on_submit():
        mark_all_read(current_user.id)
    return redirect(url_for("notifications.messages"), 303)


@bp.route("/me/messages/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Which messages also come as a text message (the inbox always has them all)."""
    form = FlaskForm()
    choices = sms_choices(current_user.id)
    if form.validate_on_submit():
        chosen = set(request.form.getlist("sms"))
        set_preferences(current_user.id, {kind: kind in chosen for kind in choices})
        flash(_("Saved. Text messages follow your choice from now on."))
        return redirect(url_for("notifications.settings"), 303)
    return render(
        "notifications/settings.html", form=form, choices=choices, kinds=KINDS,
        status=422 if form.errors else 200,
    )  # fmt: skip
