"""Small wishes (微心愿): what an elder or a child wishes for, who grants it,
and the rule by which a community credits the volunteer who does.

``status`` moves only by ``wishes.service``, each move a conditional UPDATE on
the state it leaves: open → claimed → fulfilled, a claim released back to
open, or withdrawn. The points a fulfilled wish earns are a line of the points
ledger (``PointsEntry``, append-only); the wish keeps the link to it
(``points_entry_id``, unique), so a wish is credited at most once.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .types import UTCDateTime

WISH_STATES = ("open", "claimed", "fulfilled", "withdrawn")
# What a community's rule may credit for one wish.
MAX_WISH_POINTS = 100
MAX_WISH_HOURS = 8
DEFAULT_WISH_POINTS = 10


class WishRule(db.Model):
    """How a community credits the volunteer who grants a wish: points (into
    the ledger) and hours (kept on the wish). A community without a row
    credits DEFAULT_WISH_POINTS and no hours."""

    __table_args__ = (
        CheckConstraint(f"points BETWEEN 0 AND {MAX_WISH_POINTS}", name="points"),
        CheckConstraint(f"hours >= 0 AND hours <= {MAX_WISH_HOURS}", name="hours"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=DEFAULT_WISH_POINTS)
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)


class Wish(db.Model):
    """One 微心愿: posted by a resident, or by staff for an elder or a child
    (then ``logged_by``, and ``wisher`` only when the person has an account).

    ``for_name`` is a first name or what people call them (王奶奶, 小明), never
    a full name or a number; the public wall shows the community, never the place.
    """

    __table_args__ = (
        CheckConstraint("status IN ('open', 'claimed', 'fulfilled', 'withdrawn')", name="status"),
        CheckConstraint("for_age IS NULL OR for_age BETWEEN 0 AND 120", name="for_age"),
        CheckConstraint(
            f"credit_points IS NULL OR credit_points BETWEEN 0 AND {MAX_WISH_POINTS}",
            name="credit_points",
        ),
        # One claimant at most: a volunteer or a co-building unit (共建单位).
        CheckConstraint("claimed_by_id IS NULL OR claimed_unit = ''", name="one_claimant"),
        Index("ix_wish_wall", "status", "id"),
        Index("ix_wish_community", "community_id", "status", "id"),
        Index("ix_wish_wisher", "wisher_id", "id"),
        Index("ix_wish_claimant", "claimed_by_id", "id"),
    )

    OPEN = "open"
    SHOWN = ("open", "claimed", "fulfilled")  # what the public wall shows
    ENDED = ("fulfilled", "withdrawn")

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    wisher_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Staff who posted it for an elder or a child (代办), at the desk or on the phone.
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    what: Mapped[str] = mapped_column(String(60))
    for_name: Mapped[str] = mapped_column(String(10), default="")
    for_age: Mapped[int | None] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(60), default="")
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    claimed_unit: Mapped[str] = mapped_column(String(40), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff may set this wish's points apart from the community's rule.
    credit_points: Mapped[int | None] = mapped_column(Integer)
    # What the claimant was credited when it was fulfilled.
    credited_points: Mapped[int | None] = mapped_column(Integer)
    credited_hours: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    points_entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_entry.id"), unique=True)

    community: Mapped["Community"] = relationship()  # noqa: F821
    site: Mapped["Site | None"] = relationship()  # noqa: F821
    wisher: Mapped["User | None"] = relationship(foreign_keys=[wisher_id])  # noqa: F821
    logged_by: Mapped["User | None"] = relationship(foreign_keys=[logged_by_id])  # noqa: F821
    claimed_by: Mapped["User | None"] = relationship(foreign_keys=[claimed_by_id])  # noqa: F821
    confirmed_by: Mapped["User | None"] = relationship(  # noqa: F821
        foreign_keys=[confirmed_by_id]
    )

    @property
    def claimant_is_unit(self) -> bool:
        return bool(self.claimed_unit)
