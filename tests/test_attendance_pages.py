"""The attendance pages through the real request path: checking in and out from
the activity's page and from the door's QR code, the printable QR, the roster,
its marks and the staff's confirmation. Each answers with its status, shows
what happened, and leaves the database as it says; refused input is a 422 that
changes nothing; people who do not organise the activity get 403.

Messages new with these pages are checked in English (the ``lang`` cookie):
their Chinese comes with the catalogue's next merge.
"""

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, AuditEntry, PointsEntry, Signup

from . import factories as f
from .html_check import assert_clean_page
from .test_attendance import CODE, END, START, day  # noqa: F401 (the day fixture)

HTMX = {"HX-Request": "true", "HX-Target": "signup-box"}


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")
    return client


def row(signup_id):
    db.session.rollback()  # a fresh snapshot: what the requests wrote
    return db.session.get(Signup, signup_id)


def ledger_count():
    db.session.rollback()
    return db.session.scalar(select(func.count(PointsEntry.id)))


def audits(action):
    db.session.rollback()
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def path(day, suffix=""):  # noqa: F811
    return f"/activities/{day['activity'].id}{suffix}"


# Checking in and out from the activity's page ------------------------------------------


def test_check_in_then_out_without_javascript(english, auth, day, freeze):  # noqa: F811
    client, vol = english, day["vols"][0]
    freeze(START - timedelta(minutes=10))
    auth.login(vol)
    page = client.get(path(day))
    assert 'id="checkin-code"' in page.text and 'id="checkout-code"' not in page.text
    response = client.post(path(day, "/check-in"), data={"code": "123 456"})
    assert response.status_code == 303 and response.headers["Location"] == path(day)
    signup = row(day["signup"][vol.id])
    assert (signup.status, signup.hours_credited, signup.checked_in_at) == (
        "checked_in", 0, START - timedelta(minutes=10),
    )  # fmt: skip
    page = client.get(path(day)).text
    assert "Checked in at 08:50. Check out with the same code when you leave." in page
    assert "Check out here when you leave, after the start at 09:00." in page
    assert 'id="checkin-code"' not in page and 'id="checkout-code"' not in page
    assert ledger_count() == 0  # no hours at check-in

    freeze(START + timedelta(minutes=75))
    page = client.get(path(day)).text
    assert f'action="{path(day, "/check-out")}"' in page and 'id="checkout-code"' in page
    response = client.post(path(day, "/check-out"), data={"code": CODE})
    assert response.status_code == 303
    assert "Checked out: 1.25 hours credited." in client.get(path(day)).text
    signup = row(day["signup"][vol.id])
    assert (signup.status, signup.hours_credited) == ("attended", Decimal("1.25"))
    assert signup.checked_out_at == START + timedelta(minutes=75)
    mine = client.get("/me/volunteer").text
    assert "1.25 hours credited" in mine and re.search(r'class="stat">1\.25<', mine)


def test_check_in_and_out_with_htmx_swap_the_box(english, auth, day, freeze):  # noqa: F811
    client, vol = english, day["vols"][0]
    freeze(START)
    auth.login(vol)
    response = client.post(path(day, "/check-in"), data={"code": CODE}, headers=HTMX)
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="signup-box"' in response.text and "HX-Request" in response.headers["Vary"]
    assert 'id="checkout-code"' in response.text
    freeze(END)
    response = client.post(path(day, "/check-out"), data={"code": CODE}, headers=HTMX)
    assert response.status_code == 200 and "Checked out: 2 hours credited." in response.text
    assert row(day["signup"][vol.id]).status == "attended"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the activity's 6-digit code."),
        ("12345", "Enter the activity's 6-digit code."),
        ("1234567", "Enter the activity's 6-digit code."),
        ("١٢٣٤٥٦", "Enter the activity's 6-digit code."),  # Arabic-Indic digits are not a code
        ("x" * 5000, "Enter the activity's 6-digit code."),
        ("654321", "That code is not right."),
    ],
)
def test_a_bad_code_is_a_422_that_changes_nothing(english, auth, day, freeze, code, message):  # noqa: F811
    client, vol = english, day["vols"][0]
    freeze(START)
    auth.login(vol)
    for headers in ({}, HTMX):
        response = client.post(path(day, "/check-in"), data={"code": code}, headers=headers)
        assert response.status_code == 422 and message in response.text, headers
        assert ("<html" in response.text) == (not headers)
    assert row(day["signup"][vol.id]).status == "signed_up"
    if len(code) == 6:
        assert f'value="{code}"' in response.text  # what was typed stays in the field
    client.post(path(day, "/check-in"), data={"code": CODE})
    freeze(END)
    response = client.post(path(day, "/check-out"), data={"code": code})
    assert response.status_code == 422 and message in response.text
    signup = row(day["signup"][vol.id])
    assert (signup.status, signup.hours_credited) == ("checked_in", 0) and ledger_count() == 0


def test_check_out_without_check_in_twice_and_too_late(english, auth, day, freeze):  # noqa: F811
    client, vol = english, day["vols"][0]
    freeze(START + timedelta(minutes=30))
    auth.login(vol)
    response = client.post(path(day, "/check-out"), data={"code": CODE})
    assert response.status_code == 422 and "Check in first" in response.text
    client.post(path(day, "/check-in"), data={"code": CODE})
    freeze(END + timedelta(hours=2, minutes=1))
    response = client.post(path(day, "/check-out"), data={"code": CODE})
    assert response.status_code == 422 and "Check-out closed at 2026-11-28 13:00" in response.text
    assert "The staff will confirm your hours." in client.get(path(day)).text  # no form now
    freeze(END)
    assert client.post(path(day, "/check-out"), data={"code": CODE}).status_code == 303
    again = client.post(path(day, "/check-out"), data={"code": CODE})
    assert again.status_code == 422 and "You have checked out already" in again.text
    assert row(day["signup"][vol.id]).hours_credited == Decimal("1.5") and ledger_count() == 1


def test_someone_not_signed_up_checks_nothing(english, auth, day, freeze):  # noqa: F811
    stranger = f.volunteer("路人")
    db.session.commit()
    freeze(START)
    auth.login(stranger)
    for verb in ("in", "out"):
        response = english.post(path(day, f"/check-{verb}"), data={"code": CODE})
        assert response.status_code == 422, verb
    db.session.rollback()
    assert (
        db.session.scalar(select(func.count(Signup.id)).where(Signup.user_id == stranger.id)) == 0
    )


def test_logged_out_posts_go_to_log_in(client, day):  # noqa: F811
    for verb in ("in", "out"):
        response = client.post(path(day, f"/check-{verb}"), data={"code": CODE})
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# The QR code's page ---------------------------------------------------------------------


def test_the_qr_page_logs_in_then_checks_in_with_one_button(english, auth, day, freeze):  # noqa: F811
    client, vol = english, day["vols"][0]
    freeze(START - timedelta(minutes=20))
    landing = path(day, f"/check-in?code={CODE}")
    response = client.get(landing)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == [landing]
    logged_in = client.post(f"/login?next={quote(landing, safe='')}",
                            data={"mobile": vol.mobile, "password": f.PASSWORD})  # fmt: skip
    assert logged_in.status_code == 303 and logged_in.headers["Location"] == landing
    page = client.get(landing)
    assert page.status_code == 200 and row(day["signup"][vol.id]).status == "signed_up"
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page.text, re.S)
    assert form.group(1) == path(day, "/check-in")
    assert f'name="code" value="{CODE}"' in form.group(2) and ">Check in<" in form.group(2)
    assert 'name="csrf_token"' in form.group(2)
    assert client.post(form.group(1), data={"code": CODE}).status_code == 303
    assert row(day["signup"][vol.id]).status == "checked_in"
    freeze(START + timedelta(hours=1))
    page = client.get(landing).text
    assert f'action="{path(day, "/check-out")}"' in page and ">Check out<" in page
    assert client.post(path(day, "/check-out"), data={"code": CODE}).status_code == 303
    assert row(day["signup"][vol.id]).hours_credited == 1
    page = client.get(landing).text
    assert "1 hours credited" in page and '<form method="post" action="/activities' not in page


@pytest.mark.parametrize(
    ("moment", "query", "shown"),
    [
        (START - timedelta(hours=2), f"code={CODE}", "Check-in opens today at 08:00."),
        (END + timedelta(minutes=1), f"code={CODE}", "Check-in has closed"),
        (START, "code=000000", "This QR code is not the code of this activity"),
        (START, "", "This QR code is not the code of this activity"),
        (START, "code=" + "9" * 3000, "This QR code is not the code of this activity"),
    ],
)
def test_the_qr_page_says_why_there_is_no_button(english, auth, day, freeze, moment, query, shown):  # noqa: F811
    freeze(moment)
    auth.login(day["vols"][0])
    page = english.get(path(day, f"/check-in?{query}"))
    assert page.status_code == 200 and shown in page.text
    assert 'action="/activities' not in page.text
    assert row(day["signup"][day["vols"][0].id]).status == "signed_up"


def test_the_qr_page_for_someone_not_signed_up(english, auth, day, freeze):  # noqa: F811
    freeze(START)
    auth.login(day["other_leader"])
    page = english.get(path(day, f"/check-in?code={CODE}"))
    assert page.status_code == 200 and "You are not signed up for this activity." in page.text
    assert 'action="/activities' not in page.text
    assert english.get(f"/activities/999999/check-in?code={CODE}").status_code == 404


def test_the_door_qr_is_for_organisers_only(english, auth, day):  # noqa: F811
    for organiser in (day["staff"], day["leader"], day["deputy"]):
        auth.login(organiser)
        page = english.get(path(day, "/check-in/qr"))
        assert page.status_code == 200, organiser.display_name
        assert "<svg" in page.text and "123 456" in page.text
        assert f"http://localhost{path(day, '/check-in')}?code={CODE}" in page.text
        auth.logout()
    for outsider in (day["vols"][0], day["other_leader"], day["other_site_staff"]):
        auth.login(outsider)
        page = english.get(path(day, "/check-in/qr"))
        assert page.status_code == 403 and CODE not in page.text, outsider.display_name
        auth.logout()
    assert english.get(path(day, "/check-in/qr")).status_code == 302


# The roster ------------------------------------------------------------------------------


def test_the_roster_shows_times_hours_and_what_is_open(english, auth, day, freeze):  # noqa: F811
    a, b, c, _d = day["vols"]
    freeze(START - timedelta(minutes=5))
    for vol in (a, b):
        auth.login(vol)
        english.post(path(day, "/check-in"), data={"code": CODE})
        auth.logout()
    freeze(START + timedelta(minutes=90))
    auth.login(b)
    english.post(path(day, "/check-out"), data={"code": CODE})
    auth.logout()
    auth.login(day["leader"])
    english.post(path(day, f"/roster/{day['signup'][c.id]}"), data={"attended": "0"})
    page = english.get(path(day, "/roster")).text
    card = lambda person: re.search(  # noqa: E731
        rf'<li class="card" id="signup-{day["signup"][person.id]}">(.*?)</li>', page, re.S
    ).group(1)
    assert "checked in" in card(a) and "in 08:55" in card(a) and "out" not in card(a)
    assert "in 08:55 · out 10:30 · 1.5 hours credited" in card(b)
    assert "absent" in card(c) and "Marked absent" in card(c)
    assert "Your own sign-up: another organiser or the staff marks it." in card(day["leader"])
    assert 'action="/activities' not in card(day["leader"])
    counts = re.findall(r'<span class="stat">([^<]+)</span> ([^<]+)</li>', page)
    assert counts == [("1", "checked in, not out"), ("3", "not marked yet"),
                      ("1", "attended"), ("1.5", "hours credited")]  # fmt: skip
    assert "Confirm the roster" not in page  # a leader: and it has not ended
    auth.logout()
    auth.login(day["staff"])
    page = english.get(path(day, "/roster")).text
    assert "When the activity has ended (11:00)" in page and "Confirm the roster" not in page
    freeze(END)
    page = english.get(path(day, "/roster")).text
    assert f'action="{path(day, "/roster/confirm")}"' in page


def test_marks_go_through_the_rules(english, auth, day, freeze):  # noqa: F811
    vol = day["signup"][day["vols"][0].id]
    mark = path(day, f"/roster/{vol}")
    freeze(START - timedelta(minutes=1))
    auth.login(day["leader"])
    response = english.post(mark, data={"attended": "1"})
    assert response.status_code == 422 and "once the activity has started" in response.text
    freeze(START + timedelta(hours=1))
    own = english.post(
        path(day, f"/roster/{day['signup'][day['leader'].id]}"), data={"attended": "1"}
    )
    assert own.status_code == 422 and "cannot mark your own sign-up" in own.text
    over = english.post(mark, data={"attended": "1", "hours": "3", "reason": "帮忙收拾"})
    assert over.status_code == 422 and "Only the staff can credit more than" in over.text
    assert 'value="帮忙收拾"' in over.text and 'value="3"' in over.text  # kept as typed
    quarter = english.post(mark, data={"attended": "1", "hours": "1.3", "reason": "提前离开"})
    assert quarter.status_code == 422 and "quarter hours" in quarter.text
    for decision in ({"attended": "2"}, {}, {"attended": "1", "hours": "1.255"}):
        assert english.post(mark, data=decision).status_code == 422, decision
    assert row(vol).status == "signed_up" and row(day["signup"][day["leader"].id]).status == (
        "signed_up"
    ) and ledger_count() == 0 and audits("signup.marked") == []  # fmt: skip
    response = english.post(mark, data={"attended": "1", "hours": "1.75", "reason": "提前离开"})
    assert response.status_code == 303
    assert response.headers["Location"] == path(day, f"/roster#signup-{vol}")
    assert row(vol).hours_credited == Decimal("1.75") and len(audits("signup.marked")) == 1
    auth.logout()
    auth.login(day["staff"])
    response = english.post(mark, data={"attended": "1", "hours": "3", "reason": "帮忙收拾"})
    assert response.status_code == 303 and row(vol).hours_credited == 3
    [entry] = audits("signup.over_hours")
    assert entry.after["reason"] == "帮忙收拾" and entry.before["hours"] == "1.75"
    other = f.activity(day["site"], START, team_obj=day["team"])
    db.session.commit()
    assert (
        english.post(f"/activities/{other.id}/roster/{vol}", data={"attended": "1"}).status_code
        == 404
    )


@pytest.mark.parametrize("who", ["vols", "other_leader", "other_site_staff"])
def test_people_who_do_not_organise_get_403(english, auth, day, freeze, who):  # noqa: F811
    person = day[who][0] if who == "vols" else day[who]
    freeze(END)
    auth.login(person)
    vol = day["signup"][day["vols"][1].id]
    assert english.get(path(day, "/roster")).status_code == 403
    assert english.post(path(day, f"/roster/{vol}"), data={"attended": "1"}).status_code == 403
    assert english.post(path(day, "/roster/confirm")).status_code == 403
    assert row(vol).status == "signed_up" and ledger_count() == 0
    db.session.rollback()
    assert db.session.get(Activity, day["activity"].id).roster_confirmed_at is None


def test_staff_confirm_the_roster_once(english, auth, day, freeze):  # noqa: F811
    a, b, c, _d = day["vols"]
    freeze(START)
    for vol in (a, b, c):
        auth.login(vol)
        english.post(path(day, "/check-in"), data={"code": CODE})
        auth.logout()
    freeze(START + timedelta(minutes=30))
    auth.login(c)
    english.post(path(day, "/check-out"), data={"code": CODE})
    auth.logout()
    freeze(END)
    auth.login(day["leader"])
    assert english.post(path(day, "/roster/confirm")).status_code == 403  # staff only
    auth.logout()
    freeze(END - timedelta(minutes=1))
    auth.login(day["staff"])
    early = english.post(path(day, "/roster/confirm"))
    assert early.status_code == 422 and "once the activity has ended" in early.text
    assert audits("activity.roster_confirmed") == []
    freeze(END + timedelta(minutes=20))
    response = english.post(path(day, "/roster/confirm"))
    assert response.status_code == 303 and response.headers["Location"] == path(day, "/roster")
    page = english.get(path(day, "/roster")).text
    assert "2 volunteers who did not check out are credited 2 hours each" in page
    assert "The roster was confirmed at" in page and "Confirm the roster" not in page
    status = [(row(day["signup"][v.id]).status, row(day["signup"][v.id]).hours_credited)
              for v in (a, b, c, _d)]  # fmt: skip
    assert status == [("attended", 2), ("attended", 2), ("attended", Decimal("0.5")),
                      ("signed_up", 0)]  # fmt: skip
    db.session.rollback()
    assert db.session.get(Activity, day["activity"].id).roster_confirmed_at == END + timedelta(
        minutes=20
    )
    [entry] = audits("activity.roster_confirmed")
    assert entry.after == {"credited": 2, "hours": "2"} and entry.site_id == day["site"].id
    again = english.post(path(day, "/roster/confirm"))
    assert again.status_code == 422 and "The roster was confirmed at 2026-11-28 11:20" in again.text
    assert len(audits("activity.roster_confirmed")) == 1 and ledger_count() == 3


def test_every_attendance_page_is_sound_html(english, auth, day, freeze):  # noqa: F811
    """The pages in each of their states, through the HTML checker of the sweeps
    (an id used twice, a POST form without its CSRF field, a skipped heading…)."""
    client, vol = english, day["vols"][0]
    landing = path(day, f"/check-in?code={CODE}")
    freeze(START - timedelta(minutes=30))
    auth.login(vol)
    seen = [client.get(path(day)), client.get(landing)]  # check-in form, button
    seen.append(client.post(path(day, "/check-in"), data={"code": "000000"}))  # refused
    client.post(path(day, "/check-in"), data={"code": CODE})
    freeze(START + timedelta(minutes=30))
    seen += [client.get(path(day)), client.get(landing)]  # check-out form, button
    seen.append(client.post(path(day, "/check-out"), data={"code": "1"}, headers=HTMX))
    auth.logout()
    freeze(END + timedelta(minutes=5))
    auth.login(day["staff"])
    seen += [client.get(path(day, "/roster")), client.get(path(day, "/check-in/qr"))]
    refused = client.post(path(day, f"/roster/{day['signup'][day['vols'][1].id]}"),
                          data={"attended": "1", "hours": "9", "reason": ""})  # fmt: skip
    assert refused.status_code == 422
    seen.append(refused)
    client.post(path(day, "/roster/confirm"))
    seen.append(client.get(path(day, "/roster")))
    for response in seen:
        assert response.status_code in (200, 422), response.request.path
        assert_clean_page(response)
