"""Read-side look-ups for the volunteering pages (a few queries each, any size)."""

import math

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock, paging
from ..extensions import db
from ..models import (
    Activity,
    Community,
    MallItem,
    Membership,
    PointsEntry,
    Project,
    ProjectComment,
    Redemption,
    Signup,
    Site,
    Team,
)
from ..permissions import unit_site_ids

PER_PAGE = 20


def paged(query, page: int, per_page: int = PER_PAGE):
    return paging.paged(query, page, per_page)


def member_counts(team_ids: list[int]) -> dict[int, int]:
    if not team_ids:
        return {}
    rows = db.session.execute(
        select(Membership.team_id, func.count())
        .where(Membership.team_id.in_(team_ids), Membership.status != "pending")
        .group_by(Membership.team_id)
    )
    return dict(rows.all())


def teams_page(page: int):
    query = select(Team).options(joinedload(Team.home_site)).order_by(Team.name, Team.id)
    return paged(query, page)


def team_detail(team_id: int) -> Team | None:
    return db.session.scalar(
        select(Team).where(Team.id == team_id).options(joinedload(Team.home_site))
    )


def memberships_of(team_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.team_id == team_id)
            .options(joinedload(Membership.user))
            .order_by(Membership.status.desc(), Membership.id)
        )
    )


def upcoming_activities(*, team_id=None, site_id=None, project_id=None, limit=None, page=None):
    """Open activities that have not ended, soonest first: a list, or a page with a total.

    The order and the page are found on activity ids alone (a range of
    ix_activity_status_ends, whatever the number of past activities); only the
    rows shown are joined to their site and project.
    """
    coming = select(Activity.id).where(Activity.status == "open", Activity.ends_at > clock.now())
    if team_id:
        coming = coming.where(Activity.team_id == team_id)
    if site_id:
        coming = coming.where(Activity.site_id == site_id)
    if project_id:
        coming = coming.where(Activity.project_id == project_id)
    order = (Activity.starts_at, Activity.id)
    if page is None:
        return _activities_with_ids(coming.order_by(*order).limit(limit or 50))
    total = db.session.scalar(select(func.count()).select_from(coming.subquery()))
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(page, 1), pages)
    ids = coming.order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    return _activities_with_ids(ids), total, page, pages


def _activities_with_ids(ids) -> list[Activity]:
    query = (
        select(Activity)
        .where(Activity.id.in_(ids.scalar_subquery()))
        .options(joinedload(Activity.site), joinedload(Activity.project))
        .order_by(Activity.starts_at, Activity.id)
    )
    return list(db.session.scalars(query))


def projects_page(category: str, community: int | None, status: str, page: int):
    query = (
        select(Project)
        .options(joinedload(Project.community))
        .order_by(Project.created_at.desc(), Project.id.desc())
    )
    if category:
        query = query.where(Project.category == category)
    if community:
        query = query.where(Project.community_id == community)
    if status:
        query = query.where(Project.status == status)
    else:
        query = query.where(Project.status != "draft")  # drafts are not public
    return paged(query, page)


def project_communities() -> list[Community]:
    """Communities that have public projects, for the filter."""
    ids = select(Project.community_id).where(Project.status != "draft").distinct()
    return list(
        db.session.scalars(select(Community).where(Community.id.in_(ids)).order_by(Community.name))
    )


def project_detail(project_id: int) -> Project | None:
    return db.session.scalar(
        select(Project)
        .where(Project.id == project_id)
        .options(
            joinedload(Project.community),
            joinedload(Project.site),
            selectinload(Project.teams),
            selectinload(Project.comments).joinedload(ProjectComment.user),
        )
    )


def activity_detail(activity_id: int) -> Activity | None:
    return db.session.scalar(
        select(Activity)
        .where(Activity.id == activity_id)
        .options(
            joinedload(Activity.site),
            joinedload(Activity.team),
            joinedload(Activity.project).selectinload(Project.teams),
        )
    )


def my_signup(user_id: int, activity_id: int) -> Signup | None:
    return db.session.scalar(
        select(Signup).where(
            Signup.user_id == user_id,
            Signup.activity_id == activity_id,
            Signup.status != "cancelled",
        )
    )


def waitlist_position(signup: Signup) -> int:
    return db.session.scalar(
        select(func.count(Signup.id)).where(
            Signup.activity_id == signup.activity_id,
            Signup.status == "waitlisted",
            Signup.id <= signup.id,
        )
    )


def roster(activity_id: int) -> list[Signup]:
    return list(
        db.session.scalars(
            select(Signup)
            .where(Signup.activity_id == activity_id, Signup.status != "cancelled")
            .options(joinedload(Signup.user))
            .order_by(Signup.status, Signup.id)
        )
    )


def history(user_id: int) -> list[Signup]:
    return list(
        db.session.scalars(
            select(Signup)
            .join(Activity)
            .where(Signup.user_id == user_id, Signup.status != "cancelled")
            .options(joinedload(Signup.activity).joinedload(Activity.site))
            .order_by(Activity.starts_at.desc())
            .limit(200)
        )
    )


def ledger(user_id: int) -> list[PointsEntry]:
    return list(
        db.session.scalars(
            select(PointsEntry)
            .where(PointsEntry.user_id == user_id)
            .order_by(PointsEntry.id.desc())
            .limit(100)
        )
    )


def redemptions_of(user_id: int) -> list[Redemption]:
    return list(
        db.session.scalars(
            select(Redemption)
            .where(Redemption.user_id == user_id)
            .options(joinedload(Redemption.item).joinedload(MallItem.site))
            .order_by(Redemption.id.desc())
            .limit(50)
        )
    )


def mall_items(site_id: int | None, page: int):
    query = (
        select(MallItem)
        .where(MallItem.active.is_(True))
        .options(joinedload(MallItem.site))
        .order_by(MallItem.points_cost, MallItem.id)
    )
    if site_id:
        query = query.where(MallItem.site_id == site_id)
    return paged(query, page)


def site_redemptions(site: Site) -> list[Redemption]:
    site_ids = unit_site_ids(site)
    return list(
        db.session.scalars(
            select(Redemption)
            .join(MallItem)
            .where(MallItem.site_id.in_(site_ids))
            .options(joinedload(Redemption.item), joinedload(Redemption.user))
            .order_by((Redemption.status == "reserved").desc(), Redemption.id.desc())
            .limit(100)
        )
    )
