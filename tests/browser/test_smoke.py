"""Smoke test of the browser fixtures: the live server answers, pages render."""

import json

from tests.browser import check_axe, screenshot


def test_healthz_answers_through_the_browser(page, live_server):
    response = page.goto("/healthz")
    assert response.status == 200
    assert json.loads(page.inner_text("body"))["status"] == "ok"


def test_home_renders_on_a_phone_and_passes_axe(page):
    response = page.goto("/")
    assert response.status == 200
    assert page.viewport_size == {"width": 390, "height": 844}
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll"
    screenshot(page, "home-phone")
    check_axe(page)


def test_home_works_without_javascript(page_nojs):
    response = page_nojs.goto("/")
    assert response.status == 200
    assert page_nojs.title(), "the page has a title"
    screenshot(page_nojs, "home-phone-nojs")
