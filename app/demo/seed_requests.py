"""Demo residents' requests (诉求) in the first community, in the states residents
and the grid worker could have left them through the pages: one just
reported by the demo resident, one in progress that neighbours said "me
too" to, one resolved and rated 满意 after a follow-up call, and one
overdue that was passed up to the center's staff.

Deadlines follow the default rule (accept within 1 working day, resolve
within 7), counted from when each was reported.
"""

from datetime import timedelta

from .. import clock
from ..models import Grid, RequestStep, RequestSupport, ResidentRequest, User
from ..requests.deadlines import DEFAULT_ACCEPT_DAYS, DEFAULT_RESOLVE_DAYS, add_working_days
from .seed_bookings import DEMO_RESIDENT
from .seed_grids import DEMO_GRID_WORKER, WORKER_GRID
from .seed_volunteers import DEMO_CENTER_STAFF, DEMO_VOLUNTEER

# text, category, public, reported hours ago, the steps after the report
# (kind, from, to, hours after the report, by, note), rating
REQUESTS = (
    ("1号楼楼道灯不亮，晚上上下楼看不清。", "repairs", True, 2, (), None),
    (
        "幸福花园东门垃圾桶满了没人清，气味很大。", "environment", True, 30,
        (("accept", "received", "accepted", 1, "worker", "已联系保洁公司，今天处理。"),
         ("start", "accepted", "in_progress", 3, "worker", "保洁人员已到场。")),
        None,
    ),
    (
        "小区健身器材的扶手松动，老人用着不安全。", "facilities", False, 120,
        (("accept", "received", "accepted", 2, "worker", ""),
         ("resolve", "accepted", "resolved", 26, "worker", "已更换螺栓并加固，可以正常使用。"),
         ("rate", "resolved", "closed", 30, "resident", "修得很快，谢谢网格员。"),
         ("follow_up", "closed", "closed", 50, "worker", "回访：居民表示满意。")),
        "satisfied",
    ),
    ("2号楼前的路面塌陷了一块，下雨积水。", "safety", True, 100,
     (("escalate", "received", "received", 30, None, ""),), None),
)  # fmt: skip


def _user_id(ctx, mobile: str) -> int:
    return next(r["id"] for r in ctx.rows[User] if r["mobile"] == mobile)


def add_requests(ctx) -> None:
    now = clock.now()
    community_id = ctx.communities[0].id
    grid_id = next(r["id"] for r in ctx.rows[Grid] if r["name"] == WORKER_GRID
                   and r["community_id"] == community_id)  # fmt: skip
    people = {
        "resident": _user_id(ctx, DEMO_RESIDENT),
        "worker": _user_id(ctx, DEMO_GRID_WORKER[0]),
    }
    neighbours = [_user_id(ctx, DEMO_VOLUNTEER), _user_id(ctx, DEMO_CENTER_STAFF)]
    for text, category, public, hours_ago, steps, rating in REQUESTS:
        reported = now - timedelta(hours=hours_ago)
        at = {kind: reported + timedelta(hours=h) for kind, _f, _t, h, _by, _n in steps}
        status = steps[-1][2] if steps else "received"
        resolved = at.get("resolve")
        req = ctx.add(
            ResidentRequest, resident_id=people["resident"], logged_by_id=None,
            community_id=community_id, grid_id=grid_id, category=category, text=text,
            place_kind="home", site_id=None, place_text="幸福花园", lat=None, lng=None,
            public=public, status=status, created_at=reported,
            accept_due_at=add_working_days(reported, DEFAULT_ACCEPT_DAYS),
            resolve_due_at=add_working_days(reported, DEFAULT_RESOLVE_DAYS),
            accepted_at=at.get("accept"), resolved_at=resolved,
            closed_at=at.get("rate"), escalation=1 if "escalate" in at else 0,
            rating=rating, rating_comment=next((n for k, *_r, n in steps if k == "rate"), ""),
            rated_at=at.get("rate"), reopened=0, followed_up_at=at.get("follow_up"),
            me_too=len(neighbours) if status == "in_progress" else 0,
        )  # fmt: skip
        ctx.add(RequestStep, request_id=req["id"], at=reported, actor_id=people["resident"],
                kind="report", from_status=None, to_status="received", note="")  # fmt: skip
        for kind, before, after, hours, by, note in steps:
            ctx.add(RequestStep, request_id=req["id"], at=reported + timedelta(hours=hours),
                    actor_id=people.get(by), kind=kind, from_status=before, to_status=after,
                    note=note)  # fmt: skip
        if status == "in_progress":
            for user_id in neighbours:
                ctx.add(RequestSupport, request_id=req["id"], user_id=user_id,
                        created_at=reported + timedelta(hours=4))  # fmt: skip


STEPS = (add_requests,)
