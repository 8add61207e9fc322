"""Client tests for the public directory: home, /sites, /sites/<id>, /healthz."""

import re
from datetime import date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from app.clock import LOCAL_TZ
from app.extensions import db

from . import factories as f

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def city(app, freeze):
    """Two districts; a center with two stations; one more community."""
    freeze(MONDAY_10AM)
    pudong, xuhui = f.district("浦东新区"), f.district("徐汇区")
    lujiazui, tianlin = f.street(pudong, "陆家嘴街道"), f.street(xuhui, "田林街道")
    dongfang = f.community(lujiazui, "东方社区")
    meiyuan = f.community(tianlin, "梅园社区", klass="B")
    center = f.site(
        dongfang,
        name="东方社区党群服务中心",
        address="浦东南路100号",
        phone="021-5888 1234",
        facilities=("water", "wifi", "barrier_free"),
        services=(("canteen", "社区食堂午餐"), ("legal", "法律咨询"), ("venue", "多功能会议室")),
        latitude=31.2300,
        longitude=121.5000,
    )
    station = f.site(
        kind="station",
        center=center,
        station_type="convenience",
        name="阳光便民服务驿站",
        address="崂山路8号",
        hours=[(d, 0, 1440) for d in range(7)],
        facilities=("charging", "umbrella"),
        latitude=31.2310,
        longitude=121.5010,
    )
    sibling = f.site(
        kind="station",
        center=center,
        name="金杨小区党群服务站",
        address="金杨路5号",
        hours=[(d, 840, 1080) for d in range(5)],
        services=(("haircut", "老年人理发"),),
        latitude=31.2400,
        longitude=121.5100,
    )
    other = f.site(
        meiyuan,
        name="梅园社区党群服务中心",
        address="田林路1号",
        status="closed",
        status_reason="内部装修",
        latitude=31.1800,
        longitude=121.4300,
    )
    db.session.commit()
    return {
        "pudong": pudong,
        "lujiazui": lujiazui,
        "dongfang": dongfang,
        "xuhui": xuhui,
        "center": center,
        "station": station,
        "sibling": sibling,
        "other": other,
    }


def names(response) -> list[str]:
    """Site names shown as card titles, in order."""
    import re

    return re.findall(r'class="card-title"><a href="/sites/\d+">([^<]+)</a>', response.text)


# Home -------------------------------------------------------------------------


def test_home_shows_search_categories_and_open_sites(client, city):
    response = client.get("/")
    assert response.status_code == 200
    assert 'action="/sites"' in response.text and 'name="q"' in response.text
    assert "社区食堂" in response.text  # a service category, in Chinese by default
    assert 'href="/sites?category=canteen"' in response.text
    # Open at Monday 10:00: the center, the 24-hour post; not the closed one.
    shown = names(response)
    assert "东方社区党群服务中心" in shown and "阳光便民服务驿站" in shown
    assert "梅园社区党群服务中心" not in shown


def test_home_says_so_when_nothing_is_open(client, city, freeze):
    freeze(datetime(2026, 11, 23, 3, 0, tzinfo=LOCAL_TZ))
    db.session.delete(city["station"])
    db.session.commit()
    response = client.get("/")
    assert "此刻没有正在开放的站点" in response.text


# Directory --------------------------------------------------------------------


def test_sites_lists_everything_without_filters(client, city):
    response = client.get("/sites")
    assert response.status_code == 200
    assert "找到 4 个站点" in response.text
    assert len(names(response)) == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("食堂", {"东方社区党群服务中心"}),  # two characters, in a service name
        ("法律", {"东方社区党群服务中心"}),
        ("驿", {"阳光便民服务驿站"}),  # one character
        ("理发", {"金杨小区党群服务站"}),
        ("浦东南", {"东方社区党群服务中心"}),  # three characters, in the address
        ("多功能会议室", {"东方社区党群服务中心"}),
        ("  阳光   便民 ", set()),  # inner spaces are kept, so no match
        ("不存在的地方", set()),
    ],
)
def test_search_matches_name_address_and_services(client, city, query, expected):
    response = client.get("/sites", query_string={"q": query})
    assert response.status_code == 200
    assert set(names(response)) == expected


@pytest.mark.parametrize("query", ["%", "_", "' OR 1=1 --", "\\", "%%%"])
def test_search_takes_sql_wildcards_literally(client, city, query):
    response = client.get("/sites", query_string={"q": query})
    assert response.status_code == 200
    assert names(response) == []


def test_search_escapes_html(client, city):
    response = client.get("/sites", query_string={"q": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_overlong_query_is_cut_not_refused(client, city):
    response = client.get("/sites", query_string={"q": "食" * 500})
    assert response.status_code == 200
    assert 'value="' + "食" * 100 + '"' in response.text


def test_district_filter_then_street_lists_its_streets(client, city):
    response = client.get("/sites", query_string={"district": city["pudong"].id})
    assert set(names(response)) == {
        "东方社区党群服务中心",
        "阳光便民服务驿站",
        "金杨小区党群服务站",
    }
    assert "陆家嘴街道" in response.text and "田林街道" not in response.text
    response = client.get(
        "/sites", query_string={"district": city["pudong"].id, "street": city["lujiazui"].id}
    )
    assert "东方社区" in response.text  # community choices appear
    assert len(names(response)) == 3


def test_street_outside_the_district_is_dropped(client, city):
    response = client.get(
        "/sites", query_string={"district": city["xuhui"].id, "street": city["lujiazui"].id}
    )
    assert names(response) == ["梅园社区党群服务中心"]


def test_community_sorts_by_distance_from_its_center(client, city):
    response = client.get(
        "/sites",
        query_string={
            "district": city["pudong"].id,
            "street": city["lujiazui"].id,
            "community": city["dongfang"].id,
        },
    )
    assert names(response) == ["东方社区党群服务中心", "阳光便民服务驿站", "金杨小区党群服务站"]
    assert re.findall(r">[0-9.]+ (?:米|公里)<", response.text) == [
        ">0 米<",
        ">146 米<",
        ">1.5 公里<",
    ]


def test_location_sorts_everything_nearest_first(client, city):
    response = client.get("/sites", query_string={"lat": "31.18", "lng": "121.43"})
    assert names(response)[0] == "梅园社区党群服务中心"
    assert "按距离由近到远排列" in response.text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"kind": "center"}, {"东方社区党群服务中心", "梅园社区党群服务中心"}),
        ({"kind": "convenience"}, {"阳光便民服务驿站"}),
        ({"facility": "umbrella"}, {"阳光便民服务驿站"}),
        ({"category": "haircut"}, {"金杨小区党群服务站"}),
        ({"open_now": "1"}, {"东方社区党群服务中心", "阳光便民服务驿站"}),
        ({"open_now": "1", "kind": "center"}, {"东方社区党群服务中心"}),
    ],
)
def test_filters(client, city, args, expected):
    response = client.get("/sites", query_string=args)
    assert response.status_code == 200
    assert set(names(response)) == expected


@pytest.mark.parametrize(
    "args",
    [
        {"page": "-1"},
        {"page": "abc"},
        {"page": "99999999999999999999"},
        {"district": "abc"},
        {"district": "999999"},
        {"street": "-5"},
        {"kind": "spaceship"},
        {"facility": "<b>"},
        {"category": "x" * 300},
        {"open_now": "maybe"},
        {"lat": "nan", "lng": "inf"},
        {"lat": "91", "lng": "500"},
    ],
)
def test_bad_filter_values_give_a_sensible_page(client, city, args):
    response = client.get("/sites", query_string=args)
    assert response.status_code == 200
    assert len(names(response)) in (0, 4)


def test_paging_without_javascript(client, app, city):
    app.config["SITES_PER_PAGE"] = 3
    first = client.get("/sites")
    assert "第 1 页，共 2 页" in first.text
    assert 'href="/sites?page=2"' in first.text
    second = client.get("/sites", query_string={"page": 2})
    assert len(names(second)) == 1 and 'href="/sites"' in second.text
    beyond = client.get("/sites", query_string={"page": 50})
    assert "第 2 页，共 2 页" in beyond.text


def test_page_links_keep_the_filters(client, app, city):
    app.config["SITES_PER_PAGE"] = 1
    response = client.get("/sites", query_string={"district": city["pudong"].id, "q": "站"})
    assert f'href="/sites?q=%E7%AB%99&amp;district={city["pudong"].id}&amp;page=2"' in response.text


# Fragments --------------------------------------------------------------------


def test_results_fragment_for_htmx(client, city):
    response = client.get(
        "/sites", query_string={"q": "食堂"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="results"')
    assert "HX-Request" in response.headers["Vary"]
    assert names(response) == ["东方社区党群服务中心"]


def test_place_filters_fragment_lists_the_districts_streets(client, city):
    response = client.get(
        "/sites",
        query_string={"district": city["xuhui"].id},
        headers={"HX-Request": "true", "HX-Target": "place-filters"},
    )
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<fieldset id="place-filters"')
    assert "田林街道" in response.text and "陆家嘴街道" not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "results"},
        {"HX-Request": "true", "HX-History-Restore-Request": "true", "HX-Target": "results"},
        {"HX-Request": "true", "HX-Target": "main"},  # not a fragment of this page
        {},
    ],
)
def test_full_page_when_no_fragment_is_wanted(client, city, headers):
    response = client.get("/sites", headers=headers)
    assert "<html" in response.text
    assert "HX-Request" in response.headers["Vary"]


# One site ---------------------------------------------------------------------


def test_center_page(client, city, freeze):
    center = city["center"]
    f.notice(center, "本周六义诊", publish_on=date(2026, 11, 20), expires_on=date(2026, 11, 29))
    f.notice(center, "过期的通知", publish_on=date(2026, 11, 1), expires_on=date(2026, 11, 10))
    f.notice(center, "未来的通知", publish_on=date(2026, 12, 20))
    f.special_day(
        center, "extended", date(2026, 11, 27), opens_min=1080, closes_min=1260, note="流动办公桌"
    )
    f.special_day(center, "holiday", date(2027, 1, 1), date(2027, 1, 3))
    db.session.commit()
    response = client.get(f"/sites/{center.id}")
    assert response.status_code == 200
    text = response.text
    assert "<h1>东方社区党群服务中心</h1>" in text
    assert "正在开放" in text and "今天 17:00 关门" in text
    assert 'href="tel:021-58881234"' in text
    assert "浦东新区" in text and "陆家嘴街道" in text and "A类" in text
    # Week table with Monday highlighted.
    assert 'class="today" aria-current="date"' in text
    assert text.index('aria-current="date"') < text.index("星期二")
    assert "09:00–17:00" in text
    # Special days coming up: the extended evening, not the far holiday.
    assert "18:00–21:00" in text and "流动办公桌" in text
    assert "2027" not in text
    # Notices: only the current one.
    assert "本周六义诊" in text and "过期的通知" not in text and "未来的通知" not in text
    # Facilities with text, services grouped by category.
    assert "饮用水" in text and "无障碍通道" in text
    assert text.index("场所共享") < text.index("多功能会议室")
    assert "可预约" not in text
    # The 1+N network: both stations listed.
    assert "本中心下属站点" in text
    assert "阳光便民服务驿站" in text and "金杨小区党群服务站" in text


def test_station_page_links_center_and_siblings(client, city):
    response = client.get(f"/sites/{city['station'].id}")
    text = response.text
    assert "所属服务中心和兄弟站点" in text
    assert f'href="/sites/{city["center"].id}"' in text
    assert f'href="/sites/{city["sibling"].id}"' in text
    assert "24小时开放" in text


def test_closed_site_shows_reason(client, city):
    response = client.get(f"/sites/{city['other'].id}")
    assert "暂停服务" in response.text and "原因：内部装修" in response.text


def test_closed_now_shows_next_opening(client, city, freeze):
    freeze(datetime(2026, 11, 23, 20, 0, tzinfo=LOCAL_TZ))
    response = client.get(f"/sites/{city['center'].id}")
    assert "已休息" in response.text and "明天 09:00 开门" in response.text


@pytest.mark.parametrize("path", ["/sites/999999", "/sites/abc", "/no-such-page"])
def test_unknown_pages_are_a_localized_404(client, city, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "找不到这个页面" in response.text


def test_404_in_english(client, city):
    client.set_cookie("lang", "en")
    response = client.get("/sites/999999")
    assert response.status_code == 404
    assert "We could not find that page" in response.text
    assert '<html lang="en">' in response.text


def test_404_as_a_fragment(client, city):
    response = client.get("/sites/999999", headers={"HX-Request": "true", "HX-Target": "results"})
    assert response.status_code == 404
    assert "<html" not in response.text and "找不到这个页面" in response.text


# Rules and health -------------------------------------------------------------


def test_one_center_per_community(app, city):
    with pytest.raises(IntegrityError):
        f.site(city["dongfang"], name="第二个中心")
    db.session.rollback()


def test_healthz_checks_the_database(client, city):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_healthz_reports_a_broken_database(client, app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_security_headers_on_every_page(client, city):
    for path in ("/", "/sites", f"/sites/{city['center'].id}", "/sites/999999"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_no_inline_script_or_style_in_pages(client, city):
    import re

    for path in ("/", "/sites", f"/sites/{city['center'].id}"):
        text = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", text)
        assert " style=" not in text and "<style" not in text
        assert "//cdn" not in text and "https://" not in text


# Meta descriptions ------------------------------------------------------------


def _descriptions(html: str) -> list[str]:
    """The content of every <meta name="description"> in a page, unescaped."""
    from html.parser import HTMLParser

    found = []

    class Metas(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "meta" and attrs.get("name") == "description":
                found.append((attrs.get("content") or "").strip())

    Metas().feed(html)
    return found


def test_each_public_page_has_one_description_of_its_own(client, city):
    from datetime import timedelta

    center = city["center"]
    service = f.bookable_service(center, name="法律咨询预约")
    f.slot(service, MONDAY_10AM + timedelta(days=1))
    plain = center.services[0]  # a service of the site that takes no bookings
    f.activity(center, MONDAY_10AM + timedelta(days=2), title="敬老院陪伴", team_obj=f.team(center))
    db.session.commit()
    pages = {
        "/": None,
        "/sites": None,
        f"/sites/{center.id}": ("东方社区党群服务中心", "浦东南路100号"),
        f"/services/{service.id}": ("法律咨询预约", "东方社区党群服务中心", "浦东南路100号"),
        f"/services/{plain.id}": (plain.name, "东方社区党群服务中心"),
        "/activities": None,
    }
    seen = {}
    for path, names in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        descriptions = _descriptions(response.text)
        assert len(descriptions) == 1, (path, descriptions)
        (description,) = descriptions
        assert len(description) >= 20 and "\n" not in description, (path, description)
        for name in names or ():
            assert name in description, (path, description)
        seen[path] = description
    assert len(set(seen.values())) == len(seen), "each page says what it is about"
    # A page without one of its own has the portal's: the login page, say.
    assert len(_descriptions(client.get("/login").text)) == 1


def test_description_follows_the_language(client, city):
    client.set_cookie("lang", "en")
    (english,) = _descriptions(client.get(f"/sites/{city['center'].id}").text)
    assert english.startswith("东方社区党群服务中心, 浦东南路100号: opening hours")


# The day fragment of a service page -------------------------------------------


def test_day_fragment_marks_the_chosen_chip_and_stays_small(client, auth, city):
    """htmx swaps the chips with the day's times, so the chosen chip is marked
    after a swap too; a fortnight of days with eight times a day stays within
    the 8 KB budget of a fragment: as it is for a visitor, and as sent (the
    app compresses) with a booking form for each time."""
    from datetime import timedelta

    service = f.bookable_service(city["center"], name="理疗", rule={"window_days": 14})
    for day in range(1, 15):
        for hour in range(8):  # 8 times a day, 10:00 to 17:00
            f.slot(service, MONDAY_10AM + timedelta(days=day, hours=hour))
    resident = f.user("王阿姨")
    db.session.commit()

    def fragment(**headers):
        return client.get(
            f"/services/{service.id}",
            query_string={"date": "2026-11-30"},
            headers={"HX-Request": "true", "HX-Target": "slots", **headers},
        )

    visitor = fragment()
    assert visitor.status_code == 200
    assert len(visitor.data) <= 8 * 1024, len(visitor.data)
    auth.login(resident)
    response = fragment()
    assert response.status_code == 200
    text = response.text
    assert text.lstrip().startswith('<section id="slots"')
    assert text.count('<a id="day-') == 14 and text.count("<form") == 8
    current = re.findall(r'<a id="day-([\d-]+)"[^>]*aria-current="date"', text)
    assert current == ["2026-11-30"]
    sent = fragment(**{"Accept-Encoding": "gzip"})
    assert sent.headers["Content-Encoding"] == "gzip"
    assert len(sent.data) <= 8 * 1024, len(sent.data)
