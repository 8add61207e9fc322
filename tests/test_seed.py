"""The demo city: shape, consistency, determinism, scaling and the CLI."""

import hashlib
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import click
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.demo.seed import BOOKABLE_CATEGORIES, SeedRefused, seed
from app.extensions import db
from app.models import (
    Community,
    District,
    Notice,
    OpeningInterval,
    Service,
    Site,
    SiteFacility,
    SpecialDay,
    Street,
)
from app.sites.directory import distance_m, refresh_search_text
from app.vocab import FACILITIES, SERVICE_CATEGORIES, STATION_TYPES

from .conftest import make_app

TODAY_NOON = datetime(2025, 5, 12, 4, 0, tzinfo=UTC)  # a Monday, 12:00 in Shanghai
MODELS = (
    District,
    Street,
    Community,
    Site,
    SiteFacility,
    OpeningInterval,
    SpecialDay,
    Service,
    Notice,
)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fingerprint() -> str:
    """A hash of every demo row except timestamps, in primary-key order."""
    digest = hashlib.sha256()
    for model in MODELS:
        table = model.__table__
        columns = [c for c in table.c if c.name not in ("created_at", "updated_at")]
        for row in db.session.execute(select(*columns).order_by(*table.primary_key.columns)):
            digest.update(repr((table.name, tuple(row))).encode())
    return digest.hexdigest()


@pytest.fixture
def other_database(databases, template_url):
    """Run a block against a second fresh database: ``with other_database(): ...``."""

    @contextmanager
    def _other():
        url = databases.new_url(template=template_url)
        other = make_app(url)
        try:
            with other.app_context():
                yield
                db.session.remove()
                db.engine.dispose()
        finally:
            databases.drop(url)

    return _other


@pytest.fixture
def seeded(app, freeze):
    freeze(TODAY_NOON)
    return seed()


def test_scale_one_has_the_promised_city(seeded):
    assert count(District) >= 4
    assert count(Street) == 12
    assert count(Community) == 40
    assert count(Site, Site.kind == "center") == 40
    stations = count(Site, Site.kind == "station")
    assert stations >= 150
    assert f"40 communities, 40 centers, {stations} stations" in seeded
    assert set(db.session.scalars(select(Community.klass).distinct())) == set("ABCD")
    assert set(db.session.scalars(select(Site.station_type).where(Site.kind == "station"))) == set(
        STATION_TYPES
    )


def test_one_center_per_community_and_stations_point_to_it(seeded):
    centers = dict(
        db.session.execute(select(Site.community_id, Site.id).where(Site.kind == "center")).all()
    )
    assert set(centers) == set(db.session.scalars(select(Community.id)))
    assert count(Site, Site.kind == "center") == len(centers)
    stations = db.session.execute(
        select(Site.community_id, Site.center_id, Site.station_type).where(Site.kind == "station")
    ).all()
    for community_id, center_id, station_type in stations:
        assert center_id == centers[community_id]
        assert station_type in STATION_TYPES
    per_community = db.session.execute(
        select(func.count()).where(Site.kind == "station").group_by(Site.community_id)
    ).scalars()
    assert all(3 <= n <= 5 for n in per_community)


def test_sites_look_real(seeded):
    sites = db.session.scalars(select(Site).options(selectinload(Site.facilities))).all()
    centers = {s.community_id: s for s in sites if s.kind == "center"}
    for site in sites:
        assert re.fullmatch(r"021-5\d{7}", site.phone), site.phone
        assert re.search(r"\d+号$", site.address), site.address
        assert site.description
        assert set(site.facility_codes) <= set(FACILITIES)
        if site.kind == "center":
            assert site.name.endswith("社区党群服务中心")
        else:
            center = centers[site.community_id]
            assert (
                distance_m(site.latitude, site.longitude, center.latitude, center.longitude) <= 1500
            )
        if site.station_type == "convenience":
            assert {"water", "charging", "umbrella", "microwave", "seats"} <= set(
                site.facility_codes
            )
    assert len({s.name for s in sites}) == len(sites)
    assert len({s.code for s in sites}) == len(sites)
    assert any("孔子学堂" in s.name for s in sites)
    closed = [s for s in sites if s.status == "closed"]
    assert closed and all(s.status_reason for s in closed)


def test_every_category_is_offered_and_bookable_ones_are_marked(seeded):
    categories = set(db.session.scalars(select(Service.category).distinct()))
    assert categories == set(SERVICE_CATEGORIES)
    for category, bookable in db.session.execute(select(Service.category, Service.bookable)):
        assert bookable == (category in BOOKABLE_CATEGORIES)
    per_site = dict(
        db.session.execute(
            select(Site.id, func.count(Service.id)).join(Service).group_by(Site.id)
        ).all()
    )
    for site_id, kind in db.session.execute(select(Site.id, Site.kind)):
        assert (
            (per_site.get(site_id, 0) >= 3)
            if kind == "center"
            else (1 <= per_site.get(site_id, 0) <= 3)
        )


def test_search_words_from_the_search_tests_are_there(seeded):
    for word in ("食堂", "法律"):
        assert count(Site, Site.search_text.contains(word)) >= 3, word


def test_search_text_is_what_refresh_search_text_computes(seeded):
    sites = db.session.scalars(select(Site).options(selectinload(Site.services))).all()
    assert any(not service.active for site in sites for service in site.services)
    for site in sites:
        stored = site.search_text
        refresh_search_text(site)
        assert site.search_text == stored, site.name
    db.session.rollback()


def test_hours_special_days_and_notices_are_current(seeded):
    today = TODAY_NOON.date()
    all_day = db.session.execute(
        select(OpeningInterval.site_id)
        .where(OpeningInterval.opens_min == 0, OpeningInterval.closes_min == 1440)
        .group_by(OpeningInterval.site_id)
        .having(func.count() == 7)
    ).all()
    assert all_day
    lunch_breaks = count(OpeningInterval, OpeningInterval.closes_min == 12 * 60)
    assert lunch_breaks > 50
    extended = db.session.scalars(select(SpecialDay).where(SpecialDay.kind == "extended")).all()
    assert len(extended) >= 5
    for day in extended:
        assert today <= day.starts_on <= today + timedelta(days=14)
        assert day.opens_min >= 17 * 60
    assert count(SpecialDay, SpecialDay.kind.in_(("holiday", "closed"))) >= 2

    current = (Notice.publish_on <= today) & (Notice.expires_on >= today)
    centers = select(Site.id).where(Site.kind == "center")
    per_center = db.session.execute(
        select(func.count()).where(current, Notice.site_id.in_(centers)).group_by(Notice.site_id)
    ).scalars()
    assert sorted(per_center)[0] >= 2
    assert count(Notice, ~current) >= 2
    assert count(Notice, Notice.publish_on < today - timedelta(days=5), current) == 0


def test_same_scale_gives_the_same_city(app, freeze, other_database):
    freeze(TODAY_NOON)
    seed()
    first = fingerprint()
    with other_database():
        seed()
        assert fingerprint() == first


def test_scale_two_doubles_the_city_with_unique_names(app, freeze, other_database):
    freeze(TODAY_NOON)
    seed()
    single = {model: count(model) for model in (District, Street, Community, Site)}
    with other_database():
        seed(scale=2)
        for model, n in single.items():
            assert count(model) == 2 * n, model
        for column in (District.name, Site.name, Site.code):
            assert (
                db.session.scalar(select(func.count(column.distinct())))
                == 2 * single[column.class_]
            )
        assert count(Community, Community.name.like("%2社区")) >= single[Community]


def test_if_empty_leaves_a_filled_database_alone(seeded):
    before = fingerprint()
    message = seed(if_empty=True)
    assert "not loaded" in message
    assert fingerprint() == before


def test_seeding_twice_is_refused_without_duplicates(seeded):
    before = count(Site)
    with pytest.raises(SeedRefused):
        seed()
    assert count(Site) == before


def test_ids_continue_after_the_seed(seeded):
    """On PostgreSQL the sequences must be moved past the pre-assigned ids."""
    highest = db.session.scalar(select(func.max(District.id)))
    district = District(name="测试新区")
    db.session.add(district)
    db.session.flush()
    assert district.id > highest
    db.session.rollback()


def test_cli_seeds_once_then_skips_or_refuses(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "40 communities" in result.output
    sites = count(Site)

    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "not loaded" in result.output

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "already holds data" in result.output
    assert count(Site) == sites


def test_bad_scale_is_rejected(app, runner):
    with pytest.raises(click.BadParameter):
        seed(scale=0)
    result = runner.invoke(args=["seed-demo", "--scale", "0"])
    assert result.exit_code == 2
    assert count(Site) == 0
