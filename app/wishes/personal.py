"""Small wishes' part of "download my data", and what deleting an account does.

A person's own wishes not yet granted are withdrawn (a claimant is told), and
the first name and place they gave are blanked on all of them; wishes they
claimed and had not granted go back on the wall. Granted wishes stay as the
record of a service (the points are in the append-only ledger), with nothing
that names the wisher. Staff who posted or confirmed a wish keep that record.
"""

from sqlalchemy import or_, select, update

from .. import clock
from ..extensions import db
from ..models import User, Wish
from ..personal import iso, part


def _row(wish: Wish) -> dict:
    return {"what": wish.what, "for_name": wish.for_name, "for_age": wish.for_age,
            "place": wish.place, "due_on": wish.due_on.isoformat(), "status": wish.status,
            "posted_at": iso(wish.created_at), "claimed_at": iso(wish.claimed_at),
            "fulfilled_at": iso(wish.fulfilled_at),
            "credited_points": wish.credited_points}  # fmt: skip


@part("wishes", covers=("wish.wisher_id",), order=40)
def wishes(user: User) -> list[dict]:
    rows = db.session.scalars(select(Wish).where(Wish.wisher_id == user.id).order_by(Wish.id))
    return [_row(w) for w in rows]


@wishes.on_delete
def _withdraw_own(user: User) -> None:
    from .service import _tell

    now = clock.now()
    claimed = db.session.scalars(
        select(Wish).where(
            Wish.wisher_id == user.id, Wish.status == "claimed", Wish.claimed_by_id.is_not(None)
        )  # fmt: skip
    ).all()
    db.session.execute(
        update(Wish)
        .where(Wish.wisher_id == user.id, Wish.status.in_(("open", "claimed")))
        .values(status="withdrawn", withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Wish)
        .where(Wish.wisher_id == user.id)
        .values(for_name="", place="")
        .execution_options(synchronize_session=False)
    )
    for wish in claimed:
        _tell(wish.claimed_by_id, "wish_withdrawn", wish)


@part("wishes_claimed", covers=("wish.claimed_by_id",), order=40)
def wishes_claimed(user: User) -> list[dict]:
    rows = db.session.scalars(select(Wish).where(Wish.claimed_by_id == user.id).order_by(Wish.id))
    return [{"what": w.what, "status": w.status, "claimed_at": iso(w.claimed_at),
             "fulfilled_at": iso(w.fulfilled_at), "credited_points": w.credited_points}
            for w in rows]  # fmt: skip


@wishes_claimed.on_delete
def _release_claims(user: User) -> None:
    """A claim not yet granted goes back on the wall for another volunteer."""
    db.session.execute(
        update(Wish)
        .where(Wish.claimed_by_id == user.id, Wish.status == "claimed")
        .values(status="open", claimed_by_id=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )


@part("wishes_handled", covers=("wish.logged_by_id", "wish.confirmed_by_id"),
      kept="a staff record of posting or confirming a wish for someone else")  # fmt: skip
def wishes_handled(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Wish)
        .where(or_(Wish.logged_by_id == user.id, Wish.confirmed_by_id == user.id),
               or_(Wish.wisher_id.is_(None), Wish.wisher_id != user.id))
        .order_by(Wish.id)
    )  # fmt: skip
    return [{"what": w.what, "posted_for_someone": w.logged_by_id == user.id,
             "confirmed": w.confirmed_by_id == user.id} for w in rows]  # fmt: skip
