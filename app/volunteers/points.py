"""Points (积分) and the love mall (爱心商城): the ledger, adjustments, exchanges.

A balance is the sum of the append-only ledger; spending checks it under a
lock on the volunteer's row, so it never goes below zero. The items
themselves (adding, restocking, prices) are in ``mall``.

A form sent twice makes one change: the adjustment and exchange forms carry
``seen`` (the newest ledger entry, or exchange, the page showed), and a record
newer than that with the same content is the first copy's.
"""

import secrets
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from .. import audit, clock
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import MallItem, PointsEntry, Redemption, Site, User
from ..permissions import covers
from .common import locked, refuse

MAX_ADJUSTMENT = 10_000
MAX_REASON = 200
CODE_DIGITS = 8
# Redemptions that hold a unit for the volunteer: what the per-person limit counts.
HOLDING = ("reserved", "picked_up")


def balance(user_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == user_id)
    )


def ledger_mark(user_id: int) -> int:
    """The ``seen`` mark of an adjustment form: the volunteer's newest ledger entry."""
    newest = select(func.max(PointsEntry.id)).where(PointsEntry.user_id == user_id)
    return db.session.scalar(newest) or 0


def redemption_mark(user_id: int) -> int:
    """The ``seen`` mark of the mall's exchange buttons: the volunteer's newest exchange."""
    newest = select(func.max(Redemption.id)).where(Redemption.user_id == user_id)
    return db.session.scalar(newest) or 0


def adjust_points(user_id: int, points: int, reason: str, by: User, *,
                  site_id: int | None = None, seen: int | None = None) -> PointsEntry:  # fmt: skip
    """Staff add or take away points; a reason is required and it never goes negative.

    The entry is a new line of the ledger, which the volunteer reads with its
    reason; a correction of it is another entry, never an edit.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        refuse("reason", _("Give a reason for the adjustment."), "reason")
    if len(reason) > MAX_REASON:
        message = _("Keep the reason to %(n)s characters or fewer.", n=MAX_REASON)
        refuse("reason", message, "reason")
    if not points or not -MAX_ADJUSTMENT <= points <= MAX_ADJUSTMENT:
        message = _("Enter a number of points from 1 to %(high)s.", high=MAX_ADJUSTMENT)
        refuse("points", message, "amount")
    begin_write()
    lock_row(User, user_id)
    if seen is not None:
        same = db.session.scalar(
            select(PointsEntry).where(
                PointsEntry.user_id == user_id, PointsEntry.id > seen,
                PointsEntry.kind == "adjusted", PointsEntry.created_by_id == by.id,
                PointsEntry.points == points, PointsEntry.reason == reason,
            )
        )  # fmt: skip
        if same is not None:
            db.session.rollback()
            return same
    have = balance(user_id)
    if have + points < 0:
        refuse("negative", _("The balance cannot go below zero: it is %(n)s points.", n=have),
               "amount")  # fmt: skip
    entry = PointsEntry(user_id=user_id, kind="adjusted", points=points, reason=reason,
                        created_by_id=by.id, created_at=clock.now())  # fmt: skip
    db.session.add(entry)
    audit.record("points.adjusted", "user", user_id, site_id=site_id, actor=by, summary=reason,
                 after={"points": points})  # fmt: skip
    db.session.commit()
    return entry


def _new_code() -> str:
    """A pick-up code no redemption has (a clash of random codes is rare, not impossible)."""
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if db.session.scalar(select(Redemption.id).where(Redemption.code == code)) is None:
            return code


def redeem(user: User, item_id: int, seen: int | None = None) -> Redemption:
    """Exchange points for an item: stock, balance and the per-person limit hold.

    Everything is decided under the lock on the volunteer's row, so a double
    tap or twenty taps at once are judged one after the other.
    """
    begin_write()
    lock_row(User, user.id)  # the checks and the spend stay one step
    # Read again under the lock: an account deleted meanwhile exchanges nothing.
    if (
        db.session.scalar(select(User.id).where(User.id == user.id, User.deleted_at.is_(None)))
        is None
    ):
        refuse("account", _("This account can no longer exchange points."))
    item = db.session.get(MallItem, item_id, populate_existing=True)
    if item is None or not item.active:
        refuse("item", _("This item is no longer offered."))
    if seen is not None:
        same = db.session.scalar(
            select(Redemption).where(
                Redemption.user_id == user.id, Redemption.item_id == item.id,
                Redemption.id > seen,
            )
        )  # fmt: skip
        if same is not None:
            db.session.rollback()
            return same
    have = balance(user.id)
    if have < item.points_cost:
        refuse("points", _("You need %(cost)s points for this; you have %(have)s.",
                            cost=item.points_cost, have=have))  # fmt: skip
    if item.per_person_limit is not None:
        holding = db.session.scalar(
            select(func.count(Redemption.id)).where(
                Redemption.user_id == user.id, Redemption.item_id == item.id,
                Redemption.status.in_(HOLDING),
            )
        )  # fmt: skip
        if holding >= item.per_person_limit:
            refuse("limit", _("Each person may exchange at most %(n)s of these.",
                              n=item.per_person_limit))  # fmt: skip
    # The unit is taken, and the price read, in one statement: a price changed
    # since the checks above is the one paid (if the balance still covers it).
    cost = db.session.scalar(
        update(MallItem)
        .where(MallItem.id == item.id, MallItem.active.is_(True), MallItem.stock >= 1)
        .values(stock=MallItem.stock - 1)
        .returning(MallItem.points_cost)
        .execution_options(synchronize_session=False)
    )
    if cost is None:
        refuse("stock", _("Sorry, this item is out of stock."))
    if have < cost:
        refuse("points", _("You need %(cost)s points for this; you have %(have)s.",
                            cost=cost, have=have))  # fmt: skip
    now = clock.now()
    redemption = Redemption(item_id=item.id, user_id=user.id, points=cost, code=_new_code(),
                            created_at=now)  # fmt: skip
    db.session.add(redemption)
    db.session.flush()
    db.session.add(PointsEntry(user_id=user.id, kind="spent", points=-cost, reason=item.name,
                               redemption_id=redemption.id, created_at=now))  # fmt: skip
    _tell_ready(redemption, item)
    db.session.commit()
    return redemption


def _tell_ready(redemption: Redemption, item: MallItem) -> None:
    """The inbox keeps the pick-up code (no text: they are looking at it now)."""
    from ..notifications import notify
    from ..urls import path_for

    notify(redemption.user_id, "redemption_ready",
           {"item": item.name, "site": item.site.name, "code": redemption.code},
           url=path_for("volunteers.me"), sms=False)  # fmt: skip


def find_redemption(unit: Site, typed: str | None) -> Redemption | None:
    """The redemption with the pick-up code a volunteer shows, at ``unit``'s sites.

    Typed as people type it: with a space in the middle, or with the full-width
    digits of a Chinese keyboard.
    """
    text = unicodedata.normalize("NFKC", (typed or "")[:100])
    digits = "".join(text.split())
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    found = db.session.scalar(
        select(Redemption)
        .where(Redemption.code == digits)
        .options(joinedload(Redemption.item).joinedload(MallItem.site), joinedload(Redemption.user))
    )
    if found is None or not covers(unit, found.item.site):
        return None
    return found


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
        # What it cost when it was made, whatever the price is now.
        refund = PointsEntry(
            user_id=redemption.user_id, kind="refund", points=redemption.points,
            reason=redemption.item.name, redemption_id=redemption.id, created_by_id=by.id,
            created_at=redemption.decided_at,
        )  # fmt: skip
        db.session.add(refund)
    audit.record(
        "redemption.picked_up" if picked_up else "redemption.cancelled",
        "redemption", redemption.id,
        site_id=redemption.item.site_id, actor=by, summary=redemption.item.name,
    )  # fmt: skip
    db.session.commit()
    return redemption
