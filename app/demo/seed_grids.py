"""Demo grids (网格) for the first community: a small tree with compounds,
buildings and heads, the demo resident's home in one building, and a demo
grid worker (网格员) who looks after that part of the tree.

Only what staff could enter through the grid pages; no randomness, so the
same scale always gives the same rows.
"""

from .. import clock
from ..models import Building, Compound, Grid, GridScope, Home, User

DEMO_RESIDENT = "13800000001"
DEMO_GRID_WORKER = ("13800000006", "刘网格")
# (name, parent, head name, head phone); parents come first.
GRIDS = (
    ("第一网格", None, "赵网格长", "0371-66881234"),
    ("第二网格", None, "孙网格长", "13800006602"),
    ("第一网格一区", "第一网格", "", ""),
    ("第一网格二区", "第一网格", "", ""),
    ("一区东片", "第一网格一区", "", ""),
)
# grid → compounds → (building, head name, head phone)
COMPOUNDS = {
    "第一网格一区": {
        "幸福花园": (
            ("1号楼", "张楼长", "13800006611"),
            ("2号楼", "钱楼长", "13800006612"),
            ("3号楼", "", ""),
        ),
    },
    "第一网格二区": {"和平新村": (("5号楼", "周楼长", "0371-66885555"), ("6号楼", "", ""))},
    "一区东片": {"东苑小区": (("A座", "吴楼长", "13800006631"),)},
    "第二网格": {"康乐小区": (("8号楼", "郑楼长", "13800006681"),)},
}
WORKER_GRID = "第一网格一区"
WORKER_PUBLIC_PHONE = "13800006600"
HOME = ("第一网格一区", "幸福花园", "1号楼")


def add_grids(ctx) -> None:
    """The first community's grid tree, its worker, and the demo resident's home."""
    community = ctx.communities[0]
    now = clock.now()
    grids: dict[str, dict] = {}
    for name, parent, head_name, head_phone in GRIDS:
        above = grids.get(parent)
        grids[name] = ctx.add(
            Grid, community_id=community.id, parent_id=above["id"] if above else None,
            level=above["level"] + 1 if above else 1, name=name, head_name=head_name,
            head_phone=head_phone, created_at=now,
        )  # fmt: skip
    buildings: dict[tuple[str, str], dict] = {}
    compounds: dict[str, dict] = {}
    for grid_name, by_compound in COMPOUNDS.items():
        for compound_name, rows in by_compound.items():
            compound = ctx.add(Compound, grid_id=grids[grid_name]["id"], name=compound_name)
            compounds[compound_name] = compound
            for building_name, head_name, head_phone in rows:
                buildings[(compound_name, building_name)] = ctx.add(
                    Building, compound_id=compound["id"], name=building_name,
                    head_name=head_name, head_phone=head_phone,
                )  # fmt: skip
    mobile, name = DEMO_GRID_WORKER
    worker = ctx.add(
        User, mobile=mobile, display_name=name, password_hash=ctx.password_hash, is_admin=False,
        active=True, created_by_staff=False, created_at=now, last_login_at=None, deleted_at=None,
    )  # fmt: skip
    ctx.add(GridScope, user_id=worker["id"], grid_id=grids[WORKER_GRID]["id"],
            public_phone=WORKER_PUBLIC_PHONE, granted_by_id=None, created_at=now)  # fmt: skip
    resident = next(r["id"] for r in ctx.rows[User] if r["mobile"] == DEMO_RESIDENT)
    grid_name, compound_name, building_name = HOME
    ctx.add(
        Home,
        user_id=resident,
        community_id=community.id,
        grid_id=grids[grid_name]["id"],
        compound_id=compounds[compound_name]["id"],
        building_id=buildings[(compound_name, building_name)]["id"],
        updated_at=now,
    )


STEPS = (add_grids,)
