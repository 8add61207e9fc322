"""The administrative tree: district (区) → street (街道) → community (社区)."""

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class District(db.Model):
    """区: a city district."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    streets: Mapped[list["Street"]] = relationship(
        back_populates="district", order_by="Street.name"
    )


class Street(db.Model):
    """街道: a sub-district office, grouping communities."""

    __table_args__ = (db.UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    district: Mapped[District] = relationship(back_populates="streets")
    communities: Mapped[list["Community"]] = relationship(
        back_populates="street", order_by="Community.name"
    )


class Community(db.Model):
    """社区: one community, with its class (A new estate … D rural)."""

    __table_args__ = (
        db.UniqueConstraint("street_id", "name"),
        CheckConstraint("klass IN ('A', 'B', 'C', 'D')", name="klass"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    klass: Mapped[str] = mapped_column(String(1))
    street: Mapped[Street] = relationship(back_populates="communities")
    sites: Mapped[list["Site"]] = relationship(  # noqa: F821
        back_populates="community", order_by="Site.kind, Site.name"
    )
