"""Read-side look-ups for the volunteering pages (a few queries each, any size)."""

import math
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from .. import clock, paging
from ..extensions import db
from ..models import (
    Activity,
    ActivityChange,
    ActivitySeries,
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
    User,
    VolunteerProfile,
)
from ..permissions import unit_site_ids

PER_PAGE = 20


def paged(query, page: int, per_page: int = PER_PAGE):
    return paging.paged(query, page, per_page)


def member_counts(team_ids: list[int]) -> dict[int, int]:
    """How many people are in each team (the leader, deputies and members)."""
    if not team_ids:
        return {}
    rows = db.session.execute(
        select(Membership.team_id, func.count())
        .where(Membership.team_id.in_(team_ids), Membership.status.in_(Membership.IN_THE_TEAM))
        .group_by(Membership.team_id)
    )
    return dict(rows.all())


def teams_page(page: int, *, community=None, skill="", q="", retired=False):
    """Public teams: by community, by a skill, by a search of name, brand and skills.

    Retired teams only when asked for (they keep their page and history).
    """
    query = (
        select(Team)
        .join(Team.home_site)
        .options(contains_eager(Team.home_site).joinedload(Site.community))
        .order_by(Team.retired_at.is_not(None), Team.name, Team.id)
    )
    if not retired:
        query = query.where(Team.retired_at.is_(None))
    if community:
        query = query.where(Site.community_id == community)
    if skill:
        query = query.where(Team.skills.icontains(skill, autoescape=True))
    for word in q.split():
        query = query.where(
            or_(
                Team.name.icontains(word, autoescape=True),
                Team.brand.icontains(word, autoescape=True),
                Team.skills.icontains(word, autoescape=True),
            )
        )
    return paged(query, page)


def team_detail(team_id: int) -> Team | None:
    return db.session.scalar(
        select(Team).where(Team.id == team_id).options(joinedload(Team.home_site))
    )


# A team's list reads from the top: the leader, the deputies, the members,
# then who asks to join, then who was removed.
_ROLE_ORDER = {"leader": 0, "deputy": 1, "member": 2, "pending": 3, "removed": 4}


def memberships_of(team_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.team_id == team_id)
            .options(joinedload(Membership.user))
            .order_by(case(_ROLE_ORDER, value=Membership.status, else_=9), Membership.id)
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
            joinedload(Project.outcome_photo),
            selectinload(Project.teams),
            selectinload(Project.comments).joinedload(ProjectComment.user),
            selectinload(Project.spending),
        )
    )


def activity_detail(activity_id: int) -> Activity | None:
    return db.session.scalar(
        select(Activity)
        .where(Activity.id == activity_id)
        .options(
            joinedload(Activity.site),
            joinedload(Activity.team),
            joinedload(Activity.series),
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


def mall_items(site_id: int | None, page: int, community_id: int | None = None):
    """The love mall: active goods, cheapest first, at a site or in a community."""
    query = (
        select(MallItem)
        .join(MallItem.site)
        .where(MallItem.active.is_(True))
        .options(contains_eager(MallItem.site), joinedload(MallItem.photo))
        .order_by(MallItem.points_cost, MallItem.id)
    )
    if site_id:
        query = query.where(MallItem.site_id == site_id)
    if community_id:
        query = query.where(Site.community_id == community_id)
    return paged(query, page)


def site_redemptions(site: Site, limit: int = 100) -> list[Redemption]:
    """The exchanges of the unit's goods: those to hand over first, then the latest."""
    site_ids = unit_site_ids(site)
    return list(
        db.session.scalars(
            select(Redemption)
            .join(MallItem)
            .where(MallItem.site_id.in_(site_ids))
            .options(
                joinedload(Redemption.item).joinedload(MallItem.site),
                joinedload(Redemption.user),
            )
            .order_by((Redemption.status == "reserved").desc(), Redemption.id.desc())
            .limit(limit)
        )
    )


# Teams: the staff's list of a unit, and the public filters ---------------------------

# How people write a list of skills: "急救、理发", "急救, 理发", "急救 理发".
_SKILL_SEPARATORS = re.compile(r"[、,，;；/／\s]+")
# Enough distinct skill lists for the filter of a city; the filter is a convenience.
SKILL_LISTS_READ = 500


def split_skills(text: str) -> list[str]:
    return [skill for skill in _SKILL_SEPARATORS.split(text or "") if skill]


def unit_teams_page(site: Site, page: int):
    """The teams at ``site`` (and, for a center, at its stations): working ones first."""
    query = (
        select(Team)
        .where(Team.home_site_id.in_(unit_site_ids(site)))
        .options(joinedload(Team.home_site))
        .order_by(Team.retired_at.is_not(None), Team.name, Team.id)
    )
    return paged(query, page)


def membership_counts(team_ids: list[int]) -> dict[int, dict[str, int]]:
    """For each team, how many memberships have each status (one query)."""
    counts: dict[int, dict[str, int]] = {team_id: {} for team_id in team_ids}
    if not team_ids:
        return counts
    rows = db.session.execute(
        select(Membership.team_id, Membership.status, func.count())
        .where(Membership.team_id.in_(team_ids))
        .group_by(Membership.team_id, Membership.status)
    )
    for team_id, status, number in rows:
        counts[team_id][status] = number
    return counts


def team_communities() -> list[Community]:
    """Communities with a working team, for the filter of /teams."""
    ids = (
        select(Site.community_id)
        .join(Team, Team.home_site_id == Site.id)
        .where(Team.retired_at.is_(None))
        .distinct()
    )
    return list(
        db.session.scalars(select(Community).where(Community.id.in_(ids)).order_by(Community.name))
    )


def team_skills() -> list[str]:
    """The skills working teams ask for, each once, for the filter of /teams."""
    lists = db.session.scalars(
        select(Team.skills)
        .where(Team.retired_at.is_(None), Team.skills != "")
        .distinct()
        .limit(SKILL_LISTS_READ)
    )
    return sorted({skill for text in lists for skill in split_skills(text)})


# Activities staff run, and what their volunteers are told (ACTIVITIES) ----------------------

# A volunteer's place in an activity, held or waited for (not left, not over).
COMING_SHIFT_STATUSES = ("signed_up", "waitlisted", "checked_in")
RECENT_DAYS = 30


def coming_shifts(user_id: int) -> list[Signup]:
    """The volunteer's places (held or waited for) in activities still to come, soonest first."""
    return list(
        db.session.scalars(
            select(Signup)
            .join(Signup.activity)
            .where(
                Signup.user_id == user_id,
                Signup.status.in_(COMING_SHIFT_STATUSES),
                Activity.status == "open",
                Activity.ends_at > clock.now(),
            )
            .options(contains_eager(Signup.activity).joinedload(Activity.site))
            .order_by(Activity.starts_at, Activity.id)
            .limit(50)
        )
    )


def changes_for(user_id: int, limit: int = 20) -> list[ActivityChange]:
    """What changed about the activities the volunteer signed up for (and did not
    leave): cancellations, new times and places; the newest first."""
    mine = select(Signup.activity_id).where(Signup.user_id == user_id, Signup.status != "cancelled")
    return list(
        db.session.scalars(
            select(ActivityChange)
            .where(ActivityChange.activity_id.in_(mine))
            .options(joinedload(ActivityChange.activity).joinedload(Activity.site))
            .order_by(ActivityChange.id.desc())
            .limit(limit)
        )
    )


def unit_activities(site: Site, *, coming: bool, limit: int = 60) -> list[Activity]:
    """The unit's activities not yet over (soonest first), or over in the last
    ``RECENT_DAYS`` days (latest first), cancelled ones included."""
    now = clock.now()
    query = (
        select(Activity)
        .where(Activity.site_id.in_(unit_site_ids(site)))
        .options(joinedload(Activity.site))
        .limit(limit)
    )
    if coming:
        query = query.where(Activity.ends_at > now).order_by(Activity.starts_at, Activity.id)
    else:
        since = now - timedelta(days=RECENT_DAYS)
        query = query.where(Activity.ends_at <= now, Activity.ends_at > since).order_by(
            Activity.starts_at.desc(), Activity.id.desc()
        )
    return list(db.session.scalars(query))


def unit_series(site: Site, limit: int = 30) -> list[tuple[ActivitySeries, int]]:
    """The unit's weekly series, newest first, each with its occurrences still to come."""
    coming = (
        select(func.count(Activity.id))
        .where(
            Activity.series_id == ActivitySeries.id,
            Activity.status == "open",
            Activity.starts_at > clock.now(),
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(ActivitySeries, coming)
        .where(ActivitySeries.site_id.in_(unit_site_ids(site)))
        .order_by(ActivitySeries.id.desc())
        .limit(limit)
    )
    return [(series, n) for series, n in rows.all()]


def series_detail(series_id: int) -> ActivitySeries | None:
    return db.session.scalar(
        select(ActivitySeries)
        .where(ActivitySeries.id == series_id)
        .options(selectinload(ActivitySeries.activities).joinedload(Activity.site))
    )


def series_coming(series_id: int, limit: int = 8) -> list[Activity]:
    """The occurrences of a series still open to sign up for, soonest first."""
    return list(
        db.session.scalars(
            select(Activity)
            .where(
                Activity.series_id == series_id,
                Activity.status == "open",
                Activity.starts_at > clock.now(),
            )
            .order_by(Activity.starts_at, Activity.id)
            .limit(limit)
        )
    )


def site_teams(site_id: int) -> list[Team]:
    """The teams based at a site that are not retired, for its public page."""
    return list(
        db.session.scalars(
            select(Team)
            .where(Team.home_site_id == site_id, Team.retired_at.is_(None))
            .order_by(Team.name, Team.id)
            .limit(50)
        )
    )


def activity_changes(activity_id: int) -> list[ActivityChange]:
    """An activity's changes (cancellation, new times and places), the newest first."""
    return list(
        db.session.scalars(
            select(ActivityChange)
            .where(ActivityChange.activity_id == activity_id)
            .order_by(ActivityChange.id.desc())
            .limit(50)
        )
    )


def unit_projects(site: Site, limit: int = 200) -> list[Project]:
    """The projects the console of ``site`` runs (a center: its own, its stations' and
    the whole community's; a station: its own), newest first, with their place."""
    mine = Project.site_id.in_(unit_site_ids(site))
    if site.kind == "center":
        mine = or_(mine, (Project.site_id.is_(None)) & (Project.community_id == site.community_id))
    return list(
        db.session.scalars(
            select(Project)
            .where(mine)
            .options(joinedload(Project.site))
            .order_by(Project.created_at.desc(), Project.id.desc())
            .limit(limit)
        )
    )


# The love mall and points: the staff's items, the desk, finding a volunteer ---------


def unit_sites(site: Site) -> list[Site]:
    """The sites of ``site``'s unit (the center first, then its stations by name)."""
    return list(
        db.session.scalars(
            select(Site)
            .where(Site.id.in_(unit_site_ids(site)))
            .order_by((Site.id == site.id).desc(), Site.name, Site.id)
        )
    )


def unit_mall_items(site: Site, limit: int = 200) -> list[MallItem]:
    """The unit's goods for its staff: those offered first, retired ones after."""
    return list(
        db.session.scalars(
            select(MallItem)
            .where(MallItem.site_id.in_(unit_site_ids(site)))
            .options(joinedload(MallItem.site), joinedload(MallItem.photo))
            .order_by(MallItem.active.desc(), MallItem.name, MallItem.id)
            .limit(limit)
        )
    )


def unit_mall_item(site: Site, item_id: int) -> MallItem | None:
    """One item, if it is picked up at a site of ``site``'s unit."""
    return db.session.scalar(
        select(MallItem)
        .where(MallItem.id == item_id, MallItem.site_id.in_(unit_site_ids(site)))
        .options(joinedload(MallItem.site), joinedload(MallItem.photo))
    )


def reserved_counts(item_ids: list[int]) -> dict[int, int]:
    """Exchanges waiting to be handed over, by item."""
    if not item_ids:
        return {}
    rows = db.session.execute(
        select(Redemption.item_id, func.count())
        .where(Redemption.item_id.in_(item_ids), Redemption.status == "reserved")
        .group_by(Redemption.item_id)
    )
    return dict(rows.all())


def holding_counts(user_id: int, item_ids: list[int]) -> dict[int, int]:
    """How many of each item the volunteer has reserved or picked up (the limit's count)."""
    if not item_ids:
        return {}
    rows = db.session.execute(
        select(Redemption.item_id, func.count())
        .where(
            Redemption.user_id == user_id,
            Redemption.item_id.in_(item_ids),
            Redemption.status.in_(("reserved", "picked_up")),
        )
        .group_by(Redemption.item_id)
    )
    return dict(rows.all())


def mall_communities() -> list[Community]:
    """Communities with goods on offer, for the mall's filter."""
    ids = select(Site.community_id).join(MallItem, MallItem.site_id == Site.id)
    ids = ids.where(MallItem.active.is_(True)).distinct()
    return list(
        db.session.scalars(
            select(Community).where(Community.id.in_(ids)).order_by(Community.name).limit(500)
        )
    )


def mall_sites(community_id: int | None = None) -> list[Site]:
    """Sites with goods on offer (in a community, when one is chosen), for the filter."""
    ids = select(MallItem.site_id).where(MallItem.active.is_(True)).distinct()
    query = select(Site).where(Site.id.in_(ids)).order_by(Site.name, Site.id).limit(500)
    if community_id:
        query = query.where(Site.community_id == community_id)
    return list(db.session.scalars(query))


def redemption_at(site: Site, redemption_id: int) -> Redemption | None:
    """One exchange of the unit's goods, with what the desk shows of it."""
    return db.session.scalar(
        select(Redemption)
        .join(MallItem)
        .where(Redemption.id == redemption_id, MallItem.site_id.in_(unit_site_ids(site)))
        .options(joinedload(Redemption.item).joinedload(MallItem.site), joinedload(Redemption.user))
    )


def _connected_to(site: Site):
    """Whether a user is one of the unit's volunteers: signed up for one of its
    activities, in (or asking to join) one of its teams, or exchanged its goods."""
    unit = unit_site_ids(site)
    signed_up = select(Signup.user_id).join(Activity, Activity.id == Signup.activity_id)
    in_team = select(Membership.user_id).join(Team, Team.id == Membership.team_id)
    exchanged = select(Redemption.user_id).join(MallItem, MallItem.id == Redemption.item_id)
    return or_(
        User.id.in_(signed_up.where(Activity.site_id.in_(unit))),
        User.id.in_(in_team.where(Team.home_site_id.in_(unit))),
        User.id.in_(exchanged.where(MallItem.site_id.in_(unit))),
    )


def _volunteers(site: Site, everyone: bool):
    query = (
        select(User)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(User.deleted_at.is_(None))
        .options(contains_eager(User.volunteer))
    )
    return query if everyone else query.where(_connected_to(site))


def find_volunteers(site: Site, q: str, *, everyone: bool, limit: int = 20) -> list[User]:
    """Volunteers of the unit (any, for an admin) by real name, or by the last four
    digits of the mobile number."""
    query = _volunteers(site, everyone)
    if len(q) == 4 and q.isascii() and q.isdigit():
        query = query.where(User.mobile.endswith(q, autoescape=True))
    else:
        query = query.where(VolunteerProfile.real_name.contains(q, autoescape=True))
    query = query.order_by(VolunteerProfile.real_name, User.id).limit(limit)
    return list(db.session.scalars(query).unique())


def unit_volunteer(site: Site, user_id: int, *, everyone: bool) -> User | None:
    """One volunteer, if the staff of ``site`` may adjust their points."""
    return db.session.scalars(_volunteers(site, everyone).where(User.id == user_id)).first()


def balances(user_ids: list[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(PointsEntry.user_id, func.sum(PointsEntry.points))
        .where(PointsEntry.user_id.in_(user_ids))
        .group_by(PointsEntry.user_id)
    )
    return {user_id: int(total or 0) for user_id, total in rows.all()}


def recent_ledger(user_id: int, limit: int = 10) -> list[PointsEntry]:
    return list(
        db.session.scalars(
            select(PointsEntry)
            .where(PointsEntry.user_id == user_id)
            .order_by(PointsEntry.id.desc())
            .limit(limit)
        )
    )


# The volunteering console's front page: what needs a worker's eye -------------------


@dataclass(frozen=True)
class UnitVolunteering:
    """A unit's volunteering at a glance, for the console's front page."""

    teams: int = 0
    requests: int = 0
    coming_activities: int = 0
    projects_open: int = 0
    items_offered: int = 0
    items_out_of_stock: int = 0
    to_hand_over: int = 0


def unit_volunteering(site: Site) -> UnitVolunteering:
    """Counts for the unit of ``site``, in one round trip of scalar subqueries."""
    sites = unit_site_ids(site)
    now = clock.now()
    mine = Project.site_id.in_(sites)
    if site.kind == "center":
        mine = or_(mine, (Project.site_id.is_(None)) & (Project.community_id == site.community_id))

    def count(*where, of=None):
        return select(func.count(of)).where(*where).scalar_subquery()

    row = db.session.execute(
        select(
            count(Team.home_site_id.in_(sites), Team.retired_at.is_(None), of=Team.id),
            select(func.count(Membership.id))
            .join(Team, Team.id == Membership.team_id)
            .where(Team.home_site_id.in_(sites), Membership.status == "pending")
            .scalar_subquery(),
            count(
                Activity.site_id.in_(sites),
                Activity.status == "open",
                Activity.ends_at > now,
                of=Activity.id,
            ),  # fmt: skip
            count(mine, Project.status != "completed", of=Project.id),
            count(MallItem.site_id.in_(sites), MallItem.active.is_(True), of=MallItem.id),
            count(
                MallItem.site_id.in_(sites),
                MallItem.active.is_(True),
                MallItem.stock <= 0,
                of=MallItem.id,
            ),  # fmt: skip
            select(func.count(Redemption.id))
            .join(MallItem, MallItem.id == Redemption.item_id)
            .where(MallItem.site_id.in_(sites), Redemption.status == "reserved")
            .scalar_subquery(),
        )
    ).one()
    return UnitVolunteering(*row)
