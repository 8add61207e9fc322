"""Journeys through the public "1+N" directory, with JavaScript on and off.

A resident searches from the home page, narrows by district and street, opens
a station and reads its hours; switches language and elder mode; pages
through the list; asks for the stations nearest to them. Every public page
passes axe-core in normal and elder mode.
"""

import re
from datetime import datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser import check_axe, screenshot, set_elder_mode

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS_ZH = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]
CENTER_LABEL = "党群服务中心"
FIXTURES = ["page", "page_nojs"]


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _results_total(page) -> int:
    """The number in the results heading, e.g. 找到 30 个站点 → 30 (0 for none)."""
    heading = page.locator("#results-title").inner_text()
    match = re.search(r"\d+", heading)
    return int(match.group()) if match else 0


def _result_links(page):
    return page.locator("#results .site-card .card-title a")


def _place_of(page, href: str) -> tuple[str, str]:
    """District and street ids of a site, read from its public page's breadcrumbs."""
    html = page.request.get(href).text()
    match = re.search(r'href="/sites\?district=(\d+)&amp;street=(\d+)"', html)
    assert match, f"{href} has district/street breadcrumbs"
    return match.group(1), match.group(2)


def _shanghai_today() -> int:
    return datetime.now(SHANGHAI).weekday()


# --- A1: search, narrow by place, open a station --------------------------------


@pytest.mark.parametrize("fixture", FIXTURES)
def test_search_canteen_narrow_by_district_and_street_then_open_a_station(request, fixture):
    page = request.getfixturevalue(fixture)
    js = fixture == "page"
    tag = "js" if js else "nojs"

    page.goto("/")
    search = page.get_by_role("search")
    search.get_by_role("searchbox", name="搜索站点和服务").fill("食堂")
    search.get_by_role("button", name="搜索").click()
    page.wait_for_url(re.compile(r"/sites\?"))
    assert _query(page).get("q") == ["食堂"], page.url
    expect(page.locator("#q")).to_have_value("食堂")
    links = _result_links(page)
    expect(links.first).to_be_visible()
    total_all = _results_total(page)
    assert total_all >= 1
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) == min(total_all, 20), "one page of results shows at most 20"
    for href in hrefs:
        # Search looks in names, addresses and service names: each result
        # offers a canteen (食堂) somewhere on its own page.
        assert "食堂" in page.request.get(href).text(), f"{href} has nothing about 食堂"
    screenshot(page, f"directory-search-canteen-{tag}")

    district_id, street_id = _place_of(page, hrefs[0])
    district_select = page.locator("#district-select")
    street_select = page.locator("#street-options")
    expect(street_select).to_be_disabled()

    if js:
        page.evaluate("window.__sameDocument = true")
        district_select.select_option(district_id)
        expect(street_select).to_be_enabled()
        page.wait_for_url(re.compile(r"district=" + district_id))
        # The results follow the district without a reload.
        expect(page.locator("#results-title")).not_to_have_text(re.compile(rf"\b{total_all}\b"))
    else:
        district_select.select_option(district_id)
        page.get_by_role("button", name="查看站点").click()
        page.wait_for_url(re.compile(r"district=" + district_id))
        expect(street_select).to_be_enabled()
    street_options = street_select.locator("option:not([value=''])")
    assert street_options.count() >= 1, "the district's streets are listed"
    assert _query(page).get("district") == [district_id]
    assert _query(page).get("q") == ["食堂"], "the search is kept"
    total_district = _results_total(page)
    assert 1 <= total_district < total_all, "choosing a district narrows the results"
    screenshot(page, f"directory-district-{tag}")

    street_select.select_option(street_id)
    if js:
        page.wait_for_url(re.compile(r"street=" + street_id))
        expect(page.locator("#community-options")).to_be_enabled()
        assert page.evaluate("window.__sameDocument === true"), "htmx swapped, no full reload"
    else:
        page.get_by_role("button", name="查看站点").click()
        page.wait_for_url(re.compile(r"street=" + street_id))
        expect(page.locator("#community-options")).to_be_enabled()
    expect(_result_links(page).first).to_be_visible()
    total_street = _results_total(page)
    assert 1 <= total_street <= total_district
    screenshot(page, f"directory-street-{tag}")

    # Open a station (not the center) when the street has one among the results.
    cards = page.locator("#results .site-card")
    chosen = cards.first
    for i in range(cards.count()):
        if cards.nth(i).locator(".kind").inner_text().strip() != CENTER_LABEL:
            chosen = cards.nth(i)
            break
    name = chosen.locator(".card-title a").inner_text().strip()
    chosen.locator(".card-title a").click()
    page.wait_for_url(re.compile(r"/sites/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    rows = page.locator("table.hours tbody tr")
    expect(rows).to_have_count(7)
    today = page.locator('table.hours tbody tr[aria-current="date"]')
    expect(today).to_have_count(1)
    expect(today.locator("th")).to_contain_text(WEEKDAYS_ZH[_shanghai_today()])
    badge = page.locator(".status-box .badge").first
    expect(badge).to_be_visible()
    assert badge.inner_text().strip() in ("正在开放", "已休息", "暂停服务")
    screenshot(page, f"directory-site-{tag}")


# --- A2: language ----------------------------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES)
def test_switch_to_english_and_back_and_the_choice_persists(request, fixture):
    page = request.getfixturevalue(fixture)
    tag = "js" if fixture == "page" else "nojs"
    html = page.locator("html")
    nav = page.get_by_role("navigation", name="主导航")

    page.goto("/sites")
    expect(html).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("找站点")

    page.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a station")
    assert urlparse(page.url).path == "/sites", "the switch returns to the same page"
    screenshot(page, f"directory-english-{tag}")

    page.goto("/")
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Find a station")

    page.get_by_role("button", name="中文").click()
    expect(html).to_have_attribute("lang", "zh-Hans")
    expect(nav).to_contain_text("找站点")
    expect(page.get_by_role("button", name="English")).to_be_visible()

    page.goto("/sites")
    expect(html).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("找站点")


# --- A3: elder mode ----------------------------------------------------------------

_TEXT_METRICS = """() => {
  const s = getComputedStyle(document.body);
  return {fontSize: parseFloat(s.fontSize), lineHeight: parseFloat(s.lineHeight)};
}"""


def _height(locator) -> float:
    return locator.evaluate("el => el.getBoundingClientRect().height")


@pytest.mark.parametrize("fixture", FIXTURES)
def test_elder_mode_enlarges_text_and_tap_targets_and_turns_off(request, fixture):
    page = request.getfixturevalue(fixture)
    tag = "js" if fixture == "page" else "nojs"
    page.goto("/")
    assert page.evaluate(_TEXT_METRICS)["fontSize"] == 16

    page.get_by_role("button", name="长辈模式").click()
    elder_button = page.get_by_role("button", name="长辈模式")
    expect(elder_button).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    page.wait_for_load_state()  # the stylesheet of the new page has applied
    metrics = page.evaluate(_TEXT_METRICS)
    assert metrics["fontSize"] >= 20, metrics
    assert metrics["lineHeight"] >= 1.5 * metrics["fontSize"], metrics

    targets = {
        "search button": page.get_by_role("search").get_by_role("button", name="搜索"),
        "search box": page.get_by_role("search").get_by_role("searchbox"),
        "English button": page.get_by_role("button", name="English"),
        "elder-mode button": elder_button,
        "home link": page.locator(".brand"),
        "nav 找站点": page.get_by_role("navigation").get_by_role("link", name="找站点"),
        "nav 登录": page.get_by_role("navigation").get_by_role("link", name="登录"),
        "choose community": page.get_by_role("link", name=re.compile("选择我所在的社区")),
    }
    if fixture == "page":
        targets["near me"] = page.get_by_role("button", name=re.compile("离我最近的站点"))
    small = {name: h for name, loc in targets.items() if (h := _height(loc)) < 60}
    assert not small, f"tap targets under 60 px in elder mode: {small}"
    screenshot(page, f"directory-home-elder-{tag}")

    page.goto("/sites")
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    show = page.get_by_role("button", name="查看站点")
    assert _height(show) >= 60
    assert _height(page.locator("#district-select")) >= 60
    screenshot(page, f"directory-sites-elder-{tag}")

    page.get_by_role("button", name="长辈模式").click()
    expect(page.get_by_role("button", name="长辈模式")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\belder\b"))
    page.wait_for_load_state()
    assert page.evaluate(_TEXT_METRICS)["fontSize"] == 16


# --- A4 and A5: paging without JavaScript, unknown site --------------------------------


def test_paging_without_javascript(page_nojs):
    page = page_nojs
    page.goto("/sites")
    first_page = [a.inner_text() for a in _result_links(page).all()]
    assert len(first_page) == 20
    expect(page.get_by_role("navigation", name="翻页")).to_contain_text("第 1 页")
    page.get_by_role("link", name=re.compile("下一页")).click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.get_by_role("navigation", name="翻页")).to_contain_text("第 2 页")
    second_page = [a.inner_text() for a in _result_links(page).all()]
    assert second_page and not set(second_page) & set(first_page)
    expect(page.get_by_role("link", name=re.compile("上一页"))).to_be_visible()
    screenshot(page, "directory-page-2-nojs")


@pytest.mark.parametrize("fixture", FIXTURES)
def test_unknown_site_shows_the_localized_404_page(request, fixture):
    page = request.getfixturevalue(fixture)
    response = page.goto("/sites/999999")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("找不到这个页面")
    expect(page.get_by_role("link", name="返回首页")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")


# --- A6: near me ----------------------------------------------------------------------


def _metres(text: str) -> float:
    match = re.fullmatch(r"\s*([\d.]+)\s*(米|公里)\s*", text)
    assert match, f"a distance in 米 or 公里: {text!r}"
    value = float(match.group(1))
    return value * 1000 if match.group(2) == "公里" else value


def test_stations_near_me_are_sorted_by_distance(new_page):
    page = new_page(
        geolocation={"latitude": 31.23, "longitude": 121.47}, permissions=["geolocation"]
    )
    page.goto("/")
    page.get_by_role("button", name=re.compile("离我最近的站点")).click()
    page.wait_for_url(re.compile(r"/sites\?.*lat="))
    args = _query(page)
    assert float(args["lat"][0]) == pytest.approx(31.23)
    assert float(args["lng"][0]) == pytest.approx(121.47)
    cards = page.locator("#results .site-card")
    expect(cards.first).to_be_visible()
    distances = page.locator("#results .site-card .distance").all_inner_texts()
    assert len(distances) == cards.count(), "every result shows its distance"
    metres = [_metres(t) for t in distances]
    assert metres == sorted(metres), f"nearest first: {distances}"
    expect(page.locator("#results .hint")).to_have_text("按距离由近到远排列。")
    screenshot(page, "directory-near-me")


# --- A7: axe ---------------------------------------------------------------------------

AXE_PAGES = ["home", "sites", "sites-filtered", "center", "station"]


def _path(page, which: str) -> str:
    if which == "home":
        return "/"
    if which == "sites":
        return "/sites"
    if which == "sites-filtered":
        page.goto("/sites")
        first = page.locator("#district-select option:not([value=''])").first
        return f"/sites?q=食堂&district={first.get_attribute('value')}"
    if which == "center":
        return "/sites/1"
    page.goto("/sites/1")
    station = page.locator("section[aria-labelledby='network-title'] .card-title a").first
    return station.get_attribute("href")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("which", AXE_PAGES)
def test_public_pages_pass_axe(page, which, elder):
    path = _path(page, which)
    set_elder_mode(page, elder)
    response = page.goto(path)
    assert response.status == 200
    if elder:
        expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll"
    screenshot(page, f"axe-{which}-{'elder' if elder else 'normal'}")
    check_axe(page)
