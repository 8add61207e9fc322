"""Grids from a phone (390×844), JavaScript on and off: a center's staff build a
small tree (a grid, one under it, a compound, a building with its head) and
name a grid worker; a resident sets their home in /me step by step (htmx
refreshes the choices when it is there) and sees 我的网格 on the home page,
with the worker's phone as a tel: link. Every new page passes axe in normal
and elder mode, and fits the screen.

The accounts are the module's own (numbers from ``serial``), at the demo
city's second community (the first holds the demo tree).
"""

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import Building, Compound, Grid, GridScope, Home, Site, StaffScope, User
from tests.browser import check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

PASSWORD = "a-long-secret"


@contextmanager
def database(live_db_url):
    app = make_app(live_db_url)
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


def _account(name: str) -> User:
    user = User(
        mobile=f"139{next(serial):08d}",
        display_name=name,
        password_hash=generate_password_hash(PASSWORD),
    )
    db.session.add(user)
    db.session.flush()
    return user


def _people(live_db_url) -> dict:
    n = next(serial)
    with database(live_db_url):
        center = db.session.scalar(
            select(Site).where(Site.kind == "center").order_by(Site.id).offset(1).limit(1)
        )
        staff = _account(f"网格站长{n}")
        db.session.add(StaffScope(user_id=staff.id, site_id=center.id))
        people = {
            "n": n,
            "community": center.community_id,
            "center": center.name,
            "staff": staff.mobile,
            "worker": _account(f"周网格{n}").mobile,
            "resident": _account(f"钱阿姨{n}").mobile,
        }
        db.session.commit()
    return people


def log_in(page, mobile: str) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


def _fits(page) -> None:
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), page.url


def _axe_both(page, url: str, name: str, js: bool) -> None:
    """Normal and elder mode, a screenshot of each; axe where JavaScript runs (axe is
    a script: the pages without JavaScript are the same HTML, checked in the js run)."""
    for elder in (False, True):
        set_elder_mode(page, elder)
        page.goto(url)
        if js:
            check_axe(page)
        _fits(page)
        screenshot(page, f"{name}{'-elder' if elder else ''}")
    set_elder_mode(page, False)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_staff_build_a_tree_and_a_resident_sees_my_grid(new_page, live_db_url, js):
    people = _people(live_db_url)
    n, tag = people["n"], "js" if js else "nojs"
    base = f"/staff/communities/{people['community']}/grids"

    # The staff home's center card leads to the grids.
    staff = new_page(java_script_enabled=js)
    log_in(staff, people["staff"])
    staff.goto("/staff/")
    staff.locator(f"a[href='{base}']").first.click()
    staff.wait_for_url(f"**{base}")
    expect(staff.locator("h1")).to_contain_text("的网格")

    # A first-level grid with its head; a refused one first (a bad phone).
    form = staff.locator("#new-grid form")
    form.locator("#grid-name").fill(f"第{n}网格")
    form.locator("#grid-head_name").fill("赵网格长")
    form.locator("#grid-head_phone").fill("12345")
    form.locator("button").click()
    expect(staff.locator("#new-grid .field-error")).to_contain_text("0371-12345678")
    staff.locator("#grid-head_phone").fill("０３７１－６６８８１２３４")
    staff.locator("#new-grid form button").click()
    staff.wait_for_url(re.compile(r"/grids/\d+$"))
    expect(staff.locator("main .flash").first).to_contain_text(f"第{n}网格")
    top_id = int(staff.url.rsplit("/", 1)[1])

    # One under it, from the tree page.
    staff.goto(base)
    staff.locator("#grid-name").fill(f"第{n}网格一区")
    staff.locator("#grid-parent_id").select_option(str(top_id))
    staff.locator("#new-grid form button").click()
    staff.wait_for_url(re.compile(r"/grids/\d+$"))
    child_id = int(staff.url.rsplit("/", 1)[1])
    expect(staff.locator(".breadcrumbs")).to_contain_text(f"第{n}网格")

    # A compound, a building with its head, and a grid worker.
    staff.locator("#compound-name").fill("和谐家园")
    staff.locator("#compounds > form button").click()
    staff.wait_for_url(re.compile(r"/grids/\d+(#compound-\d+)?$"))
    compound = staff.locator("article.grid-compound", has_text="和谐家园")
    compound.locator("summary", has_text="添加楼栋").click()
    compound.locator("input[name$='building-name']").fill("7号楼")
    compound.locator("input[name$='building-head_name']").fill("孙楼长")
    compound.locator("input[name$='building-head_phone']").fill("138 0000 7777")
    compound.locator("button", has_text="添加这栋楼").click()
    expect(staff.locator("article.grid-compound", has_text="和谐家园")).to_contain_text("孙楼长")
    staff.locator("#workers summary").click()
    mobile = people["worker"]
    staff.locator("#worker-mobile").fill(f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}")
    staff.locator("#worker-public_phone").fill("13800007700")
    staff.locator("#workers form button").click()
    expect(staff.locator("#workers")).to_contain_text(f"周网格{n}")
    expect(staff.locator("#workers")).to_contain_text("13800007700")
    with database(live_db_url):
        assert db.session.get(Grid, child_id).level == 2
        phone = (
            select(Building.head_phone)
            .join(Building.compound)
            .where(Building.name == "7号楼", Compound.grid_id == child_id)
        )
        assert db.session.scalar(phone) == "13800007777"
        worker = select(GridScope.public_phone).where(GridScope.grid_id == child_id)
        assert db.session.scalar(worker) == "13800007700"
    _axe_both(staff, f"{base}/{child_id}", f"grids-grid-{tag}", js)
    _axe_both(staff, base, f"grids-tree-{tag}", js)

    # The resident sets their home, a level at a time.
    resident = new_page(java_script_enabled=js)
    log_in(resident, people["resident"])
    resident.locator("a[href='/me/home']").click()
    resident.wait_for_url("**/me/home")
    _axe_both(resident, "/me/home", f"grids-home-empty-{tag}", js)
    resident.locator("#community").select_option(str(people["community"]))
    if not js:
        resident.get_by_role("button", name="下一步：显示下一级选项").click()
    resident.locator("#grid").select_option(str(child_id))
    if not js:
        resident.get_by_role("button", name="下一步：显示下一级选项").click()
    resident.locator("#compound").select_option(label="和谐家园")
    if not js:
        resident.get_by_role("button", name="下一步：显示下一级选项").click()
    resident.locator("#building").select_option(label="7号楼")
    screenshot(resident, f"grids-home-chosen-{tag}")
    resident.get_by_role("button", name="保存我的住址").click()
    expect(resident.locator(".flash").first).to_contain_text("已保存您的住址")
    with database(live_db_url):
        user = db.session.scalar(select(User).where(User.mobile == people["resident"]))
        home = db.session.get(Home, user.id)
        assert home.grid_id == child_id and home.building_id is not None
    _axe_both(resident, "/me/home", f"grids-home-saved-{tag}", js)

    # 我的网格 on the home page: the worker, the heads, the center; phones as tel: links.
    resident.goto("/")
    card = resident.locator("#my-grid")
    expect(card).to_contain_text("我的网格")
    expect(card).to_contain_text(f"周网格{n}")
    expect(card.locator("a[href='tel:13800007700']")).to_be_visible()
    expect(card.locator("a[href='tel:0371-66881234']")).to_be_visible()
    expect(card).to_contain_text("孙楼长")
    expect(card).to_contain_text(people["center"])
    _axe_both(resident, "/", f"grids-my-grid-{tag}", js)
    resident.goto("/")
    card.scroll_into_view_if_needed()
    screenshot(resident, f"grids-my-grid-card-{tag}")
