"""People: users, their volunteer profile, staff scopes, and the audit log."""

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .types import UTCDateTime


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def hash_login_token(token: str) -> str:
    """The stored form of a login token: a stolen table cannot be replayed as cookies."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, db.Model):
    """Anyone with an account. Everyone is a resident; other roles are added.

    ``mobile`` is the login (normalized 11 digits). A deleted account keeps its
    row, anonymized, so past bookings and volunteer hours still add up.
    Each login is a ``LoginSession`` row; the cookies name it, so logging out,
    changing the password or disabling the account revokes them on the server.
    """

    __table_args__ = (CheckConstraint("length(display_name) <= 40", name="display_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str | None] = mapped_column(String(11), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Disabled by an admin, or deleted by its owner: it cannot log in.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    volunteer: Mapped["VolunteerProfile | None"] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )
    scopes: Mapped[list["StaffScope"]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="StaffScope.user_id",
        order_by="StaffScope.id",
    )

    # Flask-Login -------------------------------------------------------------
    # The login this request runs under: set by the user loader, or by
    # accounts.service.start_login. Not a column.
    login_token = None
    login_session_id = None
    unread = 0  # messages not yet read (the loader counts them with the login)
    # Has the user a grid scope (网格员)? The loader asks with the login; None: not asked.
    grid_worker = None

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active and self.deleted_at is None

    def get_id(self) -> str:
        """What the session and remember cookies hold: the user and this login."""
        return f"{self.id}:{self.login_token}"

    # Roles -------------------------------------------------------------------
    @property
    def is_volunteer(self) -> bool:
        return self.volunteer is not None

    @property
    def is_grid_worker(self) -> bool:
        if self.grid_worker is None:
            from .grids import GridScope

            first = db.select(GridScope.id).where(GridScope.user_id == self.id).limit(1)
            self.grid_worker = db.session.scalar(first) is not None
        return self.grid_worker

    @property
    def is_staff(self) -> bool:
        """Staff of a site, or a grid worker: both use the staff console."""
        return bool(self.scopes) or self.is_grid_worker


class LoginSession(db.Model):
    """One login on one device, named by the cookies (through a random token).

    The token itself is never stored, only its hash. A login ends when it
    expires (12 hours, or 30 days with "keep me logged in"), or when it is
    revoked: by logging out there, by a password change or by an admin
    disabling the account. A copied cookie of a revoked login opens nothing.
    """

    __table_args__ = (Index("ix_login_session_user", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VolunteerProfile(db.Model):
    """The volunteer side of a resident: real name, skills, a short bio."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    real_name: Mapped[str] = mapped_column(String(20))
    skills: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    user: Mapped[User] = relationship(back_populates="volunteer")


class StaffScope(db.Model):
    """A staff assignment: the user manages this site.

    A scope on a center covers the center and all its stations (the 1+N
    unit); a scope on a station covers that station alone.
    """

    __table_args__ = (db.UniqueConstraint("user_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    user: Mapped[User] = relationship(back_populates="scopes", foreign_keys=[user_id])
    site: Mapped["Site"] = relationship()  # noqa: F821


class AuditEntry(db.Model):
    """Who did what, when, to what, with the values before and after.

    Written for every staff and admin change and every reveal of personal
    data. Rows are only ever added.
    """

    __table_args__ = (
        Index("ix_audit_entry_at", "at"),
        Index("ix_audit_entry_actor", "actor_id", "at"),
        Index("ix_audit_entry_site", "site_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None]
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str] = mapped_column(String(45), default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
