"""A resident's problem, from a phone to the grid worker and back (390×844,
JavaScript on and off): the resident reports a broken street lamp with a
photo, the grid worker accepts it from the staff home and resolves it on the
request's page with a note, and the resident rates it 满意, which closes it.
The public board shows it without the resident's name or number. Every new
page passes axe-core in normal and elder mode, and is photographed.

The people and the grid are the module's own (``tests.browser.serial``), in
the first community of the live demo database.
"""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import Grid, GridScope, Home, RequestPhoto, ResidentRequest, Site, User
from tests.browser import check_axe, loaded_width, screenshot, serial, set_elder_mode
from tests.live import make_app

PASSWORD = "a-long-secret"
SITE_ID = 1


def people(db_url: str) -> dict:
    """A grid of the first community, its grid worker, and a resident living in it."""
    app = make_app(db_url)
    with app.app_context():
        n = next(serial)
        community_id = db.session.get(Site, SITE_ID).community_id
        grid = Grid(community_id=community_id, name=f"测试网格{n}", level=1)
        worker = User(mobile=f"133{n:08d}", display_name=f"网格员{n % 1000}",
                      password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        resident = User(mobile=f"134{n:08d}", display_name=f"报事人{n % 1000}",
                        password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        db.session.add_all([grid, worker, resident])
        db.session.flush()
        db.session.add(GridScope(user_id=worker.id, grid_id=grid.id, public_phone=""))
        db.session.add(Home(user_id=resident.id, community_id=community_id, grid_id=grid.id))
        db.session.commit()
        found = {"n": n, "worker": worker.mobile, "resident": resident.mobile,
                 "resident_name": resident.display_name, "grid": grid.name}  # fmt: skip
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


def checks(page, name: str, js: bool) -> None:
    """axe and a screenshot of the page as it is, then the same in elder mode.

    axe is a script: it runs in the pages with JavaScript on (the same HTML)."""
    fits(page)
    if js:
        check_axe(page)
    screenshot(page, name)
    set_elder_mode(page)
    page.reload()
    fits(page)
    if js:
        check_axe(page)
    screenshot(page, f"{name}-elder")
    set_elder_mode(page, False)
    page.reload()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_broken_lamp_travels_to_the_grid_worker_and_back(new_page, live_db_url, tmp_path, js):
    who = people(live_db_url)
    mode = "js" if js else "nojs"
    text = f"东门路灯坏了，晚上很黑 {who['n']}"
    lamp = tmp_path / "lamp.png"
    Image.new("RGB", (800, 600), (30, 30, 60)).save(lamp, "PNG")

    # 1. The resident reports it from the phone, with a photo.
    resident = new_page(java_script_enabled=js)
    log_in(resident, who["resident"])
    resident.goto("/requests/new")
    expect(resident.locator("main")).to_contain_text(who["grid"])
    resident.check('input[name="report-category"][value="repairs"]')
    resident.fill("#report-text", text)
    resident.set_input_files("#report-photos", str(lamp))
    resident.fill("#report-place_text", "东门")
    resident.check("#report-public")
    checks(resident, f"request-new-{mode}", js)
    resident.check('input[name="report-category"][value="repairs"]')
    resident.fill("#report-text", text)
    resident.set_input_files("#report-photos", str(lamp))
    resident.check("#report-public")
    resident.locator('main form[action^="/requests/new"] button:not([type=button])').click()
    resident.wait_for_url(re.compile(r"/requests/\d+$"))
    request_id = int(resident.url.rsplit("/", 1)[1])
    expect(resident.locator(".state")).to_contain_text("已受理")
    photo = resident.locator(".request-photos img")
    photo.scroll_into_view_if_needed()  # it loads lazily
    assert loaded_width(photo) == 800  # the app served it
    checks(resident, f"request-detail-{mode}", js)

    # 2. The grid worker accepts it from the staff home, in one tap.
    worker = new_page(java_script_enabled=js)
    log_in(worker, who["worker"])
    worker.goto("/staff/")
    row = worker.locator(f"#request-{request_id}")
    expect(row).to_contain_text("东门路灯坏了")
    checks(worker, f"request-staff-home-{mode}", js)
    row = worker.locator(f"#request-{request_id}")
    row.locator("details summary").first.click()
    row.locator("details form button").first.click()
    worker.wait_for_url(re.compile(r"/staff/(#requests)?$"))
    expect(worker.locator(".flash, [role=status]").first).to_contain_text("已接单")

    # 3. ... and resolves it on the request's page, with a note.
    worker.goto(f"/staff/requests/{request_id}")
    expect(worker.locator("main")).to_contain_text(text)
    checks(worker, f"request-staff-detail-{mode}", js)
    worker.fill("#note", "已更换灯泡，恢复照明")
    worker.locator('#next-step button[value="resolve"]').click()
    worker.wait_for_url(re.compile(rf"/staff/requests/{request_id}$"))
    expect(worker.locator(".state")).to_contain_text("已解决")

    # 4. The resident is told, rates it 满意, and the request is closed.
    resident.goto("/me/messages")
    expect(resident.locator("main")).to_contain_text("已解决")
    resident.goto(f"/requests/{request_id}")
    expect(resident.locator("main")).to_contain_text("已更换灯泡")
    resident.check('input[name="rate-rating"][value="satisfied"]')
    resident.locator('form[action$="/rate"] button').click()
    resident.wait_for_url(re.compile(rf"/requests/{request_id}$"))
    expect(resident.locator(".state")).to_contain_text("已办结")

    def outcome(session):
        req = session.get(ResidentRequest, request_id)
        photos = session.scalars(
            select(RequestPhoto.stage).where(RequestPhoto.request_id == request_id)
        ).all()
        return req.status, req.rating, req.public, photos

    assert read(live_db_url, outcome) == ("closed", "satisfied", True, ["report"])

    # 5. Anyone sees it on the public board, without the resident's name.
    visitor = new_page(java_script_enabled=js)
    visitor.goto("/requests")
    card = visitor.locator(f"#request-{request_id}")
    expect(card).to_contain_text("东门路灯坏了")
    expect(visitor.locator("main")).not_to_contain_text(who["resident_name"])
    checks(visitor, f"request-board-{mode}", js)
