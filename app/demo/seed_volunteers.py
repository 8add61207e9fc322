"""Demo volunteering: teams, projects in every stage, activities over the coming
weeks (and past ones with hours credited), points, and the love mall."""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from .. import clock
from ..models import (
    Activity,
    ActivitySeries,
    MallItem,
    Membership,
    PointsEntry,
    Project,
    ProjectComment,
    ProjectSpending,
    Redemption,
    Signup,
    Team,
    User,
    VolunteerProfile,
)
from ..models.volunteers import project_team

BRANDS = ["四季歌", "夕阳红", "红马甲", "银龄互助", "暖心邻里", "小区守护者", "书香", "绿色家园"]
TEAM_KINDS = ["志愿服务队", "志愿服务分队"]
# The skills each brand's teams ask for, as staff type them on the team's page.
BRAND_SKILLS = {
    "四季歌": "文艺演出、陪伴聊天", "夕阳红": "陪伴聊天、上门探访", "红马甲": "秩序维护、急救",
    "银龄互助": "上门探访、代购代办", "暖心邻里": "理发、家电维修", "小区守护者": "巡逻、消防安全",
    "书香": "作业辅导、阅读推广", "绿色家园": "垃圾分类、绿化养护",
}  # fmt: skip
PROJECTS = [
    ("daily_life", "爱心理发进小区", "为行动不便的老人上门理发", "独居、高龄老人"),
    ("assistance", "困难家庭结对帮扶", "每月走访慰问困难家庭，帮助解决实际困难", "低保、低边家庭"),
    ("shared_venues", "共享会议室开放日", "党群服务中心场地向居民自治组织开放", "居民自治组织"),
    ("culture_sports", "邻里健身操", "每周三次带领居民做健身操", "社区居民"),
    ("health_elderly", "银龄健康讲座", "邀请社区医生讲慢病管理", "60岁以上老人"),
    ("legal", "律师进社区", "法律咨询与邻里纠纷调解", "有法律需求的居民"),
    ("education", "四点半课堂", "放学后为双职工家庭孩子辅导作业", "小学生"),
    ("safety", "平安巡逻", "夜间巡逻，排查安全隐患", "全体居民"),
]
ACTIVITY_TITLES = {
    "daily_life": "上门理发",
    "assistance": "入户走访",
    "shared_venues": "场地布置",
    "culture_sports": "健身操领操",
    "health_elderly": "讲座签到引导",
    "legal": "调解室值班",
    "education": "作业辅导",
    "safety": "夜间巡逻",
}
MALL_ITEMS = [
    ("大米 5 斤", 50),
    ("食用油 1 升", 40),
    ("洗衣液", 30),
    ("毛巾", 10),
    ("雨伞", 25),
    ("保温杯", 35),
    ("理发券", 15),
    ("挂面 2 斤", 12),
]
VOLUNTEER_SHARE = 0.6
# People who volunteer without (yet) booking anything: a city's volunteer
# register is several times its bookers, and the benchmark city needs its size.
VOLUNTEER_ONLY_PER_COPY = 1_000
# Publicity period (from, until) relative to today, by stage: current for
# projects in 公示, long past for those already running or done.
PUBLICITY = {
    "draft": (None, None),
    "filed": (None, None),
    "publicity": (timedelta(days=-3), timedelta(days=4)),
    "running": (timedelta(days=-40), timedelta(days=-33)),
    "completed": (timedelta(days=-40), timedelta(days=-33)),
}
OPINIONS = ("希望周末也能安排。", "支持！建议多通知独居老人。", "预算能否公开明细？")
REQUIREMENTS = ("", "有耐心", "会用智能手机", "身体健康")
DEMO_VOLUNTEER = "13800000002"
# The center manager of the demo accounts: who adjusted the demo volunteer's points.
DEMO_CENTER_STAFF = "13800000003"
# Goods a center hands out one or two to a person (the staff's per-person limit).
MALL_LIMITS = {"大米 5 斤": 1, "食用油 1 升": 2, "保温杯": 1}


def _at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.LOCAL_TZ)


def add_volunteers(ctx) -> None:
    """Most residents who book also volunteer: give them a profile."""
    rng, now = ctx.rng, clock.now()
    ctx.volunteers = []
    for user_id in ctx.residents:
        if rng.random() < VOLUNTEER_SHARE:
            ctx.add(
                VolunteerProfile,
                user_id=user_id,
                real_name=_real_name(rng),
                skills="",
                bio="",
                created_at=now,
            )
            ctx.volunteers.append(user_id)
    _add_volunteer_only_accounts(ctx, now)
    demo = next(r["id"] for r in ctx.rows[User] if r["mobile"] == DEMO_VOLUNTEER)
    ctx.demo_volunteer = demo


def _add_volunteer_only_accounts(ctx, now) -> None:
    """Accounts with a volunteer profile and no bookings (mobiles 136…)."""
    password_hash = ctx.password_hash
    for n in range(VOLUNTEER_ONLY_PER_COPY * ctx.scale):
        real_name = _real_name(ctx.rng)
        user = ctx.add(
            User, mobile=f"136{n:08d}", display_name=real_name[0] + "志愿者",
            password_hash=password_hash, is_admin=False, active=True, created_by_staff=False,
            created_at=now - timedelta(days=ctx.rng.randint(1, 400)),
            last_login_at=None, deleted_at=None,
        )  # fmt: skip
        ctx.add(
            VolunteerProfile,
            user_id=user["id"],
            real_name=real_name,
            skills="",
            bio="",
            created_at=user["created_at"],
        )
        ctx.volunteers.append(user["id"])


def _real_name(rng) -> str:
    return rng.choice("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高") + rng.choice(
        ["建国", "秀英", "桂兰", "志强", "丽华", "海燕", "文明", "玉梅", "国华", "春生"]
    )


def add_teams(ctx) -> None:
    """Two teams at each center, each with a leader and members."""
    rng, now = ctx.rng, clock.now()
    ctx.teams_by_site = {}
    ctx.team_members = {}  # team id → volunteers who take part (not the pending ones)
    used_names = set()
    for site in ctx.sites:
        if site.kind != "center":
            continue
        stem = site.community.stem
        teams = []
        for brand in rng.sample(BRANDS, 2):
            name = f"{stem}“{brand}”{rng.choice(TEAM_KINDS)}"
            if name in used_names:
                name = f"{name}{len(used_names)}"
            used_names.add(name)
            team = ctx.add(
                Team,
                name=name,
                brand=brand,
                slogan=f"{brand}，在您身边",
                description=f"由{stem}社区居民组成的志愿服务队。",
                skills=BRAND_SKILLS[brand],
                home_site_id=site.id,
                created_at=now,
            )
            members = rng.sample(ctx.volunteers, min(12, len(ctx.volunteers)))
            for i, user_id in enumerate(members):
                # A leader and a deputy, as staff name them on the team's page.
                status = ("leader", "deputy")[i] if i < 2 else ("pending" if i > 9 else "member")
                ctx.add(
                    Membership, team_id=team["id"], user_id=user_id, status=status, created_at=now
                )
            ctx.team_members[team["id"]] = members[:10]
            teams.append(team)
        ctx.teams_by_site[site.id] = teams
    # The demo volunteer is a member of the first center's first team.
    first = ctx.teams_by_site[ctx.sites[0].id][0]
    if ctx.demo_volunteer not in ctx.team_members[first["id"]]:
        ctx.add(
            Membership,
            team_id=first["id"],
            user_id=ctx.demo_volunteer,
            status="member",
            created_at=now,
        )
        ctx.team_members[first["id"]].append(ctx.demo_volunteer)


def add_projects_and_activities(ctx) -> None:
    """Projects in every stage per center; activities past and coming.

    Each is as its staff's pages would have left it: filed (a number, a day)
    before its publicity, which began on the day it was opened; completed with
    the hours credited by then; spending entered by the center's staff.
    """
    rng, now = ctx.rng, clock.now()
    stages = ["draft", "publicity", "running", "running", "completed"]
    ctx.earned = {}
    for site in ctx.sites:
        if site.kind != "center":
            continue
        teams = ctx.teams_by_site[site.id]
        for n, stage in enumerate(rng.sample(stages, 3) if site.id != ctx.sites[0].id else stages):
            category, title, description, beneficiaries = rng.choice(PROJECTS)
            budget = rng.choice((0, 2000, 5000, 8000, 12000, 20000))
            fund_source = rng.choice(("社区公益金", "党建经费", "街道专项", "社会捐赠"))
            served = rng.randint(30, 300) if stage == "completed" else None
            project = _project(ctx, site, stage, f"{site.community.stem}{title}", category,
                               description, beneficiaries, budget, fund_source, served)  # fmt: skip
            team = teams[n % len(teams)]
            ctx.add(project_team, project_id=project["id"], team_id=team["id"])
            if stage == "publicity":
                for user_id in rng.sample(ctx.residents, 2):
                    ctx.add(
                        ProjectComment,
                        project_id=project["id"],
                        user_id=user_id,
                        body=rng.choice(OPINIONS),
                        created_at=now - timedelta(days=1),
                        reply="",
                        replied_by_id=None,
                        replied_at=None,
                    )
            if stage in ("running", "completed"):
                signups_before = ctx.count(Signup)
                _activities(ctx, project, team, site, ACTIVITY_TITLES[category], stage)
                if stage == "completed":  # the hours credited when it was completed
                    project["outcome_hours"] = sum(
                        (Decimal(s["hours_credited"]) for s in ctx.rows[Signup][signups_before:]
                         if s["status"] == "attended"), Decimal(0),
                    )  # fmt: skip
            if stage == "running" and site.id == ctx.sites[0].id and not ctx.count(ActivitySeries):
                _weekly_series(ctx, project, team, site)
        if site.id == ctx.sites[0].id:
            _first_center_extras(ctx, site, teams[0])


# Filing and publicity days (relative to today) by stage: filed before the
# publicity opened, which was on its first day.
FILED = {"publicity": -5, "running": -42, "completed": -42, "filed": -2}


def _project(ctx, site, stage, title, category, description, beneficiaries, budget,
             fund_source, served, created_days_ago=45):  # fmt: skip
    """One project row, every row with the same columns (one executemany)."""
    today = ctx.today
    filed = stage != "draft"
    project = ctx.add(
        Project,
        title=title,
        category=category,
        community_id=site.row["community_id"],
        site_id=site.id,
        description=description,
        budget_yuan=budget,
        fund_source=fund_source,
        beneficiaries=beneficiaries,
        status=stage,
        filing_number="",
        filed_on=today + timedelta(days=FILED[stage]) if filed else None,
        publicity_starts_on=PUBLICITY[stage][0] and today + PUBLICITY[stage][0],
        publicity_ends_on=PUBLICITY[stage][1] and today + PUBLICITY[stage][1],
        started_on=today - timedelta(days=30) if stage in ("running", "completed") else None,
        completed_on=today - timedelta(days=2) if stage == "completed" else None,
        outcome_beneficiaries=served,
        outcome_hours=None,
        outcome_summary="项目顺利完成，居民反响很好。" if stage == "completed" else "",
        outcome_photo_id=None,
        created_at=clock.now() - timedelta(days=created_days_ago),
    )
    if filed:  # a number of the street office's kind, one per project
        project["filing_number"] = f"{site.community.stem}备〔{today.year}〕{project['id']:04d}号"
    return project


def _first_center_extras(ctx, site, team) -> None:
    """At the first center: a project just filed, waiting for its publicity, and the
    spending its staff recorded against the budgets of the projects under way. No
    random numbers: the rest of the city stays as it was."""
    project = _project(ctx, site, "filed", f"{site.community.stem}睦邻客厅改造", "shared_venues",
                       "把活动室改造成居民议事、休息的睦邻客厅", "社区居民", 15000, "街道专项",
                       None, created_days_ago=10)  # fmt: skip
    ctx.add(project_team, project_id=project["id"], team_id=team["id"])
    staff = next(r["id"] for r in ctx.rows[User] if r["mobile"] == DEMO_CENTER_STAFF)
    now = clock.now()
    for row in ctx.rows[Project]:
        if row["site_id"] != site.id or row["status"] not in ("running", "completed"):
            continue
        if not row["budget_yuan"]:
            continue
        budget = Decimal(row["budget_yuan"])
        for days, share, purpose, payee in SPENDING:
            ctx.add(
                ProjectSpending, project_id=row["id"], spent_on=ctx.today - timedelta(days=days),
                amount_yuan=(budget * share).quantize(Decimal("0.01")), purpose=purpose,
                payee=payee, created_by_id=staff, created_at=now - timedelta(days=days),
            )  # fmt: skip


# Spending entries of a project under way: (days ago, share of the budget, what for, to whom).
SPENDING = (
    (25, Decimal("0.3125"), "服务工具和耗材", "社区五金便民店"),
    (12, Decimal("0.2"), "志愿者餐费和饮用水", "邻里食堂"),
)


def _activities(ctx, project, team, site, title, stage) -> None:
    rng, today, now = ctx.rng, ctx.today, clock.now()
    offsets = [-12, -5] + ([2, 6, 10, 17] if stage == "running" else [])
    for offset in offsets:
        day = today + timedelta(days=offset)
        hour = rng.choice((9, 14, 19))
        starts = _at(day, hour)
        hours = Decimal(rng.choice((2, 2, 3)))
        places = rng.choice((4, 6, 8, 10))
        activity = ctx.add(
            Activity,
            project_id=project["id"],
            team_id=team["id"],
            site_id=site.id,
            series_id=None,
            title=title,
            # As the staff's activity form sets it: the project's category.
            category=project["category"],
            description=f"{project['title']}：{title}",
            address="",
            requirements=rng.choice(REQUIREMENTS),
            skills="",
            starts_at=starts,
            ends_at=starts + timedelta(hours=int(hours)),
            signup_deadline=starts - timedelta(hours=12),
            places=places,
            taken=0,
            hours=hours,
            status="open",
            checkin_code=f"{rng.randrange(10**6):06d}",
            created_at=now - timedelta(days=20),
        )
        past = starts < now
        pool = ctx.team_members[team["id"]]
        volunteers = rng.sample(pool, min(len(pool), places + 2))
        if ctx.demo_volunteer in pool and ctx.demo_volunteer not in volunteers:
            volunteers[0] = ctx.demo_volunteer  # the demo volunteer takes part in every one
        want = places if rng.random() < 0.4 else rng.randint(1, places)
        for user_id in volunteers:
            if activity["taken"] < want:
                activity["taken"] += 1
                status = rng.choice(("attended",) * 9 + ("absent",)) if past else "signed_up"
            elif not past and activity["taken"] == places:
                status = "waitlisted"
            else:
                continue
            credited = hours if status == "attended" else Decimal(0)
            signup = ctx.add(
                Signup,
                activity_id=activity["id"],
                user_id=user_id,
                status=status,
                created_at=starts - timedelta(days=3),
                checked_in_at=starts if status == "attended" else None,
                hours_credited=credited,
                credit_reason="",
            )
            if credited:
                ctx.add(
                    PointsEntry,
                    user_id=user_id,
                    kind="earned",
                    points=int(credited),
                    reason=title,
                    signup_id=signup["id"],
                    redemption_id=None,
                    created_by_id=None,
                    created_at=starts + timedelta(hours=3),
                )
                ctx.earned[user_id] = ctx.earned.get(user_id, 0) + int(credited)


def _weekly_series(ctx, project, team, site) -> None:
    """A weekly series at the first center, as its staff make one on the activities
    page: every Saturday 09:00–11:00 for 8 weeks, from the coming Saturday."""
    now = clock.now()
    first = ctx.today + timedelta(days=(5 - ctx.today.weekday()) % 7 or 7)
    staff = next(r["id"] for r in ctx.rows[User] if r["mobile"] == DEMO_CENTER_STAFF)
    series = ctx.add(
        ActivitySeries, site_id=site.id, title="周六助老服务", weekday=5, starts_min=540,
        ends_min=660, first_on=first, weeks=8, created_by_id=staff,
        created_at=now - timedelta(days=3),
    )  # fmt: skip
    # Each week is an activity like any other: the same columns as the rows above.
    # Its codes come from their own generator, so the rest of the city stays as it was.
    template = {k: v for k, v in ctx.rows[Activity][-1].items() if k != "id"}
    codes = random.Random(f"series-{series['id']}")
    for week in range(8):
        starts = _at(first + timedelta(weeks=week), 9)
        ctx.add(Activity, **{
            **template, "project_id": project["id"], "team_id": team["id"], "site_id": site.id,
            "series_id": series["id"], "title": "周六助老服务", "category": project["category"],
            "description": "每周六上午陪老人聊天、帮忙打扫。", "address": "",
            "requirements": "有耐心", "skills": "陪伴聊天", "starts_at": starts,
            "ends_at": starts + timedelta(hours=2), "signup_deadline": starts - timedelta(hours=12),
            "places": 8, "taken": 0, "hours": Decimal(2), "status": "open",
            "checkin_code": f"{codes.randrange(10**6):06d}", "created_at": series["created_at"],
        })  # fmt: skip


def add_mall(ctx) -> None:
    """Goods at every center; the demo volunteer has exchanged two."""
    rng, now = ctx.rng, clock.now()
    ctx.mall_items = {}
    for site in ctx.sites:
        if site.kind != "center":
            continue
        for name, cost in rng.sample(MALL_ITEMS, 4):
            # As the staff's "add an item" page makes them (no photo: none to hand).
            item = ctx.add(
                MallItem,
                site_id=site.id,
                name=name,
                description="到站点服务台领取",
                points_cost=cost,
                stock=rng.choice((0, 2, 5, 10, 20)),
                per_person_limit=MALL_LIMITS.get(name),
                photo_id=None,
                active=True,
                created_at=now - timedelta(days=30),
            )
            ctx.mall_items.setdefault(site.id, []).append(item)
    demo = ctx.demo_volunteer
    staff = next(r["id"] for r in ctx.rows[User] if r["mobile"] == DEMO_CENTER_STAFF)
    # A welcome bonus so the demo volunteer can try an exchange right away: an
    # adjustment the center's staff made, with its reason, on the points page.
    ctx.add(
        PointsEntry,
        user_id=demo,
        kind="adjusted",
        points=60,
        reason="新志愿者欢迎积分",
        signup_id=None,
        redemption_id=None,
        created_by_id=staff,
        created_at=now - timedelta(days=20),
    )
    cheap = sorted(ctx.mall_items[ctx.sites[0].id], key=lambda i: i["points_cost"])[:2]
    for item, status in zip(cheap, ("picked_up", "reserved"), strict=False):
        redemption = ctx.add(
            Redemption,
            item_id=item["id"],
            user_id=demo,
            points=item["points_cost"],
            code=f"{rng.randrange(10**8):08d}",
            status=status,
            created_at=now - timedelta(days=5),
            decided_at=now if status == "picked_up" else None,
        )
        ctx.add(
            PointsEntry,
            user_id=demo,
            kind="spent",
            points=-item["points_cost"],
            reason=item["name"],
            signup_id=None,
            redemption_id=redemption["id"],
            created_by_id=None,
            created_at=now - timedelta(days=5),
        )


STEPS = (add_volunteers, add_teams, add_projects_and_activities, add_mall)
