"""The love mall's rules and points adjustments, with the clock frozen.

Staff add, edit, restock, re-price and retire items (each audited); a
redemption keeps the points it was made for, so a price change touches only
redemptions made after it, and a cancelled old one refunds what it cost then;
the per-person limit counts what the volunteer has reserved or picked up;
adjustments need a reason and never take a balance below zero. A form sent
twice (``seen``: the newest record its page showed) makes one change.
"""

import io
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, MallItem, PointsEntry, Redemption, Upload
from app.uploads import UploadRefused
from app.volunteers import mall, points
from app.volunteers.common import VolunteerError

from . import factories as f

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # a Monday morning


@pytest.fixture
def shop(app, freeze):
    freeze(NOW)
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    elsewhere = f.site(name="梅园中心")
    staff = f.user("站长", staff_of=(center,))
    vols = [f.volunteer(f"志愿者{i}") for i in range(3)]
    item = f.mall_item(center, cost=10, stock=5, name="大米")
    db.session.commit()
    return dict(center=center, station=station, elsewhere=elsewhere, staff=staff, vols=vols,
                item=item)  # fmt: skip


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident)


def audits(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def photo(kind: str = "PNG", data: bytes | None = None) -> FileStorage:
    if data is None:
        out = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 60, 40)).save(out, kind)
        data = out.getvalue()
    return FileStorage(io.BytesIO(data), filename="photo.jpg", content_type="image/jpeg")


def refused(call, *args, **kwargs) -> VolunteerError:
    with pytest.raises(VolunteerError) as error:
        call(*args, **kwargs)
    return error.value


# Adding and editing an item --------------------------------------------------------


def test_staff_add_an_item_with_a_photo_and_it_is_audited(shop):
    item = mall.add_item(
        shop["center"], shop["staff"], name="  保温杯 ", description="到服务台领取",
        site_id=shop["station"].id, points_cost=35, stock=4, per_person_limit=1, photo=photo(),
    )  # fmt: skip
    item = fresh(MallItem, item.id)
    assert (item.name, item.site_id, item.points_cost, item.stock, item.per_person_limit) == (
        "保温杯", shop["station"].id, 35, 4, 1,
    )  # fmt: skip
    assert item.active and item.created_at == NOW
    assert item.photo.public and item.photo.purpose == "mall_item"
    [entry] = audits("mall.item_added")
    assert (entry.target_type, entry.target_id, entry.site_id) == (
        "mall_item", item.id, shop["station"].id,
    )  # fmt: skip
    assert entry.actor_id == shop["staff"].id and entry.summary == "保温杯"
    assert entry.after["points"] == 35 and entry.after["stock"] == 4


def test_an_item_needs_a_site_of_the_unit(shop):
    error = refused(
        mall.add_item, shop["center"], shop["staff"], name="毛巾", description="",
        site_id=shop["elsewhere"].id, points_cost=5, stock=1,
    )  # fmt: skip
    assert (error.reason, error.field) == ("site", "site")
    # A station's unit is the station alone: its staff cannot place goods at the center.
    error = refused(
        mall.add_item, shop["station"], shop["staff"], name="毛巾", description="",
        site_id=shop["center"].id, points_cost=5, stock=1,
    )  # fmt: skip
    assert error.reason == "site"
    assert count(MallItem) == 1 and audits("mall.item_added") == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "长" * 61}, "name"),
        ({"description": "长" * 201}, "description"),
        ({"points_cost": 0}, "points_cost"),
        ({"points_cost": -1}, "points_cost"),
        ({"points_cost": 10**20}, "points_cost"),
        ({"stock": -1}, "stock"),
        ({"stock": 10**7}, "stock"),
        ({"per_person_limit": 0}, "per_person_limit"),
        ({"per_person_limit": 1000}, "per_person_limit"),
    ],
)
def test_item_values_out_of_bounds_are_refused(shop, values, field):
    good = dict(name="毛巾", description="", site_id=shop["center"].id, points_cost=5, stock=1)
    error = refused(mall.add_item, shop["center"], shop["staff"], **{**good, **values})
    assert error.field == field
    assert count(MallItem) == 1


def test_a_photo_that_is_not_an_image_adds_nothing(shop):
    with pytest.raises(UploadRefused):
        mall.add_item(
            shop["center"], shop["staff"], name="毛巾", description="", site_id=shop["center"].id,
            points_cost=5, stock=1, photo=photo(data=b"<?php echo 1; ?>"),
        )  # fmt: skip
    assert count(MallItem) == 1 and count(Upload) == 0 and audits("mall.item_added") == []


def test_the_same_add_sent_twice_makes_one_item(shop):
    seen = mall.newest_item_id()
    values = dict(name="雨伞", description="", site_id=shop["center"].id, points_cost=25, stock=3)
    first = mall.add_item(shop["center"], shop["staff"], photo=photo(), seen=seen, **values)
    again = mall.add_item(shop["center"], shop["staff"], photo=photo(), seen=seen, **values)
    assert again.id == first.id
    assert count(MallItem) == 2 and count(Upload) == 1 and len(audits("mall.item_added")) == 1
    # A page opened after the first add may add the same goods again (a second batch).
    later = mall.add_item(shop["center"], shop["staff"], seen=mall.newest_item_id(), **values)
    assert later.id != first.id


def test_edit_changes_what_was_changed_and_audits_before_and_after(shop):
    item = shop["item"]
    mall.edit_item(
        shop["center"], item.id, shop["staff"], name="大米 5 斤", description="东北大米",
        site_id=shop["station"].id, per_person_limit=2, photo=photo("JPEG"),
    )  # fmt: skip
    item = fresh(MallItem, item.id)
    assert (item.name, item.description, item.site_id, item.per_person_limit) == (
        "大米 5 斤", "东北大米", shop["station"].id, 2,
    )  # fmt: skip
    assert item.points_cost == 10 and item.stock == 5 and item.photo is not None
    [entry] = audits("mall.item_edited")
    assert entry.before["name"] == "大米" and entry.after["name"] == "大米 5 斤"
    assert entry.before["per_person_limit"] is None and entry.after["per_person_limit"] == 2
    assert "points" not in entry.after  # the price has its own step
    # Nothing changed: nothing written, nothing audited.
    mall.edit_item(
        shop["center"], item.id, shop["staff"], name="大米 5 斤", description="东北大米",
        site_id=shop["station"].id, per_person_limit=2,
    )  # fmt: skip
    assert len(audits("mall.item_edited")) == 1
    assert fresh(MallItem, item.id).photo is not None  # no new photo keeps the old one


def test_edit_refuses_a_site_outside_the_unit(shop):
    error = refused(
        mall.edit_item, shop["center"], shop["item"].id, shop["staff"], name="大米",
        description="", site_id=shop["elsewhere"].id, per_person_limit=None,
    )  # fmt: skip
    assert error.reason == "site"
    assert fresh(MallItem, shop["item"].id).site_id == shop["center"].id


# Price, stock, retiring -----------------------------------------------------------


def test_a_price_change_touches_only_later_redemptions(shop):
    item, (early, late, _other) = shop["item"], shop["vols"]
    f.points(early, 10, "earned")
    f.points(late, 30, "earned")
    db.session.commit()
    before = points.redeem(early, item.id)
    mall.change_price(item.id, 15, shop["staff"])
    after = points.redeem(late, item.id)
    assert fresh(Redemption, before.id).points == 10 and fresh(Redemption, after.id).points == 15
    assert points.balance(early.id) == 0 and points.balance(late.id) == 15
    [entry] = audits("mall.price_changed")
    assert entry.before == {"points": 10} and entry.after == {"points": 15}
    # The redemption made at the old price refunds the old price.
    points.decide_redemption(before.id, False, shop["staff"])
    assert points.balance(early.id) == 10
    refund = db.session.scalar(
        select(PointsEntry.points).where(
            PointsEntry.redemption_id == before.id, PointsEntry.kind == "refund"
        )
    )
    assert refund == 10


def test_the_same_price_again_changes_nothing(shop):
    mall.change_price(shop["item"].id, 10, shop["staff"])
    assert audits("mall.price_changed") == []


@pytest.mark.parametrize("cost", [0, -1, 10**20])
def test_a_price_out_of_bounds_is_refused(shop, cost):
    error = refused(mall.change_price, shop["item"].id, cost, shop["staff"])
    assert error.field == "points_cost"
    assert fresh(MallItem, shop["item"].id).points_cost == 10


def test_restock_adds_to_the_stock_and_is_audited(shop):
    mall.restock(shop["item"].id, 7, shop["staff"])
    assert fresh(MallItem, shop["item"].id).stock == 12
    [entry] = audits("mall.restocked")
    assert entry.before == {"stock": 5} and entry.after == {"stock": 12, "added": 7}
    assert entry.site_id == shop["center"].id


@pytest.mark.parametrize("added", [0, -3, 10**20])
def test_a_restock_out_of_bounds_is_refused(shop, added):
    error = refused(mall.restock, shop["item"].id, added, shop["staff"])
    assert error.field == "added"
    assert fresh(MallItem, shop["item"].id).stock == 5 and audits("mall.restocked") == []


def test_the_stock_has_a_ceiling(shop):
    shop["item"].stock = mall.MAX_STOCK - 5
    db.session.commit()
    mall.restock(shop["item"].id, 5, shop["staff"])
    error = refused(mall.restock, shop["item"].id, 1, shop["staff"])
    assert error.reason == "stock_ceiling"
    assert fresh(MallItem, shop["item"].id).stock == mall.MAX_STOCK


def test_the_same_restock_sent_twice_adds_once(shop):
    seen = mall.restock_mark()
    mall.restock(shop["item"].id, 3, shop["staff"], seen=seen)
    mall.restock(shop["item"].id, 3, shop["staff"], seen=seen)
    assert fresh(MallItem, shop["item"].id).stock == 8
    # Another amount, or a page opened after it, is another restock.
    mall.restock(shop["item"].id, 2, shop["staff"], seen=seen)
    mall.restock(shop["item"].id, 3, shop["staff"], seen=mall.restock_mark())
    assert fresh(MallItem, shop["item"].id).stock == 13
    assert len(audits("mall.restocked")) == 3


def test_retire_and_offer_again(shop):
    item, vol = shop["item"], shop["vols"][0]
    f.points(vol, 30, "earned")
    db.session.commit()
    mall.set_active(item.id, False, shop["staff"])
    mall.set_active(item.id, False, shop["staff"])  # twice: one change
    assert not fresh(MallItem, item.id).active
    assert refused(points.redeem, vol, item.id).reason == "item"
    assert fresh(MallItem, item.id).stock == 5 and points.balance(vol.id) == 30
    mall.set_active(item.id, True, shop["staff"])
    assert points.redeem(vol, item.id).points == 10
    entries = audits("mall.item_active")
    assert [(e.before, e.after) for e in entries] == [
        ({"active": True}, {"active": False}), ({"active": False}, {"active": True}),
    ]  # fmt: skip


def test_a_retired_items_reservations_are_still_handed_over(shop):
    item, vol = shop["item"], shop["vols"][0]
    f.points(vol, 10, "earned")
    db.session.commit()
    redemption = points.redeem(vol, item.id)
    mall.set_active(item.id, False, shop["staff"])
    assert points.decide_redemption(redemption.id, True, shop["staff"]).status == "picked_up"


# The per-person limit ---------------------------------------------------------------


def test_the_per_person_limit_counts_reserved_and_picked_up(shop):
    item, vol = shop["item"], shop["vols"][0]
    item.per_person_limit = 2
    f.points(vol, 100, "earned")
    db.session.commit()
    first = points.redeem(vol, item.id)
    points.redeem(vol, item.id)
    error = refused(points.redeem, vol, item.id)
    assert error.reason == "limit" and "2" in error.message
    assert fresh(MallItem, item.id).stock == 3 and points.balance(vol.id) == 80
    points.decide_redemption(first.id, True, shop["staff"])  # picked up: still counts
    assert refused(points.redeem, vol, item.id).reason == "limit"
    f.points(shop["vols"][1], 10, "earned")
    db.session.commit()
    assert points.redeem(shop["vols"][1], item.id).points == 10  # each person's own limit


def test_a_cancelled_redemption_frees_its_place_under_the_limit(shop):
    item, vol = shop["item"], shop["vols"][0]
    item.per_person_limit = 1
    f.points(vol, 100, "earned")
    db.session.commit()
    first = points.redeem(vol, item.id)
    assert refused(points.redeem, vol, item.id).reason == "limit"
    points.decide_redemption(first.id, False, shop["staff"])
    assert points.redeem(vol, item.id).status == "reserved"


def test_the_limit_counts_only_this_item(shop):
    item, vol = shop["item"], shop["vols"][0]
    item.per_person_limit = 1
    towel = f.mall_item(shop["center"], cost=1, stock=5, name="毛巾")
    f.points(vol, 100, "earned")
    db.session.commit()
    points.redeem(vol, towel.id)
    points.redeem(vol, towel.id)
    assert points.redeem(vol, item.id).points == 10


def test_the_same_redemption_sent_twice_makes_one(shop):
    item, vol = shop["item"], shop["vols"][0]
    f.points(vol, 100, "earned")
    db.session.commit()
    seen = points.redemption_mark(vol.id)
    first = points.redeem(vol, item.id, seen=seen)
    again = points.redeem(vol, item.id, seen=seen)
    assert again.id == first.id and again.code == first.code
    assert points.balance(vol.id) == 90 and fresh(MallItem, item.id).stock == 4
    # From a page shown after the first: a second one, on purpose.
    points.redeem(vol, item.id, seen=points.redemption_mark(vol.id))
    assert points.balance(vol.id) == 80


def test_the_price_is_the_one_in_force_when_the_stock_is_taken(shop, monkeypatch):
    """A price raised between the balance check and the taking of the unit: the
    redemption pays the new price, or is refused if the balance cannot."""
    item, vol = shop["item"], shop["vols"][0]
    f.points(vol, 12, "earned")
    db.session.commit()
    real_balance = points.balance

    def raised_meanwhile(user_id):
        db.session.execute(
            MallItem.__table__.update().where(MallItem.id == item.id).values(points_cost=15)
        )
        return real_balance(user_id)

    monkeypatch.setattr(points, "balance", raised_meanwhile)
    error = refused(points.redeem, vol, item.id)
    monkeypatch.setattr(points, "balance", real_balance)
    assert error.reason == "points"
    assert fresh(MallItem, item.id).stock == 5 and points.balance(vol.id) == 12
    assert count(Redemption) == 0


# Finding a redemption at the desk ---------------------------------------------------


def test_the_desk_finds_a_code_typed_with_full_width_digits_or_spaces(shop):
    vol = shop["vols"][0]
    f.points(vol, 10, "earned")
    db.session.commit()
    redemption = points.redeem(vol, shop["item"].id)
    code = redemption.code
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)
    for typed in (code, f"{code[:4]} {code[4:]}", f" {wide} ", f"{wide[:4]}\u3000{wide[4:]}"):
        assert points.find_redemption(shop["center"], typed).id == redemption.id, typed
    assert points.find_redemption(shop["station"], code) is None  # not the station's goods
    assert points.find_redemption(shop["elsewhere"], code) is None
    for typed in (code[:7], code + "1", "", "x" * 5000, "١٢٣٤٥٦٧٨"):
        assert points.find_redemption(shop["center"], typed) is None, typed


# Points adjustments ---------------------------------------------------------------


def test_an_adjustment_is_a_ledger_entry_with_its_reason(shop):
    vol, staff = shop["vols"][0], shop["staff"]
    entry = points.adjust_points(
        vol.id, 20, " 补录 11 月 \n 活动 ", staff, site_id=shop["center"].id
    )
    entry = fresh(PointsEntry, entry.id)
    assert (entry.kind, entry.points, entry.reason, entry.created_by_id) == (
        "adjusted", 20, "补录 11 月 活动", staff.id,
    )  # fmt: skip
    assert points.balance(vol.id) == 20 and entry.created_at == NOW
    [audit] = audits("points.adjusted")
    assert (audit.target_type, audit.target_id, audit.site_id) == (
        "user", vol.id, shop["center"].id,
    )  # fmt: skip
    assert audit.summary == "补录 11 月 活动" and audit.after == {"points": 20}


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_an_adjustment_without_a_reason_is_refused(shop, reason):
    error = refused(points.adjust_points, shop["vols"][0].id, 5, reason, shop["staff"])
    assert (error.reason, error.field) == ("reason", "reason")
    assert count(PointsEntry) == 0 and audits("points.adjusted") == []


def test_an_adjustment_reason_over_its_column_is_refused(shop):
    error = refused(points.adjust_points, shop["vols"][0].id, 5, "长" * 201, shop["staff"])
    assert error.field == "reason"
    assert count(PointsEntry) == 0


def test_an_adjustment_below_zero_is_refused(shop):
    vol = shop["vols"][0]
    f.points(vol, 10, "earned")
    db.session.commit()
    error = refused(points.adjust_points, vol.id, -11, "纠错", shop["staff"])
    assert error.reason == "negative" and "10" in error.message
    assert points.balance(vol.id) == 10 and audits("points.adjusted") == []
    points.adjust_points(vol.id, -10, "纠错", shop["staff"])
    assert points.balance(vol.id) == 0


@pytest.mark.parametrize("amount", [0, 10**20, -(10**20)])
def test_an_adjustment_out_of_bounds_is_refused(shop, amount):
    error = refused(points.adjust_points, shop["vols"][0].id, amount, "纠错", shop["staff"])
    assert error.field == "amount"
    assert count(PointsEntry) == 0


def test_the_same_adjustment_sent_twice_is_one_entry(shop):
    vol, staff = shop["vols"][0], shop["staff"]
    seen = points.ledger_mark(vol.id)
    first = points.adjust_points(vol.id, 5, "表彰", staff, seen=seen)
    again = points.adjust_points(vol.id, 5, "表彰", staff, seen=seen)
    assert again.id == first.id and points.balance(vol.id) == 5
    assert len(audits("points.adjusted")) == 1
    # Another reason, or a page shown after the first, is another adjustment.
    points.adjust_points(vol.id, 5, "表彰（第二次）", staff, seen=seen)
    points.adjust_points(vol.id, 5, "表彰", staff, seen=points.ledger_mark(vol.id))
    assert points.balance(vol.id) == 15


def test_the_ledger_refuses_to_rewrite_an_adjustment(shop):
    entry = points.adjust_points(shop["vols"][0].id, 5, "表彰", shop["staff"])
    with pytest.raises(Exception):  # noqa: B017 (the database's own error, which differs)
        db.session.execute(
            PointsEntry.__table__.update().where(PointsEntry.id == entry.id).values(points=500)
        )
        db.session.commit()
    assert fresh(PointsEntry, entry.id).points == 5
