"""The audit log reads in words on a phone: labels, HH:MM, "—" for nothing, the time of day."""

from datetime import datetime

import pytest
from sqlalchemy import select

from app import clock
from app.admin.audit_view import change_rows, show_value
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import AuditEntry

from . import factories as f

MONDAY_10AM = datetime(2026, 11, 23, 10, 7, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    ("key", "value", "target", "shown"),
    [
        ("opens_min", 1050, "site", "17:30"),
        ("closes_min", "1440", "site", "24:00"),
        ("weekday", 0, "site", "星期一"),
        ("status", "closed", "site", "暂停服务"),
        ("status", "checked_in", "booking", "已签到"),
        ("status", "no_show", "booking", "未到"),
        ("kind", "extended", "site", "延时服务"),
        ("facilities", ["water", "wifi"], "site", "饮用水、无线网络"),
        ("monday", [[540, 720], [840, 1020]], "site", "09:00–12:00, 14:00–17:00"),
        ("bookable", True, "site", "是"),
        ("needs_approval", "False", "service", "否"),
        ("expires_on", None, "site", "—"),
        ("expires_on", "None", "site", "—"),
        ("note", "", "site", "—"),
        ("hours", "2.0", "activity", "2"),
        ("something_new", 5, "site", "5"),
    ],
)
def test_values_read_as_people_say_them(app, key, value, target, shown):
    assert show_value(key, value, target) == shown


def test_rows_keep_every_field_with_its_label(app):
    rows = change_rows({"opens_min": 540}, {"opens_min": 510, "note": "午休"}, "site")
    assert [(r.label, r.before, r.after) for r in rows] == [
        ("开门", "09:00", "08:30"),
        ("说明", "—", "午休"),
    ]


def test_the_log_page_shows_labels_times_and_the_hour(client, auth, freeze):
    freeze(MONDAY_10AM)
    site = f.site(name="东方中心", hours=[(0, 540, 720)])
    staff = f.user("站长", staff_of=(site,))
    admin = f.user("管理员", admin=True)
    db.session.commit()
    auth.login(staff)
    added = client.post(
        f"/staff/sites/{site.id}/hours",
        data=f.prefixed(
            "hours", {"weekday": "1", "opens": "14:00", "closes": "17:30", "version": site.version}
        ),
    )
    assert added.status_code == 303
    closed = client.post(
        f"/staff/sites/{site.id}/close", data={f"site{site.id}-close-reason": "停电"}
    )
    assert closed.status_code == 303
    auth.logout()
    auth.login(admin)
    page = client.get("/admin/audit").text
    assert "opens_min" not in page and "None" not in page
    assert '<th scope="row">开门</th><td>—</td><td>14:00</td>' in page
    assert '<th scope="row">关门</th><td>—</td><td>17:30</td>' in page
    assert '<th scope="row">星期</th><td>—</td><td>星期二</td>' in page
    assert "<td>正常开放</td><td>暂停服务</td>" in page
    db.session.rollback()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "site.hours_added"))
    assert f"{clock.local(entry.at):%H:%M}</time>" in page  # the time of day, not only the date
    assert "添加开放时间" in page
