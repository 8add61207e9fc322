"""The grid pages: staff keep a community's tree (and import it from CSV), a
resident sets their home in /me, and the home page shows 我的网格."""

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Building, Compound, Grid, GridScope, Home

from . import factories as f
from . import grid_factories as gf
from .html_check import problems


def assert_clean_page(response):
    """The sweeps' HTML check; CSRF is off in these tests, so its field is not asked for
    (tests/test_html_sweep.py checks the pages with it on)."""
    html = response.get_data(as_text=True)
    found = [p for p in problems(html, whole_page="<html" in html[:200]) if "CSRF" not in p]
    assert not found, found


@pytest.fixture
def place(app):
    center = f.site(name="东方中心", phone="021-5888 1234")
    station = f.site(kind="station", center=center, name="阳光站")
    other = f.site(name="梅园中心")
    people = dict(
        admin=f.user("管理员", admin=True),
        staff=f.user("站长", staff_of=(center,)),
        station_staff=f.user("社工", staff_of=(station,)),
        other_staff=f.user("梅园站长", staff_of=(other,)),
        resident=f.user("王阿姨", mobile="13766660002"),
        worker=f.user("刘网格", mobile="13766660006"),
    )
    db.session.commit()
    return dict(
        community=center.community,
        other_community=other.community,
        center=center,
        station=station,
        **people,
    )


def base(place):
    return f"/staff/communities/{place['community'].id}/grids"


def one(query):
    """A fresh read (the test's session would otherwise keep its old snapshot)."""
    db.session.rollback()
    return db.session.scalar(query)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# Who may open the pages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("staff", 200),
        ("station_staff", 403),
        ("other_staff", 403),
        ("resident", 403),
    ],
)
def test_the_tree_is_for_admins_and_the_communitys_staff(client, auth, place, who, status):
    auth.login(place[who])
    response = client.get(base(place))
    assert response.status_code == status
    if status == 200:
        assert_clean_page(response)
        assert "网格" in response.text


def test_every_grid_route_keeps_to_the_community(app, client, auth, place):
    """The route sweep, for grids: another community's staff, and a station's, get 403."""
    from .test_permissions import build, console_rules, methods

    rules = [r for r in console_rules(app) if "/grids" in r.rule]
    assert len(rules) >= 14
    ids = {"grid_id": 1, "compound_id": 1, "building_id": 1, "worker_id": 1}
    for who, community in (
        ("other_staff", place["community"]),
        ("station_staff", place["community"]),
        ("staff", place["other_community"]),
    ):
        auth.login(place[who])
        for rule in rules:
            path = build(rule, {**ids, "community_id": community.id})
            for method in methods(rule):
                assert client.open(path, method=method).status_code == 403, (who, method, path)
        auth.logout()


def test_a_grid_of_another_community_is_404(client, auth, place):
    foreign = gf.grid(place["other_community"], "梅园网格")
    db.session.commit()
    auth.login(place["admin"])
    assert client.get(f"{base(place)}/{foreign.id}").status_code == 404
    assert client.post(f"{base(place)}/{foreign.id}/delete").status_code == 404
    assert client.get(f"{base(place)}/{2**31}").status_code == 404
    assert client.get(f"/staff/communities/{2**31}/grids").status_code == 404


def test_staff_home_and_admin_community_link_to_the_grids(client, auth, place):
    auth.login(place["staff"])
    home = client.get("/staff/").text
    assert f'href="{base(place)}"' in home
    assert home.count(f'href="{base(place)}"') == 1  # the center's card, not the station's
    auth.logout()
    auth.login(place["admin"])
    page = client.get(f"/admin/communities/{place['community'].id}").text
    assert f'href="{base(place)}"' in page


# Building the tree ------------------------------------------------------------------


def test_staff_build_a_tree_and_name_a_worker(client, auth, place):
    auth.login(place["staff"])
    response = client.post(
        base(place),
        data={
            "grid-name": "第一网格",
            "grid-head_name": "赵网格长",
            "grid-head_phone": "０３７１－６６８８１２３４",
        },
    )
    assert response.status_code == 303
    top = one(select(Grid).where(Grid.name == "第一网格"))
    assert top.head_phone == "0371-66881234" and top.level == 1
    assert response.headers["Location"] == f"{base(place)}/{top.id}"
    response = client.post(base(place), data={"grid-name": "一区", "grid-parent_id": str(top.id)})
    assert response.status_code == 303
    child = one(select(Grid).where(Grid.name == "一区"))
    assert child.level == 2 and child.parent_id == top.id
    page = client.get(f"{base(place)}/{child.id}")
    assert page.status_code == 200 and "第一网格" in page.text
    assert_clean_page(page)
    assert (
        client.post(
            f"{base(place)}/{child.id}/compounds", data={"compound-name": "幸福小区"}
        ).status_code
        == 303
    )
    compound = one(select(Compound))
    prefix = f"in{compound.id}-building"
    response = client.post(
        f"{base(place)}/{child.id}/compounds/{compound.id}/buildings",
        data={
            f"{prefix}-name": "1号楼",
            f"{prefix}-head_name": "张楼长",
            f"{prefix}-head_phone": "138 0000 1111",
        },
    )
    assert response.status_code == 303
    building = one(select(Building))
    assert building.head_phone == "13800001111"
    response = client.post(
        f"{base(place)}/{child.id}/workers",
        data={"worker-mobile": "１３７６６６６０００６", "worker-public_phone": "13800006600"},
    )
    assert response.status_code == 303
    scope = one(select(GridScope))
    assert scope.user_id == place["worker"].id and scope.public_phone == "13800006600"
    page = client.get(f"{base(place)}/{child.id}").text
    assert "刘网格" in page and "137****0006" in page and "13766660006" not in page
    assert "幸福小区" in page and "张楼长" in page
    tree_page = client.get(base(place)).text
    assert "第一网格" in tree_page and "一区" in tree_page
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {
        "grid.created",
        "compound.created",
        "building.created",
        "grid.worker_granted",
    } <= actions


def test_edit_move_rename_and_delete(client, auth, place):
    top = gf.grid(place["community"], "第一网格")
    second = gf.grid(place["community"], "第二网格")
    child = gf.grid(place["community"], "一区", top)
    compound = gf.compound(child)
    building = gf.building(compound)
    db.session.commit()
    auth.login(place["admin"])
    response = client.post(
        f"{base(place)}/{child.id}/edit",
        data={"edit-name": "二区", "edit-parent_id": str(second.id)},
    )
    assert response.status_code == 303
    db.session.rollback()
    moved = db.session.get(Grid, child.id)
    assert (moved.name, moved.parent_id, moved.level) == ("二区", second.id, 2)
    prefix = f"building{building.id}"
    assert (
        client.post(
            f"{base(place)}/{child.id}/buildings/{building.id}/edit",
            data={
                f"{prefix}-name": "2号楼",
                f"{prefix}-head_name": "钱楼长",
                f"{prefix}-head_phone": "0371 12345678",
            },
        ).status_code
        == 303
    )
    db.session.rollback()
    assert db.session.get(Building, building.id).head_phone == "0371-12345678"
    prefix = f"compound{compound.id}"
    assert (
        client.post(
            f"{base(place)}/{child.id}/compounds/{compound.id}/edit",
            data={f"{prefix}-name": "幸福家园"},
        ).status_code
        == 303
    )
    # The compound holds a building: its deletion is refused, with the reason.
    response = client.post(
        f"{base(place)}/{child.id}/compounds/{compound.id}/delete", follow_redirects=True
    )
    assert "还有楼栋" in response.text and count(Compound) == 1
    response = client.post(f"{base(place)}/{second.id}/delete", follow_redirects=True)
    assert "下面还有网格" in response.text and count(Grid) == 3
    client.post(f"{base(place)}/{child.id}/buildings/{building.id}/delete")
    client.post(f"{base(place)}/{child.id}/compounds/{compound.id}/delete")
    response = client.post(f"{base(place)}/{child.id}/delete")
    assert response.status_code == 303 and response.headers["Location"] == base(place)
    assert count(Grid) == 2 and count(Compound) == 0 and count(Building) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"grid-name": ""}, "请填写网格名称"),
        ({"grid-name": "长" * 41}, "40"),
        ({"grid-name": "甲", "grid-head_name": "王", "grid-head_phone": "12345"}, "0371-12345678"),
        ({"grid-name": "甲", "grid-head_name": "王" * 21}, "20"),
        ({"grid-name": "甲", "grid-parent_id": str(2**31)}, "请选择本社区的网格"),
        ({"grid-name": "甲", "grid-parent_id": "１"}, "请选择本社区的网格"),
        ({"grid-name": "甲", "grid-parent_id": "abc"}, "请选择本社区的网格"),
        ({"grid-name": "甲", "grid-head_phone": "13800001111"}, "联系人姓名"),
    ],
)
def test_bad_grid_input_is_refused_and_changes_nothing(client, auth, place, data, message):
    auth.login(place["staff"])
    response = client.post(base(place), data=data)
    assert response.status_code == 422 and message in response.text
    assert_clean_page(response)
    assert count(Grid) == 0 and count(AuditEntry) == 0


def test_a_nul_byte_is_refused(client, auth, place):
    auth.login(place["staff"])
    response = client.post(base(place), data={"grid-name": "甲\x00"})
    assert response.status_code == 400 and count(Grid) == 0


def test_a_fourth_level_and_a_taken_name_are_refused(client, auth, place):
    top = gf.grid(place["community"], "第一网格")
    middle = gf.grid(place["community"], "一区", top)
    bottom = gf.grid(place["community"], "一区甲", middle)
    db.session.commit()
    auth.login(place["staff"])
    # A third-level grid is not offered as a parent; sent anyway, it is refused.
    response = client.post(
        base(place), data={"grid-name": "太深", "grid-parent_id": str(bottom.id)}
    )
    assert response.status_code == 422 and "请选择本社区的网格" in response.text
    response = client.post(base(place), data={"grid-name": "第一网格"})
    assert response.status_code == 422 and "已有名为第一网格的网格" in response.text
    assert count(Grid) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"worker-mobile": "13900009999"}, "没有使用这个号码的账号"),
        ({"worker-mobile": "123"}, "11 位"),
        ({"worker-mobile": "13766660006", "worker-public_phone": "999"}, "0371-12345678"),
    ],
)
def test_bad_worker_input_is_refused(client, auth, place, data, message):
    top = gf.grid(place["community"], "第一网格")
    db.session.commit()
    auth.login(place["staff"])
    response = client.post(f"{base(place)}/{top.id}/workers", data=data)
    assert response.status_code == 422 and message in response.text
    assert_clean_page(response)
    assert count(GridScope) == 0


def test_revoking_a_worker(client, auth, place):
    top = gf.grid(place["community"], "第一网格")
    other = gf.grid(place["community"], "第二网格")
    scope = gf.worker(place["worker"], top, "13800006600")
    db.session.commit()
    auth.login(place["staff"])
    # Named under the wrong grid: 404.
    assert client.post(f"{base(place)}/{other.id}/workers/{scope.id}/revoke").status_code == 404
    response = client.post(f"{base(place)}/{top.id}/workers/{scope.id}/revoke")
    assert response.status_code == 303 and count(GridScope) == 0


# The CSV import -----------------------------------------------------------------------

GOOD_CSV = (
    "一级网格,二级网格,三级网格,网格长,网格长电话,小区,楼栋,楼栋长,楼栋长电话\n"
    "第一网格,,,赵网格长,0371-66881234,,,,\n"
    "第一网格,一区,,,,幸福小区,1号楼,张楼长,１３８００００１１１１\n"
    "第一网格,一区,,,,幸福小区,2号楼,,\n"
    "第一网格,一区,东片,,,东苑,A座,,\n"
)


def _upload(client, place, text: str | bytes, name="grids.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        f"{base(place)}/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_good_file_imports_the_tree_and_again_changes_nothing(client, auth, place, bom):
    auth.login(place["staff"])
    response = _upload(client, place, bom + GOOD_CSV.encode())
    assert response.status_code == 200, response.text
    assert "新建网格 3 个、小区 2 个、楼栋 3 栋" in response.text
    db.session.rollback()
    grids = {g.name: g for g in db.session.scalars(select(Grid))}
    assert grids["东片"].level == 3 and grids["东片"].parent_id == grids["一区"].id
    assert grids["第一网格"].head_phone == "0371-66881234"
    assert one(select(Building.head_phone).where(Building.name == "1号楼")) == ("13800001111")
    before = count(AuditEntry)
    again = _upload(client, place, bom + GOOD_CSV.encode())
    assert again.status_code == 200 and "新建网格 0 个" in again.text
    assert count(Grid) == 3 and count(AuditEntry) == before + 1  # only the import's own entry


def test_bad_rows_write_nothing_and_are_listed_by_line(client, auth, place):
    auth.login(place["staff"])
    bad = (
        "一级网格,二级网格,三级网格,网格长,网格长电话,小区,楼栋,楼栋长,楼栋长电话\n"
        "第一网格,,,赵网格长,0371-66881234,,,,\n"
        ",一区,,,,,,,\n"  # line 3: no first-level grid
        "第一网格,,东片,,,,,,\n"  # line 4: a third level without the second
        "第三网格,,,王,12345,,,,\n"  # line 5: a bad phone
        "第一网格,,,,,,1号楼,,\n"  # line 6: a building without its compound
        "第二网格,一区,,,,,,,\n"  # line 7: good alone
        "第一网格,一区,,,,,,,\n"  # line 8: 一区 under another grid than line 7 puts it
    )
    response = _upload(client, place, bad)
    assert response.status_code == 422
    text = response.text
    for line in ("<td>3</td>", "<td>4</td>", "<td>5</td>", "<td>6</td>", "<td>8</td>"):
        assert line in text, line
    assert count(Grid) == 0 and count(AuditEntry) == 0


def test_an_existing_grid_under_another_parent_stops_the_import(client, auth, place):
    gf.grid(place["community"], "一区")
    db.session.commit()
    auth.login(place["staff"])
    response = _upload(client, place, "一级网格,二级网格\n第一网格,一区\n第二网格,\n")
    assert response.status_code == 422 and "<td>2</td>" in response.text
    assert count(Grid) == 1  # the new 第一网格 and 第二网格 were not kept


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "grids.csv", "文件"),
        (b"PK\x03\x04rest", "grids.xlsx", "Excel"),
        ("二级网格\n一区\n".encode(), "grids.csv", "一级网格"),
        ("一级网格\n".encode(), "grids.csv", "没有网格"),
        (b"\x00\x01", "grids.csv", "CSV"),
    ],
)
def test_files_that_are_not_a_tree_are_refused(client, auth, place, content, name, message):
    auth.login(place["staff"])
    response = _upload(client, place, content, name)
    assert response.status_code == 422 and message in response.text
    assert count(Grid) == 0


def test_the_template_downloads_and_imports(client, auth, place):
    auth.login(place["staff"])
    response = client.get(f"{base(place)}/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf") and "一级网格" in response.text
    assert _upload(client, place, response.data).status_code == 200
    assert count(Grid) == 2


# The resident's home -----------------------------------------------------------------------


@pytest.fixture
def tree(place):
    top = gf.grid(place["community"], "第一网格", head_name="赵网格长", head_phone="0371-66881234")
    child = gf.grid(place["community"], "一区", top)
    compound = gf.compound(child, "幸福小区")
    building = gf.building(compound, "1号楼", head_name="张楼长", head_phone="13800001111")
    other_compound = gf.compound(top, "别的小区")
    foreign = gf.grid(place["other_community"], "梅园网格")
    gf.worker(place["worker"], child, "13800006600")
    db.session.commit()
    return dict(
        top=top,
        child=child,
        compound=compound,
        building=building,
        other_compound=other_compound,
        foreign=foreign,
    )


def test_a_resident_sets_their_home_step_by_step(client, auth, place, tree):
    auth.login(place["resident"])
    page = client.get("/me/home")
    assert page.status_code == 200 and "我的住址" in page.text
    assert_clean_page(page)
    community = place["community"].id
    step = client.post("/me/home", data={"community": community, "action": "next"})
    assert step.status_code == 200 and "第一网格" in step.text and "梅园网格" not in step.text
    step = client.post(
        "/me/home", data={"community": community, "grid": tree["child"].id, "action": "next"}
    )
    assert "幸福小区" in step.text and "别的小区" not in step.text
    step = client.post(
        "/me/home",
        data={
            "community": community,
            "grid": tree["child"].id,
            "compound": tree["compound"].id,
            "action": "next",
        },
    )
    assert "1号楼" in step.text
    assert_clean_page(step)
    assert count(Home) == 0  # steps save nothing
    response = client.post(
        "/me/home",
        data={
            "community": community,
            "grid": tree["child"].id,
            "compound": tree["compound"].id,
            "building": tree["building"].id,
            "action": "save",
        },
    )
    assert response.status_code == 303
    db.session.rollback()
    home = db.session.get(Home, place["resident"].id)
    assert (home.grid_id, home.building_id) == (tree["child"].id, tree["building"].id)
    assert "幸福小区" in client.get("/me/home").text
    assert "/me/home" in client.get("/me").text
    # Clearing forgets it.
    assert client.post("/me/home/clear").status_code == 303
    assert count(Home) == 0


def test_htmx_refreshes_the_levels_in_place(client, auth, place, tree):
    auth.login(place["resident"])
    response = client.post(
        "/me/home",
        data={"community": place["community"].id, "action": "next"},
        headers={"HX-Request": "true", "HX-Target": "home-levels"},
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="home-levels"' in response.text and "第一网格" in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_a_step_after_a_new_community_drops_the_old_grid(client, auth, place, tree):
    auth.login(place["resident"])
    response = client.post(
        "/me/home",
        data={"community": place["other_community"].id, "grid": tree["child"].id, "action": "next"},
    )
    assert response.status_code == 200 and "梅园网格" in response.text
    assert "幸福小区" not in response.text


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ({"grid": "foreign"}, "请从列表中选择您所在社区的网格"),
        ({"grid": "child", "compound": "other_compound"}, "请从列表中选择您所在网格的小区"),
        ({"compound": "compound"}, "请从列表中选择您所在网格的小区"),
        ({"grid": "child", "building": "building"}, "请从列表中选择您所在小区的楼栋"),
        ({"grid": 2**31}, "请从列表中选择您所在社区的网格"),
        ({"grid": "１"}, "请从列表中选择您所在社区的网格"),
        ({"community": None}, "请选择您的社区"),
        ({"community": "x" * 5000}, "请从列表中选择您的社区"),
    ],
)
def test_levels_that_do_not_belong_are_refused(client, auth, place, tree, which, message):
    auth.login(place["resident"])
    data = {"community": str(place["community"].id), "action": "save"}
    for key, value in which.items():
        if value is None:
            data.pop(key)
        elif isinstance(value, str) and value in tree:
            data[key] = str(tree[value].id)
        else:
            data[key] = str(value)
    response = client.post("/me/home", data=data)
    assert response.status_code == 422 and message in response.text, response.text[-3000:]
    assert_clean_page(response)
    assert count(Home) == 0


def test_home_pages_need_a_login(client):
    assert client.get("/me/home").status_code == 302
    assert client.post("/me/home", data={}).status_code == 302
    assert client.post("/me/home/clear").status_code == 302


# 我的网格 on the home page -------------------------------------------------------------------


def test_the_home_page_shows_my_grid(client, auth, place, tree):
    gf.home(
        place["resident"], place["community"], tree["child"], tree["compound"], tree["building"]
    )
    db.session.commit()
    auth.login(place["resident"])
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    assert "我的网格" in text
    assert "刘网格" in text and 'href="tel:13800006600"' in text
    assert "赵网格长" in text and 'href="tel:0371-66881234"' in text  # the head of the grid above
    assert "张楼长" in text and 'href="tel:13800001111"' in text
    assert f'href="/sites/{place["center"].id}"' in text
    assert f'href="/sites/{place["station"].id}"' in text
    assert "13766660006" not in text  # the worker's login number stays hidden
    assert_clean_page(page)


def test_no_card_without_a_home_and_never_from_the_cache(app, client, auth, place, tree):
    app.config["PAGE_CACHE_SECONDS"] = 30
    from app import page_cache

    page_cache.init_app(app)
    auth.login(place["resident"])
    assert "我的网格" not in client.get("/").text
    db.session.rollback()
    gf.home(place["resident"], place["community"], tree["child"])
    db.session.commit()
    mine = client.get("/")
    assert "我的网格" in mine.text and mine.headers.get("X-Page-Cache") is None
    visitor = app.test_client()
    for _ in range(2):
        seen = visitor.get("/")
        assert "我的网格" not in seen.text and "刘网格" not in seen.text
    assert seen.headers.get("X-Page-Cache") == "hit"
    assert "我的网格" in client.get("/").text


def test_my_grid_costs_the_same_queries_however_big_the_tree(
    client, auth, place, tree, count_queries
):
    gf.home(
        place["resident"], place["community"], tree["child"], tree["compound"], tree["building"]
    )
    db.session.commit()
    auth.login(place["resident"])
    client.get("/")

    def queries():
        with count_queries() as counter:
            assert client.get("/").status_code == 200
        return len(counter)

    small = queries()
    db.session.rollback()
    for n in range(15):
        worker = f.user(f"网格员{n}")
        gf.worker(worker, tree["child"] if n % 2 else tree["top"], f"1380000{n:04d}")
        f.site(kind="station", center=place["center"], name=f"新站{n}")
        gf.grid(place["community"], f"新网格{n}")
    db.session.commit()
    assert queries() == small


# Personal data -------------------------------------------------------------------------------


def test_the_home_and_grid_work_are_in_my_data_and_go_with_the_account(client, auth, place, tree):
    import json

    gf.home(place["worker"], place["community"], tree["child"], tree["compound"], tree["building"])
    db.session.commit()
    auth.login(place["worker"])
    data = json.loads(client.get("/me/export").get_data(as_text=True))
    assert data["home"]["building"] == "1号楼" and data["home"]["grid"] == "一区"
    assert data["grid_work"] == [
        {
            "grid": "一区",
            "community": place["community"].name,
            "public_phone": "13800006600",
            "since": data["grid_work"][0]["since"],
        }
    ]
    assert client.post("/me/delete", data={"password": f.PASSWORD}).status_code == 303
    db.session.rollback()
    assert db.session.get(Home, place["worker"].id) is None
    assert count(GridScope) == 0
