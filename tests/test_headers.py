"""Every response, from every GET route, carries the security headers."""

from app.extensions import db

from . import factories as f


def test_every_get_route_sends_security_headers(app, client, auth):
    site = f.site()
    admin = f.user(admin=True, staff_of=(site,))
    db.session.commit()
    auth.login(admin)
    values = {
        "site_id": site.id,
        "user_id": admin.id,
        "scope_id": 1,
        "service_id": 1,
        "booking_id": 1,
        "rule_id": 1,
        "interval_id": 1,
        "special_id": 1,
        "notice_id": 1,
        "team_id": 1,
        "project_id": 1,
        "activity_id": 1,
        "membership_id": 1,
        "comment_id": 1,
        "signup_id": 1,
        "item_id": 1,
        "redemption_id": 1,
        "district_id": 1,
        "street_id": 1,
        "community_id": 1,
        "code": "not-a-code",
        "filename": "css/app.css",
        "key": "0" * 32,
    }
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = rule.rule
        for name in rule.arguments:
            # Ids the map below does not name are 1: a page or a 404, headers either way.
            value = values.get(name, 1 if name.endswith("_id") else None)
            assert value is not None, f"teach the header sweep the argument {name!r}"
            for converter in ("int:", "path:", ""):
                path = path.replace(f"<{converter}{name}>", str(value))
        response = client.get(path)
        assert response.status_code < 500, path
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert (
            "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        )
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        seen += 1
    assert seen >= 15
