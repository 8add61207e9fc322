"""The love mall (爱心商城) of a unit: its goods, added, changed, restocked,
re-priced and retired by its staff. The pick-up desk is ``redemptions``,
points adjustments ``points``; the rules are in ``volunteers.mall``."""

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..htmx import render
from ..models import MallItem
from ..permissions import site_scope_required
from ..refusals import Refused, show_on
from ..volunteers import mall, queries
from . import bp
from .mall_forms import ActiveForm, MallItemEditForm, MallItemForm, PriceForm, RestockForm


def _site_choices() -> list[tuple[str, str]]:
    return [(str(site.id), site.name) for site in queries.unit_sites(g.site)]


def _index(*, form: MallItemForm | None = None, status: int = 200):
    items = queries.unit_mall_items(g.site)
    if form is None:
        form = MallItemForm(formdata=None, data={"site": str(g.site.id),
                                                 "seen": mall.newest_item_id()})  # fmt: skip
    form.site.choices = _site_choices()
    return render(
        "staff/mall_items.html", site=g.site, items=items, form=form,
        reserved=queries.reserved_counts([item.id for item in items]), status=status,
    )  # fmt: skip


@bp.get("/sites/<int:site_id>/volunteering/mall")
@site_scope_required
def mall_items(site_id: int):
    """The unit's goods with their stock, price and limit; add one with its photo."""
    return _index()


@bp.post("/sites/<int:site_id>/volunteering/mall")
@site_scope_required
def add_mall_item(site_id: int):
    form = MallItemForm()
    form.site.choices = _site_choices()
    if not form.validate_on_submit():
        return _index(form=form, status=422)
    try:
        item = mall.add_item(g.site, current_user, **form.values(), photo=form.photo_file(),
                             seen=form.seen.data)  # fmt: skip
    except Refused as error:
        show_on(form, error)
        return _index(form=form, status=422)
    flash(_("%(name)s is in the love mall. Volunteers can exchange points for it now.",
            name=item.name))  # fmt: skip
    return redirect(url_for("staff.mall_item", site_id=site_id, item_id=item.id), 303)


def _unit_item(item_id: int) -> MallItem:
    item = queries.unit_mall_item(g.site, item_id)
    if item is None:
        abort(404)
    return item


def _item_page(item: MallItem, *, edit=None, restock=None, price=None, active=None,
               status: int = 200):  # fmt: skip
    if edit is None:
        edit = MallItemEditForm(formdata=None, data={
            "name": item.name, "description": item.description, "site": str(item.site_id),
            "per_person_limit": item.per_person_limit,
        })  # fmt: skip
    edit.site.choices = _site_choices()
    if restock is None:
        restock = RestockForm(formdata=None, data={"seen": mall.restock_mark()})
    return render(
        "staff/mall_item.html", site=g.site, item=item, edit_form=edit, restock_form=restock,
        price_form=PriceForm(formdata=None) if price is None else price,
        active_form=ActiveForm(formdata=None) if active is None else active,
        reserved=queries.reserved_counts([item.id]).get(item.id, 0), status=status,
    )  # fmt: skip


def _back(item_id: int, anchor: str, message: str):
    flash(message)
    return redirect(url_for("staff.mall_item", site_id=g.site.id, item_id=item_id,
                            _anchor=anchor), 303)  # fmt: skip


@bp.get("/sites/<int:site_id>/volunteering/mall/<int:item_id>")
@site_scope_required
def mall_item(site_id: int, item_id: int):
    """One item: change it, restock it, give it a new price, retire it."""
    return _item_page(_unit_item(item_id))


@bp.post("/sites/<int:site_id>/volunteering/mall/<int:item_id>/edit")
@site_scope_required
def edit_mall_item(site_id: int, item_id: int):
    item = _unit_item(item_id)
    form = MallItemEditForm()
    form.site.choices = _site_choices()
    if form.validate_on_submit():
        try:
            mall.edit_item(g.site, item.id, current_user, **form.details(),
                           photo=form.photo_file())  # fmt: skip
        except Refused as error:
            show_on(form, error)
        else:
            return _back(item.id, "edit", _("Saved. Volunteers see the change now."))
    return _item_page(_unit_item(item_id), edit=form, status=422)


@bp.post("/sites/<int:site_id>/volunteering/mall/<int:item_id>/restock")
@site_scope_required
def restock_mall_item(site_id: int, item_id: int):
    """More arrived: added to what is left, however many are exchanged meanwhile."""
    item = _unit_item(item_id)
    form = RestockForm()
    if form.validate_on_submit():
        try:
            item = mall.restock(item.id, form.added.data, current_user, seen=form.seen.data)
        except Refused as error:
            show_on(form, error)
        else:
            return _back(item.id, "restock", _("Restocked: %(n)s left now.", n=item.stock))
    return _item_page(_unit_item(item_id), restock=form, status=422)


@bp.post("/sites/<int:site_id>/volunteering/mall/<int:item_id>/price")
@site_scope_required
def price_mall_item(site_id: int, item_id: int):
    """A new price for exchanges from now on; those made before keep theirs."""
    item = _unit_item(item_id)
    form = PriceForm()
    if form.validate_on_submit():
        try:
            item = mall.change_price(item.id, form.points_cost.data, current_user)
        except Refused as error:
            show_on(form, error)
        else:
            message = _("The price is %(n)s points from now on.", n=item.points_cost)
            return _back(item.id, "price", message)
    return _item_page(_unit_item(item_id), price=form, status=422)


@bp.post("/sites/<int:site_id>/volunteering/mall/<int:item_id>/active")
@site_scope_required
def set_mall_item_active(site_id: int, item_id: int):
    """Retire an item, or offer it again."""
    item = _unit_item(item_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        return _item_page(item, active=form, status=422)
    active = form.active.data == "1"
    try:
        mall.set_active(item.id, active, current_user)
    except Refused as error:
        show_on(form, error)
        return _item_page(_unit_item(item_id), active=form, status=422)
    if active:
        return _back(item.id, "state", _("Offered again: volunteers can exchange for it."))
    return _back(
        item.id, "state", _("Retired: no new exchanges. Those already made are still handed over.")
    )
