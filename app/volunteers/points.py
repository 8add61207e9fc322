"""Points (积分) and the love mall (爱心商城): the ledger, adjustments, exchanges.

A balance is the sum of the append-only ledger; spending checks it under a
lock on the volunteer's row, so it never goes below zero.
"""

import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from .. import audit, clock
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import MallItem, PointsEntry, Redemption, User
from .common import VolunteerError, locked, refuse


def balance(user_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == user_id)
    )


def adjust_points(user_id: int, points: int, reason: str, by: User) -> PointsEntry:
    """Staff correct a balance; a reason is required and it never goes negative."""
    reason = " ".join(reason.split())
    if not reason:
        raise VolunteerError("reason", _("Give a reason for the adjustment."))
    if points == 0:
        raise VolunteerError("points", _("Enter a number of points other than 0."))
    begin_write()
    lock_row(User, user_id)
    if balance(user_id) + points < 0:
        refuse("negative", _("The balance cannot go below zero."))
    entry = PointsEntry(user_id=user_id, kind="adjusted", points=points, reason=reason,
                        created_by_id=by.id)  # fmt: skip
    db.session.add(entry)
    audit.record("points.adjusted", "user", user_id, actor=by, summary=reason,
                 after={"points": points})  # fmt: skip
    db.session.commit()
    return entry


def redeem(user: User, item_id: int) -> Redemption:
    """Exchange points for an item: stock and balance are checked atomically."""
    begin_write()
    lock_row(User, user.id)  # the balance check and the spend stay one step
    item = db.session.get(MallItem, item_id, populate_existing=True)
    if item is None or not item.active:
        refuse("item", _("This item is no longer offered."))
    if balance(user.id) < item.points_cost:
        refuse("points", _("You need %(cost)s points for this; you have %(have)s.",
                            cost=item.points_cost, have=balance(user.id)))  # fmt: skip
    taken = db.session.execute(
        update(MallItem)
        .where(MallItem.id == item.id, MallItem.stock >= 1)
        .values(stock=MallItem.stock - 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        refuse("stock", _("Sorry, this item is out of stock."))
    redemption = Redemption(item_id=item.id, user_id=user.id, points=item.points_cost,
                            code=f"{secrets.randbelow(10**8):08d}")  # fmt: skip
    db.session.add(redemption)
    db.session.flush()
    db.session.add(PointsEntry(user_id=user.id, kind="spent", points=-item.points_cost,
                               reason=item.name, redemption_id=redemption.id))  # fmt: skip
    db.session.commit()
    return redemption


def decide_redemption(redemption_id: int, picked_up: bool, by: User) -> Redemption:
    """Staff hand the item over, or cancel the redemption (points and stock come back)."""
    begin_write()
    # Hand-over and cancel (or two cancels) at once: the second waits here and
    # finds the redemption handled, so points and stock come back once.
    redemption = locked(
        Redemption, Redemption.id == redemption_id, options=(joinedload(Redemption.item),)
    )
    if redemption is None or redemption.status != "reserved":
        refuse("status", _("This redemption has already been handled."))
    redemption.decided_at = clock.now()
    if picked_up:
        redemption.status = "picked_up"
    else:
        # The volunteer before the item, in the order redeem() takes them.
        lock_row(User, redemption.user_id)
        redemption.status = "cancelled"
        db.session.execute(
            update(MallItem)
            .where(MallItem.id == redemption.item_id)
            .values(stock=MallItem.stock + 1)
        )
        refund = PointsEntry(
            user_id=redemption.user_id, kind="refund", points=redemption.points,
            reason=redemption.item.name, redemption_id=redemption.id, created_by_id=by.id,
        )  # fmt: skip
        db.session.add(refund)
    audit.record(
        "redemption.picked_up" if picked_up else "redemption.cancelled",
        "redemption", redemption.id,
        site_id=redemption.item.site_id, actor=by, summary=redemption.item.name,
    )  # fmt: skip
    db.session.commit()
    return redemption
