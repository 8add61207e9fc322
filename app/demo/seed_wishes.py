"""Demo small wishes (微心愿): a few in the first community, in every state a
resident or its staff could have left them through the pages: open ones
(one the demo resident posted, one the center's staff posted for an elder),
one the demo volunteer claimed, one taken on by a co-building unit, and one
granted and credited by the community's rule through the points ledger."""

from datetime import timedelta

from .. import clock
from ..models import PointsEntry, User, Wish, WishRule
from .seed_bookings import DEMO_RESIDENT
from .seed_volunteers import DEMO_CENTER_STAFF, DEMO_VOLUNTEER

RULE_POINTS = 10
# what, for whom, age, where, due in days, state, claimant
WISHES = (
    ("一副老花镜", "王奶奶", 82, "3号楼东门", 14, "open", None),
    ("陪我下一盘象棋", "赵爷爷", 78, "社区活动室", 7, "open", None),
    ("一套初中数学辅导书", "小明", 13, "5号楼2单元", 21, "claimed", "volunteer"),
    ("帮忙修好漏水的水龙头", "孙奶奶", 85, "8号楼1单元", 5, "claimed", "unit"),
    ("一台收音机", "周爷爷", 90, "2号楼西门", 10, "fulfilled", "other"),
)


def _user_id(ctx, mobile: str) -> int:
    return next(r["id"] for r in ctx.rows[User] if r["mobile"] == mobile)


def add_wishes(ctx) -> None:
    now, today = clock.now(), clock.today()
    site = ctx.sites[0]
    community_id = site.row["community_id"]
    staff = _user_id(ctx, DEMO_CENTER_STAFF)
    resident = _user_id(ctx, DEMO_RESIDENT)
    volunteer = _user_id(ctx, DEMO_VOLUNTEER)
    other = next(v for v in ctx.volunteers if v != volunteer)
    ctx.add(WishRule, community_id=community_id, points=RULE_POINTS, hours=1,
            updated_at=now - timedelta(days=30))  # fmt: skip
    for n, (what, name, age, place, due, state, claimant) in enumerate(WISHES):
        posted = now - timedelta(days=len(WISHES) - n)
        # The demo resident's wish is their own; the others staff posted for an elder or a child.
        own = n == 0
        claimed_by = {"volunteer": volunteer, "other": other}.get(claimant)
        entry = None
        if state == "fulfilled":
            entry = ctx.add(
                PointsEntry, user_id=claimed_by, kind="earned", points=RULE_POINTS,
                reason=f"微心愿：{what}", signup_id=None, redemption_id=None,
                created_by_id=staff, created_at=posted + timedelta(hours=5),
            )  # fmt: skip
        ctx.add(
            Wish, community_id=community_id, site_id=None if own else site.id,
            wisher_id=resident if own else None, logged_by_id=None if own else staff,
            what=what, for_name=name, for_age=age, place=place,
            due_on=today + timedelta(days=due), status=state, created_at=posted,
            claimed_by_id=claimed_by, claimed_unit="区税务局党支部" if claimant == "unit" else "",
            claimed_at=posted + timedelta(hours=2) if claimant else None,
            fulfilled_at=posted + timedelta(hours=5) if state == "fulfilled" else None,
            confirmed_by_id=staff if state == "fulfilled" else None, withdrawn_at=None,
            credit_points=None,
            credited_points=RULE_POINTS if entry else None, credited_hours=1 if entry else None,
            points_entry_id=entry["id"] if entry else None,
        )  # fmt: skip


STEPS = (add_wishes,)
