"""Grid rules: the tree's levels, moves and deletions, compounds and buildings,
heads' phones, grid workers, and the one scope rule for grids."""

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.grids import tree
from app.grids.common import GridError, normalize_phone
from app.models import AuditEntry, Building, Compound, Grid, GridScope, User
from app.permissions import can_manage_grid, managed_grid_ids

from . import factories as f
from . import grid_factories as gf


@pytest.fixture
def place(app):
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    other = f.site(name="梅园中心")
    admin = f.user("管理员", admin=True)
    staff = f.user("站长", staff_of=(center,))
    station_staff = f.user("社工", staff_of=(station,))
    other_staff = f.user("梅园站长", staff_of=(other,))
    resident = f.user("居民", mobile="13766660001")
    db.session.commit()
    return dict(
        community=center.community,
        other_community=other.community,
        center=center,
        admin=admin,
        staff=staff,
        station_staff=station_staff,
        other_staff=other_staff,
        resident=resident,
    )


def _make(place, name, parent=None, **values):
    return tree.create_grid(
        place["community"].id,
        {"name": name, "parent_id": parent.id if parent else None, **values},
        place["staff"],
    )


# Phones ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0371-12345678", "0371-12345678"),
        ("０３７１－１２３４５６７８", "0371-12345678"),
        ("0371 1234 5678", "0371-12345678"),
        ("(0371)12345678", "0371-12345678"),
        ("010-1234567", "010-1234567"),
        ("", ""),
    ],
)
def test_phones_are_kept_in_one_shape(typed, kept):
    assert normalize_phone(typed) == kept


@pytest.mark.parametrize(
    "typed",
    ["12345", "1381234567", "138123456789", "0371-123", "abc", "21234567", "1" * 40, "13８"],
)
def test_what_is_not_a_phone_is_refused(typed):
    assert normalize_phone(typed) is None


# Levels ---------------------------------------------------------------------------


def test_a_child_is_one_level_below_its_parent_and_three_is_the_most(place):
    top = _make(place, "第一网格")
    middle = _make(place, "一区", top)
    bottom = _make(place, "一区甲", middle)
    assert (top.level, middle.level, bottom.level) == (1, 2, 3)
    with pytest.raises(GridError) as refused:
        _make(place, "太深", bottom)
    assert refused.value.reason == "too_deep" and refused.value.field == "parent_id"
    assert "最多三级" in refused.value.message
    assert db.session.scalar(select(Grid).where(Grid.name == "太深")) is None


def test_a_parent_of_another_community_is_refused(place):
    foreign = gf.grid(place["other_community"], "别人的网格")
    db.session.commit()
    with pytest.raises(GridError) as refused:
        _make(place, "新网格", foreign)
    assert refused.value.reason == "foreign"


def test_names_are_unique_in_a_community(place):
    _make(place, "第一网格")
    with pytest.raises(GridError) as refused:
        _make(place, "  第一网格 ")
    assert refused.value.reason == "duplicate" and "已有名为第一网格的网格" in refused.value.message
    # Another community may use the name.
    tree.create_grid(place["other_community"].id, {"name": "第一网格"}, place["admin"])


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "长" * 41}, "name"),
        ({"name": "甲", "head_name": "王" * 21}, "head_name"),
        ({"name": "甲", "head_name": "王", "head_phone": "12345"}, "head_phone"),
        ({"name": "甲", "head_phone": "13812345678"}, "head_name"),
    ],
)
def test_bad_values_are_refused_on_their_field(place, values, field):
    with pytest.raises(GridError) as refused:
        tree.create_grid(place["community"].id, values, place["staff"])
    assert refused.value.field == field
    assert db.session.scalar(select(Grid)) is None


def test_moving_a_grid_moves_its_children_and_keeps_three_levels(place):
    a, b = _make(place, "甲网格"), _make(place, "乙网格")
    a1 = _make(place, "甲一", a)
    a11 = _make(place, "甲一一", a1)
    # 甲一 (with 甲一一 below) under 乙: levels 2 and 3.
    tree.update_grid(a1.id, {"name": "甲一", "parent_id": b.id}, place["staff"])
    db.session.expire_all()
    assert db.session.get(Grid, a1.id).level == 2 and db.session.get(Grid, a11.id).level == 3
    # 乙 (two levels below it) under 甲: a fourth level, refused.
    with pytest.raises(GridError) as refused:
        tree.update_grid(b.id, {"name": "乙网格", "parent_id": a.id}, place["staff"])
    assert refused.value.reason == "too_deep"
    # Under itself, or under a grid below it: refused.
    for parent in (b, a1):
        with pytest.raises(GridError) as refused:
            tree.update_grid(b.id, {"name": "乙网格", "parent_id": parent.id}, place["staff"])
        assert refused.value.reason in ("cycle", "too_deep")
    # Back to the top: 甲一 level 1, 甲一一 level 2.
    tree.update_grid(a1.id, {"name": "甲一", "parent_id": None}, place["staff"])
    db.session.expire_all()
    assert db.session.get(Grid, a1.id).level == 1 and db.session.get(Grid, a11.id).level == 2
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("grid.saved") == 2 and actions.count("grid.created") == 4


def test_renaming_to_a_taken_name_is_refused(place):
    a, _b = _make(place, "甲网格"), _make(place, "乙网格")
    with pytest.raises(GridError) as refused:
        tree.update_grid(a.id, {"name": "乙网格"}, place["staff"])
    assert refused.value.reason == "duplicate"
    assert db.session.get(Grid, a.id).name == "甲网格"


def test_a_grid_that_still_holds_anything_is_not_deleted(place):
    top = _make(place, "第一网格")
    child = _make(place, "一区", top)
    with pytest.raises(GridError) as refused:
        tree.delete_grid(top.id, place["staff"])
    assert refused.value.reason == "has_children" and "下面还有网格" in refused.value.message
    compound = tree.add_compound(child.id, "幸福小区", place["staff"])
    with pytest.raises(GridError) as refused:
        tree.delete_grid(child.id, place["staff"])
    assert refused.value.reason == "has_compounds"
    building = tree.add_building(compound.id, {"name": "1号楼"}, place["staff"])
    gf.home(place["resident"], place["community"], child, compound, building)
    db.session.commit()
    for delete, target in (
        (tree.delete_building, building.id),
        (tree.delete_compound, compound.id),
    ):
        with pytest.raises(GridError) as refused:
            delete(target, place["staff"])
        assert refused.value.reason in ("has_homes", "has_buildings")
    assert db.session.get(Building, building.id) is not None


def test_a_grid_with_open_requests_is_not_deleted(place):
    from app.models import ResidentRequest

    top = _make(place, "第一网格")
    request = ResidentRequest(
        resident_id=place["resident"].id,
        community_id=place["community"].id,
        grid_id=top.id,
        category="repairs",
        text="路灯坏了",
        place_kind="home",
        accept_due_at=clock.now(),
        resolve_due_at=clock.now(),
    )
    db.session.add(request)
    db.session.commit()
    with pytest.raises(GridError) as refused:
        tree.delete_grid(top.id, place["staff"])
    assert refused.value.reason == "has_requests"


def test_an_empty_grid_is_deleted_with_its_workers_and_audited(place):
    top = _make(place, "第一网格")
    tree.grant_worker(top.id, place["resident"].mobile, "", place["staff"])
    assert tree.delete_grid(top.id, place["staff"]) == "第一网格"
    assert db.session.scalar(select(Grid)) is None and db.session.scalar(select(GridScope)) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "grid.deleted"))
    assert entry.site_id == place["center"].id and entry.before["name"] == "第一网格"


def test_compounds_and_buildings_and_their_heads(place):
    top = _make(place, "第一网格")
    compound = tree.add_compound(top.id, "幸福小区", place["staff"])
    with pytest.raises(GridError):
        tree.add_compound(top.id, "幸福小区", place["staff"])
    building = tree.add_building(
        compound.id,
        {"name": "1号楼", "head_name": "张楼长", "head_phone": "１３８ 0000 1111"},
        place["staff"],
    )
    assert building.head_phone == "13800001111"
    with pytest.raises(GridError) as refused:
        tree.update_building(
            building.id,
            {"name": "1号楼", "head_name": "张楼长", "head_phone": "0371-1"},
            place["staff"],
        )
    assert refused.value.field == "head_phone"
    tree.update_building(
        building.id,
        {"name": "一号楼", "head_name": "李楼长", "head_phone": "0371 12345678"},
        place["staff"],
    )
    db.session.expire_all()
    saved = db.session.get(Building, building.id)
    assert (saved.name, saved.head_name, saved.head_phone) == ("一号楼", "李楼长", "0371-12345678")
    tree.rename_compound(compound.id, "幸福家园", place["staff"])
    assert db.session.get(Compound, compound.id).name == "幸福家园"
    assert tree.delete_building(building.id, place["staff"]) == "一号楼"
    assert tree.delete_compound(compound.id, place["staff"]) == "幸福家园"


# Grid workers ------------------------------------------------------------------------


def test_a_worker_is_an_existing_account_found_by_number(place):
    top = _make(place, "第一网格")
    with pytest.raises(GridError) as refused:
        tree.grant_worker(top.id, "13900009999", "", place["staff"])
    assert refused.value.reason == "no_account" and refused.value.field == "mobile"
    with pytest.raises(GridError) as refused:
        tree.grant_worker(top.id, "139", "", place["staff"])
    assert refused.value.reason == "mobile"
    with pytest.raises(GridError) as refused:
        tree.grant_worker(top.id, place["resident"].mobile, "12", place["staff"])
    assert refused.value.field == "public_phone"
    scope = tree.grant_worker(top.id, "１３７ 6666 0001", "0371-12345678", place["staff"])
    assert scope.user_id == place["resident"].id and scope.public_phone == "0371-12345678"
    with pytest.raises(GridError) as refused:
        tree.grant_worker(top.id, place["resident"].mobile, "", place["staff"])
    assert refused.value.reason == "duplicate"
    assert tree.revoke_worker(scope.id, place["staff"]) == "居民"
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["grid.worker_granted", "grid.worker_revoked"]


# The scope rule -----------------------------------------------------------------------


def test_a_grid_scope_covers_the_grids_below_it_only(place):
    top = gf.grid(place["community"], "第一网格")
    middle = gf.grid(place["community"], "一区", top)
    bottom = gf.grid(place["community"], "一区甲", middle)
    sibling = gf.grid(place["community"], "二区", top)
    other_top = gf.grid(place["community"], "第二网格")
    worker = f.user("刘网格")
    gf.worker(worker, middle)
    db.session.commit()
    worker = db.session.get(User, worker.id)
    assert can_manage_grid(worker, middle) and can_manage_grid(worker, bottom)
    for grid in (top, sibling, other_top):
        assert not can_manage_grid(worker, grid), grid.name
    assert managed_grid_ids(worker) == {middle.id, bottom.id}


def test_community_staff_cover_every_grid_station_staff_none_admin_all(place):
    top = gf.grid(place["community"], "第一网格")
    child = gf.grid(place["community"], "一区", top)
    foreign = gf.grid(place["other_community"], "梅园网格")
    db.session.commit()
    for grid in (top, child):
        assert can_manage_grid(place["staff"], grid)
        assert not can_manage_grid(place["station_staff"], grid)
        assert not can_manage_grid(place["other_staff"], grid)
        assert not can_manage_grid(place["resident"], grid)
        assert can_manage_grid(place["admin"], grid)
    assert not can_manage_grid(place["staff"], foreign)
    assert managed_grid_ids(place["staff"]) == {top.id, child.id}
    assert managed_grid_ids(place["station_staff"]) == set()
    assert managed_grid_ids(place["admin"]) is None


def test_the_tree_reads_in_tree_order(place):
    b = gf.grid(place["community"], "乙网格")
    a = gf.grid(place["community"], "甲网格")
    gf.grid(place["community"], "乙一", b)
    gf.grid(place["community"], "甲一", a)
    db.session.commit()
    names = [g.name for g in tree.community_grids(place["community"].id)]
    assert names == ["乙网格", "乙一", "甲网格", "甲一"] or names == [
        "甲网格",
        "甲一",
        "乙网格",
        "乙一",
    ]
    choices = tree.parent_choices(tree.community_grids(place["community"].id), moving=a)
    assert a.id not in {c for c, _l in choices}
