"""The volunteer's own record (hours, certificate, its check) and the love mall."""

from flask import abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import clock
from ...extensions import db
from ...htmx import render
from ...models import MallItem
from ...qr import qr_svg
from ...refusals import show_on
from ...urls import positive_int
from .. import bp, certificates, points, queries, record
from ..activities import CHANGE_KINDS, describe_change
from ..common import VolunteerError
from ..forms import CertificateForm
from . import page_number


@bp.get("/me/volunteer")
@login_required
def me():
    """My coming shifts first, then what changed about my activities (with the
    reason), then my history, hours, points and what I exchanged them for."""
    if current_user.volunteer is None:
        return redirect(url_for("accounts.volunteer_profile"))
    coming = queries.coming_shifts(current_user.id)
    shown = {s.id for s in coming}
    return render(
        "volunteers/me.html", summary=record.hours_summary(current_user.id, clock.today()),
        coming=coming, changes=queries.changes_for(current_user.id),
        describe=describe_change, change_kinds=CHANGE_KINDS,
        history=[s for s in queries.history(current_user.id) if s.id not in shown],
        ledger=queries.ledger(current_user.id), balance=points.balance(current_user.id),
        redemptions=queries.redemptions_of(current_user.id),
    )  # fmt: skip


@bp.route("/me/volunteer/certificate", methods=["GET", "POST"])
@login_required
def certificate():
    """志愿服务记录证明: ask for one for a period; the ones issued before stay listed."""
    if current_user.volunteer is None:
        return redirect(url_for("accounts.volunteer_profile"))
    form = CertificateForm()
    if form.validate_on_submit():
        try:
            issued = certificates.issue(current_user, form.period_from.data, form.period_to.data)
        except VolunteerError as error:
            show_on(form, error)
        else:
            flash(_("Your certificate is issued. Print it, or give its code to whoever asks."))
            return redirect(url_for("volunteers.issued", certificate_id=issued.id), 303)
    return render(
        "volunteers/certificates.html", form=form,
        issued=certificates.issued_to(current_user.id),
        summary=record.hours_summary(current_user.id, clock.today()),
        status=422 if form.errors else 200,
    )  # fmt: skip


@bp.get("/me/volunteer/certificates/<int:certificate_id>")
@login_required
def issued(certificate_id: int):
    """One issued certificate, ready to print on A4, with the QR code that checks it."""
    found = certificates.own(current_user.id, certificate_id)
    if found is None:
        abort(404)
    verify_url = url_for("volunteers.verify", code=found.code, _external=True)
    return render(
        "volunteers/certificate.html", certificate=found, verify_url=verify_url,
        qr=qr_svg(verify_url, _("QR code that checks certificate %(code)s", code=found.code)),
    )  # fmt: skip


@bp.get("/verify")
def verify_form():
    """Type a certificate's code to check it (the code from the printed page)."""
    code = certificates.normal_code(request.args.get("code"))
    if code:
        return redirect(url_for("volunteers.verify", code=code), 303)
    return render("volunteers/verify.html", certificate=None, asked=False)


@bp.get("/verify/<code>")
def verify(code: str):
    """Confirm a certificate is genuine: exactly what was issued, never today's totals."""
    found = certificates.by_code(code)
    if found is None:
        return render("volunteers/verify.html", certificate=None, asked=True, status=404)
    return render("volunteers/verify.html", certificate=found)


# A refused exchange is told in the item's card, on the mall page it came from.
MALL_NOTICE = "mall_item_notice"


def _mall_filters(values) -> dict:
    """The mall's filters as the URL (or the exchange form) holds them."""
    return {
        "community": positive_int(values.get("community")),
        "site": positive_int(values.get("site")),
    }


@bp.get("/mall")
def mall():
    """爱心商城: goods to exchange for volunteer points, at a site or in a community.

    A plain GET form: the URL holds the filters, and paging keeps them.
    """
    filters = _mall_filters(request.args)
    items, total, page, pages = queries.mall_items(filters["site"], page_number(),
                                                   filters["community"])  # fmt: skip
    me = current_user if current_user.is_authenticated else None
    notice = session.pop(MALL_NOTICE) if MALL_NOTICE in session else None
    return render(
        "volunteers/mall.html", items=items, total=total, page=page, pages=pages,
        filters=filters, args={k: v for k, v in filters.items() if v},
        communities=queries.mall_communities(), sites=queries.mall_sites(filters["community"]),
        balance=points.balance(me.id) if me else None,
        holding=queries.holding_counts(me.id, [item.id for item in items]) if me else {},
        seen=points.redemption_mark(me.id) if me else None, notice=notice,
    )  # fmt: skip


def _mark(text: str | None) -> int | None:
    """The exchange form's ``seen`` mark, if it is one (else no repeat is recognised)."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


@bp.post("/mall/<int:item_id>/redeem")
@login_required
def redeem(item_id: int):
    """Exchange points for an item; a refusal is shown in the item's card."""
    if db.session.get(MallItem, item_id) is None:
        abort(404)
    try:
        redemption = points.redeem(current_user, item_id, seen=_mark(request.form.get("seen")))
    except VolunteerError as error:
        session[MALL_NOTICE] = {"id": item_id, "message": error.message}
        back = {k: v for k, v in _mall_filters(request.form).items() if v}
        page = positive_int(request.form.get("page"))
        if page and page > 1:
            back["page"] = page
        return redirect(url_for("volunteers.mall", **back, _anchor=f"item-{item_id}"), 303)
    flash(_("Exchanged! Show the code %(code)s at %(site)s to pick it up.",
            code=redemption.code, site=redemption.item.site.name))  # fmt: skip
    return redirect(url_for("volunteers.me") + "#redemptions", 303)
