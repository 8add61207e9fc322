"""The love mall run from a phone (390×844), JavaScript on and off: staff add an
item with its photo, give a volunteer points on the adjustments page, the
volunteer exchanges them at /mall, and staff hand the item over at the desk by
its code, typed with full-width digits and a space. Every new page passes
axe-core in normal and elder mode (with JavaScript: axe runs in the page).

The accounts are the module's own (numbers from ``tests.browser.serial``), in
the live database; the steps are found by their form's address or field id,
so they read the same in either language.
"""

import re
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import (
    MallItem,
    Membership,
    PointsEntry,
    Redemption,
    StaffScope,
    Team,
    User,
    VolunteerProfile,
)
from tests.browser import check_axe, loaded_width, screenshot, serial, set_elder_mode
from tests.live import make_app

PASSWORD = "a-long-secret"
SITE_ID = 1
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def people(db_url: str) -> dict:
    """A staff member of the first center, and a volunteer in one of its teams."""
    app = make_app(db_url)
    with app.app_context():
        n = next(serial)
        staff = User(mobile=f"131{n:08d}", display_name="商城社工",
                     password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        vol = User(mobile=f"130{n:08d}", display_name=f"兑换人{n}",
                   password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        db.session.add_all([staff, vol])
        db.session.flush()
        db.session.add(StaffScope(user_id=staff.id, site_id=SITE_ID))
        db.session.add(VolunteerProfile(user_id=vol.id, real_name=f"孙商{n % 1000}"))
        team = Team(name=f"商城测试队{n}", brand="四季歌", home_site_id=SITE_ID)
        db.session.add(team)
        db.session.flush()
        db.session.add(Membership(team_id=team.id, user_id=vol.id, status="member"))
        db.session.commit()
        found = {"n": n, "staff": staff.mobile, "vol": vol.mobile, "vol_id": vol.id,
                 "real_name": vol.volunteer.real_name}  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    return found


def read(db_url: str, query):
    app = make_app(db_url)
    with app.app_context():
        try:
            return query(db.session)
        finally:
            db.session.remove()
            db.engine.dispose()


def log_in(page, mobile: str) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


def photo_file(tmp_path) -> str:
    path = tmp_path / "cup.png"
    Image.new("RGB", (600, 400), (200, 60, 40)).save(path, "PNG")
    return str(path)


def fits(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def submit(page, action_suffix: str) -> None:
    page.locator(f'main form[action$="{action_suffix}"] button').first.click()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_staff_add_an_item_give_points_and_hand_it_over(new_page, live_db_url, tmp_path, js):
    who = people(live_db_url)
    mode = "js" if js else "nojs"
    name = f"测试保温杯{who['n']}"
    staff = new_page(java_script_enabled=js)
    log_in(staff, who["staff"])

    # 1. Staff add the item, with its photo; the price typed with full-width digits.
    staff.goto(f"/staff/sites/{SITE_ID}/volunteering/mall")
    staff.fill("#item-name", name)
    staff.fill("#item-description", "到服务台领取")
    staff.set_input_files("#item-photo", photo_file(tmp_path))
    staff.fill("#item-points_cost", "１")
    staff.fill("#item-stock", "3")
    staff.fill("#item-per_person_limit", "1")
    fits(staff)
    screenshot(staff, f"mall-add-{mode}")
    submit(staff, "/volunteering/mall")
    staff.wait_for_url(re.compile(r"/volunteering/mall/\d+$"))
    item_id = int(staff.url.rsplit("/", 1)[1])
    expect(staff.locator("h1")).to_have_text(name)
    expect(staff.locator("img.mall-photo")).to_be_visible()
    photo = staff.locator("img.mall-photo")
    assert loaded_width(photo) == 600  # the app served it
    fits(staff)
    screenshot(staff, f"mall-item-{mode}")
    item = read(live_db_url, lambda s: s.get(MallItem, item_id))
    assert (item.name, item.points_cost, item.stock, item.per_person_limit) == (name, 1, 3, 1)
    assert item.photo_id is not None

    # 2. Points for the volunteer: found by the last four digits of the mobile.
    staff.goto(f"/staff/sites/{SITE_ID}/volunteering/points")
    staff.fill("#q", who["vol"][-4:].translate(WIDE))
    submit(staff, "/volunteering/points")
    staff.locator("main ul a", has_text=who["real_name"]).click()
    staff.wait_for_url(re.compile(r"volunteer=\d+"))
    staff.check("#adjust-direction-0")
    staff.fill("#adjust-amount", "50")
    staff.fill("#adjust-reason", "商城测试补录")
    fits(staff)
    screenshot(staff, f"mall-points-{mode}")
    staff.locator("#volunteer form button").click()
    staff.wait_for_url(re.compile(r"#volunteer$"))
    expect(staff.locator("table.ledger")).to_contain_text("商城测试补录")
    screenshot(staff, f"mall-points-done-{mode}")

    # 3. The volunteer exchanges the points for it at /mall.
    vol = new_page(java_script_enabled=js)
    log_in(vol, who["vol"])
    vol.goto(f"/mall?site={SITE_ID}")
    card = vol.locator(f"#item-{item_id}")
    expect(card).to_contain_text(name)
    expect(card.locator("img.mall-photo")).to_be_visible()
    expect(vol.locator("main")).to_contain_text("您有 50 积分")
    fits(vol)
    screenshot(vol, f"mall-resident-{mode}")
    if js:  # the exchange asks to confirm first (points are spent at once)
        vol.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="兑换").click()
    vol.wait_for_url(re.compile(r"/me/volunteer(#redemptions)?$"))
    expect(vol.locator("body")).to_contain_text("兑换成功！")
    expect(vol.locator("table.ledger")).to_contain_text("商城测试补录")
    exchange = vol.locator("#redemptions li.card", has_text=name)
    code = "".join(re.search(r"(\d{4}) (\d{4})", exchange.inner_text()).groups())
    # The limit of one per person: the mall says so, and offers no second.
    vol.goto(f"/mall?site={SITE_ID}")
    expect(card.get_by_role("button")).to_have_count(0)
    screenshot(vol, f"mall-resident-limit-{mode}")

    # 4. Staff hand it over at the desk: the code typed as a phone types it.
    staff.goto(f"/staff/sites/{SITE_ID}/redemptions")
    staff.fill("#code", f"{code[:4]} {code[4:]}".translate(WIDE))
    submit(staff, "/redemptions")
    row = staff.locator("li.redemption-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(name)
    expect(row).to_contain_text(code)
    fits(staff)
    screenshot(staff, f"mall-desk-found-{mode}")
    row.get_by_role("button", name="已领取").click()
    row = staff.locator("li.redemption-row", has_text=code)
    expect(row.locator(".badge")).to_have_text("已领取")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(row.locator('[role="status"]')).to_be_visible()  # told in the row
    screenshot(staff, f"mall-desk-handed-{mode}")

    def outcome(session):
        redemption = session.scalar(select(Redemption).where(Redemption.item_id == item_id))
        left = session.get(MallItem, item_id).stock
        adjusted = session.scalars(
            select(PointsEntry.points).where(
                PointsEntry.user_id == who["vol_id"], PointsEntry.kind == "adjusted"
            )
        ).all()
        return redemption.status, redemption.code, redemption.points, left, adjusted

    assert read(live_db_url, outcome) == ("picked_up", code, 1, 2, [50])


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_every_mall_page_passes_axe(new_page, live_db_url, tmp_path, elder):
    who = people(live_db_url)
    mode = "elder" if elder else "normal"
    staff = new_page()
    if elder:
        set_elder_mode(staff)
    log_in(staff, who["staff"])
    staff.goto(f"/staff/sites/{SITE_ID}/volunteering/mall")
    staff.fill("#item-name", f"无障碍毛巾{who['n']}")
    staff.set_input_files("#item-photo", photo_file(tmp_path))
    staff.fill("#item-points_cost", "NaN")  # refused: the page with its messages
    staff.fill("#item-stock", "2")
    submit(staff, "/volunteering/mall")
    expect(staff.locator(".error-summary")).to_be_visible()
    check_axe(staff)
    screenshot(staff, f"mall-axe-add-refused-{mode}")
    staff.fill("#item-points_cost", "2")
    staff.set_input_files("#item-photo", photo_file(tmp_path))
    submit(staff, "/volunteering/mall")
    staff.wait_for_url(re.compile(r"/volunteering/mall/\d+$"))
    item_path = urlsplit(staff.url).path
    pages = [
        ("mall-index", f"/staff/sites/{SITE_ID}/volunteering/mall"),
        ("mall-item", item_path),
        ("mall-desk", f"/staff/sites/{SITE_ID}/redemptions"),
        ("mall-points-search", f"/staff/sites/{SITE_ID}/volunteering/points?q={who['vol'][-4:]}"),
        ("mall-points-chosen",
         f"/staff/sites/{SITE_ID}/volunteering/points?volunteer={who['vol_id']}"),
    ]  # fmt: skip
    for label, path in pages:
        staff.goto(path)
        fits(staff)
        check_axe(staff)
        screenshot(staff, f"mall-axe-{label}-{mode}")
    # A refused restock and a refused adjustment, with their messages.
    staff.goto(item_path)
    staff.fill("#restock-added", "0")
    submit(staff, "/restock")
    expect(staff.locator("#restock .error-summary")).to_be_visible()
    check_axe(staff)
    screenshot(staff, f"mall-axe-restock-refused-{mode}")
    staff.goto(f"/staff/sites/{SITE_ID}/volunteering/points?volunteer={who['vol_id']}")
    staff.fill("#adjust-amount", "5")  # no direction chosen, no reason given
    staff.locator("#volunteer form button").click()
    expect(staff.locator("#volunteer .error-summary")).to_be_visible()
    check_axe(staff)
    screenshot(staff, f"mall-axe-points-refused-{mode}")

    vol = new_page()
    if elder:
        set_elder_mode(vol)
    log_in(vol, who["vol"])
    vol.goto(f"/mall?site={SITE_ID}")
    fits(vol)
    check_axe(vol)
    screenshot(vol, f"mall-axe-resident-{mode}")
