"""The love mall's pages, through the real request path: the staff's items, the
pick-up desk, points adjustments, and the residents' /mall.

Each page's status, content and the database after it; each bad input gets
422 and changes nothing; staff of another unit and plain volunteers get 403.
Messages new in this part are read in English (the ``lang`` cookie), the
others in Chinese, the default.
"""

import io
import re
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, MallItem, PointsEntry, Redemption, Upload
from app.volunteers import mall, points

from . import factories as f
from .html_check import assert_clean_page

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture
def unit(app, freeze):
    """A center with a station, another center, their staff, volunteers and goods."""
    freeze(NOW)
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    other = f.site(name="梅园中心")
    staff = f.user("站长", staff_of=(center,))
    station_staff = f.user("社工", staff_of=(station,))
    other_staff = f.user("梅园站长", staff_of=(other,))
    admin = f.user("管理员", admin=True)
    rice = f.mall_item(center, cost=10, stock=5, name="大米")
    towel = f.mall_item(station, cost=5, stock=2, name="毛巾")
    far = f.mall_item(other, cost=8, stock=9, name="梅园雨伞")
    vol = f.volunteer("小李", mobile="13911112468")
    vol.volunteer.real_name = "李明"
    stranger = f.volunteer("小王", mobile="13922223579")
    stranger.volunteer.real_name = "王芳"
    f.points(vol, 30, "earned")
    db.session.commit()
    # 李明 is one of the center's volunteers: he exchanged its goods.
    points.redeem(vol, rice.id)
    return dict(center=center, station=station, other=other, staff=staff,
                station_staff=station_staff, other_staff=other_staff, admin=admin, rice=rice,
                towel=towel, far=far, vol=vol, stranger=stranger)  # fmt: skip


def sound(app, client, path, **kwargs):
    """GET a page with CSRF on, as in production, and check its HTML."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.get(path, **kwargs)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert_clean_page(response)
    return response


def english(client):
    client.set_cookie("lang", "en")


def png(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def base(unit) -> str:
    return f"/staff/sites/{unit['center'].id}/volunteering/mall"


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def balance(user_id: int) -> int:
    db.session.rollback()
    return points.balance(user_id)


def audit_actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident)


def item_form(unit, **values) -> dict:
    data = {"name": "保温杯", "description": "到服务台领取", "site": str(unit["center"].id),
            "points_cost": "35", "stock": "4", "per_person_limit": "", **values}  # fmt: skip
    return {f"item-{key}": value for key, value in data.items()}


def multipart(client, path, data, photo: bytes | None = None, **kwargs):
    if photo is not None:
        data = {**data, "item-photo": (io.BytesIO(photo), "photo.png")}
    return client.post(path, data=data, content_type="multipart/form-data", **kwargs)


# The index and adding an item ---------------------------------------------------------


def test_the_index_lists_the_units_goods_and_offers_the_form(app, client, auth, unit):
    auth.login(unit["staff"])
    english(client)
    page = sound(app, client, base(unit))
    assert page.status_code == 200
    text = page.text
    assert "大米" in text and "毛巾" in text and "梅园雨伞" not in text
    assert 'enctype="multipart/form-data"' in text and 'name="item-photo"' in text
    assert f'href="/staff/sites/{unit["center"].id}/redemptions"' in text
    assert f'href="/staff/sites/{unit["center"].id}/volunteering/points"' in text
    options = re.search(r'<select[^>]*name="item-site".*?</select>', text, re.S).group(0)
    assert "东方中心" in options and "阳光站" in options and "梅园中心" not in options
    assert "To hand over" in text  # the rice 李明 exchanged


def test_a_stations_staff_see_their_station_only(client, auth, unit):
    auth.login(unit["station_staff"])
    page = client.get(f"/staff/sites/{unit['station'].id}/volunteering/mall")
    assert page.status_code == 200 and "毛巾" in page.text and "大米" not in page.text
    assert client.get(base(unit)).status_code == 403


def test_staff_add_an_item_with_a_photo(client, auth, unit):
    auth.login(unit["staff"])
    data = item_form(unit, points_cost="３５", stock=" 4 ", per_person_limit="２",
                     site=str(unit["station"].id))  # fmt: skip
    response = multipart(client, base(unit), data, png())
    assert response.status_code == 303
    db.session.rollback()
    item = db.session.scalar(select(MallItem).where(MallItem.name == "保温杯"))
    assert response.headers["Location"] == f"{base(unit)}/{item.id}"
    assert (item.points_cost, item.stock, item.per_person_limit, item.site_id) == (
        35, 4, 2, unit["station"].id,
    )  # fmt: skip
    assert item.photo.public and (item.photo.width, item.photo.height) == (40, 30)
    assert audit_actions()[-1] == "mall.item_added"
    photo = client.get(f"/photos/{item.photo.key}.jpg")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "保温杯" in page.text
    assert f"/photos/{item.photo.key}.jpg" in page.text


def test_an_item_without_a_photo_or_a_limit(client, auth, unit):
    auth.login(unit["staff"])
    response = multipart(client, base(unit), item_form(unit))
    assert response.status_code == 303
    db.session.rollback()
    item = db.session.scalar(select(MallItem).where(MallItem.name == "保温杯"))
    assert item.photo_id is None and item.per_person_limit is None


BAD_ITEMS = [
    ({"points_cost": "NaN"}, "points_cost", "Enter a whole number from 1 to 100000."),
    ({"points_cost": "0"}, "points_cost", "Enter a whole number from 1 to 100000."),
    ({"points_cost": "-1"}, "points_cost", "Enter a whole number from 1 to 100000."),
    ({"points_cost": str(10**20)}, "points_cost", "Enter a whole number from 1 to 100000."),
    ({"points_cost": str(10**20).translate(WIDE)}, "points_cost", "from 1 to 100000."),
    ({"points_cost": "1e3"}, "points_cost", "Enter a whole number from 1 to 100000."),
    ({"points_cost": "inf"}, "points_cost", "Enter a whole number from 1 to 100000."),
    ({"points_cost": ""}, "points_cost", "Enter a whole number from 1 to 100000."),
    ({"stock": "-1"}, "stock", "Enter a whole number from 0 to 100000."),
    ({"stock": "١٢"}, "stock", "Enter a whole number from 0 to 100000."),
    ({"per_person_limit": "0"}, "per_person_limit", "or leave it empty"),
    ({"per_person_limit": "101"}, "per_person_limit", "or leave it empty"),
    ({"name": ""}, "name", "Give the item a name."),
    ({"name": "   "}, "name", "Give the item a name of 1 to 60 characters."),
    ({"name": "长" * 61}, "name", "Keep the name to 60 characters or fewer."),
    ({"description": "长" * 201}, "description", "Keep this to 200 characters or fewer."),
    ({"site": "x"}, "site", "Choose where it is picked up: one of your sites."),
    ({"site": "99999999999999999999"}, "site", "one of your sites"),
]


@pytest.mark.parametrize(("values", "field", "message"), BAD_ITEMS)
def test_bad_item_input_is_refused_and_kept(client, auth, unit, values, field, message):
    auth.login(unit["staff"])
    english(client)
    before = audit_actions()
    response = multipart(
        client, base(unit), item_form(unit, **{"name": "保温杯X", **values}), png()
    )
    assert response.status_code == 422
    assert message in response.text
    assert f'id="item-{field}-error"' in response.text  # beside its field
    if field != "name":
        assert 'value="保温杯X"' in response.text  # what was typed is kept
    assert count(MallItem) == 3 and count(Upload) == 0 and audit_actions() == before


def test_a_site_of_another_unit_is_refused(client, auth, unit):
    auth.login(unit["staff"])
    response = multipart(client, base(unit), item_form(unit, site=str(unit["other"].id)))
    assert response.status_code == 422 and count(MallItem) == 3


@pytest.mark.parametrize(
    ("photo", "message"),
    [(b"<?php system($_GET['c']); ?>", "请选择照片"), (b"\xff\xd8\xff" + b"\x00" * 64, "无法读取")],
    ids=["not-an-image", "broken-jpeg"],
)
def test_a_photo_that_is_not_an_image_is_refused(client, auth, unit, photo, message):
    auth.login(unit["staff"])
    before = audit_actions()
    response = multipart(client, base(unit), item_form(unit), photo)
    assert response.status_code == 422
    assert message in response.text and 'id="item-photo-error"' in response.text
    assert 'value="保温杯"' in response.text
    assert count(MallItem) == 3 and count(Upload) == 0 and audit_actions() == before


def test_the_add_form_sent_twice_adds_one_item(client, auth, unit):
    auth.login(unit["staff"])
    page = client.get(base(unit)).text
    seen = re.search(r'name="item-seen" type="hidden" value="(\d+)"', page).group(1)
    for _ in range(2):
        response = multipart(client, base(unit), {**item_form(unit), "item-seen": seen}, png())
        assert response.status_code == 303
    assert count(MallItem, MallItem.name == "保温杯") == 1 and count(Upload) == 1
    assert audit_actions().count("mall.item_added") == 1


def test_htmx_gets_the_refused_page_with_422(client, auth, unit):
    auth.login(unit["staff"])
    headers = {"HX-Request": "true", "HX-Boosted": "true"}
    response = multipart(client, base(unit), item_form(unit, points_cost="x"), headers=headers)
    assert response.status_code == 422 and response.headers.get("HX-Push-Url") == "false"


# One item: edit, restock, price, retire ---------------------------------------------


def item_path(unit, item_key="rice", action="") -> str:
    return f"{base(unit)}/{unit[item_key].id}" + (f"/{action}" if action else "")


def test_the_item_page(app, client, auth, unit):
    auth.login(unit["staff"])
    english(client)
    page = sound(app, client, item_path(unit))
    assert page.status_code == 200
    for form in ("edit", "restock", "price", "active"):
        assert f'action="{item_path(unit, action=form)}"' in page.text
    assert "1 exchange to hand over" in page.text
    assert client.get(item_path(unit, "towel")).status_code == 200  # a station's, in the unit
    assert client.get(item_path(unit, "far")).status_code == 404  # another unit's
    assert client.get(f"{base(unit)}/2147483647").status_code == 404


def test_edit_an_item(client, auth, unit):
    auth.login(unit["staff"])
    data = {"edit-name": "大米 5 斤", "edit-description": "东北大米",
            "edit-site": str(unit["station"].id), "edit-per_person_limit": "１"}  # fmt: skip
    response = client.post(item_path(unit, action="edit"),
                           data={**data, "edit-photo": (io.BytesIO(png()), "rice.png")},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/{unit['rice'].id}#edit")
    rice = fresh(MallItem, unit["rice"].id)
    assert (rice.name, rice.site_id, rice.per_person_limit) == ("大米 5 斤", unit["station"].id, 1)
    assert rice.photo is not None and rice.points_cost == 10 and rice.stock == 4
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mall.item_edited"))
    assert entry.before["name"] == "大米" and entry.after["site_id"] == unit["station"].id


@pytest.mark.parametrize(
    ("values", "message"),
    [({"edit-name": ""}, "Give the item a name."),
     ({"edit-per_person_limit": "NaN"}, "or leave it empty"),
     ({"edit-site": "0"}, "one of your sites")],
)  # fmt: skip
def test_bad_edits_change_nothing(client, auth, unit, values, message):
    auth.login(unit["staff"])
    english(client)
    data = {"edit-name": "新大米", "edit-description": "说明", "edit-site": str(unit["center"].id),
            "edit-per_person_limit": "", **values}  # fmt: skip
    response = client.post(item_path(unit, action="edit"), data=data)
    assert response.status_code == 422 and message in response.text
    assert fresh(MallItem, unit["rice"].id).name == "大米"
    assert "mall.item_edited" not in audit_actions()


def test_restock(client, auth, unit):
    auth.login(unit["staff"])
    english(client)
    page = client.get(item_path(unit)).text
    seen = re.search(r'name="restock-seen" type="hidden" value="(\d+)"', page).group(1)
    data = {"restock-added": "１０", "restock-seen": seen}
    for _ in range(2):  # sent twice: added once
        response = client.post(item_path(unit, action="restock"), data=data)
        assert response.status_code == 303
    assert fresh(MallItem, unit["rice"].id).stock == 14
    assert "14 left now" in client.get(response.headers["Location"]).text
    assert audit_actions().count("mall.restocked") == 1


@pytest.mark.parametrize("added", ["0", "-1", "NaN", str(10**20), "10001", "", "1.5"])
def test_bad_restocks_change_nothing(client, auth, unit, added):
    auth.login(unit["staff"])
    english(client)
    response = client.post(item_path(unit, action="restock"), data={"restock-added": added})
    assert response.status_code == 422 and "Enter a whole number from 1 to 10000." in response.text
    assert f'value="{added}"' in response.text
    assert fresh(MallItem, unit["rice"].id).stock == 4 and "mall.restocked" not in audit_actions()


def test_a_new_price_applies_from_now_on(client, auth, unit):
    auth.login(unit["staff"])
    english(client)
    response = client.post(item_path(unit, action="price"), data={"price-points_cost": "１５"})
    assert response.status_code == 303
    assert "15 points from now on" in client.get(response.headers["Location"]).text
    assert fresh(MallItem, unit["rice"].id).points_cost == 15
    # 李明's exchange was made at 10 and keeps it.
    assert db.session.scalar(select(Redemption.points)) == 10
    assert audit_actions()[-1] == "mall.price_changed"


@pytest.mark.parametrize("cost", ["NaN", "0", "-1", str(10**20), "100001", "１e3"])
def test_bad_prices_change_nothing(client, auth, unit, cost):
    auth.login(unit["staff"])
    english(client)
    response = client.post(item_path(unit, action="price"), data={"price-points_cost": cost})
    assert response.status_code == 422 and "Enter a whole number from 1 to 100000." in response.text
    assert fresh(MallItem, unit["rice"].id).points_cost == 10
    assert "mall.price_changed" not in audit_actions()


def test_retire_and_offer_again(client, auth, unit):
    auth.login(unit["staff"])
    english(client)
    response = client.post(item_path(unit, action="active"), data={"state-active": "0"})
    assert response.status_code == 303 and not fresh(MallItem, unit["rice"].id).active
    page = client.get(response.headers["Location"]).text
    assert "Offer it again" in page and "Retired from the mall" in page
    assert "大米" not in client.get("/mall").text
    assert "大米" in client.get(base(unit)).text  # staff still see it
    response = client.post(item_path(unit, action="active"), data={"state-active": "1"})
    assert response.status_code == 303 and fresh(MallItem, unit["rice"].id).active
    assert audit_actions()[-2:] == ["mall.item_active", "mall.item_active"]
    for bad in ("2", "", "yes"):
        response = client.post(item_path(unit, action="active"), data={"state-active": bad})
        assert response.status_code == 422
        assert "Choose to retire the item or to offer it again." in response.text
    assert fresh(MallItem, unit["rice"].id).active


# Who may: staff of the unit (or an admin), no one else ------------------------------


def console_requests(unit):
    item = item_path(unit)
    center = unit["center"].id
    rid = db.session.scalar(select(Redemption.id))
    return [
        ("GET", base(unit), {}), ("POST", base(unit), item_form(unit)),
        ("GET", item, {}), ("POST", f"{item}/edit", {"edit-name": "x"}),
        ("POST", f"{item}/restock", {"restock-added": "1"}),
        ("POST", f"{item}/price", {"price-points_cost": "1"}),
        ("POST", f"{item}/active", {"state-active": "0"}),
        ("GET", f"/staff/sites/{center}/redemptions", {"code": "12345678"}),
        ("POST", f"/staff/sites/{center}/redemptions/{rid}", {"decision": "cancel"}),
        ("GET", f"/staff/sites/{center}/volunteering/points", {"q": "李明"}),
        ("POST", f"/staff/sites/{center}/volunteering/points",
         {"adjust-volunteer": str(unit["vol"].id), "adjust-direction": "add",
          "adjust-amount": "5", "adjust-reason": "x"}),
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["other_staff", "station_staff", "vol"])
def test_others_get_403_and_change_nothing(client, auth, unit, who):
    auth.login(unit[who])
    before = (audit_actions(), count(PointsEntry), count(MallItem))
    for method, path, data in console_requests(unit):
        kwargs = {"query_string": data} if method == "GET" else {"data": data}
        response = client.open(path, method=method, **kwargs)
        assert response.status_code == 403, (who, method, path)
    assert (audit_actions(), count(PointsEntry), count(MallItem)) == before
    assert fresh(Redemption, db.session.scalar(select(Redemption.id))).status == "reserved"


def test_an_admin_runs_any_units_mall(client, auth, unit):
    auth.login(unit["admin"])
    assert client.get(base(unit)).status_code == 200
    response = client.post(item_path(unit, action="restock"), data={"restock-added": "1"})
    assert response.status_code == 303 and fresh(MallItem, unit["rice"].id).stock == 5


# The pick-up desk -----------------------------------------------------------------


def desk(unit) -> str:
    return f"/staff/sites/{unit['center'].id}/redemptions"


def the_redemption() -> Redemption:
    db.session.rollback()
    return db.session.scalar(select(Redemption))


def test_the_desk_finds_a_code_typed_with_full_width_digits_and_a_space(app, client, auth, unit):
    auth.login(unit["staff"])
    english(client)
    db.session.rollback()  # a write starts from the latest state (SQLite's snapshot)
    other = f.volunteer("小张")
    f.points(other, 10, "earned")
    db.session.commit()
    points.redeem(other, unit["towel"].id)
    code = the_redemption().code
    typed = f"{code[:4]} {code[4:]}".translate(WIDE)
    page = sound(app, client, desk(unit), query_string={"code": typed})
    assert page.status_code == 200
    assert code in page.text and "大米" in page.text and "毛巾" not in page.text
    assert "The exchange with this code" in page.text and "Show all exchanges" in page.text
    assert f'value="{typed}"' in page.text  # the box keeps what was typed
    everything = client.get(desk(unit)).text
    assert "大米" in everything and "毛巾" in everything


@pytest.mark.parametrize("typed", ["1234567", "123456789", "NaN", "x" * 5000, "\u0661" * 8])
def test_the_desk_says_when_no_exchange_has_the_code(client, auth, unit, typed):
    auth.login(unit["staff"])
    english(client)
    page = client.get(desk(unit), query_string={"code": typed})
    assert page.status_code == 200
    assert "No exchange here has that code." in page.text
    assert "大米" in page.text  # the list is still there


def test_another_units_code_is_not_found_here(client, auth, unit):
    auth.login(unit["other_staff"])
    english(client)
    code = the_redemption().code
    page = client.get(f"/staff/sites/{unit['other'].id}/redemptions", query_string={"code": code})
    assert "No exchange here has that code." in page.text and "大米" not in page.text


def test_hand_over_with_htmx_answers_with_the_row(client, auth, unit):
    auth.login(unit["staff"])
    redemption = the_redemption()
    path = f"{desk(unit)}/{redemption.id}"
    headers = {"HX-Request": "true", "HX-Target": f"redemption-{redemption.id}"}
    response = client.post(path, data={"decision": "picked_up"}, headers=headers)
    assert response.status_code == 200 and "<html" not in response.text
    assert f'id="redemption-{redemption.id}"' in response.text and "已领取" in response.text
    assert "HX-Request" in response.headers["Vary"]
    assert the_redemption().status == "picked_up"
    # Tapped again: refused, in the row.
    again = client.post(path, data={"decision": "cancel"}, headers=headers)
    assert again.status_code == 422 and 'role="alert"' in again.text
    assert the_redemption().status == "picked_up"
    assert balance(unit["vol"].id) == 20  # no refund
    assert audit_actions().count("redemption.picked_up") == 1


def test_without_javascript_the_answer_is_shown_in_the_row(client, auth, unit):
    auth.login(unit["staff"])
    english(client)
    redemption = the_redemption()
    path = f"{desk(unit)}/{redemption.id}"
    response = client.post(path, data={"decision": "cancel", "code": redemption.code})
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"{desk(unit)}?code={redemption.code}#redemption-{redemption.id}"
    )
    page = client.get(response.headers["Location"]).text
    row = re.search(rf'<li class="card redemption-row" id="redemption-{redemption.id}".*?</li>',
                    page, re.S).group(0)  # fmt: skip
    assert "Cancelled; the points are back." in row
    assert balance(unit["vol"].id) == 30 and fresh(MallItem, unit["rice"].id).stock == 5
    response = client.post(path, data={"decision": "picked_up"})
    page = client.get(response.headers["Location"]).text
    row = re.search(rf'id="redemption-{redemption.id}".*?</li>', page, re.S).group(0)
    assert "This redemption has already been handled." in row and 'role="alert"' in row
    assert the_redemption().status == "cancelled"
    assert client.post(path, data={"decision": "steal"}).status_code == 400


def test_the_desk_of_another_unit_cannot_decide(client, auth, unit):
    auth.login(unit["other_staff"])
    rid = the_redemption().id
    path = f"/staff/sites/{unit['other'].id}/redemptions/{rid}"
    assert client.post(path, data={"decision": "picked_up"}).status_code == 404
    assert the_redemption().status == "reserved"


# Points adjustments -----------------------------------------------------------------


def points_path(unit, site="center") -> str:
    return f"/staff/sites/{unit[site].id}/volunteering/points"


def adjust(unit, **values) -> dict:
    data = {"volunteer": str(unit["vol"].id), "direction": "add", "amount": "5",
            "reason": "补录 11 月活动", **values}  # fmt: skip
    return {f"adjust-{key}": value for key, value in data.items()}


@pytest.mark.parametrize("q", ["李明", "李", "2468", "２４６８", " 李明 "])
def test_staff_find_their_volunteer_by_real_name_or_last_four_digits(app, client, auth, unit, q):
    auth.login(unit["staff"])
    page = sound(app, client, points_path(unit), query_string={"q": q})
    assert page.status_code == 200
    assert "李明" in page.text and "139****2468" in page.text and "13911112468" not in page.text
    assert f"volunteer={unit['vol'].id}" in page.text


def test_only_the_units_volunteers_are_found_by_staff(client, auth, unit):
    auth.login(unit["staff"])
    english(client)
    for q in ("王芳", "3579"):
        page = client.get(points_path(unit), query_string={"q": q}).text
        assert "王芳</a>" not in page and "No volunteer of your sites matches." in page
    chosen = {"q": "王芳", "volunteer": unit["stranger"].id}
    assert client.get(points_path(unit), query_string=chosen).status_code == 404
    response = client.post(points_path(unit), data=adjust(unit, volunteer=unit["stranger"].id))
    assert response.status_code == 404 and count(PointsEntry, PointsEntry.kind == "adjusted") == 0


def test_a_volunteer_is_connected_by_a_signup_or_a_team(client, auth, unit):
    from app.models import Membership, Signup

    db.session.rollback()
    team = f.team(unit["station"])

    db.session.add(Membership(team_id=team.id, user_id=unit["stranger"].id, status="member"))
    db.session.commit()
    auth.login(unit["staff"])
    assert "王芳</a>" in client.get(points_path(unit), query_string={"q": "王芳"}).text
    db.session.rollback()
    signer = f.volunteer("小赵")
    signer.volunteer.real_name = "赵雷"
    activity = f.activity(unit["center"], NOW, team_obj=team)
    db.session.add(Signup(activity_id=activity.id, user_id=signer.id, status="signed_up"))
    db.session.commit()
    assert "赵雷</a>" in client.get(points_path(unit), query_string={"q": "赵雷"}).text
    auth.logout()
    auth.login(unit["other_staff"])
    page = client.get(points_path(unit, "other"), query_string={"q": "赵雷"}).text
    assert "赵雷</a>" not in page


def test_an_admin_finds_anyone(client, auth, unit):
    auth.login(unit["admin"])
    page = client.get(points_path(unit), query_string={"q": "3579"})
    assert page.status_code == 200 and "王芳</a>" in page.text
    chosen = client.get(points_path(unit), query_string={"volunteer": unit["stranger"].id})
    assert chosen.status_code == 200 and 'name="adjust-amount"' in chosen.text


def test_the_chosen_volunteer_shows_the_balance_the_ledger_and_the_form(app, client, auth, unit):
    auth.login(unit["staff"])
    page = sound(
        app, client, points_path(unit), query_string={"q": "李明", "volunteer": unit["vol"].id}
    )
    assert page.status_code == 200
    assert 'id="volunteer"' in page.text and "大米" in page.text  # the spent entry
    assert 'name="adjust-reason"' in page.text and 'name="adjust-seen"' in page.text
    assert f'action="{points_path(unit)}?q=%E6%9D%8E%E6%98%8E"' in page.text


def test_staff_add_points_with_a_reason_and_the_volunteer_reads_it(client, auth, unit):
    auth.login(unit["staff"])
    english(client)
    path = points_path(unit) + "?q=李明"
    response = client.post(path, data=adjust(unit, amount="１０"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"volunteer={unit['vol'].id}#volunteer")
    assert "10 points added for 李明." in client.get(response.headers["Location"]).text
    db.session.rollback()
    entry = db.session.scalar(select(PointsEntry).where(PointsEntry.kind == "adjusted"))
    assert (entry.points, entry.reason, entry.created_by_id) == (10, "补录 11 月活动",
                                                                 unit["staff"].id)  # fmt: skip
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "points.adjusted"))
    assert (audit.target_id, audit.site_id, audit.summary) == (
        unit["vol"].id, unit["center"].id, "补录 11 月活动",
    )  # fmt: skip
    assert balance(unit["vol"].id) == 30
    auth.logout()
    auth.login(unit["vol"])
    ledger = client.get("/me/volunteer").text
    assert "补录 11 月活动" in ledger and "+10" in ledger


def test_staff_take_points_away(client, auth, unit):
    auth.login(unit["staff"])
    response = client.post(points_path(unit), data=adjust(unit, direction="take", amount="20"))
    assert response.status_code == 303 and balance(unit["vol"].id) == 0


BAD_ADJUSTMENTS = [
    ({"reason": ""}, "Give a reason for the adjustment."),
    ({"reason": "   "}, "Give a reason for the adjustment."),
    ({"reason": "长" * 201}, "Keep the reason to 200 characters or fewer."),
    ({"amount": "NaN"}, "Enter a whole number from 1 to 10000."),
    ({"amount": "0"}, "Enter a whole number from 1 to 10000."),
    ({"amount": "-1"}, "Enter a whole number from 1 to 10000."),
    ({"amount": str(10**20)}, "Enter a whole number from 1 to 10000."),
    ({"amount": "10001"}, "Enter a whole number from 1 to 10000."),
    ({"direction": ""}, "Choose whether to add or to take away points."),
    ({"direction": "steal"}, "Choose whether to add or to take away points."),
    ({"direction": "take", "amount": "21"}, "The balance cannot go below zero: it is 20 points."),
]


@pytest.mark.parametrize(("values", "message"), BAD_ADJUSTMENTS)
def test_bad_adjustments_change_nothing(client, auth, unit, values, message):
    auth.login(unit["staff"])
    english(client)
    response = client.post(points_path(unit) + "?q=李明", data=adjust(unit, **values))
    assert response.status_code == 422 and message in response.text
    assert 'value="补录 11 月活动"' in response.text or "reason" in values  # typing kept
    assert "李明" in response.text  # the search is still shown
    assert balance(unit["vol"].id) == 20
    assert count(PointsEntry, PointsEntry.kind == "adjusted") == 0
    assert "points.adjusted" not in audit_actions()


def test_an_adjustment_needs_a_volunteer(client, auth, unit):
    auth.login(unit["staff"])
    for volunteer in ("", "x", "2147483648", str(unit["staff"].id)):
        response = client.post(points_path(unit), data=adjust(unit, volunteer=volunteer))
        assert response.status_code == 404, volunteer
    assert count(PointsEntry, PointsEntry.kind == "adjusted") == 0


def test_the_adjustment_sent_twice_is_one_entry(client, auth, unit):
    auth.login(unit["staff"])
    page = client.get(points_path(unit), query_string={"volunteer": unit["vol"].id}).text
    seen = re.search(r'name="adjust-seen" type="hidden" value="(\d+)"', page).group(1)
    for _ in range(2):
        response = client.post(points_path(unit), data=adjust(unit, seen=seen))
        assert response.status_code == 303
    assert balance(unit["vol"].id) == 25
    assert audit_actions().count("points.adjusted") == 1


# The residents' love mall ---------------------------------------------------------


def test_the_mall_shows_photo_price_stock_limit_and_where(app, client, auth, unit):
    mall.edit_item(unit["center"], unit["rice"].id, unit["staff"], name="大米",
                   description="东北大米", site_id=unit["center"].id, per_person_limit=2,
                   photo=_storage())  # fmt: skip
    auth.login(unit["vol"])
    page = sound(app, client, "/mall")
    assert page.status_code == 200
    card = re.search(rf'<article class="card mall-card" id="item-{unit["rice"].id}".*?</article>',
                     page.text, re.S).group(0)  # fmt: skip
    key = fresh(MallItem, unit["rice"].id).photo.key
    assert f'src="/photos/{key}.jpg"' in card
    assert "10 积分" in card and "剩 4 件" in card and "东方中心" in card
    assert "2" in re.search(r'class="hint">([^<]*)', card).group(1)  # at most 2 per person
    assert f'href="/sites/{unit["center"].id}"' in card
    assert 'name="seen"' in card


def _storage():
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(png()), filename="rice.png")


def test_the_mall_filters_by_site_and_by_community(client, unit):
    by_site = client.get("/mall", query_string={"site": unit["station"].id}).text
    assert "毛巾" in by_site and "大米" not in by_site and "梅园雨伞" not in by_site
    community = unit["other"].community_id
    by_community = client.get("/mall", query_string={"community": community}).text
    assert "梅园雨伞" in by_community and "大米" not in by_community
    assert f'<option value="{community}" selected>' in by_community
    both = client.get("/mall", query_string={"community": community, "site": unit["center"].id})
    assert "梅园雨伞" not in both.text and "大米" not in both.text
    for bad in ("x", "0", "99999999999999999999", "\x00"):
        response = client.get("/mall", query_string={"site": bad})
        assert response.status_code in (200, 400) and "大米" in response.text or bad == "\x00"


def test_paging_keeps_the_filters(client, unit):
    english(client)
    for n in range(25):
        f.mall_item(unit["station"], cost=100 + n, stock=1, name=f"毛巾{n}")
    db.session.commit()
    page = client.get("/mall", query_string={"site": unit["station"].id}).text
    assert "26 items" in page
    nxt = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert f"site={unit['station'].id}" in nxt and "page=2" in nxt
    second = client.get(nxt).text
    assert "毛巾24" in second and "大米" not in second


def test_a_refused_exchange_is_told_in_the_items_card_with_the_filters_kept(client, auth, unit):
    unit["rice"].per_person_limit = 1
    db.session.commit()
    auth.login(unit["vol"])
    english(client)
    data = {"site": unit["center"].id, "community": unit["center"].community_id}
    response = client.post(f"/mall/{unit['rice'].id}/redeem", data=data)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/mall?") and location.endswith(f"#item-{unit['rice'].id}")
    assert f"site={unit['center'].id}" in location
    page = client.get(location).text
    card = re.search(rf'id="item-{unit["rice"].id}".*?</article>', page, re.S).group(0)
    assert "Each person may exchange at most 1 of these." in card
    assert "You have exchanged as many as one person may." in card
    assert count(Redemption) == 1 and balance(unit["vol"].id) == 20


def test_the_exchange_sent_twice_makes_one(client, auth, unit):
    auth.login(unit["vol"])
    page = client.get("/mall").text
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    for _ in range(2):
        response = client.post(f"/mall/{unit['towel'].id}/redeem", data={"seen": seen})
        assert response.status_code == 303 and "/me/volunteer" in response.headers["Location"]
    assert count(Redemption, Redemption.item_id == unit["towel"].id) == 1
    assert balance(unit["vol"].id) == 15


def test_refused_forms_render_sound_pages(app, client, auth, unit):
    """With CSRF on, as in production: each refused form's page is sound HTML."""
    auth.login(unit["staff"])
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(base(unit)).text
    token = re.search(r'id="csrf-token" value="([^"]+)"', page).group(1)
    item = item_path(unit)
    refused = [
        (base(unit), item_form(unit, points_cost="NaN")),
        (f"{item}/edit", {"edit-name": ""}),
        (f"{item}/restock", {"restock-added": "0"}),
        (f"{item}/price", {"price-points_cost": "-1"}),
        (f"{item}/active", {"state-active": "2"}),
        (points_path(unit) + "?q=李明", adjust(unit, amount="0")),
    ]
    for path, data in refused:
        response = client.post(path, data=data, headers={"X-CSRFToken": token})
        assert response.status_code == 422, path
        assert_clean_page(response, path)
    app.config["WTF_CSRF_ENABLED"] = False
