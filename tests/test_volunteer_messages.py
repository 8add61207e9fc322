"""Who is told what when volunteering changes, in Chinese and English: a sign-up
(inbox only: they are looking at it), a place from the waiting list, a new time
or place, a cancellation with its reason, a team's answer, and an exchange to
pick up (inbox only, with its code). Nobody else is told."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Notification, SmsMessage
from app.notifications.kinds import words
from app.volunteers import activities as rules
from app.volunteers import points, signups, teams

from . import factories as f
from .test_activities import NOW, create, edit, unit  # noqa: F401 (the fixture)


def told(user) -> list[tuple[str, dict]]:
    db.session.rollback()
    return [
        (n.kind, n.params)
        for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


def texted(user) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(SmsMessage.kind).where(SmsMessage.user_id == user.id)))


def read(kind: str, params: dict, language: str) -> str:
    with force_locale(language):
        return " ".join(words(kind, params))


def test_sign_up_promotion_change_and_cancellation(unit):  # noqa: F811
    activity = create(unit, places=1, title="敲门行动")
    first, second, gone = unit["vols"][:3]
    signups.sign_up(gone, activity.id)
    signups.cancel_signup(gone, activity.id)  # cancelled before anyone was told of a change
    signups.sign_up(first, activity.id)
    signups.sign_up(second, activity.id)  # waitlisted: nothing to say yet
    assert [k for k, _p in told(first)] == ["activity_signed_up"]
    assert texted(first) == []  # they saw it on the page
    assert told(second) == []
    kind, params = told(gone)[0]
    assert kind == "activity_signed_up"

    signups.cancel_signup(first, activity.id)
    assert [k for k, _p in told(second)] == ["activity_promoted"]
    assert texted(second) == ["activity_promoted"]
    _kind, params = told(second)[0]
    assert "敲门行动" in read("activity_promoted", params, "zh")
    assert "A place came free" in read("activity_promoted", params, "en")

    # A new place: the one holding a place is told where; the others are not.
    edit(unit, activity, address="小区花园", reason="原场地维修", title="敲门行动")
    kind, params = told(second)[-1]
    assert kind == "activity_changed" and params["place"] == "小区花园"
    assert "小区花园" in read(kind, params, "zh") and "has changed" in read(kind, params, "en")
    assert [k for k, _p in told(first)] == ["activity_signed_up"]
    # A change of words only (the description) is no news.
    edit(unit, activity, address="小区花园", reason="", title="敲门行动", description="新的说明")
    assert [k for k, _p in told(second)][-1] == "activity_changed"
    assert len(told(second)) == 2

    rules.cancel_activity(activity.id, "天气原因", unit["staff"])
    kind, params = told(second)[-1]
    assert kind == "activity_cancelled" and params["reason"] == "天气原因"
    assert "天气原因" in read(kind, params, "zh") and "is cancelled" in read(kind, params, "en")
    assert "activity_cancelled" in texted(second)
    assert "activity_cancelled" not in [k for k, _p in told(first) + told(gone)]


@pytest.mark.parametrize(
    ("approve", "zh", "en"),
    [(True, "已通过，欢迎加入", "accepted, welcome to the team"),
     (False, "这次未通过", "not accepted this time")],
)  # fmt: skip
def test_a_team_answers_a_request(unit, approve, zh, en):  # noqa: F811
    asker = unit["vols"][0]
    request = teams.request_to_join(asker, unit["team"].id)
    teams.decide_membership(request.id, approve, unit["staff"])
    [(kind, params)] = told(asker)
    assert kind == "team_request_decided"
    assert zh in read(kind, params, "zh") and en in read(kind, params, "en")
    assert texted(asker) == ["team_request_decided"]
    db.session.rollback()
    text = db.session.scalar(select(SmsMessage.text).where(SmsMessage.user_id == asker.id))
    assert zh in text  # the text message is in Chinese, whoever reads the inbox in English
    assert db.session.scalar(select(Membership.status).where(Membership.user_id == asker.id)) in (
        ("member",) if approve else (None,)
    )


def test_an_exchange_leaves_its_pick_up_code_in_the_inbox(unit):  # noqa: F811
    buyer = unit["vols"][0]
    rice = f.mall_item(unit["center"], cost=5, stock=2, name="大米")
    f.points(buyer, 10)
    db.session.commit()
    redemption = points.redeem(buyer, rice.id)
    [(kind, params)] = told(buyer)
    assert kind == "redemption_ready" and params["code"] == redemption.code
    assert "大米" in read(kind, params, "zh") and redemption.code in read(kind, params, "en")
    assert texted(buyer) == []
