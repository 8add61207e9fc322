"""A community's small wishes (微心愿) for its staff: post one for an elder or a
child who phoned or came to the desk (代办, audited), set how a granted wish is
credited, record a co-building unit's claim, confirm a wish was granted, let a
claim go or withdraw a wish. The rules are ``wishes.service``.
"""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..accounts.mobile import normalize_mobile
from ..accounts.service import find_by_mobile
from ..extensions import db
from ..htmx import render
from ..models import Site, Wish, WishRule
from ..permissions import community_scope_required
from ..refusals import show_on
from ..urls import positive_int, query_args
from ..wishes import queries
from ..wishes import service as rules
from ..wishes.forms import RuleForm, StaffWishForm, UnitClaimForm, unit_prefix
from ..wishes.service import WishError
from . import bp

STATUSES = ("open", "claimed", "fulfilled", "withdrawn")


def _sites(community_id: int) -> list[Site]:
    return list(
        db.session.scalars(
            db.select(Site).where(Site.community_id == community_id).order_by(Site.kind, Site.name)
        )
    )


def _site_id(text: str | None) -> int | None:
    """The chosen site; 0 (no such site, refused by the rule) for a tampered value."""
    if not text:
        return None
    return positive_int(text) or 0


def _wish_form(formdata=None) -> StaffWishForm:
    form = StaffWishForm(formdata=formdata)
    form.site.choices = [("", _("No site"))] + [(str(s.id), s.name) for s in _sites(g.community.id)]
    return form


def _rule_form(formdata=None) -> RuleForm:
    points, hours = rules.rule_for(g.community.id)
    return RuleForm(
        formdata=formdata, data={"points": str(points), "hours": f"{hours.normalize():f}"}
    )


def _page(*, wish_form=None, rule_form=None, unit_form=None, status: int = 200):
    state = request.args.get("status")
    state = state if state in STATUSES else None
    items, total, page, pages = queries.community_page(
        g.community.id, positive_int(request.args.get("page")) or 1, state
    )
    unit_forms = {
        w.id: UnitClaimForm(prefix=unit_prefix(w.id), formdata=None)
        for w in items
        if w.status == "open"
    }
    if unit_form is not None:
        unit_forms[unit_form[0]] = unit_form[1]
    return render(
        "staff/wishes.html", community=g.community, wishes=items, total=total, page=page,
        pages=pages, state=state, pager_args=query_args(status=state),
        counts=queries.counts(g.community.id), wish_form=wish_form or _wish_form(),
        rule_form=rule_form or _rule_form(), rule=db.session.get(WishRule, g.community.id),
        unit_forms=unit_forms, failed_unit=unit_form[0] if unit_form else None,
        latest=rules.latest_due(clock.today()), status=status,
    )  # fmt: skip


@bp.get("/communities/<int:community_id>/wishes", endpoint="wishes")
@community_scope_required
def wishes(community_id: int):
    """The community's wishes, newest first, with what staff do to each."""
    return _page()


@bp.post("/communities/<int:community_id>/wishes", endpoint="post_wish")
@community_scope_required
def post_wish(community_id: int):
    """Post a wish for an elder or a child (代办): their account, if they have one,
    is found by the mobile number, so they are told and can confirm it themselves."""
    form = _wish_form(request.form)
    if form.validate():
        wisher = None
        typed = (form.mobile.data or "").strip()
        if typed:
            mobile = normalize_mobile(typed)
            wisher = find_by_mobile(mobile) if mobile else None
            if wisher is None or wisher.deleted_at is not None:
                form.mobile.errors = [_("No account has this mobile number. Leave it empty.")]
                return _page(wish_form=form, status=422)
        try:
            wish = rules.post_wish(
                current_user, g.community.id, what=form.what.data, for_name=form.for_name.data,
                for_age=form.for_age.data, place=form.place.data, due_on=form.due_on.data,
                site_id=_site_id(form.site.data), for_someone=True, wisher=wisher,
                credit_points=form.credit_points.data,
            )  # fmt: skip
        except WishError as error:
            show_on(form, error)
        else:
            flash(_("The wish is on the wall: %(what)s", what=wish.what))
            return redirect(url_for("staff.wishes", community_id=community_id), 303)
    return _page(wish_form=form, status=422)


@bp.post("/communities/<int:community_id>/wishes/rule", endpoint="wish_rule")
@community_scope_required
def wish_rule(community_id: int):
    """How a granted wish of the community is credited: points and hours."""
    form = _rule_form(request.form)
    try:
        rules.set_rule(current_user, g.community.id, form.points.data, form.hours.data)
    except WishError as error:
        show_on(form, error)
        return _page(rule_form=form, status=422)
    flash(_("The rule is saved. It applies to wishes granted from now on."))
    return redirect(url_for("staff.wishes", community_id=community_id), 303)


def _wish_here(wish_id: int) -> Wish:
    wish = db.session.get(Wish, wish_id)
    if wish is None or wish.community_id != g.community.id:
        abort(404)
    return wish


def _act(community_id: int, wish_id: int, action, done: str):
    _wish_here(wish_id)
    try:
        action(current_user, wish_id)
    except WishError as error:
        flash(error.message, "error")
    else:
        flash(done)
    return redirect(url_for("staff.wishes", community_id=community_id), 303)


@bp.post("/communities/<int:community_id>/wishes/<int:wish_id>/unit", endpoint="wish_unit")
@community_scope_required
def wish_unit(community_id: int, wish_id: int):
    """A co-building unit (共建单位) takes the wish on, as the staff record it."""
    _wish_here(wish_id)
    form = UnitClaimForm(prefix=unit_prefix(wish_id))
    try:
        rules.claim_for_unit(current_user, wish_id, form.unit.data)
    except WishError as error:
        if error.field != "unit":
            flash(error.message, "error")
            return redirect(url_for("staff.wishes", community_id=community_id), 303)
        show_on(form, error)
        return _page(unit_form=(wish_id, form), status=422)
    flash(_("The claim is recorded."))
    return redirect(url_for("staff.wishes", community_id=community_id), 303)


@bp.post("/communities/<int:community_id>/wishes/<int:wish_id>/confirm",
         endpoint="wish_confirm")  # fmt: skip
@community_scope_required
def wish_confirm(community_id: int, wish_id: int):
    """The wish was granted: the volunteer is credited by the rule."""
    return _act(community_id, wish_id, rules.confirm, _("Confirmed as granted."))


@bp.post("/communities/<int:community_id>/wishes/<int:wish_id>/release",
         endpoint="wish_release")  # fmt: skip
@community_scope_required
def wish_release(community_id: int, wish_id: int):
    """The claim ends (the volunteer cannot come, the unit pulled out): open again."""
    return _act(community_id, wish_id, rules.release, _("The claim is let go: the wish is open."))


@bp.post("/communities/<int:community_id>/wishes/<int:wish_id>/withdraw",
         endpoint="wish_withdraw")  # fmt: skip
@community_scope_required
def wish_withdraw(community_id: int, wish_id: int):
    return _act(community_id, wish_id, rules.withdraw, _("The wish is withdrawn."))
