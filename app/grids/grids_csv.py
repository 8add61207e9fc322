"""A community's grid tree as CSV: the bulk import, with its template.

The same rules as the site import (``sites.sites_csv``): the file may be
UTF-8 with or without the BOM, or GBK; every row is checked before anything is
written; any error, listed by line and column, means nothing is imported;
otherwise everything goes in one transaction. Rows name things by name, so
importing the same file again changes nothing. The import adds grids,
compounds and buildings and sets heads; it never deletes or moves anything
(that is done on the grid's page, where its rules are explained).

One row is one path down the tree: 一级网格 (required), 二级网格 and 三级网格
(optional), then optionally a compound of the deepest grid and a building of
that compound. The grid head columns name the head of the row's deepest grid,
the building head columns the head of its building. An empty head cell leaves
the head as it is.
"""

import csv
import io
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import Building, Community, Compound, Grid, Site, User
from ..sites.sites_csv import MAX_BYTES, ImportRefused, csv_lines, decode
from .common import clean_text, normalize_phone, phone_message
from .tree import BUILDING_NAME_MAX, COMPOUND_NAME_MAX, GRID_NAME_MAX, HEAD_NAME_MAX

MAX_ROWS = 5_000
MAX_ERRORS_SHOWN = 200

# (key, Chinese header, required column)
COLUMNS = (
    ("grid1", "一级网格", True),
    ("grid2", "二级网格", False),
    ("grid3", "三级网格", False),
    ("grid_head", "网格长", False),
    ("grid_head_phone", "网格长电话", False),
    ("compound", "小区", False),
    ("building", "楼栋", False),
    ("building_head", "楼栋长", False),
    ("building_head_phone", "楼栋长电话", False),
)
KEYS = tuple(key for key, _zh, _required in COLUMNS)
CHINESE = {key: zh for key, zh, _required in COLUMNS}
EXAMPLES = (
    ("第一网格", "", "", "王网格长", "0371-12345678", "", "", "", ""),
    ("第一网格", "第一网格一区", "", "", "", "幸福小区", "1号楼", "张楼长", "13800001111"),
    ("第一网格", "第一网格一区", "", "", "", "幸福小区", "2号楼", "", ""),
)
__all__ = ["MAX_BYTES", "ImportRefused", "check", "import_tree", "template_lines"]


@dataclass
class RowError:
    row: int  # the line in the spreadsheet, header = 1
    key: str
    message: str

    @property
    def column(self) -> str:
        return CHINESE[self.key]


@dataclass
class TreeRow:
    row: int
    path: list[str]
    grid_head: tuple[str, str] | None  # (name, phone), None: leave as is
    compound: str
    building: str
    building_head: tuple[str, str] | None


@dataclass
class ImportResult:
    grids: int = 0
    compounds: int = 0
    buildings: int = 0
    heads: int = 0
    encoding: str = "utf-8"

    @property
    def changed(self) -> int:
        return self.grids + self.compounds + self.buildings + self.heads


# Reading ------------------------------------------------------------------------------


def _header_key(cell: str) -> str | None:
    cell = cell.strip().lstrip("\ufeff").lower()
    for key, zh, _required in COLUMNS:
        if cell in (key, zh):
            return key
    return None


def _unescape(cell: str) -> str:
    cell = cell.strip()
    if cell[:2] in {"'=", "'+", "'-", "'@"}:
        return cell[1:]
    return cell


class _Checker:
    def __init__(self):
        self.errors: list[RowError] = []

    def error(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, key, message))

    def name(self, row, key, value, limit) -> str:
        text = clean_text(value)
        if len(text) > limit:
            self.error(row, key, _("Keep this to %(max)s characters or fewer.", max=limit))
        return text

    def head(self, row, name_key, phone_key, cells) -> tuple[str, str] | None:
        name = self.name(row, name_key, cells.get(name_key, ""), HEAD_NAME_MAX)
        phone = normalize_phone(cells.get(phone_key, ""))
        if phone is None:
            self.error(row, phone_key, phone_message())
            return None
        if phone and not name:
            self.error(row, name_key, _("Enter the name of the person this number reaches."))
        return (name, phone) if name else None

    def row(self, number: int, cells: dict[str, str]) -> TreeRow | None:
        before = len(self.errors)
        path = [self.name(number, key, cells.get(key, ""), GRID_NAME_MAX)
                for key in ("grid1", "grid2", "grid3")]  # fmt: skip
        if not path[0]:
            self.error(number, "grid1", _("This cell is empty."))
        if path[2] and not path[1]:
            self.error(number, "grid2", _("A third-level grid needs its second-level grid."))
        while path and not path[-1]:
            path.pop()
        if len(set(path)) != len(path):
            self.error(number, "grid2", _("A grid cannot be under a grid of the same name."))
        grid_head = self.head(number, "grid_head", "grid_head_phone", cells)
        compound = self.name(number, "compound", cells.get("compound", ""), COMPOUND_NAME_MAX)
        building = self.name(number, "building", cells.get("building", ""), BUILDING_NAME_MAX)
        if building and not compound:
            self.error(number, "compound", _("A building needs its compound."))
        building_head = self.head(number, "building_head", "building_head_phone", cells)
        if building_head and not building:
            self.error(number, "building", _("A building head needs a building."))
        if len(self.errors) > before:
            return None
        return TreeRow(number, path, grid_head, compound, building, building_head)


def check(text: str) -> tuple[list[TreeRow], list[RowError]]:
    """Every row checked on its own and against the others in the file."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportRefused(_("The file has no header row.")) from None
    keys = [_header_key(cell) for cell in header]
    present = {k for k in keys if k}
    missing = [key for key, _zh, required in COLUMNS if required and key not in present]
    if missing:
        names = "、".join(f"{CHINESE[k]} ({k})" for k in missing)
        raise ImportRefused(
            _("The header row lacks these columns: %(names)s. "
              "Download the template to see every column.", names=names)
        )  # fmt: skip
    duplicated = sorted({CHINESE[k] for k in keys if k and keys.count(k) > 1})
    if duplicated:
        raise ImportRefused(
            _("These columns appear twice: %(names)s.", names="、".join(duplicated))
        )
    checker = _Checker()
    good: list[TreeRow] = []
    count = 0
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                raise ImportRefused(
                    _("The file has more than %(num)d rows. Split it into several files.",
                      num=MAX_ROWS)
                )  # fmt: skip
            named = {k: _unescape(c) for k, c in zip(keys, cells, strict=False) if k}
            parsed = checker.row(number, named)
            if parsed:
                good.append(parsed)
    except csv.Error as error:
        raise ImportRefused(
            _("Line %(line)d could not be read as CSV: %(error)s",
              line=reader.line_num, error=str(error))
        ) from None  # fmt: skip
    if count == 0:
        raise ImportRefused(_("The file has a header row but no grids."))
    # Across rows: one parent per grid name (names are unique in a community),
    # one head per grid and per building.
    parents: dict[str, tuple[str | None, int]] = {}
    heads: dict[str, tuple[tuple[str, str], int]] = {}
    building_heads: dict[tuple, tuple[tuple[str, str], int]] = {}
    compounds: dict[str, tuple[str, int]] = {}
    for r in good:
        for depth, name in enumerate(r.path):
            parent = r.path[depth - 1] if depth else None
            seen = parents.setdefault(name, (parent, r.row))
            if seen[0] != parent:
                key = ("grid1", "grid2", "grid3")[depth]
                checker.error(r.row, key, _("Row %(row)d puts %(name)s under another grid. "
                                            "Grid names are unique in a community.",
                                            row=seen[1], name=name))  # fmt: skip
        if r.grid_head:
            seen = heads.setdefault(r.path[-1], (r.grid_head, r.row))
            if seen[0] != r.grid_head:
                checker.error(r.row, "grid_head", _("Row %(row)d names another head for this "
                                                    "grid.", row=seen[1]))  # fmt: skip
        if r.compound:
            seen = compounds.setdefault(r.compound, (r.path[-1], r.row))
            if seen[0] != r.path[-1]:
                checker.error(r.row, "compound", _("Row %(row)d puts this compound in another "
                                                   "grid.", row=seen[1]))  # fmt: skip
        if r.building_head:
            place = (r.path[-1], r.compound, r.building)
            seen = building_heads.setdefault(place, (r.building_head, r.row))
            if seen[0] != r.building_head:
                checker.error(r.row, "building_head", _("Row %(row)d names another head for "
                                                        "this building.", row=seen[1]))  # fmt: skip
    return good, sorted(checker.errors, key=lambda e: (e.row, KEYS.index(e.key)))


# Writing ----------------------------------------------------------------------------------


def import_tree(community_id: int, rows: list[TreeRow], *, by: User):
    """Write checked rows in one transaction: all, or (on any error) none."""
    begin_write()
    lock_row(Community, community_id)
    center_id = db.session.scalar(
        select(Site.id).where(Site.community_id == community_id, Site.kind == "center")
    )
    result = ImportResult()
    errors: list[RowError] = []
    grids = {g.name: g for g in db.session.scalars(
        select(Grid).where(Grid.community_id == community_id))}  # fmt: skip
    by_id = {g.id: g for g in grids.values()}
    compounds = {(c.grid_id, c.name): c for c in db.session.scalars(
        select(Compound).join(Grid).where(Grid.community_id == community_id))}  # fmt: skip
    buildings = {
        (b.compound_id, b.name): b
        for b in db.session.scalars(
            select(Building).join(Compound).join(Grid).where(Grid.community_id == community_id)
        )
    }

    def note(action, target_type, obj, summary, before=None, after=None):
        audit.record(action, target_type, obj.id, site_id=center_id, summary=summary,
                     before=before, after=after, actor=by)  # fmt: skip

    for r in rows:
        parent: Grid | None = None
        failed = False
        for depth, name in enumerate(r.path):
            key = ("grid1", "grid2", "grid3")[depth]
            grid = grids.get(name)
            if grid is None:
                grid = Grid(community_id=community_id, name=name, level=depth + 1,
                            parent_id=parent.id if parent else None)  # fmt: skip
                db.session.add(grid)
                db.session.flush()
                grids[name] = by_id[grid.id] = grid
                result.grids += 1
                note(
                    "grid.created",
                    "grid",
                    grid,
                    name,
                    after={"name": name, "parent_id": grid.parent_id, "level": grid.level},
                )
            elif grid.parent_id != (parent.id if parent else None):
                where = by_id[grid.parent_id].name if grid.parent_id else _("the top level")
                errors.append(RowError(r.row, key, _(
                    "%(name)s already exists under %(where)s. Move it on its page first, or "
                    "write it as it is.", name=name, where=where)))  # fmt: skip
                failed = True
                break
            parent = grid
        if failed:
            continue
        grid = parent
        if r.grid_head and (grid.head_name, grid.head_phone) != r.grid_head:
            before = {"head_name": grid.head_name, "head_phone": grid.head_phone}
            grid.head_name, grid.head_phone = r.grid_head
            result.heads += 1
            note("grid.saved", "grid", grid, grid.name, before,
                 {"head_name": grid.head_name, "head_phone": grid.head_phone})  # fmt: skip
        if not r.compound:
            continue
        compound = compounds.get((grid.id, r.compound))
        if compound is None:
            compound = Compound(grid_id=grid.id, name=r.compound)
            db.session.add(compound)
            db.session.flush()
            compounds[(grid.id, r.compound)] = compound
            result.compounds += 1
            note("compound.created", "compound", compound, r.compound,
                 after={"grid_id": grid.id, "name": r.compound})  # fmt: skip
        if not r.building:
            continue
        building = buildings.get((compound.id, r.building))
        if building is None:
            building = Building(compound_id=compound.id, name=r.building)
            db.session.add(building)
            db.session.flush()
            buildings[(compound.id, r.building)] = building
            result.buildings += 1
            note("building.created", "building", building, f"{compound.name} {r.building}",
                 after={"compound_id": compound.id, "name": r.building})  # fmt: skip
        if r.building_head and (building.head_name, building.head_phone) != r.building_head:
            before = {"head_name": building.head_name, "head_phone": building.head_phone}
            building.head_name, building.head_phone = r.building_head
            result.heads += 1
            note(
                "building.saved",
                "building",
                building,
                f"{compound.name} {r.building}",
                before,
                {"head_name": building.head_name, "head_phone": building.head_phone},
            )
    if errors:
        db.session.rollback()
        return ImportResult(), errors
    audit.record("grids.import", "community", community_id, site_id=center_id, actor=by,
                 summary=f"+{result.grids} +{result.compounds} +{result.buildings} ~{result.heads}",
                 after={"grids": result.grids, "compounds": result.compounds,
                        "buildings": result.buildings, "heads": result.heads})  # fmt: skip
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ImportRefused(
            _("Someone changed the grids while this file was being imported. Nothing was "
              "imported; upload the file again.")
        ) from None  # fmt: skip
    return result, []


def template_lines(chinese: bool = True):
    """The import's columns with example rows, as CSV text (with the BOM Excel wants)."""
    header = [CHINESE[k] if chinese else k for k in KEYS]
    return csv_lines(header, EXAMPLES)


def read_upload(data: bytes, filename: str) -> tuple[str, str]:
    """The upload's text and encoding, as the site import reads it."""
    return decode(data, filename)
