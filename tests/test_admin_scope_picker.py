"""Admins grant a staff scope by finding the site, never by typing its raw number."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, User

from . import factories as f


@pytest.fixture
def picker(app, auth):
    pudong = f.district("浦东新区")
    street = f.street(pudong, "花木街道")
    community = f.community(street, "东方社区")
    center = f.site(community, name="东方社区党群服务中心", code="PD-HM-001")
    station = f.site(kind="station", center=center, name="阳光小区党群服务站", code="PD-HM-002")
    elsewhere = f.site(f.community(f.street(f.district("黄浦区"), "外滩街道"), "外滩社区"),
                       name="阳光驿站", code="HP-WT-009")  # fmt: skip
    resident = f.user("新社工")
    admin = f.user("管理员", admin=True)
    db.session.commit()
    auth.login(admin)
    return {"center": center, "station": station, "elsewhere": elsewhere, "resident": resident}


def test_the_page_asks_for_a_search_not_a_number(client, picker):
    page = client.get(f"/admin/users/{picker['resident'].id}").text
    assert 'name="site_q"' in page and "查找站点" in page
    assert 'inputmode="numeric"' not in page and 'name="site_id" type="text"' not in page


@pytest.mark.parametrize(
    ("q", "found", "not_found"),
    [
        ("阳光", ["阳光小区党群服务站", "阳光驿站"], ["东方社区党群服务中心"]),
        ("浦东", ["东方社区党群服务中心", "阳光小区党群服务站"], ["阳光驿站"]),
        ("花木", ["东方社区党群服务中心", "阳光小区党群服务站"], ["阳光驿站"]),
        ("PD-HM-002", ["阳光小区党群服务站"], ["东方社区党群服务中心", "阳光驿站"]),
        ("外滩社区", ["阳光驿站"], ["阳光小区党群服务站"]),
    ],
)
def test_sites_are_found_by_name_place_or_code(client, picker, q, found, not_found):
    page = client.get(f"/admin/users/{picker['resident'].id}", query_string={"site_q": q}).text
    for name in found:
        assert f"<strong>{name}</strong>" in page, name
    for name in not_found:
        assert f"<strong>{name}</strong>" not in page, name


def test_two_sites_of_one_name_are_told_apart(client, picker):
    page = client.get(f"/admin/users/{picker['resident'].id}", query_string={"site_q": "阳光"}).text
    assert "浦东新区 花木街道 东方社区 · PD-HM-002" in page
    assert "黄浦区 外滩街道 外滩社区 · HP-WT-009" in page


def test_the_search_answers_htmx_with_the_choices_alone(client, picker):
    response = client.get(
        f"/admin/users/{picker['resident'].id}",
        query_string={"site_q": "阳光"},
        headers={"HX-Request": "true", "HX-Target": "site-choices"},
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="site-choices"')
    assert "HX-Request" in response.headers["Vary"]


def test_no_match_says_so(client, picker):
    page = client.get(f"/admin/users/{picker['resident'].id}", query_string={"site_q": "不存在"})
    assert "没有和“不存在”相符的站点" in page.text


def test_granting_from_a_choice(client, picker):
    resident, station = picker["resident"], picker["station"]
    page = client.get(f"/admin/users/{resident.id}", query_string={"site_q": "PD-HM-002"}).text
    assert f'name="site_id" value="{station.id}"' in page
    response = client.post(f"/admin/users/{resident.id}/scopes", data={"site_id": station.id})
    assert response.status_code == 303
    db.session.rollback()
    assert [s.site_id for s in db.session.get(User, resident.id).scopes] == [station.id]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "scope.granted"))
    assert entry.site_id == station.id


@pytest.mark.parametrize("q", ["%", "_", "\\", "a" * 500, "' OR 1=1 --"])
def test_odd_searches_find_nothing_and_break_nothing(client, picker, q):
    response = client.get(f"/admin/users/{picker['resident'].id}", query_string={"site_q": q})
    assert response.status_code == 200
    assert "<strong>阳光驿站</strong>" not in response.text
