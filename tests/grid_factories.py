"""Grids, compounds, buildings and homes for tests (rows as staff would make them)."""

from app.extensions import db
from app.models import Building, Compound, Grid, GridScope, Home


def grid(community, name: str, parent: Grid | None = None, **fields) -> Grid:
    obj = Grid(community_id=community.id, name=name, parent_id=parent.id if parent else None,
               level=parent.level + 1 if parent else 1, **fields)  # fmt: skip
    db.session.add(obj)
    db.session.flush()
    return obj


def compound(grid_obj: Grid, name: str = "幸福小区") -> Compound:
    obj = Compound(grid_id=grid_obj.id, name=name)
    db.session.add(obj)
    db.session.flush()
    return obj


def building(compound_obj: Compound, name: str = "1号楼", **fields) -> Building:
    obj = Building(compound_id=compound_obj.id, name=name, **fields)
    db.session.add(obj)
    db.session.flush()
    return obj


def worker(user, grid_obj: Grid, phone: str = "") -> GridScope:
    obj = GridScope(user_id=user.id, grid_id=grid_obj.id, public_phone=phone)
    db.session.add(obj)
    db.session.flush()
    return obj


def home(user, community, grid_obj=None, compound_obj=None, building_obj=None) -> Home:
    obj = Home(user_id=user.id, community_id=community.id,
               grid_id=grid_obj.id if grid_obj else None,
               compound_id=compound_obj.id if compound_obj else None,
               building_id=building_obj.id if building_obj else None)  # fmt: skip
    db.session.add(obj)
    db.session.flush()
    return obj
