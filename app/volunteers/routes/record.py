"""The volunteer's own record (hours, certificate, its check) and the love mall."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import clock
from ...extensions import db
from ...htmx import render
from ...models import MallItem
from ...urls import positive_int
from .. import bp, points, queries, record
from ..common import VolunteerError
from . import page_number, refused_redirect


@bp.get("/me/volunteer")
@login_required
def me():
    """My hours, my activities, my points and what I exchanged them for."""
    if current_user.volunteer is None:
        return redirect(url_for("accounts.volunteer_profile"))
    return render(
        "volunteers/me.html", summary=record.hours_summary(current_user.id, clock.today()),
        history=queries.history(current_user.id), ledger=queries.ledger(current_user.id),
        balance=points.balance(current_user.id),
        redemptions=queries.redemptions_of(current_user.id),
    )  # fmt: skip


@bp.get("/me/volunteer/certificate")
@login_required
def certificate():
    """志愿服务记录证明: a printable record of hours, with a code anyone can verify."""
    if current_user.volunteer is None:
        return redirect(url_for("accounts.volunteer_profile"))
    attended = [s for s in queries.history(current_user.id) if s.status == "attended"]
    return render(
        "volunteers/certificate.html", profile=current_user.volunteer, signups=attended,
        summary=record.hours_summary(current_user.id, clock.today()), issued_on=clock.today(),
    )  # fmt: skip


@bp.get("/verify")
def verify_form():
    """Type a certificate's code to check it (the code from the printed page)."""
    code = "".join(request.args.get("code", "").split())
    if code:
        return redirect(url_for("volunteers.verify", code=code[:24]), 303)
    return render("volunteers/verify.html", profile=None, asked=False)


@bp.get("/verify/<code>")
def verify(code: str):
    """Confirm a certificate is genuine: the name and totals, nothing more."""
    profile = record.profile_by_certificate(code)
    if profile is None:
        return render("volunteers/verify.html", profile=None, asked=True, status=404)
    return render("volunteers/verify.html", profile=profile,
                  summary=record.hours_summary(profile.user_id, clock.today()))  # fmt: skip


@bp.get("/mall")
def mall():
    """爱心商城: goods to exchange for volunteer points, by site."""
    site_id = positive_int(request.args.get("site"))
    items, total, page, pages = queries.mall_items(site_id, page_number())
    return render(
        "volunteers/mall.html", items=items, total=total, page=page, pages=pages, site_id=site_id,
        balance=points.balance(current_user.id) if current_user.is_authenticated else None,
    )  # fmt: skip


@bp.post("/mall/<int:item_id>/redeem")
@login_required
def redeem(item_id: int):
    if db.session.get(MallItem, item_id) is None:
        abort(404)
    try:
        redemption = points.redeem(current_user, item_id)
    except VolunteerError as error:
        return refused_redirect(error, "volunteers.mall")
    flash(_("Exchanged! Show the code %(code)s at %(site)s to pick it up.",
            code=redemption.code, site=redemption.item.site.name))  # fmt: skip
    return redirect(url_for("volunteers.me") + "#redemptions", 303)
