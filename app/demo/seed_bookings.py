"""Demo booking data: rules, slots over the coming two weeks, and bookings.

The city books like a living one: canteens nearly full, a popular legal clinic
with a waiting list, past visits checked in and rated, and the demo resident
with a booking in every state.
"""

from collections import defaultdict
from datetime import timedelta

from .. import clock
from ..bookings.slots import WeeklyRule, closed_days, slot_times, window_days
from ..models import Booking, BookingRule, Slot, SlotRule, User

# Per category: rule settings and weekly patterns (weekdays, from, until, slot minutes, places).
BOOKING_PLANS = {
    "canteen": (dict(seat_limit=2, max_active=5, max_per_month=22, cancel_cutoff_minutes=180),
                [((0, 1, 2, 3, 4), "11:00", "12:30", 90, 30)]),
    "legal": (dict(seat_limit=1, max_active=1, max_per_month=2),
              [((2,), "14:00", "17:00", 30, 1)]),
    "health": (dict(seat_limit=1, max_active=2, max_per_month=8),
               [((1, 3), "09:00", "11:30", 30, 2)]),
    "haircut": (dict(seat_limit=1, max_active=1, max_per_month=2),
                [((0, 4), "09:00", "11:00", 20, 1)]),
    "venue": (dict(seat_limit=1, max_active=2, max_per_month=6, needs_approval=True,
                   min_notice_minutes=1440, cancel_cutoff_minutes=1440),
              [((0, 1, 2, 3, 4), "09:00", "15:00", 120, 1)]),
    "office": (dict(seat_limit=1, max_active=2, max_per_month=4),
               [((1, 3), "18:00", "20:30", 30, 3)]),
}  # fmt: skip
RULE_DEFAULTS = dict(
    seat_limit=1, window_days=14, min_notice_minutes=60, cancel_cutoff_minutes=120,
    max_active=2, max_per_month=4, needs_approval=False,
)  # fmt: skip
RESIDENTS_PER_COPY = 300
PAST_DAYS = 7
DEMO_RESIDENT = "13800000001"


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def add_residents(ctx) -> None:
    """Residents who book (and, later, volunteer): 300 per copy of the city."""
    password_hash = ctx.password_hash
    now = clock.now()
    ctx.residents = []
    for n in range(RESIDENTS_PER_COPY * ctx.scale):
        surname = ctx.rng.choice("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
        given = ctx.rng.choice(["阿姨", "叔叔", "大爷", "奶奶", "先生", "女士", "老师", "师傅"])
        row = ctx.add(
            User, mobile=f"137{n:08d}", display_name=surname + given,
            password_hash=password_hash, is_admin=False, active=True, created_by_staff=False,
            created_at=now - timedelta(days=ctx.rng.randint(1, 400)),
            last_login_at=None, deleted_at=None,
        )  # fmt: skip
        ctx.residents.append(row["id"])


def add_booking_rules(ctx) -> None:
    """Rules and weekly times for every bookable service, by category."""
    ctx.booking_services = []
    for site in ctx.sites:
        for service in site.services:
            plan = BOOKING_PLANS.get(service["category"])
            if not service["bookable"] or plan is None:
                continue
            settings, patterns = plan
            ctx.add(BookingRule, service_id=service["id"], **{**RULE_DEFAULTS, **settings})
            weekly = []
            for weekdays, start, end, minutes, places in patterns:
                for weekday in weekdays:
                    rule = WeeklyRule(weekday, _minutes(start), _minutes(end), minutes, places)
                    weekly.append(rule)
                    ctx.add(
                        SlotRule, service_id=service["id"], weekday=weekday,
                        starts_min=rule.starts_min, ends_min=rule.ends_min,
                        slot_minutes=minutes, capacity=places,
                    )  # fmt: skip
            ctx.booking_services.append((site, service, weekly, {**RULE_DEFAULTS, **settings}))


def _code(ctx) -> str:
    while True:
        code = f"{ctx.rng.randrange(10**8):08d}"
        if code not in ctx.booking_codes:
            ctx.booking_codes.add(code)
            return code


def add_slots_and_bookings(ctx) -> None:
    """Slots from two weeks back to the end of each window, and bookings in them.

    Future slots are filled to varied levels (some full, with a waiting list);
    past ones hold visits that were checked in (often rated) or missed.
    """
    rng, today, now = ctx.rng, ctx.today, clock.now()
    ctx.booking_codes = set()
    closures = defaultdict(list)
    for row in ctx.rows.get(_special_day_model(), []):
        closures[row["site_id"]].append((row["kind"], row["starts_on"], row["ends_on"]))
    residents = ctx.residents
    for site, service, weekly, settings in ctx.booking_services:
        if not service["active"]:
            continue
        closed = closed_days(closures[site.id])
        start = today - timedelta(days=PAST_DAYS)
        for day in window_days(start, PAST_DAYS + settings["window_days"]):
            if day in closed:
                continue
            for starts_at, ends_at, capacity in slot_times(weekly, day):
                slot = ctx.add(
                    Slot, service_id=service["id"], starts_at=starts_at, ends_at=ends_at,
                    capacity=capacity, taken=0,
                )  # fmt: skip
                _fill(ctx, slot, settings, now, residents, rng)


def _fill(ctx, slot, settings, now, residents, rng) -> None:
    past = slot["ends_at"] <= now
    level = rng.choice((0.0, 0.3, 0.6, 0.9, 1.0, 1.0)) if not past else rng.choice((0.4, 0.7, 1.0))
    want = int(round(slot["capacity"] * level))
    used = set()
    while slot["taken"] < want:
        seats = min(rng.randint(1, settings["seat_limit"]), want - slot["taken"])
        user_id = rng.choice(residents)
        if user_id in used:
            continue
        used.add(user_id)
        if past:
            status = rng.choices(("checked_in", "no_show", "cancelled"), (85, 5, 10))[0]
        else:
            status = "pending" if settings["needs_approval"] and rng.random() < 0.5 else "booked"
        _booking(ctx, slot, user_id, seats, status, now, rng)
    # A full slot in the future often has a queue.
    if not past and slot["taken"] == slot["capacity"] and rng.random() < 0.4:
        for _ in range(rng.randint(1, 3)):
            user_id = rng.choice(residents)
            if user_id not in used:
                used.add(user_id)
                _booking(ctx, slot, user_id, 1, "waitlisted", now, rng)


def _booking(ctx, slot, user_id, seats, status, now, rng, rated=None) -> dict:
    created = min(now, slot["starts_at"]) - timedelta(hours=rng.randint(2, 96))
    holds = status in Booking.SEAT_HOLDING
    if holds:
        slot["taken"] += seats
    rating = comment = rated_at = None
    if status == "checked_in" and (rng.random() < 0.6 if rated is None else rated):
        rating = rng.choices((5, 4, 3, 2, 1), (55, 30, 9, 4, 2))[0]
        comment = rng.choice(("", "", "工作人员很耐心", "环境干净，服务周到", "排队有点久"))
        rated_at = slot["ends_at"] + timedelta(hours=2)
    return ctx.add(
        Booking, slot_id=slot["id"], user_id=user_id, seats=seats, status=status,
        code=_code(ctx), booked_by_id=None, created_at=created, updated_at=created,
        cancelled_at=created + timedelta(hours=1) if status == "cancelled" else None,
        checked_in_at=slot["starts_at"] if status == "checked_in" else None,
        no_show_at=slot["ends_at"] if status == "no_show" else None,
        rating=rating, rating_comment=comment or "", rated_at=rated_at,
    )  # fmt: skip


def add_demo_resident_bookings(ctx) -> None:
    """The demo resident (王阿姨) has a booking in every state, near the first center."""
    now = clock.now()
    user_id = next(r["id"] for r in ctx.rows[User] if r["mobile"] == DEMO_RESIDENT)
    slots = ctx.rows.get(Slot, [])
    by_service = defaultdict(list)
    for slot in slots:
        by_service[slot["service_id"]].append(slot)
    first_site_ids = {s.id for s in ctx.sites if s.community is ctx.sites[0].community}
    services = [
        (svc, rules) for site, svc, _w, rules in ctx.booking_services
        if site.id in first_site_ids and svc["active"]
    ]  # fmt: skip
    wanted = ["booked", "waitlisted", "cancelled", "checked_in", "checked_in", "no_show",
              "pending", "declined"]  # fmt: skip
    for turn, status in enumerate(wanted):
        # Rotate through the services so the demo shows several kinds.
        for svc, rules in services[turn % len(services) :] + services[: turn % len(services)]:
            if status == "pending" and not rules["needs_approval"]:
                continue
            # The first visit is rated, the second is left for the newcomer to rate.
            rated = turn == 3 if status == "checked_in" else None
            if _place(ctx, by_service[svc["id"]], user_id, status, now, rated):
                break


def _place(ctx, slots, user_id, status, now, rated=None) -> bool:
    """Book the demo resident into a fitting slot; False if none fits."""
    future = status in ("booked", "waitlisted", "pending", "cancelled")
    for slot in slots:
        is_future = slot["starts_at"] > now + timedelta(days=1)
        if future != is_future or slot.get("demo"):
            continue
        free = slot["capacity"] - slot["taken"]
        if status == "waitlisted" and free > 0:
            continue
        if status in Booking.SEAT_HOLDING and free < 1:
            continue
        slot["demo"] = True
        _booking(ctx, slot, user_id, 1, status, now, ctx.rng, rated)
        return True
    return False


def _special_day_model():
    from ..models import SpecialDay

    return SpecialDay


def strip_markers(ctx) -> None:
    """Drop helper keys so every slot row has the same columns (one executemany)."""
    for slot in ctx.rows.get(Slot, []):
        slot.pop("demo", None)


STEPS = (
    add_residents,
    add_booking_rules,
    add_slots_and_bookings,
    add_demo_resident_bookings,
    strip_markers,
)
