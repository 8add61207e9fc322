"""Every page the app serves is sound HTML: a sweep of every GET route in the URL map.

Each page is parsed (tests/html_check.py): no id twice, every form with an
action, every POST form with its CSRF field, headings that never skip a level,
no form inside a <p>, one title and one meta description. CSRF is on here, as
in production, so the tokens the pages render are the real ones.
"""

import pytest

from .html_check import assert_clean_page, problems
from .test_bad_input_sweep import build, rules, world  # noqa: F401 (the world fixture)

SKIP_ENDPOINTS = {"static", "public.healthz", "bench.ceiling"}
# Downloads, not pages.
SKIP_SUFFIXES = (".ics", ".csv", "/export")


def page_rules(app, *, console: bool):
    for rule in rules(app, console=console):
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
            continue
        if rule.rule.endswith(SKIP_SUFFIXES) or "export" in rule.endpoint:
            continue
        yield rule


def _sweep(app, client, values, *, console: bool) -> int:
    app.config["WTF_CSRF_ENABLED"] = True
    checked, failures = 0, []
    for rule in page_rules(app, console=console):
        path = build(rule, values)
        response = client.get(path)
        if response.mimetype != "text/html" or 300 <= response.status_code < 400:
            continue
        html = response.get_data(as_text=True)
        found = problems(html, whole_page="<html" in html[:200])
        if found:
            failures.append(f"GET {path} ({response.status_code}): " + "; ".join(found))
        checked += 1
    assert not failures, "\n".join(failures)
    return checked


def test_every_page_an_admin_opens_is_sound(app, client, auth, world):  # noqa: F811
    auth.login(world["admin"])
    assert _sweep(app, client, world["values"], console=True) >= 35


def test_every_page_a_resident_opens_is_sound(app, client, auth, world):  # noqa: F811
    auth.login(world["resident"])
    assert _sweep(app, client, world["values"], console=False) >= 18


def test_every_page_a_visitor_opens_is_sound(app, client, world):  # noqa: F811
    assert _sweep(app, client, world["values"], console=False) >= 12


# The checker itself -------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ('<div id="a"></div><p id="a"></p>', "id 'a' is used 2 times"),
        ("<form method=post><button>x</button></form>", "a form without an action"),
        ('<form method=post action="/x"><button>x</button></form>', "has no CSRF field"),
        ("<h1>a</h1><h3>b</h3>", "skips from h1 to h3"),
        ('<p>text <form action="/x"></form></p>', "inside a <p>"),
    ],
)
def test_the_checker_catches(html, problem):
    assert any(problem in found for found in problems(html, whole_page=False)), problems(html)


def test_the_checker_passes_a_sound_page():
    html = (
        '<!doctype html><html><head><title>t</title><meta name="description" content="d">'
        "</head><body><h1>a</h1><h2>b</h2><h3>c</h3><h2>d</h2>"
        '<form method="post" action="/x"><input type="hidden" name="csrf_token" value="t">'
        '<button>go</button></form><form action="/search"><input name="q"></form>'
        '<form method="post" action="/elder"><button name="elder" value="1">e</button></form>'
        "</body></html>"
    )
    assert problems(html) == []


def test_assert_clean_page_skips_what_is_not_html(app, client):
    response = client.get("/healthz")
    assert_clean_page(response)  # JSON: nothing to parse


def _token(client, path: str) -> str:
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'id="csrf-token" value="([^"]+)"', page).group(1)


REFUSED_FORMS = [
    # (path, form data): each is refused and renders its page again, with errors.
    ("/staff/sites/{site_id}/special-days", {"special-kind": "extended", "special-starts_on": ""}),
    ("/staff/sites/{site_id}/hours", {"hours-opens": "25:00", "hours-closes": "x"}),
    ("/staff/sites/{site_id}/notices", {"notice-title": "", "notice-publish_on": "x"}),
    ("/staff/sites/{site_id}/edit/basic", {"basic-name": "", "basic-latitude": "x"}),
    ("/staff/sites/{site_id}/services/{service_id}/rules", {"rules-seat_limit": "0"}),
    ("/staff/sites/{site_id}/services/{service_id}/slot-rules", {"times-starts": "x"}),
    ("/staff/sites/{site_id}/close", {"site{site_id}-close-reason": ""}),
    ("/staff/sites/{site_id}/proxy-book", {"mobile": "1", "slot_id": "x"}),
    ("/staff/sites/{site_id}/check-in", {"code": "1"}),
    ("/staff/sites/{site_id}/volunteering/activities", {"activity-title": ""}),
    ("/staff/sites/{site_id}/volunteering/series", {"series-weeks": "0"}),
    ("/staff/sites/{site_id}/volunteering/activities/{activity_id}/edit", {"edit-title": ""}),
    ("/staff/sites/{site_id}/volunteering/activities/{activity_id}/places", {"places-places": "0"}),
    ("/staff/sites/{site_id}/volunteering/activities/{activity_id}/cancel", {"cancel-reason": ""}),
    ("/staff/sites/{site_id}/volunteering/series/{series_id}/cancel", {"cancel-reason": ""}),
    ("/staff/sites/{site_id}/volunteering/projects", {"project-title": ""}),
    (
        "/staff/sites/{site_id}/volunteering/projects/{project_id}/file",
        {"filing-filing_number": ""},
    ),
    ("/staff/sites/{site_id}/volunteering/projects/{project_id}/start", {}),
    (
        "/staff/sites/{site_id}/volunteering/projects/{project_id}/spending",
        {"spending-amount": "NaN"},
    ),
    (
        "/staff/sites/{site_id}/volunteering/projects/{project_id}/comments/{comment_id}/hide",
        {"comment{comment_id}-hide-reason": ""},
    ),
    (
        "/staff/sites/{site_id}/volunteering/projects/{project_id}/comments/{comment_id}/reply",
        {"comment{comment_id}-reply-body": ""},
    ),
    ("/projects/{project_id}/comments", {"body": ""}),
    ("/wishes/new", {"what": "", "due_on": "9999-12-31"}),
    ("/staff/communities/{community_id}/wishes", {"wish-what": "", "wish-for_age": "200"}),
    ("/staff/communities/{community_id}/wishes/rule", {"rule-points": "1000"}),
    ("/staff/communities/{community_id}/wishes/{wish_id}/unit", {"wish{wish_id}-unit": ""}),
    ("/staff/communities/{community_id}/grids", {"grid-name": "", "grid-head_phone": "1"}),
    ("/staff/communities/{community_id}/grids/import", {}),
    ("/staff/communities/{community_id}/grids/{grid_id}/edit", {"edit-parent_id": "x"}),
    ("/staff/communities/{community_id}/grids/{grid_id}/compounds", {"compound-name": ""}),
    ("/staff/communities/{community_id}/grids/{grid_id}/workers", {"worker-mobile": "1"}),
    (
        "/staff/communities/{community_id}/grids/{grid_id}/compounds/{compound_id}/buildings",
        {"in{compound_id}-building-name": ""},
    ),
    (
        "/staff/communities/{community_id}/grids/{grid_id}/buildings/{building_id}/edit",
        {"building{building_id}-head_phone": "x"},
    ),
    ("/topics/new", {"title": "", "text": "x" * 3000}),
    ("/staff/communities/{community_id}/topics/threshold", {"threshold-threshold": "１０"}),
    ("/staff/communities/{community_id}/topics/new", {"topic-title": "", "topic-text": ""}),
    ("/staff/communities/{community_id}/topics/meetings", {"meeting-slot": "x", "day": "x"}),
    ("/me/home", {"community": "x", "action": "save"}),
    ("/requests/new", {"report-category": "repairs", "report-text": ""}),
    ("/staff/requests/{request_id}/move", {"action": "reject", "note": ""}),
    ("/staff/requests/{request_id}/reassign", {"reassign-grid": "x"}),
    ("/staff/requests/{request_id}/follow-up", {"follow-note": ""}),
    ("/staff/requests/new", {"log-mobile": "1"}),
    ("/admin/request-deadlines", {"repairs_accept": "0", "repairs_resolve": "NaN"}),
    ("/admin/users/{user_id}/scopes", {"site_id": "x"}),
    ("/admin/districts", {"name": ""}),
    ("/me/password", {"current_password": "", "password": "x"}),
    ("/me/volunteer-profile", {"real_name": ""}),
]


@pytest.mark.parametrize(("path", "data"), REFUSED_FORMS, ids=[p for p, _d in REFUSED_FORMS])
def test_refused_forms_render_sound_pages(app, client, auth, world, path, data):  # noqa: F811
    auth.login(world["admin"])
    app.config["WTF_CSRF_ENABLED"] = True
    values = world["values"]
    url = path.format(**values)
    token = _token(client, "/staff/")
    form = {key.format(**values): value for key, value in data.items()}
    response = client.post(url, data=form, headers={"X-CSRFToken": token})
    assert response.status_code == 422, (url, response.status_code)
    assert_clean_page(response, url)
