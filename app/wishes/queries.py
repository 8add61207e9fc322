"""What the wish pages read: the wall, one wish, a community's wishes."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Community, User, Wish
from ..paging import paged

PER_PAGE = 20


def wall_page(page: int, *, community: int | None = None, status: str | None = None,
              per_page: int = PER_PAGE):  # fmt: skip
    """(wishes, total, page, pages) of the public wall: open, claimed and fulfilled."""
    query = (
        select(Wish)
        .where(Wish.status.in_((status,) if status in Wish.SHOWN else Wish.SHOWN))
        .options(joinedload(Wish.community))
        .order_by(Wish.id.desc())
    )
    if community:
        query = query.where(Wish.community_id == community)
    return paged(query, page, per_page)


def wall_communities() -> list[Community]:
    """The communities that have a wish on the wall, for the filter."""
    with_wishes = select(Wish.community_id).where(Wish.status.in_(Wish.SHOWN)).distinct()
    return list(
        db.session.scalars(
            select(Community).where(Community.id.in_(with_wishes)).order_by(Community.name)
        )
    )


def counts(community: int | None = None) -> dict[str, int]:
    query = select(Wish.status, func.count(Wish.id)).group_by(Wish.status)
    if community:
        query = query.where(Wish.community_id == community)
    return dict(db.session.execute(query).all())


def wish_detail(wish_id: int) -> Wish | None:
    return db.session.scalar(
        select(Wish)
        .where(Wish.id == wish_id)
        .options(joinedload(Wish.community), joinedload(Wish.site))  # fmt: skip
    )


def community_page(community_id: int, page: int, status: str | None = None,
                   per_page: int = PER_PAGE):  # fmt: skip
    """A community's wishes for its staff, newest first, withdrawn ones too."""
    query = (
        select(Wish)
        .where(Wish.community_id == community_id)
        .options(
            joinedload(Wish.claimed_by).joinedload(User.volunteer),
            joinedload(Wish.site),
        )
        .order_by(Wish.id.desc())
    )
    if status in ("open", "claimed", "fulfilled", "withdrawn"):
        query = query.where(Wish.status == status)
    return paged(query, page, per_page)


def community_choices() -> list[Community]:
    return list(db.session.scalars(select(Community).order_by(Community.name)))
