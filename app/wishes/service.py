"""The rules of small wishes (微心愿): post, claim, release, confirm, withdraw, credit.

Every change of state is one conditional UPDATE on the state it leaves
(``WHERE status = 'open'``), inside a writing transaction: on SQLite
``begin_write()`` holds the write lock, on PostgreSQL the UPDATE waits for
any other writer of the row and then re-reads it, so of twenty volunteers
claiming one wish one succeeds, and a confirmation sent twice fulfils, and
credits, once. The credit is written in the same transaction as the move to
``fulfilled``: there is no fulfilled wish without its ledger line, nor two.
"""

import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from .. import audit, clock
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import Community, PointsEntry, Site, User, Wish, WishRule
from ..models.wishes import DEFAULT_WISH_POINTS, MAX_WISH_HOURS, MAX_WISH_POINTS
from ..permissions import can_manage_community
from ..refusals import Refused

MAX_WHAT = 60
MAX_NAME = 10
MAX_PLACE = 60
MAX_UNIT = 40
MAX_AGE = 120
DUE_DAYS = 90  # how far ahead a wish may be dated
# Seven digits in a row look like a phone number (or an ID card): a wish
# carries none, the wall is public.
_NUMBER = re.compile(r"[0-9]{7,}")


class WishError(Refused):
    def __init__(self, reason: str, message: str, field: str | None = None):
        super().__init__(message, field=field, reason=reason)


def refuse(reason: str, message: str, field: str | None = None):
    """Roll back and refuse: nothing a refused request did stays."""
    db.session.rollback()
    raise WishError(reason, message, field)


# Reading what people type ------------------------------------------------------------


def clean_text(text: str | None, limit: int, field: str, *, required: bool = False) -> str:
    """One line of text: control characters dropped, spaces collapsed, at most
    ``limit`` characters, and no phone number in it."""
    text = unicodedata.normalize("NFKC", text or "")[: limit * 8]
    text = "".join(c if unicodedata.category(c) != "Cc" else " " for c in text)
    text = " ".join(text.split())
    if required and not text:
        refuse("required", _("Fill this in (at most %(n)s characters).", n=limit), field)
    if len(text) > limit:
        refuse("too_long", _("Keep it to %(n)s characters or fewer.", n=limit), field)
    if _NUMBER.search(text.replace(" ", "").replace("-", "")):
        refuse("number", _("Leave out phone and ID numbers: the wall is public."), field)
    return text


def read_name(text: str | None) -> str:
    """For whom: a first name or what neighbours call them (王奶奶, 小明), no digits."""
    name = clean_text(text, MAX_NAME, "for_name")
    if any(c.isdigit() for c in name):
        refuse("name_digits", _("Give a first name only, without numbers."), "for_name")
    return name


def read_age(text: str | None) -> int | None:
    """An age from 0 to 120, typed with ASCII or full-width digits; empty is none."""
    value = unicodedata.normalize("NFKC", (text or "")[:20]).strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 3 and int(value) <= MAX_AGE):
        refuse("age", _("Enter an age from 0 to %(n)s.", n=MAX_AGE), "for_age")
    return int(value)


def latest_due(today: date) -> date:
    return today + timedelta(days=DUE_DAYS)


def read_due(text: str | None, today: date | None = None) -> date:
    """By when: a date from today to DUE_DAYS ahead ('2026-12-20', full-width digits too)."""
    today = today or clock.today()
    value = unicodedata.normalize("NFKC", (text or "")[:40]).strip()
    message = _("Choose a date from %(first)s to %(last)s.", first=today.isoformat(),
                last=latest_due(today).isoformat())  # fmt: skip
    if not value:
        refuse("due_missing", message, "due_on")
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        example = (today + timedelta(days=7)).isoformat()
        refuse("due_format", _("Enter a date such as %(example)s.", example=example), "due_on")
    if not today <= day <= latest_due(today):
        refuse("due_window", message, "due_on")
    return day


def read_points(text: str | None, field: str = "points", *, optional: bool = False) -> int | None:
    value = unicodedata.normalize("NFKC", (text or "")[:20]).strip()
    if optional and not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 3
            and int(value) <= MAX_WISH_POINTS):  # fmt: skip
        refuse("points", _("Enter points from 0 to %(n)s.", n=MAX_WISH_POINTS), field)
    return int(value)


def read_hours(text: str | None) -> Decimal:
    value = unicodedata.normalize("NFKC", (text or "")[:20]).strip() or "0"
    message = _("Enter hours from 0 to %(n)s, such as 1.5.", n=MAX_WISH_HOURS)
    if not re.fullmatch(r"[0-9]{1,2}(\.[0-9]{1,2})?", value):
        refuse("hours", message, "hours")
    try:
        hours = Decimal(value)
    except InvalidOperation:
        refuse("hours", message, "hours")
    if not 0 <= hours <= MAX_WISH_HOURS:
        refuse("hours", message, "hours")
    return hours


# Who may do what ---------------------------------------------------------------------


def is_staff_of(user: User | None, wish: Wish) -> bool:
    return can_manage_community(user, wish.community_id)


def can_see_place(user: User | None, wish: Wish) -> bool:
    """The place is for the wisher, the one who claimed it and the community's staff."""
    if user is None or not user.is_authenticated:
        return False
    return user.id in (wish.wisher_id, wish.claimed_by_id) or is_staff_of(user, wish)


def can_confirm(user: User | None, wish: Wish) -> bool:
    if user is None or not user.is_authenticated or wish.status != "claimed":
        return False
    return user.id == wish.wisher_id or is_staff_of(user, wish)


def can_withdraw(user: User | None, wish: Wish) -> bool:
    if user is None or not user.is_authenticated or wish.status not in ("open", "claimed"):
        return False
    return user.id == wish.wisher_id or is_staff_of(user, wish)


def can_withdraw_seen(user: User | None, wish: Wish) -> bool:
    """May ``user`` still open a withdrawn wish? Its wisher and the staff may."""
    if user is None or not user.is_authenticated:
        return False
    return user.id == wish.wisher_id or is_staff_of(user, wish)


def rule_for(community_id: int) -> tuple[int, Decimal]:
    """(points, hours) a fulfilled wish of the community credits now."""
    rule = db.session.get(WishRule, community_id)
    if rule is None:
        return DEFAULT_WISH_POINTS, Decimal(0)
    return rule.points, Decimal(rule.hours)


def credit_of(wish: Wish) -> tuple[int, Decimal]:
    """What granting ``wish`` earns: its own points if staff set them, else the rule's."""
    points, hours = rule_for(wish.community_id)
    return (wish.credit_points if wish.credit_points is not None else points), hours


def _center_id(community_id: int) -> int | None:
    """The community's center: where its staff's audit entries are filed."""
    return db.session.scalar(
        select(Site.id).where(Site.community_id == community_id, Site.kind == "center")
    )


# Posting -----------------------------------------------------------------------------


def post_wish(by: User, community_id: int | None, *, what: str, for_name: str = "",
              for_age: str = "", place: str = "", due_on: str = "", site_id: int | None = None,
              for_someone: bool = False, wisher: User | None = None,
              credit_points: str = "") -> Wish:  # fmt: skip
    """A resident posts a wish; or staff post one for an elder or a child
    (``for_someone``: 代办, audited, with the person's account if they have one)."""
    what = clean_text(what, MAX_WHAT, "what", required=True)
    name = read_name(for_name)
    age = read_age(for_age)
    place = clean_text(place, MAX_PLACE, "place")
    day = read_due(due_on)
    points = read_points(credit_points, "credit_points", optional=True) if for_someone else None
    community = db.session.get(Community, community_id) if community_id else None
    if community is None:
        refuse("community", _("Choose a community."), "community")
    if for_someone and not can_manage_community(by, community.id):
        refuse("scope", _("You can post wishes only for your own community."))
    if site_id is not None:
        site = db.session.get(Site, site_id)
        if site is None or site.community_id != community.id:
            refuse("site", _("Choose a site of this community."), "site")
    begin_write()
    wish = Wish(
        community_id=community.id, site_id=site_id, what=what, for_name=name, for_age=age,
        place=place, due_on=day, status="open", claimed_unit="", created_at=clock.now(),
        wisher_id=(wisher.id if wisher is not None else None) if for_someone else by.id,
        logged_by_id=by.id if for_someone else None, credit_points=points,
    )  # fmt: skip
    db.session.add(wish)
    db.session.flush()
    if for_someone:
        audit.record("wish.posted_for", "wish", wish.id, site_id=_center_id(community.id),
                     actor=by, summary=what,
                     after={"for_name": name, "credit_points": points})  # fmt: skip
    db.session.commit()
    return wish


# Moving a wish -----------------------------------------------------------------------


def _move(wish_id: int, leaving: tuple[str, ...], *extra, **values) -> Wish | None:
    """One conditional UPDATE from one of ``leaving``; the wish as it is now, or None
    when it was no longer in that state (another request moved it first)."""
    moved = db.session.execute(
        update(Wish)
        .where(Wish.id == wish_id, Wish.status.in_(leaving), *extra)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        return None
    return db.session.get(Wish, wish_id, populate_existing=True)


def _load(wish_id: int) -> Wish:
    wish = db.session.get(Wish, wish_id, populate_existing=True)
    if wish is None:
        refuse("missing", _("This wish is not there any more."))
    return wish


def _not_now(wish: Wish):
    """The refusal for a wish that is no longer where the request expected it."""
    db.session.rollback()
    current = db.session.get(Wish, wish.id, populate_existing=True)
    messages = {
        "claimed": _("Someone has already claimed this wish."),
        "fulfilled": _("This wish has already been granted."),
        "withdrawn": _("This wish was withdrawn."),
        "open": _("This wish is not claimed at the moment."),
    }
    refuse("state", messages[current.status if current else "withdrawn"])


def claim(user: User, wish_id: int) -> Wish:
    """A volunteer claims an open wish; the wisher is told."""
    if user.volunteer is None:
        refuse("not_volunteer", _("Please fill in your volunteer profile first."))
    begin_write()
    wish = _load(wish_id)
    if wish.wisher_id == user.id:
        refuse("own", _("This is your own wish: a neighbour will claim it."))
    if wish.status == "open" and wish.due_on < clock.today():
        refuse("past", _("The date of this wish has passed."))
    moved = _move(wish.id, ("open",), status="claimed", claimed_by_id=user.id, claimed_unit="",
                  claimed_at=clock.now())  # fmt: skip
    if moved is None:
        _not_now(wish)
    _tell(moved.wisher_id, "wish_claimed", moved)
    db.session.commit()
    return moved


def claim_for_unit(staff: User, wish_id: int, unit: str) -> Wish:
    """Staff record that a co-building unit (共建单位) takes an open wish on."""
    unit = clean_text(unit, MAX_UNIT, "unit", required=True)
    begin_write()
    wish = _load(wish_id)
    if not is_staff_of(staff, wish):
        refuse("scope", _("This wish belongs to another community."))
    moved = _move(wish.id, ("open",), status="claimed", claimed_by_id=None, claimed_unit=unit,
                  claimed_at=clock.now())  # fmt: skip
    if moved is None:
        _not_now(wish)
    audit.record("wish.unit_claimed", "wish", wish.id, site_id=_center_id(wish.community_id),
                 actor=staff, summary=unit)  # fmt: skip
    _tell(moved.wisher_id, "wish_claimed", moved)
    db.session.commit()
    return moved


def release(user: User, wish_id: int) -> Wish:
    """The claimant lets a claimed wish go (or staff do, for anyone): it is open again."""
    begin_write()
    wish = _load(wish_id)
    staff = is_staff_of(user, wish)
    claimant, unit = wish.claimed_by_id, wish.claimed_unit  # the move below refreshes ``wish``
    if not staff and claimant != user.id:
        refuse("not_claimant", _("Only the one who claimed this wish can let it go."))
    mine = () if staff else (Wish.claimed_by_id == user.id,)
    moved = _move(wish.id, ("claimed",), *mine, status="open", claimed_by_id=None,
                  claimed_unit="", claimed_at=None)  # fmt: skip
    if moved is None:
        _not_now(wish)
    if staff and claimant != user.id:
        audit.record("wish.released", "wish", wish.id, site_id=_center_id(wish.community_id),
                     actor=user, summary=unit or wish.what)  # fmt: skip
    db.session.commit()
    return moved


def confirm(by: User, wish_id: int) -> Wish:
    """The wisher or staff confirm a claimed wish was granted; the claimant is
    credited by the rule, once, through the points ledger, and told."""
    begin_write()
    wish = _load(wish_id)
    staff = is_staff_of(by, wish)
    if by.id != wish.wisher_id and not staff:
        refuse("not_wisher", _("Only the one who made the wish, or the staff, can confirm it."))
    now = clock.now()
    moved = _move(wish.id, ("claimed",), status="fulfilled", fulfilled_at=now,
                  confirmed_by_id=by.id)  # fmt: skip
    if moved is None:
        _not_now(wish)
    credit(moved, by)
    if by.id != moved.wisher_id:
        audit.record("wish.fulfilled", "wish", moved.id, site_id=_center_id(moved.community_id),
                     actor=by, summary=moved.what,
                     after={"points": moved.credited_points})  # fmt: skip
    db.session.commit()
    return moved


def credit(wish: Wish, by: User) -> None:
    """Credit the volunteer of a wish that has just become fulfilled (in the
    caller's transaction). A co-building unit has no account: nothing to credit."""
    if wish.points_entry_id is not None or wish.credited_points is not None:
        return
    points, hours = credit_of(wish)
    wish.credited_points = points if wish.claimed_by_id else 0
    wish.credited_hours = hours if wish.claimed_by_id else Decimal(0)
    if wish.claimed_by_id is None:
        return
    if points:
        with force_locale("zh"):  # the ledger keeps its reasons in the city's language
            reason = _("Small wish: %(what)s", what=wish.what)[:200]
        entry = PointsEntry(user_id=wish.claimed_by_id, kind="earned", points=points,
                            reason=reason, created_by_id=by.id, created_at=clock.now())  # fmt: skip
        db.session.add(entry)
        db.session.flush()
        wish.points_entry_id = entry.id
    _tell(wish.claimed_by_id, "wish_fulfilled", wish, points=points,
          hours=f"{hours.normalize():f}")  # fmt: skip


def withdraw(by: User, wish_id: int) -> Wish:
    """The wisher or staff withdraw a wish not yet granted; a claimant is told."""
    begin_write()
    wish = _load(wish_id)
    staff = is_staff_of(by, wish)
    if by.id != wish.wisher_id and not staff:
        refuse("not_wisher", _("Only the one who made the wish, or the staff, can withdraw it."))
    moved = _move(wish.id, ("open", "claimed"), status="withdrawn", withdrawn_at=clock.now())
    if moved is None:
        _not_now(wish)
    if moved.claimed_by_id:
        _tell(moved.claimed_by_id, "wish_withdrawn", moved)
    if by.id != moved.wisher_id:
        audit.record("wish.withdrawn", "wish", moved.id, site_id=_center_id(moved.community_id),
                     actor=by, summary=moved.what)  # fmt: skip
    db.session.commit()
    return moved


def set_rule(staff: User, community_id: int, points: str, hours: str) -> WishRule:
    """Staff set how their community credits a granted wish (audited)."""
    points_value = read_points(points)
    hours_value = read_hours(hours)
    if not can_manage_community(staff, community_id):
        refuse("scope", _("You can set the rule only for your own community."))
    begin_write()
    lock_row(Community, community_id)  # two staff saving at once: one after the other
    rule = db.session.get(WishRule, community_id, populate_existing=True)
    before = {"points": rule.points, "hours": str(rule.hours)} if rule else None
    if rule is None:
        rule = WishRule(community_id=community_id)
        db.session.add(rule)
    rule.points, rule.hours, rule.updated_at = points_value, hours_value, clock.now()
    audit.record("wish.rule_set", "community", community_id, site_id=_center_id(community_id),
                 actor=staff, before=before,
                 after={"points": points_value, "hours": str(hours_value)})  # fmt: skip
    db.session.commit()
    return rule


def _tell(user_id: int | None, kind: str, wish: Wish, **extra) -> None:
    if user_id is None:
        return
    from ..notifications import notify
    from ..urls import path_for

    notify(user_id, kind, {"what": wish.what, **extra},
           url=path_for("wishes.wish", wish_id=wish.id), sms=kind != "wish_withdrawn")  # fmt: skip
