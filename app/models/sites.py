"""Sites (centers and stations) and what hangs off them."""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..sites import hours
from .geo import Community
from .types import UTCDateTime


class Site(db.Model):
    """A 党群服务中心 (``kind='center'``) or one of its 1+N stations.

    A station points to the center of its community; a community has exactly
    one center, which a partial unique index enforces.
    """

    __table_args__ = (
        CheckConstraint("kind IN ('center', 'station')", name="kind"),
        CheckConstraint(
            "(kind = 'center' AND station_type IS NULL AND center_id IS NULL)"
            " OR (kind = 'station' AND station_type IS NOT NULL)",
            name="kind_shape",
        ),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index(
            "uq_site_one_center_per_community",
            "community_id",
            unique=True,
            sqlite_where=text("kind = 'center'"),
            postgresql_where=text("kind = 'center'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    station_type: Mapped[str | None] = mapped_column(String(20))
    center_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(30), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    # Lower-cased name, address and service names, kept by
    # sites.directory.refresh_search_text so a search is one indexed column.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Bumped by every edit of the listing (SQLAlchemy checks it in the UPDATE),
    # so a second editor working from an old copy gets a conflict, not a silent
    # overwrite.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.current, onupdate=clock.current
    )

    community: Mapped[Community] = relationship(back_populates="sites")
    center: Mapped["Site | None"] = relationship(remote_side=[id], back_populates="stations")
    stations: Mapped[list["Site"]] = relationship(back_populates="center", order_by="Site.name")
    facilities: Mapped[list["SiteFacility"]] = relationship(
        cascade="all, delete-orphan", order_by="SiteFacility.facility"
    )
    opening_intervals: Mapped[list["OpeningInterval"]] = relationship(
        cascade="all, delete-orphan",
        order_by="OpeningInterval.weekday, OpeningInterval.opens_min",
    )
    special_days: Mapped[list["SpecialDay"]] = relationship(
        cascade="all, delete-orphan", order_by="SpecialDay.starts_on"
    )
    services: Mapped[list["Service"]] = relationship(
        back_populates="site", order_by="Service.category, Service.name"
    )
    notices: Mapped[list["Notice"]] = relationship(
        cascade="all, delete-orphan", order_by="Notice.publish_on.desc()"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_center(self) -> bool:
        return self.kind == "center"

    @property
    def facility_codes(self) -> list[str]:
        return [f.facility for f in self.facilities]

    def weekly_hours(self) -> list[tuple[int, int, int]]:
        """(weekday, opens_min, closes_min) for each regular interval."""
        return [(i.weekday, i.opens_min, i.closes_min) for i in self.opening_intervals]

    def specials(self) -> list[hours.Special]:
        """The special days, in the form the hours rules take."""
        return [
            hours.Special(s.kind, s.starts_on, s.ends_on, s.opens_min, s.closes_min, s.note)
            for s in self.special_days
        ]

    def open_state(self, moment: datetime | None = None) -> hours.OpenState:
        """Whether the site is open at ``moment`` (default now), and until when."""
        return hours.open_state(
            weekly=self.weekly_hours(),
            special_days=self.specials(),
            temporarily_closed=self.status == "closed",
            moment=moment or clock.now(),
        )


class SiteFacility(db.Model):
    """A facility tag of a site (drinking water, phone charging …)."""

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    facility: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class OpeningInterval(db.Model):
    """One opening interval on one weekday, in local minutes since midnight.

    Opening hours are wall-clock times in the city (Asia/Shanghai), so they are
    stored as minutes, not as instants. 24:00 is 1440; an interval that runs
    past midnight is stored as two, one on each day.
    """

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            "opens_min >= 0 AND opens_min < closes_min AND closes_min <= 1440",
            name="interval",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    opens_min: Mapped[int] = mapped_column(Integer)
    closes_min: Mapped[int] = mapped_column(Integer)


class SpecialDay(db.Model):
    """A date range that overrides the weekly hours.

    ``closed`` and ``holiday`` close the site all day; ``extended`` (延时服务)
    adds an interval to each day of the range, on top of the weekly hours.
    """

    __table_args__ = (
        CheckConstraint("kind IN ('closed', 'holiday', 'extended')", name="kind"),
        CheckConstraint("starts_on <= ends_on", name="range"),
        CheckConstraint(
            "kind <> 'extended' OR (opens_min IS NOT NULL AND closes_min IS NOT NULL"
            " AND opens_min >= 0 AND opens_min < closes_min AND closes_min <= 1440)",
            name="extended_interval",
        ),
        Index("ix_special_day_site_range", "site_id", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    kind: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    opens_min: Mapped[int | None] = mapped_column(Integer)
    closes_min: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(100), default="")


class Notice(db.Model):
    """A notice (通知公告) shown on the site page while it is current."""

    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR expires_on >= publish_on", name="range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text, default="")
    publish_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)


class Service(db.Model):
    """A service a site offers (legal advice, a canteen lunch, a room …).

    ``bookable`` services take bookings through slots (the booking rules live
    beside this table once booking exists).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    bookable: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    site: Mapped[Site] = relationship(back_populates="services")
    booking_rule: Mapped["BookingRule | None"] = relationship(  # noqa: F821
        cascade="all, delete-orphan", uselist=False
    )
    slot_rules: Mapped[list["SlotRule"]] = relationship(  # noqa: F821
        cascade="all, delete-orphan", order_by="SlotRule.weekday, SlotRule.starts_min"
    )
