"""A community's grid tree: grids (at most three levels), their compounds and
buildings, the grid head and building heads with the phones they publish, and
the grid workers (a ``GridScope`` on an existing account).

Every writer starts with ``begin_write()`` and holds the community's row
(``lock_row``), so two staff changing one community's tree at once take turns
on PostgreSQL as they do on SQLite: a move and a new child cannot together
make a fourth level, and a deletion cannot miss a compound added meanwhile.
Names are unique where the tables say so; a double submit that races past the
check meets the constraint and gets the same refusal. Every change is audited.
"""

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..accounts.mobile import mask_mobile, normalize_mobile
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import (
    Building,
    Community,
    Compound,
    Grid,
    GridScope,
    Home,
    ResidentRequest,
    Site,
    User,
)
from ..models.grids import MAX_GRID_LEVEL
from .common import GridError, clean_text, normalize_phone, phone_message, refuse

GRID_NAME_MAX = Grid.name.type.length
HEAD_NAME_MAX = Grid.head_name.type.length
COMPOUND_NAME_MAX = Compound.name.type.length
BUILDING_NAME_MAX = Building.name.type.length


# Checking values --------------------------------------------------------------------


def _name(value: str | None, limit: int, field: str = "name") -> str:
    name = clean_text(value)
    if not name:
        refuse("empty", _("Enter a name."), field)
    if len(name) > limit:
        refuse("too_long", _("Keep this to %(max)s characters or fewer.", max=limit), field)
    return name


def _head(name: str | None, phone: str | None, prefix: str = "head") -> tuple[str, str]:
    """A head's name and published phone (both optional; a phone needs a name)."""
    head_name = clean_text(name)
    if len(head_name) > HEAD_NAME_MAX:
        refuse("too_long", _("Keep this to %(max)s characters or fewer.", max=HEAD_NAME_MAX),
               f"{prefix}_name")  # fmt: skip
    head_phone = normalize_phone(phone)
    if head_phone is None:
        refuse("phone", phone_message(), f"{prefix}_phone")
    if head_phone and not head_name:
        refuse("no_name", _("Enter the name of the person this number reaches."),
               f"{prefix}_name")  # fmt: skip
    return head_name, head_phone


def _center_id(community_id: int) -> int | None:
    """The community's center, so the audit log files the change under it."""
    return db.session.scalar(
        select(Site.id).where(Site.community_id == community_id, Site.kind == "center")
    )


def _record(action, target_type, target_id, community_id, summary, before=None, after=None,
            by=None):  # fmt: skip
    audit.record(action, target_type, target_id, site_id=_center_id(community_id),
                 summary=summary, before=before, after=after, actor=by)  # fmt: skip


def _commit(duplicate_message: str, field: str = "name") -> None:
    """Commit; a unique name taken by a request that raced this one is refused."""
    try:
        db.session.commit()
    except IntegrityError:
        refuse("duplicate", duplicate_message, field)


def _grid_state(grid: Grid) -> dict:
    return {"name": grid.name, "parent_id": grid.parent_id, "level": grid.level,
            "head_name": grid.head_name, "head_phone": grid.head_phone}  # fmt: skip


def _grid_of(community_id: int, grid_id: int | None, field: str = "parent_id") -> Grid | None:
    if grid_id is None:
        return None
    grid = db.session.get(Grid, grid_id)
    if grid is None or grid.community_id != community_id:
        refuse("foreign", _("Choose a grid of this community."), field)
    return grid


def _taken(community_id: int, name: str, but: int | None = None) -> bool:
    query = select(Grid.id).where(Grid.community_id == community_id, Grid.name == name)
    if but is not None:
        query = query.where(Grid.id != but)
    return db.session.scalar(query) is not None


def _subtree_depth(grid: Grid) -> int:
    """How many levels hang below ``grid`` (0, 1 or 2)."""
    below = [grid.id]
    depth = 0
    while True:
        below = db.session.scalars(select(Grid.id).where(Grid.parent_id.in_(below))).all()
        if not below:
            return depth
        depth += 1


def _set_levels(grid: Grid, level: int) -> None:
    grid.level = level
    for child in db.session.scalars(select(Grid).where(Grid.parent_id == grid.id)):
        _set_levels(child, level + 1)


# Grids --------------------------------------------------------------------------------


def create_grid(community_id: int, values: dict, by: User) -> Grid:
    """A new grid: at the top of the community (一级) or under one of its grids."""
    begin_write()
    lock_row(Community, community_id)
    name = _name(values.get("name"), GRID_NAME_MAX)
    parent = _grid_of(community_id, values.get("parent_id"))
    level = parent.level + 1 if parent is not None else 1
    if level > MAX_GRID_LEVEL:
        refuse("too_deep", _("A grid has at most three levels: a third-level grid takes no "
                             "grids under it."), "parent_id")  # fmt: skip
    head_name, head_phone = _head(values.get("head_name"), values.get("head_phone"))
    duplicate = _("This community already has a grid named %(name)s.", name=name)
    if _taken(community_id, name):
        refuse("duplicate", duplicate, "name")
    grid = Grid(community_id=community_id, parent_id=parent.id if parent else None, level=level,
                name=name, head_name=head_name, head_phone=head_phone)  # fmt: skip
    db.session.add(grid)
    try:
        db.session.flush()
    except IntegrityError:
        refuse("duplicate", duplicate, "name")
    _record("grid.created", "grid", grid.id, community_id, name, after=_grid_state(grid), by=by)
    _commit(duplicate)
    return grid


def update_grid(grid_id: int, values: dict, by: User) -> Grid:
    """Rename a grid, move it under another grid of the community (or to the top),
    or change its grid head. Grids below it move with it and take their new level."""
    begin_write()
    grid = db.session.get(Grid, grid_id)
    if grid is None:
        refuse("missing", _("This grid no longer exists."))
    lock_row(Community, grid.community_id)
    before = _grid_state(grid)
    name = _name(values.get("name"), GRID_NAME_MAX)
    parent = _grid_of(grid.community_id, values.get("parent_id"))
    if parent is not None:
        line = []
        cursor = parent
        while cursor is not None:
            line.append(cursor.id)
            cursor = cursor.parent
        if grid.id in line:
            refuse("cycle", _("A grid cannot go under itself or under a grid below it."),
                   "parent_id")  # fmt: skip
    level = parent.level + 1 if parent is not None else 1
    if level + _subtree_depth(grid) > MAX_GRID_LEVEL:
        refuse(
            "too_deep",
            _(
                "There it would make a fourth level: a grid has at most three "
                "levels, counting the grids below this one."
            ),
            "parent_id",
        )
    head_name, head_phone = _head(values.get("head_name"), values.get("head_phone"))
    duplicate = _("This community already has a grid named %(name)s.", name=name)
    if _taken(grid.community_id, name, but=grid.id):
        refuse("duplicate", duplicate, "name")
    grid.name, grid.head_name, grid.head_phone = name, head_name, head_phone
    grid.parent_id = parent.id if parent is not None else None
    if level != grid.level:
        _set_levels(grid, level)
    after = _grid_state(grid)
    if after != before:
        _record("grid.saved", "grid", grid.id, grid.community_id, name, before, after, by=by)
    _commit(duplicate)
    return grid


def delete_grid(grid_id: int, by: User) -> str:
    """Delete an empty grid: no grids below it, no compounds, no homes, no open requests."""
    begin_write()
    grid = db.session.get(Grid, grid_id)
    if grid is None:
        refuse("missing", _("This grid no longer exists."))
    lock_row(Community, grid.community_id)
    name = grid.name

    def has(query):
        return db.session.scalar(select(exists(query)))

    if has(select(Grid.id).where(Grid.parent_id == grid.id)):
        refuse("has_children", _("%(name)s still has grids under it. Move or delete them first.",
                                 name=name))  # fmt: skip
    if has(select(Compound.id).where(Compound.grid_id == grid.id)):
        refuse("has_compounds", _("%(name)s still has compounds. Move or delete them first.",
                                  name=name))  # fmt: skip
    if has(select(Home.user_id).where(Home.grid_id == grid.id)):
        refuse("has_homes", _("Residents have set %(name)s as their home grid, so it cannot "
                              "be deleted. Rename it instead.", name=name))  # fmt: skip
    if has(
        select(ResidentRequest.id).where(
            ResidentRequest.grid_id == grid.id, ResidentRequest.status.in_(ResidentRequest.OPEN)
        )
    ):
        refuse("has_requests", _("%(name)s has open requests. Resolve or reassign them first.",
                                 name=name))  # fmt: skip
    if has(select(ResidentRequest.id).where(ResidentRequest.grid_id == grid.id)):
        refuse("has_history", _("%(name)s has requests on record, which keep their grid. "
                                "Rename it instead.", name=name))  # fmt: skip
    _record("grid.deleted", "grid", grid.id, grid.community_id, name,
            before=_grid_state(grid), by=by)  # fmt: skip
    db.session.execute(delete(GridScope).where(GridScope.grid_id == grid.id))
    db.session.delete(grid)
    db.session.commit()
    return name


# Compounds and buildings -----------------------------------------------------------------


def _compound(compound_id: int) -> Compound:
    compound = db.session.get(Compound, compound_id)
    if compound is None:
        refuse("missing", _("This compound no longer exists."))
    return compound


def _building(building_id: int) -> Building:
    building = db.session.get(Building, building_id)
    if building is None:
        refuse("missing", _("This building no longer exists."))
    return building


def add_compound(grid_id: int, name: str | None, by: User) -> Compound:
    """A compound (小区) in the grid."""
    begin_write()
    grid = db.session.get(Grid, grid_id)
    if grid is None:
        refuse("missing", _("This grid no longer exists."))
    lock_row(Community, grid.community_id)
    name = _name(name, COMPOUND_NAME_MAX)
    duplicate = _("%(grid)s already has a compound named %(name)s.", grid=grid.name, name=name)
    if db.session.scalar(select(Compound.id).where(Compound.grid_id == grid.id,
                                                   Compound.name == name)):  # fmt: skip
        refuse("duplicate", duplicate, "name")
    compound = Compound(grid_id=grid.id, name=name)
    db.session.add(compound)
    try:
        db.session.flush()
    except IntegrityError:
        refuse("duplicate", duplicate, "name")
    _record("compound.created", "compound", compound.id, grid.community_id, name,
            after={"grid_id": grid.id, "name": name}, by=by)  # fmt: skip
    _commit(duplicate)
    return compound


def rename_compound(compound_id: int, name: str | None, by: User) -> Compound:
    begin_write()
    compound = _compound(compound_id)
    community_id = compound.grid.community_id
    lock_row(Community, community_id)
    name = _name(name, COMPOUND_NAME_MAX)
    duplicate = _("%(grid)s already has a compound named %(name)s.", grid=compound.grid.name,
                  name=name)  # fmt: skip
    if db.session.scalar(select(Compound.id).where(
            Compound.grid_id == compound.grid_id, Compound.name == name,
            Compound.id != compound.id)):  # fmt: skip
        refuse("duplicate", duplicate, "name")
    if name != compound.name:
        _record("compound.saved", "compound", compound.id, community_id, name,
                before={"name": compound.name}, after={"name": name}, by=by)  # fmt: skip
        compound.name = name
    _commit(duplicate)
    return compound


def delete_compound(compound_id: int, by: User) -> str:
    """Delete a compound with no buildings and no residents' homes."""
    begin_write()
    compound = _compound(compound_id)
    community_id = compound.grid.community_id
    lock_row(Community, community_id)
    name = compound.name
    if db.session.scalar(select(exists().where(Building.compound_id == compound.id))):
        refuse("has_buildings", _("%(name)s still has buildings. Delete them first.", name=name))
    if db.session.scalar(select(exists().where(Home.compound_id == compound.id))):
        refuse("has_homes", _("Residents have set %(name)s as their home, so it cannot be "
                              "deleted. Rename it instead.", name=name))  # fmt: skip
    _record("compound.deleted", "compound", compound.id, community_id, name,
            before={"grid_id": compound.grid_id, "name": name}, by=by)  # fmt: skip
    db.session.delete(compound)
    db.session.commit()
    return name


def _building_state(building: Building) -> dict:
    return {"compound_id": building.compound_id, "name": building.name,
            "head_name": building.head_name, "head_phone": building.head_phone}  # fmt: skip


def add_building(compound_id: int, values: dict, by: User) -> Building:
    """A building (楼栋) of the compound, with its building head (楼栋长) if known."""
    begin_write()
    compound = _compound(compound_id)
    community_id = compound.grid.community_id
    lock_row(Community, community_id)
    name = _name(values.get("name"), BUILDING_NAME_MAX)
    head_name, head_phone = _head(values.get("head_name"), values.get("head_phone"))
    duplicate = _("%(compound)s already has a building named %(name)s.",
                  compound=compound.name, name=name)  # fmt: skip
    if db.session.scalar(select(Building.id).where(Building.compound_id == compound.id,
                                                   Building.name == name)):  # fmt: skip
        refuse("duplicate", duplicate, "name")
    building = Building(compound_id=compound.id, name=name, head_name=head_name,
                        head_phone=head_phone)  # fmt: skip
    db.session.add(building)
    try:
        db.session.flush()
    except IntegrityError:
        refuse("duplicate", duplicate, "name")
    _record("building.created", "building", building.id, community_id,
            f"{compound.name} {name}", after=_building_state(building), by=by)  # fmt: skip
    _commit(duplicate)
    return building


def update_building(building_id: int, values: dict, by: User) -> Building:
    """Rename a building or change its building head."""
    begin_write()
    building = _building(building_id)
    compound = building.compound
    community_id = compound.grid.community_id
    lock_row(Community, community_id)
    before = _building_state(building)
    name = _name(values.get("name"), BUILDING_NAME_MAX)
    head_name, head_phone = _head(values.get("head_name"), values.get("head_phone"))
    duplicate = _("%(compound)s already has a building named %(name)s.",
                  compound=compound.name, name=name)  # fmt: skip
    if db.session.scalar(select(Building.id).where(
            Building.compound_id == compound.id, Building.name == name,
            Building.id != building.id)):  # fmt: skip
        refuse("duplicate", duplicate, "name")
    building.name, building.head_name, building.head_phone = name, head_name, head_phone
    after = _building_state(building)
    if after != before:
        _record("building.saved", "building", building.id, community_id,
                f"{compound.name} {name}", before, after, by=by)  # fmt: skip
    _commit(duplicate)
    return building


def delete_building(building_id: int, by: User) -> str:
    """Delete a building no resident has set as their home."""
    begin_write()
    building = _building(building_id)
    community_id = building.compound.grid.community_id
    lock_row(Community, community_id)
    name = building.name
    if db.session.scalar(select(exists().where(Home.building_id == building.id))):
        refuse("has_homes", _("Residents have set %(name)s as their home, so it cannot be "
                              "deleted. Rename it instead.", name=name))  # fmt: skip
    _record(
        "building.deleted",
        "building",
        building.id,
        community_id,
        f"{building.compound.name} {name}",
        before=_building_state(building),
        by=by,
    )
    db.session.delete(building)
    db.session.commit()
    return name


# Grid workers ---------------------------------------------------------------------------


def grant_worker(grid_id: int, mobile: str | None, public_phone: str | None, by: User) -> GridScope:
    """Make the account with this mobile number a grid worker (网格员) of the grid,
    with the phone number they chose to publish (may be empty)."""
    begin_write()
    grid = db.session.get(Grid, grid_id)
    if grid is None:
        refuse("missing", _("This grid no longer exists."))
    number = normalize_mobile(mobile)
    if number is None:
        refuse("mobile", _("Enter an 11-digit mainland mobile number, such as 138 1234 5678."),
               "mobile")  # fmt: skip
    user = db.session.scalar(select(User).where(User.mobile == number))
    if user is None or not user.is_active:
        refuse("no_account", _("No account has this number. The person registers first, "
                               "then you name them here."), "mobile")  # fmt: skip
    phone = normalize_phone(public_phone)
    if phone is None:
        refuse("phone", phone_message(), "public_phone")
    duplicate = _("%(name)s is already a grid worker of %(grid)s.", name=user.display_name,
                  grid=grid.name)  # fmt: skip
    if db.session.scalar(select(GridScope.id).where(GridScope.user_id == user.id,
                                                    GridScope.grid_id == grid.id)):  # fmt: skip
        refuse("duplicate", duplicate, "mobile")
    scope = GridScope(user_id=user.id, grid_id=grid.id, public_phone=phone, granted_by_id=by.id)
    db.session.add(scope)
    try:
        db.session.flush()
    except IntegrityError:
        refuse("duplicate", duplicate, "mobile")
    _record("grid.worker_granted", "user", user.id, grid.community_id,
            f"{user.display_name} · {grid.name}",
            after={"grid_id": grid.id, "public_phone": phone}, by=by)  # fmt: skip
    _commit(duplicate, "mobile")
    return scope


def revoke_worker(scope_id: int, by: User) -> str:
    """The person is no longer a grid worker of that grid; returns their name."""
    begin_write()
    scope = db.session.get(GridScope, scope_id)
    if scope is None:
        refuse("missing", _("This grid worker was already removed."))
    name = scope.user.display_name
    _record(
        "grid.worker_revoked",
        "user",
        scope.user_id,
        scope.grid.community_id,
        f"{name} · {scope.grid.name}",
        before={"grid_id": scope.grid_id, "public_phone": scope.public_phone},
        by=by,
    )
    db.session.delete(scope)
    db.session.commit()
    return name


# Reading the tree --------------------------------------------------------------------------


def community_grids(community_id: int) -> list[Grid]:
    """Every grid of the community in tree order (each grid, then the grids below it),
    with compounds, buildings and workers loaded: a fixed number of queries."""
    grids = db.session.scalars(
        select(Grid)
        .where(Grid.community_id == community_id)
        .options(
            selectinload(Grid.compounds).selectinload(Compound.buildings),
            selectinload(Grid.workers).joinedload(GridScope.user),
        )
        .order_by(Grid.level, Grid.name)
    ).all()
    below: dict[int | None, list[Grid]] = {}
    for grid in grids:
        below.setdefault(grid.parent_id, []).append(grid)
    ordered: list[Grid] = []

    def walk(parent_id):
        for grid in below.get(parent_id, []):
            ordered.append(grid)
            walk(grid.id)

    walk(None)
    return ordered


def parent_choices(grids: list[Grid], moving: Grid | None = None) -> list[tuple[int, str]]:
    """The grids a grid can go under: not third-level ones, not itself or those below it."""
    blocked = set()
    if moving is not None:
        blocked.add(moving.id)
        for grid in grids:  # tree order: a parent comes before the grids below it
            if grid.parent_id in blocked:
                blocked.add(grid.id)
    return [(g.id, "　" * (g.level - 1) + g.name) for g in grids
            if g.level < MAX_GRID_LEVEL and g.id not in blocked]  # fmt: skip


def grid_detail(grid_id: int) -> Grid | None:
    return db.session.scalar(
        select(Grid)
        .where(Grid.id == grid_id)
        .options(
            selectinload(Grid.compounds).selectinload(Compound.buildings),
            selectinload(Grid.workers).joinedload(GridScope.user),
            joinedload(Grid.parent),
        )
    )


def home_counts(community_id: int) -> dict[int, int]:
    """How many residents live in each grid of the community (by grid id)."""
    rows = db.session.execute(
        select(Home.grid_id, func.count())
        .where(Home.community_id == community_id, Home.grid_id.is_not(None))
        .group_by(Home.grid_id)
    )
    return dict(rows.all())


def masked(scope: GridScope) -> str:
    return mask_mobile(scope.user.mobile)


__all__ = ["GridError"]
