"""A resident's home (community → grid → compound → building), and the
"我的网格" card it gives them: who looks after their grid and building, with
the numbers they publish, and the community's center and stations.

Each level of a home must belong to the one before it. Only the community is
needed; the rest may be left out (a resident who does not know their grid).
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import Building, Community, Compound, Grid, GridScope, Home, Site, Street, User
from .common import refuse

SITES_SHOWN = 6


@dataclass
class HomePath:
    """The ids a resident chose, level by level (None where not chosen)."""

    community_id: int | None = None
    grid_id: int | None = None
    compound_id: int | None = None
    building_id: int | None = None

    @classmethod
    def of(cls, home: Home | None) -> "HomePath":
        if home is None:
            return cls()
        return cls(home.community_id, home.grid_id, home.compound_id, home.building_id)


def community_choices() -> list[tuple[int, str]]:
    """Every community, by street: "花木街道 · 牡丹社区"."""
    rows = db.session.execute(
        select(Community.id, Community.name, Street.name)
        .join(Street, Community.street_id == Street.id)
        .order_by(Street.name, Community.name)
    )
    return [(cid, f"{street} · {name}") for cid, name, street in rows]


def level_choices(path: HomePath) -> dict[str, list[tuple[int, str]]]:
    """The grids, compounds and buildings to choose from, below what ``path`` has chosen."""
    grids, compounds, buildings = [], [], []
    if path.community_id:
        rows = db.session.execute(
            select(Grid.id, Grid.name, Grid.level)
            .where(Grid.community_id == path.community_id)
            .order_by(Grid.level, Grid.name)
        )
        grids = [(gid, name) for gid, name, _level in rows]
    if path.grid_id:
        compounds = [(cid, name) for cid, name in db.session.execute(
            select(Compound.id, Compound.name).where(Compound.grid_id == path.grid_id)
            .order_by(Compound.name)
        )]  # fmt: skip
    if path.compound_id:
        buildings = [(bid, name) for bid, name in db.session.execute(
            select(Building.id, Building.name).where(Building.compound_id == path.compound_id)
            .order_by(Building.name)
        )]  # fmt: skip
    return {"grids": grids, "compounds": compounds, "buildings": buildings}


def check_path(path: HomePath) -> HomePath:
    """The path if each level belongs to the one before; else a refusal on the
    first level that does not (a choice from another community, or a guessed id)."""
    if path.community_id is None or db.session.get(Community, path.community_id) is None:
        refuse("community", _("Choose your community."), "community")
    if path.grid_id is not None:
        grid = db.session.get(Grid, path.grid_id)
        if grid is None or grid.community_id != path.community_id:
            refuse("grid", _("Choose a grid of your community."), "grid")
    if path.compound_id is not None:
        compound = db.session.get(Compound, path.compound_id)
        if path.grid_id is None:
            refuse("grid", _("Choose your grid before your compound."), "grid")
        if compound is None or compound.grid_id != path.grid_id:
            refuse("compound", _("Choose a compound of your grid."), "compound")
    if path.building_id is not None:
        building = db.session.get(Building, path.building_id)
        if path.compound_id is None:
            refuse("compound", _("Choose your compound before your building."), "compound")
        if building is None or building.compound_id != path.compound_id:
            refuse("building", _("Choose a building of your compound."), "building")
    return path


def home_of(user: User) -> Home | None:
    return db.session.get(Home, user.id)


def set_home(user: User, path: HomePath) -> Home:
    """Save where the resident lives (one row per resident, replaced as a whole)."""
    begin_write()
    lock_row(User, user.id)  # a double submit writes one row, the second replaces it
    check_path(path)
    home = db.session.get(Home, user.id)
    if home is None:
        home = Home(user_id=user.id)
        db.session.add(home)
    home.community_id = path.community_id
    home.grid_id = path.grid_id
    home.compound_id = path.compound_id
    home.building_id = path.building_id
    home.updated_at = clock.now()
    db.session.commit()
    return home


def clear_home(user: User) -> bool:
    """Forget the resident's home; False when none was set."""
    begin_write()
    home = db.session.get(Home, user.id)
    if home is None:
        db.session.rollback()
        return False
    db.session.delete(home)
    db.session.commit()
    return True


# 我的网格 ---------------------------------------------------------------------------------


@dataclass
class Worker:
    name: str
    phone: str
    grid: str


@dataclass
class MyGrid:
    """What the home page shows a resident about their grid."""

    home: Home
    line: list[Grid] = field(default_factory=list)  # the home's grid, then those above it
    workers: list[Worker] = field(default_factory=list)
    center: Site | None = None
    stations: list[Site] = field(default_factory=list)

    @property
    def grid(self) -> Grid | None:
        return self.line[0] if self.line else None

    @property
    def grid_head(self) -> Grid | None:
        """The nearest grid, from the home's up, that names a grid head."""
        return next((g for g in self.line if g.head_name), None)


def my_grid(user: User) -> MyGrid | None:
    """The card for a resident with a home: three queries at most, however big the tree.

    One for the home with its community, grid (and the two above it), compound
    and building; one for the workers of those grids; one for the community's
    sites. The workers of the home's own grid come first, then those above.
    """
    parent = joinedload(Home.grid).joinedload(Grid.parent)
    home = db.session.scalar(
        select(Home)
        .where(Home.user_id == user.id)
        .options(
            joinedload(Home.community),
            parent.joinedload(Grid.parent),
            joinedload(Home.compound),
            joinedload(Home.building),
        )
    )
    if home is None:
        return None
    card = MyGrid(home=home)
    grid = home.grid
    while grid is not None:
        card.line.append(grid)
        grid = grid.parent
    if card.line:
        depth = {g.id: i for i, g in enumerate(card.line)}
        rows = db.session.execute(
            select(GridScope.grid_id, GridScope.public_phone, User.display_name)
            .join(User, GridScope.user_id == User.id)
            .where(GridScope.grid_id.in_(depth), User.deleted_at.is_(None), User.active.is_(True))
            .order_by(GridScope.id)
        ).all()
        names = {g.id: g.name for g in card.line}
        card.workers = [
            Worker(name, phone, names[grid_id])
            for grid_id, phone, name in sorted(rows, key=lambda r: depth[r[0]])
        ]
    sites = db.session.scalars(
        select(Site).where(Site.community_id == home.community_id)
        .order_by(Site.kind, Site.name).limit(SITES_SHOWN)
    ).all()  # fmt: skip
    card.center = next((s for s in sites if s.kind == "center"), None)
    card.stations = [s for s in sites if s.kind != "center"]
    return card
