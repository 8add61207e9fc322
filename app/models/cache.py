"""The content generation: one number that moves on with every public change."""

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ContentGeneration(db.Model):
    """A single row. Cached public pages are keyed by its value, so a change any
    app host commits retires every cached copy on every host at once."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
