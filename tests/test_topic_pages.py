"""Every deliberation page, as people use them: what the page says, what the
database holds afterwards, and bad input refused with a message (422) while
nothing changes."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Meeting, Topic, TopicRule

from .test_topics import NOW, agenda_topic, proposed, town  # noqa: F401 (the town fixture)


def fresh(topic_id):
    db.session.rollback()
    return db.session.get(Topic, topic_id)


def count():
    db.session.rollback()
    return db.session.scalar(select(func.count(Topic.id)))


def staff_url(place, rest=""):
    return f"/staff/communities/{place['community'].id}/topics{rest}"


def test_the_list_and_a_topic_show_for_everyone(client, town):  # noqa: F811
    topic = proposed(town)
    page = client.get("/topics", query_string={"community": town["community"].id})
    assert page.status_code == 200 and "加装电梯" in page.text and "征集附议中" in page.text
    detail = client.get(f"/topics/{topic.id}")
    assert detail.status_code == 200 and "3号楼的老人上下楼难" in detail.text
    assert "登录后附议" in detail.text
    assert client.get("/topics/2147483648").status_code == 404


@pytest.mark.parametrize(
    "args",
    [
        {"page": "99999999999999999999"},
        {"page": "１"},
        {"community": str(2**31)},
        {"status": "x" * 5000},
    ],
)
def test_the_list_takes_bad_filters_as_none(client, town, args):  # noqa: F811
    proposed(town)
    response = client.get("/topics", query_string=args)
    assert response.status_code == 200


def test_a_resident_proposes_and_a_neighbour_supports(client, auth, town):  # noqa: F811
    auth.login(town["residents"][0])
    assert client.get("/topics/new").status_code == 200
    response = client.post("/topics/new", data={"title": "路灯", "text": "东门太暗"})
    assert response.status_code == 303
    topic_id = int(response.headers["Location"].rsplit("/", 1)[1])
    auth.logout()
    auth.login(town["residents"][1])
    assert client.post(f"/topics/{topic_id}/support").status_code == 303
    assert client.post(f"/topics/{topic_id}/support").status_code == 303
    assert fresh(topic_id).supports == 1
    assert "您已附议该议题" in client.get(f"/topics/{topic_id}").text


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "text": "x"},
        {"title": "长" * 81, "text": "x"},
        {"title": "题", "text": "x" * 2001},
        {"title": "题\x00", "text": "x"},
    ],
)
def test_a_bad_topic_is_refused(client, auth, town, data):  # noqa: F811
    auth.login(town["residents"][0])
    response = client.post("/topics/new", data=data)
    assert response.status_code in (400, 422)
    assert count() == 0


def test_staff_run_a_topic_from_agenda_to_implemented(client, auth, town, freeze):  # noqa: F811
    topic = agenda_topic(town)
    auth.login(town["staff"])
    assert client.get(staff_url(town)).status_code == 200
    response = client.post(staff_url(town, "/meetings"),
                           data={"meeting-topics": str(topic.id),
                                 "meeting-slot": str(town["slot"].id)})  # fmt: skip
    assert response.status_code == 303 and fresh(topic.id).status == "scheduled"
    freeze(NOW + timedelta(days=2, minutes=10))
    auth.login(town["staff"])  # two days on: the login session has lapsed
    record = {"record-minutes": "讨论", "record-residents": "10", "record-owners_committee": "2",
              "record-property_company": "1", "record-party_committee": "1",
              "record-decision": "同意加装", "record-votes_for": "12", "record-votes_against": "1",
              "record-votes_abstain": "0"}  # fmt: skip
    bad = client.post(staff_url(town, f"/{topic.id}/record"),
                      data={**record, "record-votes_for": "１２"})  # fmt: skip
    assert bad.status_code == 422 and fresh(topic.id).status == "scheduled"
    assert client.post(staff_url(town, f"/{topic.id}/record"), data=record).status_code == 303
    assert client.post(staff_url(town, f"/{topic.id}/publish")).status_code == 303
    assert (
        client.post(
            staff_url(town, f"/{topic.id}/implementation"),
            data={"impl-state": "implemented", "impl-note": "完工"},
        ).status_code
        == 303
    )
    assert fresh(topic.id).status == "implemented"
    page = client.get(f"/topics/{topic.id}").text
    assert "同意加装" in page and "赞成 12" in page and "已实施" in page
    auth.logout()
    logged = auth.login(town["residents"][3])
    assert logged.status_code == 303, logged.text[:3000]
    bad = client.post(f"/topics/{topic.id}/rate", data={"rate-rating": "bad"})
    assert bad.status_code == 422, bad.headers.get("Location")
    assert client.post(f"/topics/{topic.id}/rate", data={"rate-rating": "basic"}).status_code == 303
    assert "您的评价" in client.get(f"/topics/{topic.id}").text


@pytest.mark.parametrize("value", ["0", "１０", "99999999999", "-3", "NaN", ""])
def test_a_bad_threshold_is_refused(client, auth, town, value):  # noqa: F811
    auth.login(town["staff"])
    response = client.post(staff_url(town, "/threshold"), data={"threshold-threshold": value})
    assert response.status_code == 422
    db.session.rollback()
    assert db.session.get(TopicRule, town["community"].id) is None


def test_a_bad_meeting_books_nothing(client, auth, town):  # noqa: F811
    topic = agenda_topic(town)
    auth.login(town["staff"])
    for data in (
        {"meeting-topics": str(topic.id), "meeting-slot": str(2**40)},
        {"meeting-topics": str(2**40), "meeting-slot": str(town["slot"].id)},
        {"meeting-slot": str(town["slot"].id)},
    ):
        assert client.post(staff_url(town, "/meetings"), data=data).status_code == 422
    db.session.rollback()
    assert db.session.scalar(select(func.count(Meeting.id))) == 0


def test_other_staff_and_residents_are_kept_out(client, auth, town):  # noqa: F811
    topic = proposed(town)
    auth.login(town["other_staff"])
    assert client.get(staff_url(town)).status_code == 403
    assert client.get(staff_url(town, f"/{topic.id}")).status_code == 403
    auth.logout()
    auth.login(town["residents"][1])
    assert client.get(staff_url(town)).status_code == 403


def test_staff_choose_a_room_and_a_day_then_its_free_times(client, auth, town):  # noqa: F811
    agenda_topic(town)
    auth.login(town["staff"])
    room = town["room"]
    day = (NOW + timedelta(days=2)).date().isoformat()
    page = client.get(staff_url(town), query_string={"room": room.id, "day": day})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="meeting-slot"' in html and "2026-11-25 09:00" in html  # the slot's time
    assert f'name="room" value="{room.id}"' in html
    # A later day lists none of that room's earlier times, and says so.
    later = (NOW + timedelta(days=5)).date().isoformat()
    html = client.get(staff_url(town), query_string={"room": room.id, "day": later}).get_data(
        as_text=True
    )
    assert 'id="meeting-slot"' not in html and "2026-11-25 09:00" not in html
    assert "没有空闲时段" in html


@pytest.mark.parametrize("day", ["9999-12-31", "２０２６-１２-０１", "x" * 300, "2026-02-30"])
def test_a_bad_day_in_the_finder_lists_from_today_with_a_message(client, auth, town, day):  # noqa: F811
    agenda_topic(town)
    auth.login(town["staff"])
    page = client.get(staff_url(town), query_string={"room": str(2**40), "day": day})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="finder-day-error"' in html
    assert "2026-11-25 09:00" in html  # the first room's free time, listed from today
