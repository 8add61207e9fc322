"""Love mall items (爱心商城) as staff run them: add, edit, restock, re-price, retire.

Exchanging and refunding are in ``points``. Stock moves only by conditional
updates (``stock = stock + n``), so a restock racing redemptions never loses
a unit; the price lives on the item, and each redemption keeps the points it
was made for, so a new price applies to later redemptions only.

A form sent twice (a double tap, a resend) makes one change: the forms that
make something carry ``seen``, the newest record of its kind when the page was
shown, and a record newer than that with the same content, by the same
person, is the first copy's. A page opened afterwards may do the same again.
"""

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from .. import audit, clock
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import AuditEntry, MallItem, Site, User
from ..permissions import covers
from ..refusals import Refused
from ..uploads import save_photo
from .common import locked, refuse

MAX_NAME = 60
MAX_DESCRIPTION = 200
MAX_COST = 100_000
MAX_STOCK = 100_000
MAX_RESTOCK = 10_000
MAX_LIMIT = 100


def newest_item_id() -> int:
    """The ``seen`` mark of the add form."""
    return db.session.scalar(select(func.max(MallItem.id))) or 0


def restock_mark() -> int:
    """The ``seen`` mark of a restock form: restocks are recorded in the audit log."""
    return db.session.scalar(select(func.max(AuditEntry.id))) or 0


def _bounded(value, low: int, high: int, field: str, message: str) -> int:
    if value is None or isinstance(value, bool) or not low <= value <= high:
        refuse(field, message, field)
    return value


def _clean(name: str, description: str, site_id: int, unit: Site, per_person_limit):
    """The values staff typed, checked as the form does, for any caller."""
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        refuse("name", _("Give the item a name of 1 to %(n)s characters.", n=MAX_NAME), "name")
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        message = _("Keep the description to %(n)s characters or fewer.", n=MAX_DESCRIPTION)
        refuse("description", message, "description")
    site = db.session.get(Site, site_id) if site_id else None
    if site is None or not covers(unit, site):
        refuse("site", _("Choose where it is picked up: one of your sites."), "site")
    if per_person_limit is not None:
        message = _("Enter a limit from 1 to %(high)s, or leave it empty.", high=MAX_LIMIT)
        _bounded(per_person_limit, 1, MAX_LIMIT, "per_person_limit", message)
    return name, description, site


def _cost(points_cost) -> int:
    message = _("Enter a price from 1 to %(high)s points.", high=MAX_COST)
    return _bounded(points_cost, 1, MAX_COST, "points_cost", message)


def _photo(file, by: User):
    """The uploaded photo kept (in the session), or None; a bad one refuses all."""
    if file is None:
        return None
    try:
        return save_photo(file, purpose="mall_item", public=True, owner=by, field="photo")
    except Refused:
        db.session.rollback()
        raise


def add_item(unit: Site, by: User, *, name: str, description: str, site_id: int,
             points_cost: int, stock: int, per_person_limit: int | None = None, photo=None,
             seen: int | None = None) -> MallItem:  # fmt: skip
    """A new item at a site of ``unit`` (the staff's center and its stations)."""
    begin_write()
    name, description, site = _clean(name, description, site_id, unit, per_person_limit)
    points_cost = _cost(points_cost)
    message = _("Enter a stock from 0 to %(high)s.", high=MAX_STOCK)
    stock = _bounded(stock, 0, MAX_STOCK, "stock", message)
    # The site's row keeps two copies of one form apart: the second waits here
    # and then finds the item the first added.
    lock_row(Site, site.id)
    if seen is not None:
        same = db.session.scalar(
            select(MallItem).where(
                MallItem.id > seen, MallItem.site_id == site.id, MallItem.name == name
            )
        )
        if same is not None:
            db.session.rollback()
            return same
    upload = _photo(photo, by)
    item = MallItem(site_id=site.id, name=name, description=description,
                    points_cost=points_cost, stock=stock, per_person_limit=per_person_limit,
                    photo=upload, active=True, created_at=clock.now())  # fmt: skip
    db.session.add(item)
    db.session.flush()
    audit.record(
        "mall.item_added", "mall_item", item.id, site_id=site.id, actor=by, summary=name,
        after={"name": name, "points": points_cost, "stock": stock,
               "per_person_limit": per_person_limit, "photo_id": item.photo_id},
    )  # fmt: skip
    db.session.commit()
    return item


def _item(item_id: int) -> MallItem:
    item = locked(MallItem, MallItem.id == item_id)
    if item is None:
        refuse("item", _("This item is no longer offered."))
    return item


def edit_item(unit: Site, item_id: int, by: User, *, name: str, description: str,
              site_id: int, per_person_limit: int | None, photo=None) -> MallItem:  # fmt: skip
    """Change what residents read about an item and where it is picked up.

    The price and the stock have their own steps (``change_price``,
    ``restock``): each is a decision of its own in the audit log.
    """
    begin_write()
    name, description, site = _clean(name, description, site_id, unit, per_person_limit)
    item = _item(item_id)
    upload = _photo(photo, by)
    fields = ("name", "description", "site_id", "per_person_limit")
    before = {key: getattr(item, key) for key in fields}
    after = {"name": name, "description": description, "site_id": site.id,
             "per_person_limit": per_person_limit}  # fmt: skip
    changed = [key for key in fields if before[key] != after[key]]
    if upload is not None:
        before["photo_id"] = item.photo_id
        item.photo = upload
        db.session.flush()
        after["photo_id"] = item.photo_id
        changed.append("photo_id")
    if not changed:
        db.session.rollback()
        return item
    for key in fields:
        setattr(item, key, after[key])
    audit.record(
        "mall.item_edited", "mall_item", item.id, site_id=site.id, actor=by, summary=name,
        before={key: before[key] for key in changed}, after={key: after[key] for key in changed},
    )  # fmt: skip
    db.session.commit()
    return item


def change_price(item_id: int, points_cost: int, by: User) -> MallItem:
    """A new price for redemptions from now on; those made before keep theirs."""
    begin_write()
    points_cost = _cost(points_cost)
    item = _item(item_id)
    old = item.points_cost
    if old == points_cost:
        db.session.rollback()
        return item
    item.points_cost = points_cost
    audit.record(
        "mall.price_changed", "mall_item", item.id, site_id=item.site_id, actor=by,
        summary=item.name, before={"points": old}, after={"points": points_cost},
    )  # fmt: skip
    db.session.commit()
    return item


def restock(item_id: int, added: int, by: User, seen: int | None = None) -> MallItem:
    """More of an item arrived: ``added`` units on top of what is left."""
    begin_write()
    message = _("Enter how many arrived: from 1 to %(high)s.", high=MAX_RESTOCK)
    added = _bounded(added, 1, MAX_RESTOCK, "added", message)
    # The item's row, held to the end: redemptions meanwhile wait or went first,
    # and a second copy of this form finds the first one's audit entry.
    item = _item(item_id)
    if seen is not None:
        earlier = db.session.scalars(
            select(AuditEntry.after).where(
                AuditEntry.id > seen, AuditEntry.actor_id == by.id,
                AuditEntry.action == "mall.restocked", AuditEntry.target_id == item.id,
            )
        ).all()  # fmt: skip
        if any((after or {}).get("added") == added for after in earlier):
            db.session.rollback()
            return item
    grown = db.session.execute(
        update(MallItem)
        .where(MallItem.id == item.id, MallItem.stock <= MAX_STOCK - added)
        .values(stock=MallItem.stock + added)
        .execution_options(synchronize_session=False)
    )
    if grown.rowcount != 1:
        refuse("stock_ceiling", _("The stock can be at most %(n)s.", n=MAX_STOCK), "added")
    before = item.stock
    db.session.refresh(item)
    audit.record("mall.restocked", "mall_item", item.id, site_id=item.site_id, actor=by,
                 summary=item.name, before={"stock": before},
                 after={"stock": item.stock, "added": added})  # fmt: skip
    db.session.commit()
    return item


def set_active(item_id: int, active: bool, by: User) -> MallItem:
    """Retire an item (no one can exchange for it) or offer it again.

    Reserved exchanges of a retired item are still handed over at the desk.
    """
    begin_write()
    item = _item(item_id)
    if item.active == active:
        db.session.rollback()
        return item
    item.active = active
    audit.record(
        "mall.item_active", "mall_item", item.id, site_id=item.site_id, actor=by,
        summary=item.name, before={"active": not active}, after={"active": active},
    )  # fmt: skip
    db.session.commit()
    return item
