"""Deliberation (议事, 一征三议两公开): topics residents raise and support,
meetings that decide them, the published decision and its implementation.

``Topic.status`` moves only by ``topics.service``, each move under the
topic's row lock or a conditional UPDATE on the state it leaves:
proposed → agenda (supports reached the community's threshold) → scheduled
(a meeting holds it) → decided (the record is written) → published (公开)
→ implementing → implemented; or withdrawn / declined with a reason.
``supports`` is a counter moved by a conditional UPDATE only for the insert of
a new ``TopicSupport`` row (unique per topic and resident).
"""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .types import UTCDateTime

TOPIC_STATES = (
    "proposed",
    "agenda",
    "scheduled",
    "decided",
    "published",
    "implementing",
    "implemented",
    "withdrawn",
    "declined",
)
DEFAULT_THRESHOLD = 10
MAX_THRESHOLD = 1000
ATTENDEE_ROLES = ("residents", "owners_committee", "property_company", "party_committee")
OUTCOME_RATINGS = ("satisfied", "basic", "unsatisfied")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class TopicRule(db.Model):
    """How many residents' supports (附议) bring a community's topic to the
    agenda. A community without a row uses DEFAULT_THRESHOLD."""

    __table_args__ = (
        CheckConstraint(f"threshold BETWEEN 1 AND {MAX_THRESHOLD}", name="threshold"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_THRESHOLD)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)


class Meeting(db.Model):
    """A deliberation meeting (议事会) at a site, holding a booking of one of
    the site's bookable rooms made by staff through the booking engine."""

    __table_args__ = (
        CheckConstraint("status IN ('scheduled', 'held', 'cancelled')", name="status"),
        Index("ix_meeting_community", "community_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), unique=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    # The record (会议记录): minutes, attendees by role, the vote.
    minutes: Mapped[str] = mapped_column(Text, default="")
    residents_count: Mapped[int] = mapped_column(Integer, default=0)
    owners_committee_count: Mapped[int] = mapped_column(Integer, default=0)
    property_company_count: Mapped[int] = mapped_column(Integer, default=0)
    party_committee_count: Mapped[int] = mapped_column(Integer, default=0)
    attendee_names: Mapped[str] = mapped_column(String(300), default="")
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    site: Mapped["Site"] = relationship()  # noqa: F821
    booking: Mapped["Booking"] = relationship()  # noqa: F821
    topics: Mapped[list["Topic"]] = relationship(back_populates="meeting", order_by="Topic.id")


class Topic(db.Model):
    """One 议题 of a community: proposed by a resident or staff."""

    __table_args__ = (
        CheckConstraint(f"status IN ({_in(TOPIC_STATES)})", name="status"),
        CheckConstraint("supports >= 0", name="supports"),
        CheckConstraint(
            "votes_for >= 0 AND votes_against >= 0 AND votes_abstain >= 0", name="votes"
        ),
        Index("ix_topic_community", "community_id", "status", "id"),
        Index("ix_topic_proposer", "proposed_by_id", "id"),
    )

    OPEN = ("proposed", "agenda")
    ENDED = ("implemented", "withdrawn", "declined")
    DECIDED = ("decided", "published", "implementing", "implemented")
    PUBLIC_DECISION = ("published", "implementing", "implemented")

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    title: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    by_staff: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    supports: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    agenda_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"))
    decision: Mapped[str] = mapped_column(Text, default="")
    votes_for: Mapped[int] = mapped_column(Integer, default=0)
    votes_against: Mapped[int] = mapped_column(Integer, default=0)
    votes_abstain: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    implementation_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    implemented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str] = mapped_column(String(300), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped["Community"] = relationship()  # noqa: F821
    proposed_by: Mapped["User | None"] = relationship(foreign_keys=[proposed_by_id])  # noqa: F821
    meeting: Mapped["Meeting | None"] = relationship(back_populates="topics")
    updates: Mapped[list["TopicUpdate"]] = relationship(order_by="TopicUpdate.id")


class TopicSupport(db.Model):
    """A resident's 附议 of a topic of their community: one per resident."""

    __table_args__ = (UniqueConstraint("topic_id", "user_id", name="uq_topic_support_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)


class TopicUpdate(db.Model):
    """A public step of a topic's implementation (or any staff note on it)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")


class TopicRating(db.Model):
    """A resident's rating of a published outcome: once each."""

    __table_args__ = (
        UniqueConstraint("topic_id", "user_id", name="uq_topic_rating_once"),
        CheckConstraint(f"rating IN ({_in(OUTCOME_RATINGS)})", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    rating: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
