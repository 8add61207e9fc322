"""Volunteering: teams, service projects (with 公示), activities, sign-ups,
the points ledger, and the love mall (爱心商城).

Places, stock and balances are kept by the database: ``taken`` and ``stock``
move only through conditional updates, and check constraints refuse a row
that would pass its limit.
"""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .types import UTCDateTime

project_team = Table(
    "project_team",
    db.metadata,
    Column("project_id", ForeignKey("project.id"), primary_key=True),
    Column("team_id", ForeignKey("team.id"), primary_key=True),
)


class Team(db.Model):
    """志愿服务队: a volunteer team with its brand (e.g. "四季歌")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    brand: Mapped[str] = mapped_column(String(40), default="")
    slogan: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # The skills the team needs, as people write them ("急救、理发"): searchable.
    skills: Mapped[str] = mapped_column(String(200), default="", server_default="")
    home_site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    # Retired teams keep their history (hours, projects) but take no one new.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    home_site: Mapped["Site"] = relationship()  # noqa: F821
    memberships: Mapped[list["Membership"]] = relationship(back_populates="team")


class Membership(db.Model):
    """A volunteer in a team: pending (asked to join), member, deputy, leader, or
    removed (by staff, with a reason; the row stays, so the history does)."""

    # Who runs the team's members and rosters with the staff.
    RUNS_THE_TEAM = ("leader", "deputy")
    # Counted as the team's people (a pending or removed one is not).
    IN_THE_TEAM = ("member", "deputy", "leader")

    __table_args__ = (
        UniqueConstraint("team_id", "user_id"),
        CheckConstraint(
            "status IN ('pending', 'member', 'deputy', 'leader', 'removed')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped["User"] = relationship()  # noqa: F821


class Project(db.Model):
    """服务项目: a draft, filed (备案), published for comment (公示), run, completed."""

    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'filed', 'publicity', 'running', 'completed')", name="status"
        ),
        CheckConstraint(
            "publicity_ends_on IS NULL OR publicity_starts_on <= publicity_ends_on",
            name="publicity",
        ),
        CheckConstraint("budget_yuan >= 0", name="budget"),
        Index("ix_project_status_category", "status", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(20))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    budget_yuan: Mapped[int] = mapped_column(Integer, default=0)
    fund_source: Mapped[str] = mapped_column(String(80), default="")
    beneficiaries: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    filing_number: Mapped[str] = mapped_column(String(40), default="", server_default="")
    filed_on: Mapped[date | None] = mapped_column(Date)
    publicity_starts_on: Mapped[date | None] = mapped_column(Date)
    publicity_ends_on: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    outcome_beneficiaries: Mapped[int | None] = mapped_column(Integer)
    outcome_hours: Mapped[float | None] = mapped_column(Numeric(8, 2))
    outcome_summary: Mapped[str] = mapped_column(Text, default="")
    outcome_photo_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    community: Mapped["Community"] = relationship()  # noqa: F821
    site: Mapped["Site | None"] = relationship()  # noqa: F821
    outcome_photo: Mapped["Upload | None"] = relationship()  # noqa: F821
    teams: Mapped[list[Team]] = relationship(secondary=project_team, order_by="Team.name")
    comments: Mapped[list["ProjectComment"]] = relationship(
        back_populates="project", order_by="ProjectComment.id"
    )
    spending: Mapped[list["ProjectSpending"]] = relationship(
        back_populates="project", order_by="ProjectSpending.spent_on, ProjectSpending.id"
    )


class ProjectComment(db.Model):
    """A resident's opinion during 公示, and the staff's answer."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hidden by staff (abuse, personal data), with the reason; audited.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    project: Mapped[Project] = relationship(back_populates="comments")
    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821


class ProjectSpending(db.Model):
    """One spending entry against a project's budget, shown publicly on its page."""

    __table_args__ = (CheckConstraint("amount_yuan > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    amount_yuan: Mapped[float] = mapped_column(Numeric(12, 2))
    purpose: Mapped[str] = mapped_column(String(200))
    payee: Mapped[str] = mapped_column(String(100), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    project: Mapped[Project] = relationship(back_populates="spending")


class Activity(db.Model):
    """A shift of a project (or of a team): when, where, how many hands."""

    __table_args__ = (
        CheckConstraint("taken >= 0 AND taken <= places", name="places"),
        CheckConstraint("places >= 1", name="places_min"),
        CheckConstraint("starts_at < ends_at", name="times"),
        CheckConstraint("project_id IS NOT NULL OR team_id IS NOT NULL", name="owner"),
        CheckConstraint("status IN ('open', 'cancelled')", name="status"),
        CheckConstraint("hours > 0 AND hours <= 24", name="hours"),
        Index("ix_activity_starts", "starts_at"),
        # "Coming up" lists (status open, not yet ended): the filter is a range
        # of this index, so past activities are never read, however many.
        Index("ix_activity_status_ends", "status", "ends_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("activity_series.id"), index=True)
    title: Mapped[str] = mapped_column(String(80))
    # A project category (vocab.PROJECT_CATEGORIES), for finding activities by kind.
    category: Mapped[str] = mapped_column(String(20), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Where, when not at the site itself (a park, a compound's gate).
    address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    requirements: Mapped[str] = mapped_column(String(200), default="")
    skills: Mapped[str] = mapped_column(String(200), default="", server_default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signup_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    places: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[float] = mapped_column(Numeric(4, 2))  # hours credited by default
    status: Mapped[str] = mapped_column(String(10), default="open")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    checkin_code: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    # When staff confirmed the roster: forgotten check-outs were credited then.
    roster_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project | None] = relationship()
    team: Mapped[Team | None] = relationship()
    site: Mapped["Site"] = relationship()  # noqa: F821
    series: Mapped["ActivitySeries | None"] = relationship(back_populates="activities")

    @property
    def places_left(self) -> int:
        return self.places - self.taken


class Signup(db.Model):
    """A volunteer's place in an activity; hours credited once attended."""

    __table_args__ = (
        CheckConstraint(
            "status IN ('signed_up', 'waitlisted', 'cancelled', 'checked_in', 'attended',"
            " 'absent')",
            name="status",
        ),
        CheckConstraint("hours_credited >= 0 AND hours_credited <= 24", name="hours"),
        Index(
            "uq_signup_active",
            "activity_id",
            "user_id",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("ix_signup_activity_status", "activity_id", "status", "id"),
        Index("ix_signup_user", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hours_credited: Mapped[float] = mapped_column(Numeric(4, 2), default=0)
    credit_reason: Mapped[str] = mapped_column(String(200), default="")

    activity: Mapped[Activity] = relationship()
    user: Mapped["User"] = relationship()  # noqa: F821


class PointsEntry(db.Model):
    """One line of the append-only points ledger; a balance is their sum.

    earned (for hours), spent (a redemption), refund (a cancelled redemption),
    adjusted (by staff, with a reason).
    """

    __table_args__ = (
        CheckConstraint("kind IN ('earned', 'spent', 'refund', 'adjusted')", name="kind"),
        Index("ix_points_entry_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    signup_id: Mapped[int | None] = mapped_column(ForeignKey("signup.id"))
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemption.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)


class MallItem(db.Model):
    """爱心商城: goods a site gives for points."""

    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock"),
        CheckConstraint("points_cost >= 1", name="cost"),
        CheckConstraint("per_person_limit IS NULL OR per_person_limit >= 1", name="limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(200), default="")
    points_cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    # How many one volunteer may have reserved or picked up (None: no limit).
    per_person_limit: Mapped[int | None] = mapped_column(Integer)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=clock.current)

    site: Mapped["Site"] = relationship()  # noqa: F821
    photo: Mapped["Upload | None"] = relationship()  # noqa: F821


class Redemption(db.Model):
    """An exchange of points for an item: reserved until picked up or cancelled."""

    __table_args__ = (
        CheckConstraint("status IN ('reserved', 'picked_up', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("mall_item.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="reserved")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item: Mapped[MallItem] = relationship()
    user: Mapped["User"] = relationship()  # noqa: F821


class ActivitySeries(db.Model):
    """A weekly series (every Saturday 09:00–11:00 for 8 weeks); each occurrence
    is an Activity of its own, edited or cancelled on its own."""

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("weeks BETWEEN 1 AND 52", name="weeks"),
        CheckConstraint(
            "starts_min >= 0 AND starts_min < ends_min AND ends_min <= 1440", name="times"
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    title: Mapped[str] = mapped_column(String(80))
    weekday: Mapped[int] = mapped_column(Integer)
    starts_min: Mapped[int] = mapped_column(Integer)
    ends_min: Mapped[int] = mapped_column(Integer)
    first_on: Mapped[date] = mapped_column(Date)
    weeks: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    activities: Mapped[list[Activity]] = relationship(
        back_populates="series", order_by="Activity.starts_at"
    )


class ActivityChange(db.Model):
    """What changed about an activity after volunteers signed up: a cancellation,
    a new time or place. Each signed-up volunteer sees it on "my volunteering"."""

    __table_args__ = (
        CheckConstraint("kind IN ('cancelled', 'time', 'place', 'details')", name="kind"),
        Index("ix_activity_change_activity", "activity_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    kind: Mapped[str] = mapped_column(String(10))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    activity: Mapped[Activity] = relationship()


class Certificate(db.Model):
    """志愿服务记录证明: an issued, numbered record of a volunteer's hours.

    It is written once and never changes (triggers refuse an UPDATE of anything
    but the holder's name, which account deletion removes, and any DELETE), so
    /verify/<code> shows exactly what was issued, whatever the volunteer does
    later. ``code`` uses characters that cannot be mistaken for each other.
    """

    __table_args__ = (CheckConstraint("total_hours >= 0", name="hours"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(20))
    issuer_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    issuer_name: Mapped[str] = mapped_column(String(80))
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    total_hours: Mapped[float] = mapped_column(Numeric(8, 2))
    activity_count: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    lines: Mapped[list["CertificateLine"]] = relationship(order_by="CertificateLine.position")

    @property
    def number(self) -> str:
        """The number printed on it: the year of issue and the record's sequence."""
        return f"{clock.local(self.issued_at).year}-{self.id:06d}"


class CertificateLine(db.Model):
    """One activity on a certificate, as it stood when the certificate was issued."""

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[date] = mapped_column(Date)
    activity_title: Mapped[str] = mapped_column(String(80))
    site_name: Mapped[str] = mapped_column(String(80))
    hours: Mapped[float] = mapped_column(Numeric(4, 2))
