"""Sites CSV: reading real files (UTF-8 with a BOM, GBK), checking rows, and the
all-or-nothing, idempotent import through /admin/import."""

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Community, District, Site
from app.sites import sites_csv

from . import factories as f

DATA = Path(__file__).parent / "data"
HEADER = ",".join(sites_csv.KEYS)


def example_row(**changes) -> str:
    values = {**sites_csv.EXAMPLE, **changes}
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([values[k] for k in sites_csv.KEYS])
    return buffer.getvalue()


def center_row(**changes) -> str:
    center = {
        "code": "PD-HM-000",
        "kind": "center",
        "station_type": "",
        "name": "牡丹社区党群服务中心",
    }
    return example_row(**{**center, **changes})


# Reading files ----------------------------------------------------------------------


def test_reads_utf8_with_bom():
    text, encoding = sites_csv.decode((DATA / "sites_utf8_bom.csv").read_bytes(), "s.csv")
    rows, errors = sites_csv.check(text)
    assert encoding == "utf-8" and errors == []
    assert [r.values["code"] for r in rows] == ["HK-JW-000", "HK-JW-001", "HK-JW-002"]
    assert rows[0].values["name"] == "瑞虹社区党群服务中心"
    assert rows[0].hours[:2] == [(0, 510, 720), (0, 810, 1020)]
    assert rows[2].values["kind"] == "station"  # written as 站点
    assert rows[2].hours == [(d, 0, 1440) for d in range(7)]


def test_reads_gbk():
    text, encoding = sites_csv.decode((DATA / "sites_gbk.csv").read_bytes(), "s.csv")
    rows, errors = sites_csv.check(text)
    assert encoding == "gbk" and errors == []
    assert rows[1].values["name"] == "凉城新城一期驿站"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"PK\x03\x04rest-of-a-zip", "sites.xlsx", "Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "sites.xls", "Excel"),
        (b"code,name\n", "sites.pdf", ".csv"),
        (b"   ", "sites.csv", "文件是空的"),
        (b"\xff\xfe\x00\x00\xc0", "sites.csv", "UTF-8"),
        (b"code\x00,name\n", "sites.csv", "不像是 CSV"),
    ],
)
def test_refuses_what_is_not_a_csv(app, data, filename, message):
    with (
        app.test_request_context(headers={"Accept-Language": "en"}),
        pytest.raises(sites_csv.ImportRefused, match=message),
    ):
        sites_csv.check(sites_csv.decode(data, filename)[0])


def test_missing_columns_are_named(app):
    with app.test_request_context(), pytest.raises(sites_csv.ImportRefused) as refused:
        sites_csv.check("code,name,address\nX1,某站,某路\n")
    for name in ("区 (district)", "纬度 (latitude)", "类型 (kind)"):
        assert name in refused.value.message


def test_each_bad_cell_is_reported_by_row_and_column(app):
    text = HEADER + "\n" + center_row() + example_row(
        code="bad code!", community_class="E", latitude="60", longitude="-0.1",
        phone="call me", facilities="water;pool", hours="1-5 12:00-08:00", station_type="x",
    )  # fmt: skip
    with app.test_request_context():
        rows, errors = sites_csv.check(text)
    assert [r.values["code"] for r in rows] == ["PD-HM-000"]
    found = {(e.row, e.key) for e in errors}
    assert found == {(3, k) for k in ("code", "community_class", "station_type", "phone",
                                      "latitude", "longitude", "facilities", "hours")}  # fmt: skip


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ("1-5 09:00-12:00", [(d, 540, 720) for d in range(5)]),
        ("7 09:00-12:00，13:00-17:00", [(6, 540, 720), (6, 780, 1020)]),
        ("1 08:00–12:00； 2 08:00～12:00", [(0, 480, 720), (1, 480, 720)]),
        ("", []),
    ],
)
def test_parse_hours(hours, expected):
    assert sites_csv.parse_hours(hours) == expected


@pytest.mark.parametrize(
    "hours", ["1-8 09:00-12:00", "0 09:00-12:00", "1 12:00-09:00", "1 09:00-12:00,11:00-13:00",
              "周一 09:00-12:00", "1 9-12"],
)  # fmt: skip
def test_parse_hours_refuses(app, hours):
    with app.test_request_context(), pytest.raises(ValueError):
        sites_csv.parse_hours(hours)


def test_format_hours_round_trips():
    text = "1-5 08:30-12:00,13:30-17:00; 6 09:00-12:00; 7 00:00-24:00"
    assert sites_csv.format_hours(sites_csv.parse_hours(text)) == text


def test_duplicate_codes_and_two_centers_in_one_file(app):
    text = (
        HEADER + "\n" + center_row() + center_row(code="PD-HM-009") + example_row() + example_row()
    )
    with app.test_request_context():
        _rows, errors = sites_csv.check(text)
    assert {(e.row, e.key) for e in errors} == {(3, "kind"), (5, "code")}


def test_csv_cell_defuses_formulas():
    assert sites_csv.csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert sites_csv.csv_cell("-12.5") == "-12.5"
    assert sites_csv.csv_cell("@x") == "'@x"
    # Spreadsheets skip a leading tab or carriage return and read what follows.
    assert sites_csv.csv_cell("\t=HYPERLINK(1)") == "'\t=HYPERLINK(1)"
    assert sites_csv.csv_cell("\r=1+1") == "'\r=1+1"
    assert sites_csv.csv_cell("\t-3") == "'\t-3"
    assert sites_csv.csv_cell("\t") == "'\t"


# The import through the admin console ------------------------------------------


@pytest.fixture
def admin(app, auth):
    user = f.user("管理员", admin=True)
    db.session.commit()
    auth.login(user)
    db.session.rollback()
    return user


def upload(client, data: bytes, filename: str = "sites.csv"):
    return client.post(
        "/admin/import", data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )  # fmt: skip


def site_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Site.id)))


@pytest.mark.parametrize("name", ["sites_utf8_bom.csv", "sites_gbk.csv"])
def test_import_creates_the_tree_and_sites_then_changes_nothing(client, admin, name):
    data = (DATA / name).read_bytes()
    response = upload(client, data)
    assert response.status_code == 200, response.text
    assert "新增 3" in response.text
    db.session.rollback()
    center = db.session.scalar(select(Site).where(Site.kind == "center"))
    assert center.community.street.district.name == "虹口区"
    assert center.community.klass == "A" and len(center.stations) == 2
    assert sorted(center.facility_codes) == ["seats", "toilet", "water"]
    assert len(center.opening_intervals) == 11
    assert center.name in client.get(f"/sites/{center.id}").text
    entries = db.session.scalar(select(func.count(AuditEntry.id)))

    again = upload(client, data)
    assert again.status_code == 200 and "3 个已是最新" in again.text
    db.session.rollback()
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries + 1  # the summary
    assert db.session.get(Site, center.id).version == center.version
    assert site_count() == 3
    assert db.session.scalar(select(func.count(District.id))) == 1
    assert db.session.scalar(select(func.count(Community.id))) == 1


def test_import_updates_by_code(client, admin):
    data = (DATA / "sites_utf8_bom.csv").read_bytes()
    upload(client, data)
    changed = data.replace("瑞虹路188号".encode(), "瑞虹路200号".encode())
    response = upload(client, changed)
    assert response.status_code == 200 and "修改 1" in response.text
    db.session.rollback()
    site = db.session.scalar(select(Site).where(Site.code == "HK-JW-000"))
    assert site.address == "瑞虹路200号"
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "site.imported"))
    (entry,) = [e for e in entries if e.before]
    assert entry.before["address"] == "瑞虹路188号" and entry.after["address"] == "瑞虹路200号"


def test_ten_thousand_rows_with_one_bad_row_import_nothing(client, admin):
    lines = [HEADER, center_row().strip()]
    for n in range(1, 10_000):
        bad = n == 7_321
        lines.append(example_row(code=f"PD-{n:05d}", name=f"驿站{n}",
                                 latitude="95" if bad else "31.2").strip())  # fmt: skip
    response = upload(client, ("\n".join(lines) + "\n").encode("utf-8"))
    assert response.status_code == 422
    assert "没有导入任何数据" in response.text
    assert "<td>7323</td><td>纬度 (latitude)</td>" in response.text
    assert "1 个问题" in response.text
    assert site_count() == 0
    assert db.session.scalar(select(func.count(District.id))) == 0


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"PK\x03\x04zip", "sites.xlsx", "Excel 工作簿"),
        (b"code,name\nX,Y\n", "sites.csv", "缺少这些列"),
        (HEADER.encode() + b"\n", "sites.csv", "没有站点"),
        (b"", "", "请选择要导入的 CSV 文件"),
    ],
)
def test_import_refusals_change_nothing(client, admin, data, filename, message):
    response = upload(client, data, filename)
    assert response.status_code == 422
    assert message in response.text
    assert site_count() == 0


def test_import_refuses_a_second_center_and_orphan_stations(client, admin):
    existing = f.site(f.community(name="牡丹社区"), name="已有中心", code="OLD-1")
    street = existing.community.street
    db.session.commit()
    place = {"district": street.district.name, "street": street.name, "community": "牡丹社区"}
    text = HEADER + "\n" + center_row(**place) + example_row(community="无中心社区")
    response = upload(client, text.encode())
    assert response.status_code == 422
    assert "已经有服务中心：已有中心" in response.text
    assert "这个社区还没有服务中心" in response.text
    assert site_count() == 1


def test_import_needs_an_admin(client, auth):
    staff = f.user("站长", staff_of=(f.site(),))
    db.session.commit()
    auth.login(staff)
    response = upload(client, (DATA / "sites_utf8_bom.csv").read_bytes())
    assert response.status_code == 403
    assert site_count() == 1


# Template and exports ----------------------------------------------------------


def test_template_downloads_with_bom_header_and_example(client, admin):
    response = client.get("/admin/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff编码,区,街道")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][0] == "PD-HM-001"


def test_sites_export_reimports_unchanged(client, admin):
    upload(client, (DATA / "sites_gbk.csv").read_bytes())
    exported = client.get("/admin/export/sites.csv")
    assert exported.status_code == 200 and exported.data.startswith(b"\xef\xbb\xbf")
    assert "凉城社区党群服务中心" in exported.data.decode("utf-8")
    again = upload(client, exported.data)
    assert again.status_code == 200 and "3 个已是最新" in again.text
