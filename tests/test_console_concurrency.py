"""Console rules under real parallel requests: two app workers, one database.

Eight admins each try to add a center to the same community at once; exactly
one succeeds and the rest are told the community already has one. Eight staff
save the same listing from the same page version; exactly one save lands.
"""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Site

from . import factories as f
from .conftest import make_app
from .http_client import fire_together, log_in_all
from .live import live_server

PEOPLE = 8
LIVE_ENV = {"LOGIN_LIMITS_PER_ADDRESS": "10000/minute"}


@pytest.fixture(scope="module")
def desk(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        community = f.community(name="并发社区")
        station = f.site(kind="station", center=f.site(name="并发中心"), name="并发驿站")
        admins = [f.user(f"管理员{i}", admin=True).mobile for i in range(PEOPLE)]
        staff = [f.user(f"社工{i}", staff_of=(station,)).mobile for i in range(PEOPLE)]
        db.session.commit()
        ids = {"community": community.id, "station": station.id, "version": station.version}
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, "admins": admins, "staff": staff, **ids}
    with app.app_context():
        db.engine.dispose()


def test_parallel_centers_for_one_community_make_one(desk):
    path = f"/admin/communities/{desk['community']}/sites"
    visitors = log_in_all(desk["base_url"], desk["admins"], f.PASSWORD, "/admin/places")

    def add_center(i, visitor, token):
        data = {
            "site-kind": "center", "site-code": f"RACE-{i}", "site-name": f"中心{i}",
            "site-address": "并发路1号", "site-latitude": "31.2", "site-longitude": "121.4",
            "site-station_type": "residential",
        }  # fmt: skip
        return lambda: visitor.post(path, data, token)

    responses = fire_together([add_center(i, v, t) for i, (v, t) in enumerate(visitors)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [422] * (PEOPLE - 1), statuses
    assert all("这个社区已经有服务中心" in r.text for r in responses if r.status_code == 422)
    with desk["app"].app_context():
        centers = db.session.scalar(
            select(func.count(Site.id)).where(
                Site.community_id == desk["community"], Site.kind == "center"
            )
        )
        created = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "site.created")
        )
        db.session.remove()
    assert centers == 1 and created == 1


def test_parallel_saves_of_one_version_keep_one(desk):
    path = f"/staff/sites/{desk['station']}/edit/basic"
    visitors = log_in_all(desk["base_url"], desk["staff"], f.PASSWORD, "/staff/")

    def save(i, visitor, token):
        data = f.prefixed("basic", {
            "version": desk["version"], "name": f"并发驿站{i}", "address": f"并发路{i}号",
            "phone": "", "description": "", "latitude": "31.2", "longitude": "121.4",
        })  # fmt: skip
        return lambda: visitor.post(path, data, token)

    responses = fire_together([save(i, v, t) for i, (v, t) in enumerate(visitors)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [409] * (PEOPLE - 1), statuses
    with desk["app"].app_context():
        site = db.session.get(Site, desk["station"])
        edits = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "site.edited")
        )
        db.session.remove()
    assert site.version == desk["version"] + 1 and edits == 1
