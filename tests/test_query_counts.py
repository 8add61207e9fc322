"""The directory pages run the same small number of SQL queries at any size."""

from datetime import date, datetime

import pytest

from app.clock import LOCAL_TZ
from app.extensions import db

from . import factories as f


def build_city(n_sites: int):
    """``n_sites`` sites over a few communities, each with hours, facilities,
    services, a special day and a notice, so every relationship has rows."""
    district = f.district()
    street = f.street(district)
    sites = []
    per_community = 5
    for i in range(0, n_sites, per_community):
        community = f.community(street)
        center = f.site(
            community,
            facilities=("water", "wifi"),
            services=(("canteen", "食堂午餐"), ("legal", "法律咨询")),
        )
        sites.append(center)
        for _ in range(min(per_community, n_sites - i) - 1):
            sites.append(
                f.site(
                    kind="station",
                    center=center,
                    facilities=("charging",),
                    services=(("haircut", "理发"),),
                )
            )
        f.special_day(center, "extended", date(2026, 11, 24), opens_min=1080, closes_min=1260)
        f.notice(center, "通知", publish_on=date(2026, 11, 20))
    db.session.commit()
    return district, street, sites


def queries_for(client, count_queries, path, **params):
    with count_queries() as counter:
        response = client.get(path, query_string=params)
    assert response.status_code == 200
    return len(counter)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/", {}),
        ("/sites", {}),
        ("/sites", {"q": "食堂"}),
        ("/sites", {"open_now": "1", "category": "canteen"}),
        ("/sites", {"lat": "31.2", "lng": "121.5"}),
        ("/sites", {"district": "DISTRICT", "street": "STREET"}),
        ("/sites/SITE", {}),
    ],
)
def test_query_count_does_not_grow_with_rows(app, client, count_queries, freeze, path, params):
    freeze(datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL_TZ))
    district, street, sites = build_city(10)
    small = _count(client, count_queries, path, params, district, street, sites)
    build_city(490)
    large = _count(client, count_queries, path, params, district, street, sites)
    assert small == large
    assert large <= BUDGET.get(path, 8)


# A site's page also lists its coming activities and its teams: one query each.
BUDGET = {"/sites/SITE": 9}


def _count(client, count_queries, path, params, district, street, sites):
    path = path.replace("SITE", str(sites[0].id))
    params = {
        k: {"DISTRICT": str(district.id), "STREET": str(street.id)}.get(v, v)
        for k, v in params.items()
    }
    return queries_for(client, count_queries, path, **params)
