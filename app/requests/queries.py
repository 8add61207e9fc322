"""Look-ups of requests for the pages: the public board, a resident's own, a staff queue."""

from sqlalchemy import case, false, or_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..extensions import db
from ..models import Community, ResidentRequest, Street, User
from ..paging import paged

PER_PAGE = 20


def board(*, community_id=None, street_id=None, district_id=None, category="", status="",
          page=1):  # fmt: skip
    """Public requests, newest first: (items, total, page, pages)."""
    query = (
        select(ResidentRequest)
        .where(ResidentRequest.public.is_(True), ResidentRequest.status != "rejected")
        .options(joinedload(ResidentRequest.community))
        .order_by(ResidentRequest.id.desc())
    )
    query = _place(query, community_id, street_id, district_id)
    if category in ResidentRequest.CATEGORIES:
        query = query.where(ResidentRequest.category == category)
    if status == "open":
        query = query.where(ResidentRequest.status.in_(ResidentRequest.OPEN))
    elif status == "done":
        query = query.where(ResidentRequest.status.in_(ResidentRequest.DONE))
    return paged(query, page, PER_PAGE)


def _place(query, community_id, street_id, district_id):
    if community_id:
        return query.where(ResidentRequest.community_id == community_id)
    if street_id or district_id:
        query = query.join(Community, Community.id == ResidentRequest.community_id)
        if street_id:
            return query.where(Community.street_id == street_id)
        return query.join(Street, Street.id == Community.street_id).where(
            Street.district_id == district_id
        )
    return query


def mine(user: User, page: int = 1):
    query = (
        select(ResidentRequest)
        .where(ResidentRequest.resident_id == user.id)
        .options(joinedload(ResidentRequest.community))
        .order_by(ResidentRequest.id.desc())
    )
    return paged(query, page, PER_PAGE)


def detail(request_id: int) -> ResidentRequest | None:
    return db.session.scalar(
        select(ResidentRequest)
        .where(ResidentRequest.id == request_id)
        .options(
            joinedload(ResidentRequest.community),
            joinedload(ResidentRequest.grid),
            joinedload(ResidentRequest.site),
            selectinload(ResidentRequest.steps),
            selectinload(ResidentRequest.photos),
        )
    )


def _scope(user: User):
    """The requests ``user`` handles, as a WHERE clause (None: every request)."""
    from ..permissions import managed_community_ids, managed_grid_ids

    grids = managed_grid_ids(user)
    communities = managed_community_ids(user)
    if grids is None or communities is None:
        return None
    clauses = []
    if grids:
        clauses.append(ResidentRequest.grid_id.in_(grids))
    if communities:
        clauses.append(ResidentRequest.community_id.in_(communities))
    return or_(*clauses) if clauses else false()


def queue(user: User, *, status: str = "open", page: int = 1, per_page: int = PER_PAGE):
    """The requests a worker handles, overdue first, then by their deadline."""
    now = clock.now()
    R = ResidentRequest
    overdue = case(
        ((R.status == "received") & (R.accept_due_at < now), 0),
        (R.status.in_(R.OPEN) & (R.resolve_due_at < now), 0),
        else_=1,
    )
    query = select(R).options(joinedload(R.community), joinedload(R.grid))
    scope = _scope(user)
    if scope is not None:
        query = query.where(scope)
    if status == "done":
        query = query.where(R.status.in_((*R.DONE, "rejected"))).order_by(R.id.desc())
    else:
        query = query.where(R.status.in_(R.OPEN)).order_by(overdue, R.accept_due_at, R.id)
    return paged(query, page, per_page)
