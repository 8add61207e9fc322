"""Opening-hours rules, with the clock frozen in Asia/Shanghai."""

from datetime import UTC, date, datetime

import pytest

from app.clock import LOCAL_TZ
from app.sites.hours import Special, open_state, upcoming_specials, weekly_rows

# 2026-11-23 is a Monday.
MON, TUE, FRI, SAT = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 27), date(2026, 11, 28)
LUNCH_BREAK = [(d, 510, 720) for d in range(5)] + [(d, 810, 1050) for d in range(5)]


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=LOCAL_TZ)


def state(moment, weekly=LUNCH_BREAK, specials=(), closed=False):
    return open_state(weekly, list(specials), closed, moment)


def test_open_in_the_morning_closes_for_lunch():
    s = state(at(MON, 10))
    assert s.is_open and s.closes_at == at(MON, 12)


def test_lunch_break_is_closed_and_reopens_the_same_day():
    s = state(at(MON, 12, 30))
    assert not s.is_open and s.opens_next_at == at(MON, 13, 30)


def test_opening_minute_is_open_and_closing_minute_is_closed():
    assert state(at(MON, 8, 30)).is_open
    assert not state(at(MON, 12, 0)).is_open


def test_evening_opens_next_morning():
    s = state(at(MON, 18))
    assert not s.is_open and s.opens_next_at == at(TUE, 8, 30)


def test_friday_evening_opens_on_monday():
    s = state(at(FRI, 18))
    assert s.opens_next_at == at(date(2026, 11, 30), 8, 30)


def test_run_across_midnight_is_one_run():
    weekly = [(4, 1200, 1440), (5, 0, 120)]  # Fri 20:00–24:00, Sat 00:00–02:00
    friday = state(at(FRI, 23), weekly)
    assert friday.is_open and friday.closes_at == at(SAT, 2)
    saturday = state(at(SAT, 1), weekly)
    assert saturday.is_open and saturday.closes_at == at(SAT, 2)


def test_around_the_clock_has_no_closing_time():
    s = state(at(MON, 3), [(d, 0, 1440) for d in range(7)])
    assert s.is_open and s.closes_at is None


def test_closure_today_closes_all_day_and_says_why():
    s = state(at(MON, 10), specials=[Special("closed", MON, MON)])
    assert not s.is_open
    assert s.closed_today_by == "closed"
    assert s.opens_next_at == at(TUE, 8, 30)


def test_holiday_range_pushes_next_opening_past_it():
    s = state(at(MON, 10), specials=[Special("holiday", MON, date(2026, 11, 26))])
    assert s.closed_today_by == "holiday"
    assert s.opens_next_at == at(FRI, 8, 30)


def test_extended_hours_continue_the_afternoon_run():
    extended = [Special("extended", MON, MON, 1050, 1260)]  # 17:30–21:00
    afternoon = state(at(MON, 16), specials=extended)
    assert afternoon.is_open and afternoon.closes_at == at(MON, 21) and afternoon.extended
    evening = state(at(MON, 20), specials=extended)
    assert evening.is_open and evening.extended
    tuesday_evening = state(at(TUE, 20), specials=extended)
    assert not tuesday_evening.is_open


def test_extended_hours_on_a_closure_day_do_not_open_it():
    specials = [Special("closed", MON, MON), Special("extended", MON, MON, 1080, 1260)]
    assert not state(at(MON, 19), specials=specials).is_open


def test_temporarily_closed_site_has_no_next_opening():
    s = state(at(MON, 10), closed=True)
    assert not s.is_open and s.opens_next_at is None and s.closed_today_by == "status"


def test_no_hours_means_closed_with_no_next_opening():
    s = state(at(MON, 10), weekly=[])
    assert not s.is_open and s.opens_next_at is None


def test_moment_in_utc_is_read_in_shanghai_time():
    # 01:00 UTC is 09:00 in Shanghai.
    assert state(datetime(2026, 11, 23, 1, 0, tzinfo=UTC)).is_open
    # 23:00 UTC on Sunday is 07:00 Monday in Shanghai: closed, opens 08:30.
    s = state(datetime(2026, 11, 22, 23, 0, tzinfo=UTC))
    assert s.opens_next_at == at(MON, 8, 30)


def test_weekly_rows_group_intervals_by_weekday():
    rows = weekly_rows(LUNCH_BREAK)
    assert [(i.opens, i.closes) for i in rows[0]] == [("08:30", "12:00"), ("13:30", "17:30")]
    assert rows[6] == []


def test_upcoming_specials_skip_past_and_far_ones():
    past = Special("closed", date(2026, 11, 1), date(2026, 11, 2))
    current = Special("holiday", date(2026, 11, 20), MON)
    soon = Special("extended", FRI, FRI, 1080, 1260)
    far = Special("closed", date(2027, 3, 1), date(2027, 3, 1))
    assert upcoming_specials([far, soon, past, current], MON) == [current, soon]


@pytest.mark.parametrize("hour", range(24))
def test_sql_open_now_filter_agrees_with_the_rule(app, hour):
    """The SQL filter used by /sites?open_now=1 must say what open_state says."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Site
    from app.sites.directory import open_now_clause

    from . import factories as f

    sites = [
        f.site(hours=LUNCH_BREAK),
        f.site(hours=[(0, 1200, 1440), (1, 0, 120)]),
        f.site(hours=[(d, 0, 1440) for d in range(7)], status="closed"),
        f.site(hours=[(d, 540, 1020) for d in range(7)]),
        f.site(hours=[(d, 540, 1020) for d in range(7)]),
    ]
    f.special_day(sites[3], "closed", MON)
    f.special_day(sites[4], "extended", MON, opens_min=1020, closes_min=1320)
    moment = at(MON, hour, 15)
    expected = {s.id for s in sites if s.open_state(moment).is_open}
    found = set(db.session.scalars(select(Site.id).where(open_now_clause(moment))))
    assert found == expected
