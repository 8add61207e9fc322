"""The staff's day list of bookings on a phone: each booking is a row that is its own
fragment, refusals show in the row that was tapped (with and without JavaScript), a
check-in updates the row out of band, a number is revealed without JavaScript too, and
the page is valid HTML (no duplicate ids, no form inside a paragraph)."""

from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from app.bookings import service as bookings
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Booking, Site

from . import factories as f

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)  # Monday 10:00
HTMX = {"HX-Request": "true"}
TOO_EARLY = "预约时间开始后才能标记未到。"


class Page(HTMLParser):
    """What the tests need to know of a page: its ids, the text and form actions
    inside each element with an id, and forms that sit where a form may not."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}  # fmt: skip
    # Elements that hold phrasing content only: a <form> inside one is invalid
    # (a <p> is even closed by it, leaving a stray </p>).
    PHRASING_ONLY = {"p", "span", "strong", "em", "a", "label", "button", "h1", "h2", "h3"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.actions: dict[str, list[str]] = {}
        self.attrs: dict[str, dict[str, str]] = {}
        self.misplaced_forms: list[str] = []
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            holders = [t for t, _ in self._open if t in self.PHRASING_ONLY]
            if holders:
                self.misplaced_forms.append(
                    f"<form action={attrs.get('action')}> in <{holders[-1]}>"
                )
            for _, elem_id in self._open:
                if elem_id:
                    self.actions[elem_id].append(attrs.get("action", ""))
        elem_id = attrs.get("id")
        if elem_id is not None:
            self.ids.append(elem_id)
            self.text.setdefault(elem_id, [])
            self.actions.setdefault(elem_id, [])
            self.attrs[elem_id] = attrs
        if tag not in self.VOID:
            self._open.append((tag, elem_id))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self._open.pop()

    def handle_endtag(self, tag):
        for n in range(len(self._open) - 1, -1, -1):
            if self._open[n][0] == tag:
                del self._open[n:]
                return

    def handle_data(self, data):
        for _, elem_id in self._open:
            if elem_id:
                self.text[elem_id].append(data)

    def inside(self, elem_id: str) -> str:
        assert elem_id in self.text, f"no element with id={elem_id!r}"
        return " ".join("".join(self.text[elem_id]).split())

    def duplicate_ids(self) -> set[str]:
        return {i for i in self.ids if self.ids.count(i) > 1}


def top_flash_area(html: str) -> str:
    """What base.html shows between <main> and the page's own content (the flashes)."""
    return html.split('<main id="main"')[1].split('<nav class="breadcrumbs"')[0]


@pytest.fixture
def day(app, auth, freeze):
    """A site with three bookings today: one started (09:30), one later (12:00), one
    room booking waiting for approval (14:00); its worker is logged in."""
    site = f.site(name="东方中心")
    legal = f.bookable_service(site, name="法律咨询")
    room = f.bookable_service(site, category="venue", name="活动室", rule={"needs_approval": True})
    started_slot = f.slot(legal, NOW - timedelta(minutes=30))
    later_slot = f.slot(legal, NOW + timedelta(hours=2))
    room_slot = f.slot(room, NOW + timedelta(hours=4))
    wang, li, zhao = f.user("王阿姨"), f.user("李叔叔"), f.user("赵大爷")
    staff = f.user("站长", staff_of=(site,))
    db.session.commit()
    freeze(NOW - timedelta(hours=3))
    started = bookings.book_slot(wang, started_slot.id, seats=2).booking
    later = bookings.book_slot(li, later_slot.id).booking
    pending = bookings.book_slot(zhao, room_slot.id).booking
    freeze(NOW)
    auth.login(staff)
    db.session.rollback()
    return dict(
        site=site.id, started=started.id, later=later.id, pending=pending.id,
        started_code=started.code, wang=wang.mobile, li=li.mobile, zhao=zhao.mobile,
        list=f"/staff/sites/{site.id}/bookings?date=2026-11-23",
    )  # fmt: skip


def url(day, booking_key, action):
    return f"/staff/sites/{day['site']}/bookings/{day[booking_key]}/{action}"


def status_of(booking_id: int) -> str:
    db.session.rollback()
    return db.session.get(Booking, booking_id).status


def reveals() -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "personal.revealed")
    )


# Each booking is a row ---------------------------------------------------------------


def test_each_booking_is_a_row_with_a_stable_id(client, day):
    page = Page(client.get(day["list"]).text)
    assert "王阿姨" in page.inside(f"booking-{day['started']}")
    assert "李叔叔" in page.inside(f"booking-{day['later']}")
    assert "赵大爷" in page.inside(f"booking-{day['pending']}")


def test_no_show_is_offered_only_once_the_slot_has_started(client, day):
    page = Page(client.get(day["list"]).text)
    assert url(day, "started", "no-show") in page.actions[f"booking-{day['started']}"]
    later_actions = page.actions[f"booking-{day['later']}"]
    assert not any(action.endswith("/no-show") for action in later_actions)


def test_no_show_appears_when_the_later_slot_starts(client, day, freeze):
    freeze(NOW + timedelta(hours=2))
    page = Page(client.get(day["list"]).text)
    assert url(day, "later", "no-show") in page.actions[f"booking-{day['later']}"]


# Refusals show in the row that was tapped ---------------------------------------------

REFUSALS = [
    # (booking, action, form, message, status it keeps)
    ("later", "no-show", {}, TOO_EARLY, "booked"),
    ("started", "decide", {"decision": "approve"}, "这个预约的状态是：已预约。", "booked"),
    ("started", "decide", {"decision": "decline"}, "这个预约的状态是：已预约。", "booked"),
]


@pytest.mark.parametrize(("key", "action", "form", "message", "status"), REFUSALS)
def test_refusal_without_javascript_shows_in_the_row(client, day, key, action, form, message,
                                                     status):  # fmt: skip
    response = client.post(url(day, key, action), data=form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"?date=2026-11-23#booking-{day[key]}")
    html = client.get(response.headers["Location"]).text
    page = Page(html)
    assert message in page.inside(f"booking-{day[key]}")
    assert message not in top_flash_area(html) and 'class="flash' not in top_flash_area(html)
    other = "later" if key == "started" else "started"
    assert message not in page.inside(f"booking-{day[other]}")
    assert status_of(day[key]) == status
    # Shown once: the next visit of the list is clean.
    assert message not in client.get(day["list"]).text


@pytest.mark.parametrize(("key", "action", "form", "message", "status"), REFUSALS)
def test_refusal_with_htmx_swaps_only_the_row(client, day, key, action, form, message, status):
    response = client.post(
        url(day, key, action), data=form, headers={**HTMX, "HX-Target": f"booking-{day[key]}"}
    )
    assert response.status_code == 422
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]
    page = Page(response.text)
    assert page.ids[0] == f"booking-{day[key]}"
    assert message in page.inside(f"booking-{day[key]}")
    assert f"booking-{day['later' if key == 'started' else 'started']}" not in page.ids
    assert status_of(day[key]) == status


def test_refusal_for_a_booking_no_longer_listed_shows_above_the_list(client, day):
    # Declined in another tab; the stale page still offers "approve".
    declined = client.post(url(day, "pending", "decide"), data={"decision": "decline"})
    assert declined.status_code == 303
    response = client.post(url(day, "pending", "decide"), data={"decision": "approve"})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).text
    page = Page(html)
    assert f"booking-{day['pending']}" not in page.ids  # a declined booking leaves the list
    assert "这个预约的状态是：未通过。" in html.split('id="list-title"')[1]
    assert status_of(day["pending"]) == "declined"


def test_no_show_with_htmx_updates_the_row(client, day):
    response = client.post(
        url(day, "started", "no-show"), headers={**HTMX, "HX-Target": f"booking-{day['started']}"}
    )
    assert response.status_code == 200 and "<html" not in response.text
    page = Page(response.text)
    row = f"booking-{day['started']}"
    assert page.ids[0] == row and "未到" in page.inside(row)
    assert not any(a.endswith("/no-show") for a in page.actions[row])
    assert status_of(day["started"]) == "no_show"


def test_approve_with_htmx_updates_the_row(client, day):
    response = client.post(
        url(day, "pending", "decide"), data={"decision": "approve"},
        headers={**HTMX, "HX-Target": f"booking-{day['pending']}"},
    )  # fmt: skip
    assert response.status_code == 200 and "<html" not in response.text
    row = f"booking-{day['pending']}"
    page = Page(response.text)
    assert "已预约" in page.inside(row)
    assert not any(a.endswith("/decide") for a in page.actions[row])
    assert status_of(day["pending"]) == "booked"


def test_no_show_without_javascript_returns_to_the_row(client, day):
    response = client.post(url(day, "started", "no-show"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"?date=2026-11-23#booking-{day['started']}")
    page = Page(client.get(response.headers["Location"]).text)
    assert "未到" in page.inside(f"booking-{day['started']}")
    assert status_of(day["started"]) == "no_show"


# Check-in updates the row too ----------------------------------------------------------


def test_check_in_with_htmx_updates_the_row_out_of_band(client, day):
    response = client.post(
        f"/staff/sites/{day['site']}/check-in", data={"code": day["started_code"]},
        headers={**HTMX, "HX-Target": "checkin"},
    )  # fmt: skip
    assert response.status_code == 200 and "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]
    page = Page(response.text)
    assert page.ids[0] == "checkin"
    assert "已签到：王阿姨，法律咨询，2 位" in page.inside("checkin")
    row = f"booking-{day['started']}"
    assert page.attrs[row].get("hx-swap-oob") == "true"
    assert "已签到" in page.inside(row)
    assert not any(a.endswith("/no-show") for a in page.actions[row])
    # The other rows are not sent.
    assert f"booking-{day['later']}" not in page.ids
    assert status_of(day["started"]) == "checked_in"


def test_refused_check_in_with_htmx_sends_no_row(client, day):
    response = client.post(
        f"/staff/sites/{day['site']}/check-in", data={"code": "12345678"},
        headers={**HTMX, "HX-Target": "checkin"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "hx-swap-oob" not in response.text and "这里没有这个预约码的预约" in response.text


def test_check_in_without_javascript_shows_the_row_checked_in(client, day):
    response = client.post(
        f"/staff/sites/{day['site']}/check-in", data={"code": day["started_code"]}
    )
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).text
    page = Page(html)
    row = f"booking-{day['started']}"
    assert "已签到" in page.inside(row)
    assert not any(a.endswith("/no-show") for a in page.actions[row])
    assert "hx-swap-oob" not in html


# Show number ---------------------------------------------------------------------------


def test_reveal_without_javascript_returns_to_the_list_with_that_number(client, day):
    response = client.post(url(day, "started", "reveal"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"?date=2026-11-23#booking-{day['started']}")
    assert reveals() == 1
    page = Page(client.get(response.headers["Location"]).text)
    assert day["wang"] in page.inside(f"booking-{day['started']}")
    assert day["li"] not in page.inside(f"booking-{day['later']}")  # the others stay masked
    assert day["li"][:3] + "****" in page.inside(f"booking-{day['later']}")
    assert day["zhao"] not in page.inside(f"booking-{day['pending']}")
    assert reveals() == 1  # showing it is not another reveal
    # The reveal lasts one view: reloading the list masks the number again.
    assert day["wang"] not in client.get(day["list"]).text
    assert reveals() == 1


def test_reveal_with_htmx_swaps_just_the_number(client, day):
    response = client.post(
        url(day, "started", "reveal"),
        headers={**HTMX, "HX-Target": f"mobile-{day['started']}"},
    )
    assert response.status_code == 200 and "<html" not in response.text
    page = Page(response.text)
    assert page.ids == [f"mobile-{day['started']}"]
    assert day["wang"] in page.inside(f"mobile-{day['started']}")
    assert "HX-Request" in response.headers["Vary"]
    assert reveals() == 1


def test_reveal_outside_the_scope_is_refused(client, day):
    other = f.site(name="西郊中心")
    db.session.commit()
    response = client.post(f"/staff/sites/{other.id}/bookings/{day['started']}/reveal")
    assert response.status_code == 403  # not the worker's site
    assert reveals() == 0


# Valid HTML ----------------------------------------------------------------------------


def test_day_list_has_unique_ids_and_no_form_inside_a_paragraph(app, client, day):
    reveal = client.post(url(day, "started", "reveal"))  # a revealed row too
    # With CSRF on, as in production, every form carries its hidden token.
    app.config["WTF_CSRF_ENABLED"] = True
    html = client.get(reveal.headers["Location"]).text
    app.config["WTF_CSRF_ENABLED"] = False
    assert html.count('name="csrf_token"') >= 4
    page = Page(html)
    assert page.duplicate_ids() == set()
    assert page.misplaced_forms == []
    assert day["wang"] in page.inside(f"booking-{day['started']}")
    row = client.post(
        url(day, "later", "no-show"), headers={**HTMX, "HX-Target": f"booking-{day['later']}"}
    )
    assert row.status_code == 422 and Page(row.text).misplaced_forms == []


def test_day_list_queries_do_not_grow_with_the_rows(client, day, count_queries, freeze):
    with count_queries() as few:
        assert client.get(day["list"]).status_code == 200
    db.session.rollback()
    site = db.session.get(Site, day["site"])
    extra = f.bookable_service(site, name="老年人理发")
    slot = f.slot(extra, NOW + timedelta(hours=5), capacity=10)
    residents = [f.user(f"居民{n}") for n in range(6)]
    db.session.commit()
    freeze(NOW - timedelta(hours=3))
    for resident in residents:
        bookings.book_slot(resident, slot.id)
    freeze(NOW)
    with count_queries() as many:
        page = client.get(day["list"])
    assert page.text.count('class="card booking-row"') == 9
    assert len(many) == len(few)
