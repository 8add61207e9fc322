"""The grids area's parts of "download my data", and what deletion does to them.

A resident's home is theirs: it goes with the account. A grid worker's scope
(with the phone they published) ends with the account too. Scopes this person
granted as staff stay with the grid they name; the account keeps no name.
"""

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import GridScope, Home, User
from ..personal import iso, part


@part("home", covers=("home.user_id",), order=200)
def home(user: User) -> dict | None:
    row = db.session.get(Home, user.id)
    if row is None:
        return None
    return {
        "community": row.community.name,
        "grid": row.grid.name if row.grid else None,
        "compound": row.compound.name if row.compound else None,
        "building": row.building.name if row.building else None,
        "updated_at": iso(row.updated_at),
    }


@home.on_delete
def _forget_home(user: User) -> None:
    db.session.execute(delete(Home).where(Home.user_id == user.id))


@part("grid_work", covers=("grid_scope.user_id",), order=200)
def grid_work(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(GridScope).where(GridScope.user_id == user.id).order_by(GridScope.id)
    )
    return [{"grid": s.grid.name, "community": s.grid.community.name,
             "public_phone": s.public_phone, "since": iso(s.created_at)} for s in rows]  # fmt: skip


@grid_work.on_delete
def _end_grid_work(user: User) -> None:
    db.session.execute(delete(GridScope).where(GridScope.user_id == user.id))


@part("grid_scopes_granted", covers=("grid_scope.granted_by_id",),
      kept="the grid's record of who named its workers; the account keeps no name")  # fmt: skip
def grid_scopes_granted(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(GridScope).where(GridScope.granted_by_id == user.id)
    )
