"""The administrative tree and the sites on it, as an admin keeps them.

District (区) → street (街道) → community (社区, class A–D) → sites. Names are
unique among their siblings and a community has at most one center; the
database enforces both, so two admins racing cannot break them. Every change
is audited. A part of the tree that still holds something cannot be deleted.
"""

from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy import exists, select, union_all, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import (
    Activity,
    AuditEntry,
    Community,
    District,
    MallItem,
    Project,
    Service,
    Site,
    StaffScope,
    Street,
    Team,
)
from .directory import refresh_search_text


class PlaceError(Exception):
    """A change the rules refuse; ``field`` names the form field to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _name(value: str) -> str:
    return " ".join((value or "").split())


@contextmanager
def _unique(field: str, message: str):
    """Flush and commit inside; a uniqueness race lost to another admin (caught by
    the database at the flush or the commit) becomes the usual message."""
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise PlaceError(field, message) from None


def _taken(message_field: str, message: str, query) -> None:
    if db.session.scalar(select(exists(query))):
        db.session.rollback()
        raise PlaceError(message_field, message)


# Districts, streets, communities --------------------------------------------------


def save_district(district_id: int | None, name: str, *, by) -> District:
    name = _name(name)
    message = _("A district with this name already exists.")
    begin_write()
    others = select(District.id).where(District.name == name, District.id != (district_id or 0))
    _taken("name", message, others)
    district = db.session.get(District, district_id) if district_id else District()
    if district is None:
        db.session.rollback()
        raise LookupError(district_id)
    before = {"name": district.name} if district_id else None
    district.name = name
    with _unique("name", message):
        db.session.add(district)
        db.session.flush()
        audit.record("district.saved", "district", district.id, actor=by, summary=name,
                     before=before, after={"name": name})  # fmt: skip
    return district


def save_street(street_id: int | None, district_id: int, name: str, *, by) -> Street:
    name = _name(name)
    message = _("This district already has a street with this name.")
    begin_write()
    _taken("name", message, select(Street.id).where(
        Street.district_id == district_id, Street.name == name, Street.id != (street_id or 0)
    ))  # fmt: skip
    street = db.session.get(Street, street_id) if street_id else Street(district_id=district_id)
    if street is None:
        db.session.rollback()
        raise LookupError(street_id)
    before = {"name": street.name} if street_id else None
    street.name = name
    with _unique("name", message):
        db.session.add(street)
        db.session.flush()
        audit.record("street.saved", "street", street.id, actor=by, summary=name,
                     before=before, after={"name": name})  # fmt: skip
    return street


def save_community(
    community_id: int | None, street_id: int, name: str, klass: str, *, by
) -> Community:
    name = _name(name)
    message = _("This street already has a community with this name.")
    if klass not in ("A", "B", "C", "D"):
        raise PlaceError("klass", _("Choose the community's class, A to D."))
    begin_write()
    _taken("name", message, select(Community.id).where(
        Community.street_id == street_id, Community.name == name,
        Community.id != (community_id or 0),
    ))  # fmt: skip
    community = (
        db.session.get(Community, community_id) if community_id else Community(street_id=street_id)
    )
    if community is None:
        db.session.rollback()
        raise LookupError(community_id)
    before = {"name": community.name, "klass": community.klass} if community_id else None
    community.name, community.klass = name, klass
    with _unique("name", message):
        db.session.add(community)
        db.session.flush()
        audit.record("community.saved", "community", community.id, actor=by, summary=name,
                     before=before, after={"name": name, "klass": klass})  # fmt: skip
    return community


def _delete(obj, action: str, summary: str, still_holds, message: str, *, by) -> None:
    begin_write()
    if db.session.scalar(select(exists(still_holds))):
        db.session.rollback()
        raise PlaceError("delete", message)
    audit.record(action, obj.__tablename__, obj.id, actor=by, summary=summary,
                 before={"name": summary})  # fmt: skip
    db.session.delete(obj)
    db.session.commit()


def delete_district(district: District, *, by) -> None:
    _delete(district, "district.deleted", district.name,
            select(Street.id).where(Street.district_id == district.id),
            _("Move or delete this district's streets first."), by=by)  # fmt: skip


def delete_street(street: Street, *, by) -> None:
    _delete(street, "street.deleted", street.name,
            select(Community.id).where(Community.street_id == street.id),
            _("Move or delete this street's communities first."), by=by)  # fmt: skip


def delete_community(community: Community, *, by) -> None:
    _delete(community, "community.deleted", community.name,
            select(Site.id).where(Site.community_id == community.id),
            _("Delete this community's sites first."), by=by)  # fmt: skip


# Sites ------------------------------------------------------------------------------


def community_center(community_id: int) -> Site | None:
    return db.session.scalar(
        select(Site).where(Site.community_id == community_id, Site.kind == "center")
    )


def create_site(community_id: int, values: dict, *, by) -> Site:
    """A new center or station in a community (its staff then fill in the rest).

    ``values`` holds code, kind, station_type, name, address, phone,
    description, latitude and longitude, as checked by the form.
    """
    begin_write()
    if db.session.scalar(select(exists().where(Site.code == values["code"]))):
        db.session.rollback()
        raise PlaceError("code", _("Another site already has this code."))
    center = community_center(community_id)
    if values["kind"] == "center" and center is not None:
        db.session.rollback()
        raise PlaceError(
            "kind", _("This community already has a center: %(name)s.", name=center.name)
        )
    if values["kind"] == "station" and center is None:
        db.session.rollback()
        raise PlaceError("kind", _("Add the community's center first; stations belong to it."))
    station = values["kind"] == "station"
    site = Site(
        community_id=community_id,
        center_id=center.id if station else None,
        **{**values, "station_type": values["station_type"] if station else None},
    )
    refresh_search_text(site)
    # A second center or a reused code, saved by another admin a moment ago.
    with _unique("kind", _("This community already has a center, or another site has this code.")):
        db.session.add(site)
        db.session.flush()
        audit.record("site.created", "site", site.id, site_id=site.id, actor=by,
                     summary=site.name, after={k: str(v) for k, v in values.items()})  # fmt: skip
    return site


def delete_site(site: Site, *, by) -> None:
    """Delete a site that holds nothing yet; one with history is closed instead."""
    holds = union_all(
        select(Service.id).where(Service.site_id == site.id),
        select(Site.id).where(Site.center_id == site.id),
        select(Activity.id).where(Activity.site_id == site.id),
        select(StaffScope.id).where(StaffScope.site_id == site.id),
        select(Team.id).where(Team.home_site_id == site.id),
        select(Project.id).where(Project.site_id == site.id),
        select(MallItem.id).where(MallItem.site_id == site.id),
    )
    begin_write()
    if db.session.scalar(select(exists(holds.subquery().select()))):
        db.session.rollback()
        raise PlaceError(
            "delete",
            _("This site has services, stations, activities or staff. "
              "Mark it temporarily closed instead, so its history stays."),
        )  # fmt: skip
    # Earlier entries keep naming the site by target id and summary; only the
    # link to the row that is going away is let go.
    db.session.execute(update(AuditEntry).where(AuditEntry.site_id == site.id).values(site_id=None))
    audit.record("site.deleted", "site", site.id, actor=by, summary=site.name,
                 before={"code": site.code, "name": site.name})  # fmt: skip
    db.session.delete(site)
    db.session.commit()
