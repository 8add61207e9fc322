"""A service project's whole life on a 390 px phone, JavaScript on and off: staff
draft it, file it (备案), open its publicity (公示); a resident gives two opinions;
staff answer one and hide the other, record spending and remove a mistaken entry;
once the publicity period is over (its dates are moved back in the database:
the live server runs on the real clock) staff start it and complete it with a
photo; the public page shows it all. axe finds nothing on any of its pages, in
normal and elder mode (with JavaScript on: axe runs in the page).

The pages run in English (the language cookie): the words of these pages wait
for their Chinese translation, and the test holds before and after it lands.
"""

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db
from app.models import Project, StaffScope, Team, User
from tests.browser import check_axe, loaded_width, screenshot, serial, set_elder_mode, set_language
from tests.live import make_app

PASSWORD = "a-long-secret"
SITE_ID = 1  # the demo city's first center


def _people(db_url: str) -> dict:
    """A worker of the first center and a resident, with numbers of their own (logins
    are throttled per number), and the name of a team of the center."""
    app = make_app(db_url)
    with app.app_context():
        n = next(serial)
        staff = User(mobile=f"133{n:08d}", display_name="项目社工",
                     password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        resident = User(mobile=f"132{n:08d}", display_name=f"提意见的居民{n}",
                        password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        db.session.add_all([staff, resident])
        db.session.flush()
        db.session.add(StaffScope(user_id=staff.id, site_id=SITE_ID))
        team = db.session.scalars(
            db.select(Team).where(Team.home_site_id == SITE_ID).order_by(Team.name, Team.id)
        ).first()
        db.session.commit()
        people = {"staff": staff.mobile, "resident": resident.mobile, "team": team.name, "n": n}
        db.engine.dispose()
    return people


def _publicity_is_over(db_url: str, project_id: int) -> None:
    """Move the publicity period into the past, as if its days had gone by."""
    app = make_app(db_url)
    with app.app_context():
        project = db.session.get(Project, project_id)
        today = clock.today()
        project.publicity_starts_on = today - timedelta(days=8)
        project.publicity_ends_on = today - timedelta(days=1)
        project.filed_on = today - timedelta(days=10)
        db.session.commit()
        db.engine.dispose()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 70)).save(out, "JPEG")
    return out.getvalue()


def _log_in(page, mobile: str) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


def _fits(page) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


class Checks:
    """axe (with JavaScript on) and a screenshot of each page, named by its step."""

    def __init__(self, js: bool, mode: str):
        self.js, self.mode = js, mode

    def __call__(self, page, name: str) -> None:
        _fits(page)
        if self.js:
            check_axe(page)
        screenshot(page, f"projects-{name}-{self.mode}")


@pytest.mark.parametrize(
    ("js", "elder"),
    [(True, False), (True, True), (False, False)],
    ids=["js-normal", "js-elder", "nojs-normal"],
)
def test_a_project_from_draft_to_outcome(new_page, live_db_url, js, elder):
    people = _people(live_db_url)
    checks = Checks(js, ("js" if js else "nojs") + ("-elder" if elder else ""))
    today = clock.today()
    staff = new_page(java_script_enabled=js)
    resident = new_page(java_script_enabled=js)
    visitor = new_page(java_script_enabled=js)
    for page in (staff, resident, visitor):
        set_language(page, "en")
        if elder:
            set_elder_mode(page)
    title = f"Test haircuts {people['n']}"
    number = f"Pudong 2026-{people['n']}"  # filing numbers are one per project

    # Draft.
    _log_in(staff, people["staff"])
    staff.goto(f"/staff/sites/{SITE_ID}/volunteering/projects")
    expect(staff.locator("h1")).to_have_text("Service projects")
    checks(staff, "index")
    staff.locator("#new-project summary").click()
    staff.fill("#project-title", title)
    staff.select_option("#project-category", "daily_life")
    staff.select_option("#project-site_id", str(SITE_ID))
    staff.get_by_label(people["team"]).check()
    staff.fill("#project-beneficiaries", "Elders who live alone")
    staff.fill("#project-budget_yuan", "２０００")  # a Chinese keyboard's digits
    staff.fill("#project-fund_source", "Community fund")
    staff.fill("#project-description", "A haircut at home every month.")
    checks(staff, "new-form")
    staff.locator("#new-project").get_by_role("button", name="Save the draft").click()
    staff.wait_for_url(re.compile(r"/volunteering/projects/\d+$"))
    project_id = int(staff.url.rsplit("/", 1)[1])
    expect(staff.locator(".flash")).to_contain_text("The draft is saved")
    expect(staff.locator("dl.project-facts")).to_contain_text("2,000")
    checks(staff, "draft")

    # A refused filing keeps what was typed; then it is filed.
    staff.fill("#filing-filing_number", number)
    staff.fill("#filing-filed_on", (today + timedelta(days=3)).isoformat())
    staff.get_by_role("button", name="File the project").click()
    expect(staff.locator("#stage .field-error")).to_contain_text("cannot be in the future")
    expect(staff.locator("#filing-filing_number")).to_have_value(number)
    checks(staff, "filing-refused")
    staff.fill("#filing-filed_on", today.isoformat())
    staff.get_by_role("button", name="File the project").click()
    expect(staff.locator(".flash")).to_contain_text("Filed.")
    expect(staff.locator("dl.project-facts")).to_contain_text(number)
    checks(staff, "filed")

    # Publicity for a week from today.
    staff.fill("#publicity-starts_on", today.isoformat())
    staff.fill("#publicity-ends_on", (today + timedelta(days=6)).isoformat())
    staff.get_by_role("button", name="Publish for comment").click()
    expect(staff.locator(".flash")).to_contain_text("Published for comment")
    expect(staff.locator("#stage")).to_contain_text("The project can start the day after")

    # A resident gives two opinions.
    _log_in(resident, people["resident"])
    resident.goto(f"/projects/{project_id}")
    for opinion in ("Please come on Saturdays too.", "Call my neighbour on 13812345678."):
        resident.fill("#body", opinion)
        resident.get_by_role("button", name="Publish my opinion").click()
        expect(resident.locator(".comments")).to_contain_text(opinion)
    checks(resident, "public-opinions")

    # Staff answer the first and hide the second.
    staff.reload()
    comments = staff.locator("#opinions li[id^=comment-]")
    expect(comments).to_have_count(2)
    first, second = comments.nth(0), comments.nth(1)
    checks(staff, "opinions")
    first.locator("textarea").fill("Yes: from next month, on Saturdays too.")
    first.get_by_role("button", name="Publish the answer").click()
    expect(staff.locator(".flash")).to_contain_text("The answer is published.")
    second = staff.locator("#opinions li[id^=comment-]").nth(1)
    second.locator("summary").click()
    second.get_by_role("button", name="Hide it").click()  # no reason: refused
    second = staff.locator("#opinions li[id^=comment-]").nth(1)
    expect(second.locator(".field-error")).to_contain_text("residents see the reason")
    checks(staff, "hide-refused")
    second.locator("input[name$=-hide-reason]").fill("It holds someone's phone number.")
    second.get_by_role("button", name="Hide it").click()
    expect(staff.locator(".flash")).to_contain_text("The opinion is hidden")
    expect(staff.locator("#opinions")).to_contain_text("Hidden by staff")

    # Spending: two entries, and a mistaken one removed.
    for amount, purpose, payee in (("1280.50", "Scissors and capes", "Hardware shop"),
                                   ("99", "Typed by mistake", "Nobody"),
                                   ("900", "Lunch for the volunteers", "Canteen")):  # fmt: skip
        staff.fill("#spending-amount", amount)
        staff.fill("#spending-purpose", purpose)
        staff.fill("#spending-payee", payee)
        staff.get_by_role("button", name="Record it").click()
        # The list shows it once the page has come back (the last flash said the same).
        expect(staff.locator(".spending-list")).to_contain_text(purpose)
        expect(staff.locator(".flash")).to_contain_text("The spending is recorded")
    mistaken = staff.locator(".spending-list li", has_text="Typed by mistake")
    mistaken.locator("summary").click()
    mistaken.get_by_role("button", name="Remove this mistaken entry").click()
    expect(staff.locator(".flash")).to_contain_text("The entry is removed.")
    expect(staff.locator(".spending-list")).not_to_contain_text("Typed by mistake")
    expect(staff.locator(".over-budget")).to_contain_text("Over budget by 180.50 yuan.")
    checks(staff, "publicity")

    # The period is over: start, then complete with a photo.
    _publicity_is_over(live_db_url, project_id)
    staff.reload()
    staff.get_by_role("button", name="Start the project").click()
    expect(staff.locator(".flash")).to_contain_text("The project is running.")
    checks(staff, "running")
    staff.fill("#complete-beneficiaries", "120")
    staff.fill("#complete-summary", "120 elders had their hair cut at home.")
    staff.set_input_files(
        "#complete-photo",
        files=[{"name": "haircut.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}],
    )
    staff.get_by_role("button", name="Mark completed").click()
    expect(staff.locator(".flash")).to_contain_text("The project is completed.")
    expect(staff.locator("#stage img.outcome-photo")).to_be_visible()
    checks(staff, "completed")

    # The public page shows it all.
    visitor.goto(f"/projects/{project_id}")
    main = visitor.locator("main")
    expect(main).to_contain_text(number)
    expect(main.locator(".publicity")).to_contain_text("Publicity period")
    expect(main).to_contain_text("Yes: from next month, on Saturdays too.")
    expect(main).to_contain_text("Hidden by staff: It holds someone's phone number.")
    expect(main).not_to_contain_text("13812345678")
    expect(main).to_contain_text("Scissors and capes")
    expect(main).not_to_contain_text("Typed by mistake")
    expect(main.locator(".spending-totals")).to_contain_text("2,180.50")
    expect(main.locator(".over-budget")).to_contain_text("Over budget by 180.50 yuan.")
    expect(main).to_contain_text("120 elders had their hair cut at home.")
    photo = main.locator("img.outcome-photo")
    photo.scroll_into_view_if_needed()
    expect(photo).to_be_visible()
    assert loaded_width(photo) == 640  # the app served it
    checks(visitor, "public-completed")
