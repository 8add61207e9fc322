"""Being told: messages in the inbox, text messages (SMS), preferences, codes, consents."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .types import UTCDateTime


class Notification(db.Model):
    """One message to one person, kept in their inbox whatever else happens.

    ``kind`` names the event (app/notifications/kinds.py); ``params`` are the
    values its text is made from, so the inbox reads in the language the
    person uses now. ``dedupe_key`` is unique: a job that runs twice, or on two
    hosts, finds the message already there and sends nothing more.
    """

    __table_args__ = (Index("ix_notification_user", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(200), default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sms: Mapped[list["SmsMessage"]] = relationship(back_populates="notification")


class SmsMessage(db.Model):
    """A text message in the outbox: queued, held for quiet hours, sent or failed.

    The number is kept as it was sent to (an old number, after a change of
    number, is told of the change); the admin's outbox shows it masked.
    """

    STATUSES = ("queued", "sending", "sent", "failed", "skipped")

    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'skipped')", name="status"
        ),
        Index("ix_sms_message_due", "status", "send_after"),
        Index("ix_sms_message_mobile", "mobile", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    mobile: Mapped[str] = mapped_column(String(11))
    kind: Mapped[str] = mapped_column(String(40))
    template_id: Mapped[str] = mapped_column(String(40), default="")
    params: Mapped[list] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    provider_id: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notification: Mapped[Notification | None] = relationship(back_populates="sms")


class NotificationPreference(db.Model):
    """A person's choice about text messages of one kind (the inbox is always on)."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    sms: Mapped[bool] = mapped_column(Boolean, default=True)


class VerificationCode(db.Model):
    """A 6-digit code sent by SMS to prove a number: valid 10 minutes, 5 tries.

    Only the code's hash is kept. ``purpose`` is register, reset (forgotten
    password, also claiming an account staff made at the desk) or change.
    """

    __table_args__ = (
        CheckConstraint("purpose IN ('register', 'reset', 'change')", name="purpose"),
        Index("ix_verification_code_mobile", "mobile", "purpose", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    tries_left: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Consent(db.Model):
    """What a person agreed to, and when (the privacy notice, by its version)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    ip: Mapped[str] = mapped_column(String(45), default="")
