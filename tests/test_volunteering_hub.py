"""The volunteering console's front page (/staff/sites/<id>/volunteering): reached
from the staff home and the site page, it counts what needs a worker's eye in the
unit and links to each part; staff of another site get 403, residents 403."""

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale, ngettext

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import Membership, Redemption

from . import factories as f
from .html_check import problems

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)


def zh_n(singular: str, plural: str, num: int) -> str:
    with force_locale("zh"):
        return ngettext(singular, plural, num)


@pytest.fixture
def unit(app, freeze):
    freeze(NOW)
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    other = f.site(name="梅园中心")
    staff = f.user("站长", staff_of=(center,))
    station_staff = f.user("社工", staff_of=(station,))
    other_staff = f.user("别处社工", staff_of=(other,))
    resident = f.volunteer("周居民")
    team = f.team(station, "阳光驿站志愿服务队")
    f.team(other, "梅园志愿服务队")
    db.session.add(Membership(team_id=team.id, user_id=resident.id, status="pending"))
    f.activity(station, NOW + timedelta(days=2), team_obj=team)
    f.activity(station, NOW - timedelta(days=2), team_obj=team)  # over: not counted
    f.activity(other, NOW + timedelta(days=1), team_obj=team)  # another unit's site
    f.project(center, status="publicity")
    f.project(station, status="completed")
    rice = f.mall_item(station, stock=0, name="大米")
    f.mall_item(center, stock=4, name="毛巾")
    f.points(resident, 50)
    db.session.add(Redemption(item_id=rice.id, user_id=resident.id, points=10, code="ABCD2345"))
    db.session.commit()
    return dict(
        center=center, station=station, other=other, staff=staff,
        station_staff=station_staff, other_staff=other_staff, resident=resident,
    )  # fmt: skip


def test_the_center_sees_its_whole_unit_counted(client, auth, unit):
    auth.login(unit["staff"])
    response = client.get(f"/staff/sites/{unit['center'].id}/volunteering")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert not problems(html, whole_page=True)
    for text in (
        zh_n("%(num)s activity coming", "%(num)s activities coming", 1) % {"num": 1},
        zh_n("%(num)s team", "%(num)s teams", 1) % {"num": 1},
        zh_n("%(num)s request to join", "%(num)s requests to join", 1) % {"num": 1},
        zh_n("%(num)s project under way", "%(num)s projects under way", 1) % {"num": 1},
        zh_n("%(num)s item offered", "%(num)s items offered", 2) % {"num": 2},
        zh_n("%(num)s out of stock", "%(num)s out of stock", 1) % {"num": 1},
        zh_n("%(num)s waiting at the desk", "%(num)s waiting at the desk", 1) % {"num": 1},
    ):
        assert text in html, text
    center = unit["center"].id
    for part in ("activities", "teams", "projects", "mall", "points"):
        assert f'href="/staff/sites/{center}/volunteering/{part}"' in html, part
    assert f'href="/staff/sites/{center}/redemptions"' in html


def test_a_station_sees_only_its_own(client, auth, unit):
    auth.login(unit["station_staff"])
    html = client.get(f"/staff/sites/{unit['station'].id}/volunteering").get_data(as_text=True)
    # the center's towel is not the station's; the station's empty rice is
    assert zh_n("%(num)s item offered", "%(num)s items offered", 1) % {"num": 1} in html
    assert zh_n("%(num)s project under way", "%(num)s projects under way", 0) % {"num": 0} in html


def test_reached_from_the_staff_home_and_the_site_page(client, auth, unit):
    auth.login(unit["staff"])
    hub = f'href="/staff/sites/{unit["station"].id}/volunteering"'
    assert hub in client.get("/staff/").get_data(as_text=True)
    assert hub in client.get(f"/staff/sites/{unit['station'].id}").get_data(as_text=True)


def test_others_are_refused(client, auth, unit):
    url = f"/staff/sites/{unit['center'].id}/volunteering"
    assert client.get(url).status_code in (302, 303)  # to the log-in page
    auth.login(unit["other_staff"])
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login(unit["station_staff"])  # a station's worker does not run the center
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login(unit["resident"])
    assert client.get(url).status_code == 403
    assert client.get("/staff/sites/99999999999/volunteering").status_code == 404
