"""Small wishes (微心愿) on a phone (390×844), JavaScript on and off: a resident
posts a wish, a volunteer claims it and sees the place, the resident confirms
it was granted, and the volunteer's points show on their record. Staff post a
wish for an elder, set the credit rule and record a co-building unit's claim.
Every new page passes axe-core in normal and elder mode.

The accounts are the module's own (numbers from ``tests.browser.serial``), in
the live database of the demo city; the first center's community is the one.
"""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db
from app.models import PointsEntry, Site, StaffScope, User, VolunteerProfile, Wish
from tests.browser import check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

PASSWORD = "a-long-secret"
SITE_ID = 1
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")
# A wish's text carries no run of digits (the wall refuses what looks like a
# phone number), so each test's wish is told apart by its number in Chinese.
HANZI = str.maketrans("0123456789", "〇一二三四五六七八九")


def people(db_url: str) -> dict:
    """A resident who wishes, a volunteer who grants, and the first center's staff."""
    app = make_app(db_url)
    with app.app_context():
        n = next(serial)
        hashed = generate_password_hash(PASSWORD)
        wisher = User(mobile=f"132{n:08d}", display_name=f"许愿人{n}", password_hash=hashed)
        vol = User(mobile=f"133{n:08d}", display_name=f"圆梦人{n}", password_hash=hashed)
        staff = User(mobile=f"134{n:08d}", display_name="心愿社工", password_hash=hashed)
        db.session.add_all([wisher, vol, staff])
        db.session.flush()
        db.session.add(VolunteerProfile(user_id=vol.id, real_name=f"钱圆{n % 1000}"))
        db.session.add(StaffScope(user_id=staff.id, site_id=SITE_ID))
        db.session.commit()
        community_id = db.session.get(Site, SITE_ID).community_id
        found = {"n": n, "tag": str(n).translate(HANZI), "wisher": wisher.mobile,
                 "vol": vol.mobile, "vol_id": vol.id, "staff": staff.mobile,
                 "community": community_id}  # fmt: skip
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


def fits(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def submit(page, action_suffix: str) -> None:
    page.locator(f'main form[action$="{action_suffix}"] button').first.click()


def due(days: int = 10) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_wish_is_posted_claimed_and_fulfilled_and_the_points_show(new_page, live_db_url, js):
    who = people(live_db_url)
    mode = "js" if js else "nojs"
    what = f"一副老花镜{who['tag']}"

    # 1. The resident posts a wish from the wall, the age typed with full-width digits.
    wisher = new_page(java_script_enabled=js)
    log_in(wisher, who["wisher"])
    wisher.goto("/wishes")
    wisher.locator('main a[href="/wishes/new"]').first.click()
    wisher.wait_for_url("**/wishes/new")
    wisher.fill("#what", what)
    wisher.fill("#for_name", "王奶奶")
    wisher.fill("#for_age", "82".translate(WIDE))
    wisher.select_option("#community", str(who["community"]))
    wisher.fill("#place", "3号楼东门")
    wisher.fill("#due_on", due())
    fits(wisher)
    screenshot(wisher, f"wishes-new-{mode}")
    submit(wisher, "/wishes/new")
    wisher.wait_for_url(re.compile(r"/wishes/\d+$"))
    wish_id = int(wisher.url.rsplit("/", 1)[1])
    expect(wisher.locator("h1")).to_have_text(what)
    expect(wisher.locator("main")).to_contain_text("3号楼东门")
    screenshot(wisher, f"wishes-posted-{mode}")

    # 2. A volunteer finds it on the wall (no place there) and claims it.
    vol = new_page(java_script_enabled=js)
    log_in(vol, who["vol"])
    vol.goto(f"/wishes?status=open&community={who['community']}")
    card = vol.locator(".wish-card", has_text=what)
    expect(card).to_contain_text("王奶奶")
    expect(vol.locator("main")).not_to_contain_text("3号楼东门")
    fits(vol)
    screenshot(vol, f"wishes-wall-{mode}")
    card.locator("a").click()
    vol.wait_for_url(f"**/wishes/{wish_id}")
    expect(vol.locator("main")).not_to_contain_text("3号楼东门")
    submit(vol, f"/wishes/{wish_id}/claim")
    vol.wait_for_url(f"**/wishes/{wish_id}")
    expect(vol.locator(".flash")).to_be_visible()
    expect(vol.locator("main")).to_contain_text("3号楼东门")  # the claimant sees where
    screenshot(vol, f"wishes-claimed-{mode}")

    # 3. The resident, told in the inbox, confirms it was granted.
    wisher.goto("/me/messages")
    expect(wisher.locator("main")).to_contain_text(what)
    wisher.goto(f"/wishes/{wish_id}")
    submit(wisher, f"/wishes/{wish_id}/fulfilled")
    wisher.wait_for_url(f"**/wishes/{wish_id}")
    expect(wisher.locator("#wish-status")).to_contain_text("已完成")
    screenshot(wisher, f"wishes-fulfilled-{mode}")

    # 4. The volunteer's points show: on the wish, and on their record.
    vol.goto(f"/wishes/{wish_id}")
    expect(vol.locator("#wish-points")).to_contain_text("积分")
    vol.goto("/me/volunteer")
    expect(vol.locator("main")).to_contain_text(f"微心愿：{what}")
    fits(vol)
    screenshot(vol, f"wishes-points-{mode}")

    def outcome(session):
        wish = session.get(Wish, wish_id)
        ledger = session.scalars(
            select(PointsEntry.points).where(PointsEntry.user_id == who["vol_id"])
        ).all()
        return wish.status, wish.claimed_by_id, ledger

    status, claimed_by, ledger = read(live_db_url, outcome)
    assert (status, claimed_by) == ("fulfilled", who["vol_id"]) and len(ledger) == 1


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_staff_post_for_an_elder_set_the_rule_and_record_a_unit(new_page, live_db_url, js):
    who = people(live_db_url)
    mode = "js" if js else "nojs"
    what = f"陪我下棋{who['tag']}"
    staff = new_page(java_script_enabled=js)
    log_in(staff, who["staff"])
    staff.goto("/staff/")
    staff.locator(f'a[href="/staff/communities/{who["community"]}/wishes"]').first.click()
    staff.wait_for_url(f"**/staff/communities/{who['community']}/wishes")
    staff.fill("#rule-points", "１５")
    staff.fill("#rule-hours", "1.5")
    submit(staff, "/wishes/rule")
    expect(staff.locator(".flash")).to_be_visible()
    staff.locator("#post-wish summary").click()  # a <details>: it opens with JavaScript off too
    staff.fill("#wish-what", what)
    staff.fill("#wish-for_name", "赵爷爷")
    staff.fill("#wish-for_age", "78")
    staff.fill("#wish-due_on", due(5))
    submit(staff, f"/communities/{who['community']}/wishes")
    expect(staff.locator(".flash")).to_contain_text(what)
    row = staff.locator("li.card", has_text=what)
    row.locator("summary").click()
    row.locator('input[id$="-unit"]').fill("区税务局党支部")
    row.locator('form[action$="/unit"] button').click()
    expect(staff.locator(".flash")).to_be_visible()
    row = staff.locator("li.card", has_text=what)
    expect(row).to_contain_text("区税务局党支部")
    fits(staff)
    screenshot(staff, f"wishes-staff-{mode}")
    row.locator('form[action$="/confirm"] button').click()
    expect(staff.locator("li.card", has_text=what)).to_contain_text("已完成")

    def outcome(session):
        wish = session.scalar(select(Wish).where(Wish.what == what))
        return wish.status, wish.claimed_unit, wish.logged_by_id is not None, wish.credited_points

    assert read(live_db_url, outcome) == ("fulfilled", "区税务局党支部", True, 0)


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_every_wish_page_passes_axe(new_page, live_db_url, elder):
    who = people(live_db_url)
    mode = "elder" if elder else "normal"
    wisher = new_page()
    if elder:
        set_elder_mode(wisher)
    log_in(wisher, who["wisher"])
    wisher.goto("/wishes/new")
    wisher.fill("#what", "请打13812345678")  # refused: the page with its messages
    wisher.fill("#due_on", due(400))
    submit(wisher, "/wishes/new")
    expect(wisher.locator(".error-summary")).to_be_visible()
    check_axe(wisher)
    screenshot(wisher, f"wishes-axe-new-refused-{mode}")
    wisher.fill("#what", f"一本字典{who['tag']}")
    wisher.select_option("#community", str(who["community"]))
    wisher.fill("#due_on", due())
    submit(wisher, "/wishes/new")
    wisher.wait_for_url(re.compile(r"/wishes/\d+$"))
    wish_path = wisher.url.split(wisher.url.split("/wishes/")[0], 1)[1]
    for label, path in [("wall", "/wishes"), ("new", "/wishes/new"), ("wish-mine", wish_path),
                        ("home", "/")]:  # fmt: skip
        wisher.goto(path)
        fits(wisher)
        check_axe(wisher)
        screenshot(wisher, f"wishes-axe-{label}-{mode}")

    vol = new_page()
    if elder:
        set_elder_mode(vol)
    log_in(vol, who["vol"])
    vol.goto(wish_path)
    check_axe(vol)
    screenshot(vol, f"wishes-axe-wish-open-{mode}")
    submit(vol, "/claim")
    expect(vol.locator(".flash")).to_be_visible()
    check_axe(vol)
    screenshot(vol, f"wishes-axe-wish-claimed-{mode}")

    staff = new_page()
    if elder:
        set_elder_mode(staff)
    log_in(staff, who["staff"])
    base = f"/staff/communities/{who['community']}/wishes"
    staff.goto(base)
    fits(staff)
    check_axe(staff)
    screenshot(staff, f"wishes-axe-staff-{mode}")
    staff.locator("#post-wish summary").click()
    staff.fill("#wish-for_age", "200")
    submit(staff, base)
    expect(staff.locator("#post-wish .error-summary")).to_be_visible()
    check_axe(staff)
    screenshot(staff, f"wishes-axe-staff-refused-{mode}")
    staff.fill("#rule-points", "101")
    submit(staff, "/wishes/rule")
    expect(staff.locator("#wish-rule .error-summary")).to_be_visible()
    check_axe(staff)
    screenshot(staff, f"wishes-axe-staff-rule-refused-{mode}")
    staff.goto(f"{base}?status=open")
    row = staff.locator("li.card").first
    row.locator("summary").click()
    row.locator('form[action$="/unit"] button').click()
    expect(staff.locator("details[open] .error-summary")).to_be_visible()
    check_axe(staff)
    screenshot(staff, f"wishes-axe-staff-unit-refused-{mode}")
