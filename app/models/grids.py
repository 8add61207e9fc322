"""Grids (网格) under a community, their compounds (小区) and buildings (楼栋),
the people who look after them, and residents' homes.

A community's grids form a tree of at most three levels (一级/二级/三级网格).
A grid worker (网格员) is a user with a ``GridScope``: it covers the grid and
every grid below it. The grid head (网格长) and building heads (楼栋长) are
named with the phone number they chose to publish; they need no account.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .types import UTCDateTime

MAX_GRID_LEVEL = 3


class Grid(db.Model):
    """网格: one cell of a community; ``parent_id`` is the grid above it."""

    __table_args__ = (
        db.UniqueConstraint("community_id", "name"),
        CheckConstraint(f"level BETWEEN 1 AND {MAX_GRID_LEVEL}", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    level: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(40))
    head_name: Mapped[str] = mapped_column(String(20), default="")
    head_phone: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    community: Mapped["Community"] = relationship()  # noqa: F821
    parent: Mapped["Grid | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Grid"]] = relationship(back_populates="parent", order_by="Grid.name")
    compounds: Mapped[list["Compound"]] = relationship(
        back_populates="grid", order_by="Compound.name"
    )
    workers: Mapped[list["GridScope"]] = relationship(
        back_populates="grid", order_by="GridScope.id"
    )


class GridScope(db.Model):
    """A grid worker (网格员): the user handles this grid and the grids below it.

    ``public_phone`` is the number the worker chose to show residents; it may
    be empty, and it is never the login number unless the worker typed it.
    """

    __table_args__ = (db.UniqueConstraint("user_id", "grid_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    public_phone: Mapped[str] = mapped_column(String(20), default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    grid: Mapped[Grid] = relationship(back_populates="workers")


class Compound(db.Model):
    """小区: a compound in a grid."""

    __table_args__ = (db.UniqueConstraint("grid_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))

    grid: Mapped[Grid] = relationship(back_populates="compounds")
    buildings: Mapped[list["Building"]] = relationship(
        back_populates="compound", order_by="Building.name"
    )


class Building(db.Model):
    """楼栋: a building of a compound, with its building head (楼栋长)."""

    __table_args__ = (db.UniqueConstraint("compound_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    head_name: Mapped[str] = mapped_column(String(20), default="")
    head_phone: Mapped[str] = mapped_column(String(20), default="")

    compound: Mapped[Compound] = relationship(back_populates="buildings")


class Home(db.Model):
    """Where a resident lives, as far as they chose to say: a community, and
    optionally its grid, compound and building (each inside the one before)."""

    __table_args__ = (Index("ix_home_grid", "grid_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)

    community: Mapped["Community"] = relationship()  # noqa: F821
    grid: Mapped[Grid | None] = relationship()
    compound: Mapped[Compound | None] = relationship()
    building: Mapped[Building | None] = relationship()
