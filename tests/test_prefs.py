"""Language and elder-mode switches: POST only, remembered, safe redirects."""

import pytest

from . import factories as f

SAME_ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture
def page_exists(app):
    f.site(name="东方社区党群服务中心")
    from app.extensions import db

    db.session.commit()


def test_switch_to_english_and_back(client, page_exists):
    response = client.post(
        "/prefs/language", data={"language": "en", "next": "/sites?q=a"}, headers=SAME_ORIGIN
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/sites?q=a"
    cookie = client.get_cookie("lang")
    assert cookie.value == "en" and cookie.http_only
    page = client.get("/sites")
    assert "Find a station" in page.text and '<html lang="en"' in page.text
    assert 'name="language" value="zh"' in page.text  # the switch back
    client.post("/prefs/language", data={"language": "zh", "next": "/"}, headers=SAME_ORIGIN)
    assert "找站点" in client.get("/sites").text


def test_elder_mode_on_and_off(client, page_exists):
    response = client.post("/prefs/elder", data={"elder": "1", "next": "/"}, headers=SAME_ORIGIN)
    assert response.status_code == 303
    page = client.get("/")
    assert 'class="elder"' in page.text and 'aria-pressed="true"' in page.text
    client.post("/prefs/elder", data={"elder": "0", "next": "/"}, headers=SAME_ORIGIN)
    assert 'class="elder"' not in client.get("/").text


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "evil",
        "",
    ],
)
def test_only_local_next_urls_are_followed(client, page_exists, target):
    response = client.post(
        "/prefs/language", data={"language": "en", "next": target}, headers=SAME_ORIGIN
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/prefs/language", {"language": "fr"}),
        ("/prefs/language", {}),
        ("/prefs/elder", {"elder": "yes"}),
    ],
)
def test_bad_values_are_refused_and_change_nothing(client, page_exists, path, data):
    response = client.post(path, data=data, headers=SAME_ORIGIN)
    assert response.status_code == 400
    assert "请求有误" in response.text
    assert client.get_cookie("lang") is None and client.get_cookie("elder") is None


@pytest.mark.parametrize("path", ["/prefs/language", "/prefs/elder"])
def test_switches_do_not_answer_get(client, page_exists, path):
    response = client.get(path + "?language=en&elder=1")
    assert response.status_code == 405
    assert client.get_cookie("lang") is None and client.get_cookie("elder") is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/page"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "null"},
    ],
)
def test_switch_from_another_site_is_refused(databases, template_url, headers):
    """The switches take no CSRF token (cached pages carry none): the origin decides."""
    from app.extensions import db

    from .conftest import make_app

    url = databases.new_url(template=template_url)
    app = make_app(url)  # CSRF on, as in production
    try:
        client = app.test_client()
        response = client.post("/prefs/language", data={"language": "en", "next": "/"},
                               headers=headers)  # fmt: skip
        assert response.status_code == 400
        assert client.get_cookie("lang") is None
        # From the portal's own page (Origin, or Referer when there is no Origin).
        for own in ({"Origin": "http://localhost"}, {"Referer": "http://localhost/sites"}):
            response = client.post(
                "/prefs/language", data={"language": "en", "next": "/"}, headers=own
            )
            assert response.status_code == 303 and client.get_cookie("lang").value == "en"
    finally:
        with app.app_context():
            db.engine.dispose()
        databases.drop(url)
