"""Residents' requests (诉求 / 随手拍): what a resident reports, every step
staff take on it, its photos, its rating, and who said "me too"."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .types import UTCDateTime

REQUEST_CATEGORIES = (
    "repairs",
    "environment",
    "safety",
    "neighbours",
    "property",
    "facilities",
    "services",
    "other",
)
REQUEST_STATES = ("received", "accepted", "in_progress", "resolved", "closed", "rejected")
RATINGS = ("satisfied", "basic", "unsatisfied")
PLACE_KINDS = ("home", "site", "location")


def _one_of(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ResidentRequest(db.Model):
    """One 诉求: a resident's problem, routed to a grid (or to the community's
    staff when no grid is set), with its deadlines and, at the end, a rating.

    ``status`` moves only by ``requests.service`` under a row lock; every move
    is a ``RequestStep``.
    """

    __tablename__ = "resident_request"
    __table_args__ = (
        CheckConstraint(_one_of("category", REQUEST_CATEGORIES), name="category"),
        CheckConstraint(_one_of("status", REQUEST_STATES), name="status"),
        CheckConstraint(_one_of("place_kind", PLACE_KINDS), name="place_kind"),
        CheckConstraint(f"rating IS NULL OR {_one_of('rating', RATINGS)}", name="rating"),
        CheckConstraint("me_too >= 0", name="me_too"),
        CheckConstraint("escalation BETWEEN 0 AND 2", name="escalation"),
        Index("ix_resident_request_queue", "community_id", "status", "accept_due_at"),
        Index("ix_resident_request_grid", "grid_id", "status"),
        Index("ix_resident_request_resident", "resident_id", "id"),
        Index("ix_resident_request_board", "public", "id"),
    )

    CATEGORIES = REQUEST_CATEGORIES
    OPEN = ("received", "accepted", "in_progress")
    DONE = ("resolved", "closed")

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # Staff who logged it for the resident (代办), at the desk or on the phone.
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    category: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    place_kind: Mapped[str] = mapped_column(String(10), default="home")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    place_text: Mapped[str] = mapped_column(String(100), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="received")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    accept_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolve_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 0: on time or not yet escalated; 1: told the center's staff; 2: told the admins.
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[str | None] = mapped_column(String(12))
    rating_comment: Mapped[str] = mapped_column(String(300), default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    me_too: Mapped[int] = mapped_column(Integer, default=0)

    resident: Mapped["User"] = relationship(foreign_keys=[resident_id])  # noqa: F821
    logged_by: Mapped["User | None"] = relationship(foreign_keys=[logged_by_id])  # noqa: F821
    community: Mapped["Community"] = relationship()  # noqa: F821
    grid: Mapped["Grid | None"] = relationship()  # noqa: F821
    site: Mapped["Site | None"] = relationship()  # noqa: F821
    steps: Mapped[list["RequestStep"]] = relationship(
        back_populates="request", order_by="RequestStep.id"
    )
    photos: Mapped[list["RequestPhoto"]] = relationship(
        back_populates="request", order_by="RequestPhoto.id"
    )


class RequestStep(db.Model):
    """One step of a request: a change of state, a reassignment, a rating, a
    follow-up call (回访), an escalation, each with its note. Only added."""

    __table_args__ = (Index("ix_request_step_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resident_request.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[ResidentRequest] = relationship(back_populates="steps")
    actor: Mapped["User | None"] = relationship()  # noqa: F821


class RequestPhoto(db.Model):
    """A photo of a request: the resident's, or staff's before and after."""

    __table_args__ = (
        CheckConstraint("stage IN ('report', 'before', 'after')", name="stage"),
        Index("ix_request_photo_request", "request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resident_request.id"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("request_step.id"))
    upload_id: Mapped[int] = mapped_column(ForeignKey("upload.id"), unique=True)
    stage: Mapped[str] = mapped_column(String(10), default="report")

    request: Mapped[ResidentRequest] = relationship(back_populates="photos")
    upload: Mapped["Upload"] = relationship()  # noqa: F821


class RequestSupport(db.Model):
    """A resident's "me too" (+1) on a public request: one per resident."""

    __table_args__ = (db.UniqueConstraint("request_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resident_request.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)


class RequestDeadline(db.Model):
    """How many working days a category allows to accept and to resolve.

    A category without a row uses the defaults (1 and 7)."""

    __table_args__ = (
        CheckConstraint(_one_of("category", REQUEST_CATEGORIES), name="category"),
        CheckConstraint("accept_days BETWEEN 1 AND 30", name="accept_days"),
        CheckConstraint("resolve_days BETWEEN 1 AND 90", name="resolve_days"),
    )

    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    accept_days: Mapped[int] = mapped_column(Integer, default=1)
    resolve_days: Mapped[int] = mapped_column(Integer, default=7)
