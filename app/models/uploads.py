"""Photos people upload: re-encoded, stripped of EXIF, kept in the database."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db
from .types import UTCDateTime


class Upload(db.Model):
    """One stored photo, its JPEG bytes in ``data``.

    In the database rather than on a host's disk: every app host serves it,
    and the database's backups hold it. ``public`` photos (a mall item's, a
    completed project's) are served to anyone; the others only to whom the
    area that owns them allows. ``key`` is random, so a URL cannot be guessed.
    """

    __table_args__ = (CheckConstraint("width > 0 AND height > 0 AND size_bytes > 0", name="size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str] = mapped_column(String(30), default="image/jpeg")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
