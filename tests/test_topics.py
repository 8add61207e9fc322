"""Deliberation (议事): the rules with a frozen clock.

A topic gathers one support per resident of its community and goes to the
agenda at the community's threshold (and when staff lower it); staff book a
meeting through the booking engine, record it, publish the decision and report
its implementation; residents rate the outcome once. Refused moves change
nothing.
"""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry, Booking, Meeting, Notification, Slot, Topic, TopicSupport
from app.topics import service
from app.topics.service import TopicRefused

from . import factories as f
from .grid_factories import home

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL_TZ)  # a Monday morning


@pytest.fixture
def town(app, freeze):
    freeze(NOW)
    center = f.site(name="东方中心")
    other = f.site(name="梅园中心")
    community = center.community
    residents = [f.user(f"居民{i}") for i in range(5)]
    for person in residents:
        home(person, community)
    outsider = f.user("外人")
    home(outsider, other.community)
    room = f.bookable_service(center, category="venue", name="议事厅", rule={"seat_limit": 1})
    slot = f.slot(room, NOW + timedelta(days=2), capacity=1)
    people = {
        "staff": f.user("社工", staff_of=(center,)),
        "other_staff": f.user("别的社工", staff_of=(other,)),
        "admin": f.user("管理员", admin=True),
        "homeless": f.user("没家的人"),
    }
    db.session.commit()
    return {"center": center, "community": community, "other": other, "residents": residents,
            "outsider": outsider, "room": room, "slot": slot, **people}  # fmt: skip


def refused(reason, call, *args, **kwargs):
    with pytest.raises(TopicRefused) as caught:
        call(*args, **kwargs)
    assert caught.value.reason == reason, caught.value.message
    return caught.value


def proposed(town, who=0):
    return service.propose(town["residents"][who], "加装电梯", "3号楼的老人上下楼难。")


def agenda_topic(town, threshold=2):
    service.set_threshold(town["community"].id, threshold, town["staff"])
    topic = proposed(town)
    for person in town["residents"][1 : threshold + 1]:
        service.support(topic.id, person)
    return db.session.get(Topic, topic.id)


def scheduled(town, freeze):
    topic = agenda_topic(town)
    service.schedule([topic.id], town["slot"].id, town["staff"], town["community"].id)
    freeze(NOW + timedelta(days=2, minutes=30))
    return db.session.get(Topic, topic.id)


def recorded(town, topic, **over):
    values = dict(decision="同意加装，业主分摊。", votes_for=12, votes_against=2, votes_abstain=1,
                  minutes="讨论了费用。", residents=10, owners_committee=3, property_company=1,
                  party_committee=1, names="")  # fmt: skip
    return service.write_record(topic.id, town["staff"], town["community"].id, **{**values, **over})


# Proposing ----------------------------------------------------------------------------


def test_a_resident_proposes_for_their_home_community(town):
    topic = proposed(town)
    assert topic.community_id == town["community"].id and topic.status == "proposed"
    assert topic.supports == 0 and not topic.by_staff


def test_proposing_needs_a_home_and_clean_text(town):
    refused("no_home", service.propose, town["homeless"], "题目", "内容")
    refused("empty", service.propose, town["residents"][0], " ", "内容")
    refused("too_long", service.propose, town["residents"][0], "长" * 81, "内容")
    refused("bad_text", service.propose, town["residents"][0], "题\x00目", "内容")
    assert db.session.scalar(select(func.count(Topic.id))) == 0


def test_staff_propose_only_for_their_community(town):
    topic = service.propose(
        town["staff"], "路灯", "小区路灯太暗。", community_id=town["community"].id
    )
    assert topic.by_staff
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "topic.proposed"))
    refused("not_yours", service.propose, town["other_staff"], "路灯", "暗",
            community_id=town["community"].id)  # fmt: skip


# Thresholds ---------------------------------------------------------------------------


def test_the_default_threshold_is_ten(town):
    assert service.threshold_for(town["community"].id) == 10


def test_a_topic_reaches_the_agenda_at_the_threshold(town):
    service.set_threshold(town["community"].id, 3, town["staff"])
    topic = proposed(town)
    for person in town["residents"][1:3]:
        assert service.support(topic.id, person)
    assert db.session.get(Topic, topic.id).status == "proposed"
    assert service.support(topic.id, town["residents"][3])
    topic = db.session.get(Topic, topic.id)
    assert topic.status == "agenda" and topic.supports == 3 and topic.agenda_at == NOW
    # The proposer and the community's staff are told, once.
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "topic_on_agenda")).all()  # fmt: skip
    assert town["residents"][0].id in told and town["staff"].id in told
    assert len(told) == len(set(told))
    # A support after the threshold still counts, and it stays on the agenda.
    assert service.support(topic.id, town["residents"][4])
    assert db.session.get(Topic, topic.id).supports == 4


def test_lowering_the_threshold_brings_topics_to_the_agenda(town):
    topic = proposed(town)
    service.support(topic.id, town["residents"][1])
    service.support(topic.id, town["residents"][2])
    assert db.session.get(Topic, topic.id).status == "proposed"
    service.set_threshold(town["community"].id, 2, town["staff"])
    assert db.session.get(Topic, topic.id).status == "agenda"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "topic.threshold_set"))
    assert entry.before == {"threshold": 10} and entry.after == {"threshold": 2}


@pytest.mark.parametrize("bad", [0, -1, 1001, 2**31, True, "3"])
def test_a_threshold_out_of_range_is_refused(town, bad):
    refused("bad_threshold", service.set_threshold, town["community"].id, bad, town["staff"])
    assert service.threshold_for(town["community"].id) == 10


def test_support_counts_once_and_only_from_residents(town):
    topic = proposed(town)
    assert service.support(topic.id, town["residents"][1])
    assert not service.support(topic.id, town["residents"][1])
    assert db.session.get(Topic, topic.id).supports == 1
    refused("own", service.support, topic.id, town["residents"][0])
    refused("not_resident", service.support, topic.id, town["outsider"])
    refused("not_resident", service.support, topic.id, town["homeless"])
    refused("not_found", service.support, 2**40, town["residents"][1])
    assert db.session.scalar(select(func.count(TopicSupport.id))) == 1


def test_a_withdrawn_topic_takes_no_support(town):
    topic = proposed(town)
    refused("not_yours", service.withdraw, topic.id, town["residents"][1], "不需要了")
    service.withdraw(topic.id, town["residents"][0], "物业已经解决")
    refused("closed", service.support, topic.id, town["residents"][1])
    refused("state", service.withdraw, topic.id, town["residents"][0], "再撤")


# Meetings -----------------------------------------------------------------------------


def test_staff_book_a_meeting_through_the_booking_engine(town):
    topic = agenda_topic(town)
    meeting = service.schedule([topic.id], town["slot"].id, town["staff"], town["community"].id)
    topic = db.session.get(Topic, topic.id)
    assert topic.status == "scheduled" and topic.meeting_id == meeting.id
    booking = db.session.get(Booking, meeting.booking_id)
    assert booking.user_id == town["staff"].id and booking.status == "booked"
    assert db.session.get(Slot, town["slot"].id).taken == 1
    invited = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "meeting_invited")))  # fmt: skip
    assert invited == {p.id for p in town["residents"][:3]}
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "topic.meeting_scheduled"))  # fmt: skip


def test_a_full_room_books_no_meeting(town):
    topic = agenda_topic(town)
    f.slot(town["room"], NOW + timedelta(days=3))
    db.session.execute(Slot.__table__.update().where(Slot.id == town["slot"].id).values(taken=1))
    db.session.commit()
    refused("full", service.schedule, [topic.id], town["slot"].id, town["staff"],
            town["community"].id)  # fmt: skip
    assert db.session.get(Topic, topic.id).status == "agenda"
    assert db.session.scalar(select(func.count(Meeting.id))) == 0


def test_only_topics_on_the_agenda_of_this_community_are_scheduled(town):
    topic = proposed(town)
    refused("state", service.schedule, [topic.id], town["slot"].id, town["staff"],
            town["community"].id)  # fmt: skip
    refused("no_topics", service.schedule, [], town["slot"].id, town["staff"], town["community"].id)
    refused("not_yours", service.schedule, [topic.id], town["slot"].id, town["other_staff"],
            town["community"].id)  # fmt: skip
    agenda = agenda_topic(town)
    refused("wrong_slot", service.schedule, [agenda.id], 2**40, town["staff"],
            town["community"].id)  # fmt: skip
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_a_topic_is_scheduled_once(town):
    topic = agenda_topic(town)
    second = f.slot(town["room"], NOW + timedelta(days=3), capacity=1)
    db.session.commit()
    service.schedule([topic.id], town["slot"].id, town["staff"], town["community"].id)
    refused("state", service.schedule, [topic.id], second.id, town["staff"], town["community"].id)
    assert db.session.scalar(select(func.count(Meeting.id))) == 1


# Record, publish, implement, rate -----------------------------------------------------


def test_the_record_comes_after_the_meeting_starts(town, freeze):
    topic = agenda_topic(town)
    service.schedule([topic.id], town["slot"].id, town["staff"], town["community"].id)
    refused("too_early", recorded, town, topic)
    freeze(NOW + timedelta(days=2, minutes=5))
    topic = recorded(town, topic)
    assert topic.status == "decided" and topic.votes_for == 12
    assert topic.meeting.status == "held" and topic.meeting.owners_committee_count == 3


@pytest.mark.parametrize(
    "field,bad",
    [("votes_for", -1), ("residents", 10001), ("votes_against", 2**31), ("decision", "")],
)
def test_a_bad_record_changes_nothing(town, freeze, field, bad):
    topic = scheduled(town, freeze)
    refused("bad_count" if field != "decision" else "empty", recorded, town, topic,
            **{field: bad})  # fmt: skip
    assert db.session.get(Topic, topic.id).status == "scheduled"


def test_publish_implement_and_rate(town, freeze):
    topic = recorded(town, scheduled(town, freeze))
    cid = town["community"].id
    refused("state", service.implementation, topic.id, town["staff"], cid, "implementing", "开工")
    refused("state", service.rate, topic.id, town["residents"][1], "satisfied")
    service.publish(topic.id, town["staff"], cid)
    refused("state", service.publish, topic.id, town["staff"], cid)
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "topic_published")).all()  # fmt: skip
    assert sorted(told) == sorted(p.id for p in town["residents"][:3])
    service.implementation(topic.id, town["staff"], cid, "implementing", "电梯井开工")
    service.implementation(topic.id, town["staff"], cid, "note", "主体完成")
    service.implementation(topic.id, town["staff"], cid, "implemented", "电梯投入使用")
    topic = db.session.get(Topic, topic.id)
    assert topic.status == "implemented" and topic.implemented_at is not None
    assert [u.kind for u in topic.updates][-3:] == ["implementing", "note", "implemented"]
    assert service.rate(topic.id, town["residents"][1], "satisfied")
    assert not service.rate(topic.id, town["residents"][1], "unsatisfied")
    assert service.rate(topic.id, town["residents"][4], "basic")
    refused("not_resident", service.rate, topic.id, town["outsider"], "satisfied")
    refused("bad_rating", service.rate, topic.id, town["residents"][2], "great")
    assert service.ratings(topic.id) == {"satisfied": 1, "basic": 1, "unsatisfied": 0}


def test_staff_decline_with_a_reason(town):
    topic = proposed(town)
    refused("empty", service.decline, topic.id, town["staff"], town["community"].id, "")
    refused("not_found", service.decline, topic.id, town["other_staff"], town["other"].community_id,
            "不归我们")  # fmt: skip
    service.decline(topic.id, town["staff"], town["community"].id, "属于物业合同范围")
    topic = db.session.get(Topic, topic.id)
    assert topic.status == "declined" and topic.ended_reason == "属于物业合同范围"
    refused("state", service.decline, topic.id, town["staff"], town["community"].id, "再拒")
