"""Sites as CSV: one file format for the import, the export and the template.

The import reads every row before it writes anything. Any error, reported by
row and column, means nothing is imported; otherwise every row goes in one
transaction. Rows are matched to sites by their ``code``, so importing the
same file again changes nothing.

The file may be UTF-8 (with or without the BOM Excel writes) or GBK/GB18030,
which Excel on a Chinese Windows writes when you "Save as CSV". Headers may be
the column keys (``code``) or their Chinese names (``编码``).
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import Community, District, OpeningInterval, Site, SiteFacility, Street
from ..vocab import FACILITIES, SITE_KINDS, STATION_TYPES
from .directory import refresh_search_text
from .editing import CHINA_LAT, CHINA_LNG, PHONE_RE, _touch
from .hours import format_minutes, parse_hhmm

MAX_BYTES = 8 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ERRORS_SHOWN = 200

# (key, Chinese header, required column)
COLUMNS = (
    ("code", "编码", True),
    ("district", "区", True),
    ("street", "街道", True),
    ("community", "社区", True),
    ("community_class", "社区类别", True),
    ("kind", "类型", True),
    ("station_type", "站点类型", False),
    ("name", "名称", True),
    ("address", "地址", True),
    ("phone", "电话", False),
    ("latitude", "纬度", True),
    ("longitude", "经度", True),
    ("description", "介绍", False),
    ("facilities", "设施", False),
    ("hours", "开放时间", False),
)
KEYS = tuple(key for key, _zh, _required in COLUMNS)
CHINESE = {key: zh for key, zh, _required in COLUMNS}
EXAMPLE = {
    "code": "PD-HM-001",
    "district": "浦东新区",
    "street": "花木街道",
    "community": "牡丹社区",
    "community_class": "A",
    "kind": "station",
    "station_type": "residential",
    "name": "牡丹社区第一小区驿站",
    "address": "牡丹路100弄1号",
    "phone": "021-5888 1234",
    "latitude": "31.2170",
    "longitude": "121.5440",
    "description": "楼下就近服务：测血压、代收快递。",
    "facilities": "water;seats;charging",
    "hours": "1-5 08:30-12:00,13:30-17:00; 6 09:00-12:00",
}
CODE_RE = re.compile(r"[A-Za-z0-9._-]{1,40}")
_SPANS = re.compile(r"^(\d)(?:-(\d))?\s+(.+)$")
# Full-width punctuation from Chinese input methods, read as the ASCII it means.
_ASCII = str.maketrans({"：": ":", "，": ",", "；": ";", "、": ";", "－": "-", "—": "-",
                        "–": "-", "~": "-", "～": "-", "　": " "})  # fmt: skip


class ImportRefused(Exception):
    """The file as a whole cannot be read (not CSV, wrong encoding, columns missing)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RowError:
    row: int  # the line in the spreadsheet, header = 1
    key: str
    message: str

    @property
    def column(self) -> str:
        return f"{CHINESE[self.key]} ({self.key})"


@dataclass
class SiteRow:
    row: int
    values: dict
    facilities: list[str] | None  # None: the column is absent, leave as is
    hours: list[tuple[int, int, int]] | None


@dataclass
class ImportResult:
    created: list[Site] = field(default_factory=list)
    updated: list[Site] = field(default_factory=list)
    unchanged: int = 0
    encoding: str = "utf-8"


# Reading the file -------------------------------------------------------------------


def decode(data: bytes, filename: str = "") -> tuple[str, str]:
    """The file's text and the encoding it was read in; ImportRefused if it is not CSV."""
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportRefused(
            _("This is an Excel workbook, not a CSV file. In Excel choose "
              "File → Save As → “CSV UTF-8 (comma delimited)” and upload that file.")
        )  # fmt: skip
    if filename and not filename.lower().endswith((".csv", ".txt")):
        raise ImportRefused(_("Upload a .csv file (a spreadsheet saved as CSV)."))
    if not data.strip():
        raise ImportRefused(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("The file is larger than 8 MB. Split it into several files."))
    if data.startswith(b"\xef\xbb\xbf"):
        text, encoding = data[3:].decode("utf-8", errors="strict"), "utf-8"
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("gb18030"), "gbk"
            except UnicodeDecodeError:
                raise ImportRefused(
                    _("The file's characters could not be read. Save it as "
                      "“CSV UTF-8” and upload it again.")
                ) from None  # fmt: skip
    if "\x00" in text:
        raise ImportRefused(_("This does not look like a CSV file. Save it as CSV and try again."))
    return text, encoding


def _header_key(cell: str) -> str | None:
    cell = cell.strip().lstrip("\ufeff").lower()
    for key, zh, _required in COLUMNS:
        if cell in (key, zh):
            return key
    return None


def read_rows(text: str) -> tuple[list[str | None], Iterator[tuple[int, list[str]]]]:
    """The header's keys and the data rows, numbered as a spreadsheet shows them."""
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
    duplicated = sorted({k for k in keys if k and keys.count(k) > 1})
    if duplicated:
        raise ImportRefused(
            _("These columns appear twice: %(names)s.", names="、".join(duplicated))
        )

    def rows():
        try:
            for number, cells in enumerate(reader, start=2):
                if any(cell.strip() for cell in cells):
                    yield number, cells
        except csv.Error as error:
            raise ImportRefused(
                _("Line %(line)d could not be read as CSV: %(error)s",
                  line=reader.line_num, error=str(error))
            ) from None  # fmt: skip

    return keys, rows()


# Checking each row ------------------------------------------------------------------


def _aliases(terms) -> dict[str, str]:
    """Codes and their labels in both languages, lower-cased, to the code."""
    table = {}
    for code, term in terms.items():
        table[code.lower()] = code
        for locale in ("zh", "en"):
            with force_locale(locale):
                table[str(term.label).strip().lower()] = code
    return table


def parse_hours(text: str) -> list[tuple[int, int, int]]:
    """'1-5 08:30-12:00,13:30-17:00; 6 09:00-12:00' → (weekday, opens, closes), Monday = 0.

    Raises ValueError with the message for the user.
    """
    result: list[tuple[int, int, int]] = []
    for part in filter(None, (p.strip() for p in text.translate(_ASCII).split(";"))):
        match = _SPANS.match(part)
        if not match:
            raise ValueError(_("Write hours as “1-5 08:30-12:00,13:30-17:00; 6 09:00-12:00”."))
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= first <= last <= 7:
            raise ValueError(_("Weekdays run from 1 (Monday) to 7 (Sunday)."))
        for span in match.group(3).replace(" ", "").split(","):
            opens_text, sep, closes_text = span.partition("-")
            opens, closes = parse_hhmm(opens_text), parse_hhmm(closes_text)
            if not sep or opens is None or closes is None:
                raise ValueError(
                    _("“%(span)s” is not a time range such as 08:30-12:00.", span=span)
                )
            if closes <= opens:
                raise ValueError(
                    _("In “%(span)s” the closing time is not after the opening time.", span=span)
                )
            for day in range(first - 1, last):
                if any(d == day and o < closes and opens < c for d, o, c in result):
                    raise ValueError(_("Hours on the same day overlap."))
                result.append((day, opens, closes))
    return sorted(result)


def format_hours(intervals: Iterable[tuple[int, int, int]]) -> str:
    """The inverse of parse_hours, grouping runs of weekdays with the same hours."""
    by_day: dict[int, list[str]] = {d: [] for d in range(7)}
    for day, opens, closes in sorted(intervals):
        by_day[day].append(f"{format_minutes(opens)}-{format_minutes(closes)}")
    parts, day = [], 0
    while day < 7:
        spans = by_day[day]
        last = day
        while last + 1 < 7 and by_day[last + 1] == spans:
            last += 1
        if spans:
            days = str(day + 1) if last == day else f"{day + 1}-{last + 1}"
            parts.append(f"{days} {','.join(spans)}")
        day = last + 1
    return "; ".join(parts)


class _Checker:
    def __init__(self):
        self.kinds = _aliases(SITE_KINDS) | {"中心": "center", "站点": "station", "驿站": "station"}
        self.station_types = _aliases(STATION_TYPES)
        self.facilities = _aliases(FACILITIES)
        self.errors: list[RowError] = []

    def error(self, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(row, key, message))

    def row(self, number: int, cells: dict[str, str]) -> SiteRow | None:
        before = len(self.errors)
        v = {key: _unescape(cells.get(key, "")) for key in KEYS}

        def text(key, limit, required=True):
            if required and not v[key]:
                self.error(number, key, _("This cell is empty."))
            elif len(v[key]) > limit:
                self.error(number, key, _("Keep this to %(num)d characters or fewer.", num=limit))
            return v[key]

        code = v["code"]
        if not CODE_RE.fullmatch(code):
            self.error(number, "code", _("Use 1–40 letters, digits, dots and dashes."))
        for key in ("district", "street", "community"):
            text(key, 40)
        klass = v["community_class"].upper()
        if klass not in ("A", "B", "C", "D"):
            self.error(number, "community_class", _("Write A, B, C or D."))
        kind = self.kinds.get(v["kind"].lower())
        if kind is None:
            self.error(number, "kind", _("Write center or station."))
        station_type = self.station_types.get(v["station_type"].lower())
        if kind == "station" and station_type is None:
            self.error(
                number, "station_type",
                _("Write one of: %(codes)s.", codes=", ".join(STATION_TYPES)),
            )  # fmt: skip
        name, address = text("name", 80), text("address", 200)
        phone = v["phone"]
        if phone and not PHONE_RE.fullmatch(phone):
            self.error(number, "phone", _("Enter a phone number such as 021-5888 1234."))
        coords = {}
        for key, (low, high) in (("latitude", CHINA_LAT), ("longitude", CHINA_LNG)):
            try:
                coords[key] = float(v[key])
            except ValueError:
                self.error(number, key, _("Write a number such as %(example)s.",
                                          example=EXAMPLE[key]))  # fmt: skip
                continue
            if not low <= coords[key] <= high:
                self.error(number, key, _("This is outside China. Check the coordinates."))
        description = text("description", 2000, required=False)
        facilities = None
        if "facilities" in cells:
            facilities = []
            for item in filter(None, (i.strip() for i in re.split(r"[;,；，、]", v["facilities"]))):
                code_ = self.facilities.get(item.lower())
                if code_ is None:
                    message = _("Unknown facility “%(item)s”. Use: %(codes)s.",
                                item=item, codes=", ".join(FACILITIES))  # fmt: skip
                    self.error(number, "facilities", message)
                else:
                    facilities.append(code_)
        hours = None
        if "hours" in cells:
            try:
                hours = parse_hours(v["hours"])
            except ValueError as error:
                self.error(number, "hours", str(error))
        if len(self.errors) > before:
            return None
        return SiteRow(
            row=number,
            values={
                "code": code, "district": v["district"], "street": v["street"],
                "community": v["community"], "community_class": klass, "kind": kind,
                "station_type": station_type if kind == "station" else None,
                "name": name, "address": address, "phone": phone,
                "latitude": coords["latitude"], "longitude": coords["longitude"],
                "description": description,
            },
            facilities=sorted(set(facilities)) if facilities is not None else None,
            hours=hours,
        )  # fmt: skip


def _unescape(cell: str) -> str:
    """Undo the quote the export puts before a cell Excel would run as a formula."""
    cell = " ".join(cell.split()) if "\n" not in cell else cell.strip()
    if cell[:2] in {"'=", "'+", "'-", "'@"}:
        return cell[1:]
    return cell


def check(text: str) -> tuple[list[SiteRow], list[RowError]]:
    """Every row checked on its own and against the others in the file."""
    keys, rows = read_rows(text)
    checker = _Checker()
    good: list[SiteRow] = []
    count = 0
    for number, cells in rows:
        count += 1
        if count > MAX_ROWS:
            raise ImportRefused(
                _("The file has more than %(num)d rows. Split it into several files.",
                  num=MAX_ROWS)
            )  # fmt: skip
        named = {key: cell for key, cell in zip(keys, cells, strict=False) if key}
        parsed = checker.row(number, named)
        if parsed:
            good.append(parsed)
    if count == 0:
        raise ImportRefused(_("The file has a header row but no sites."))
    seen: dict[str, int] = {}
    centers: dict[tuple, int] = {}
    for r in good:
        code = r.values["code"]
        if code in seen:
            checker.error(r.row, "code", _("Row %(row)d has the same code.", row=seen[code]))
        seen.setdefault(code, r.row)
        place = (r.values["district"], r.values["street"], r.values["community"])
        if r.values["kind"] == "center":
            if place in centers:
                checker.error(r.row, "kind", _("Row %(row)d is already this community's center.",
                                               row=centers[place]))  # fmt: skip
            centers.setdefault(place, r.row)
    return good, sorted(checker.errors, key=lambda e: (e.row, KEYS.index(e.key)))


# Writing ------------------------------------------------------------------------------


def _site_state(site: Site) -> dict:
    return {
        "name": site.name, "address": site.address, "phone": site.phone,
        "latitude": site.latitude, "longitude": site.longitude,
        "description": site.description, "station_type": site.station_type,
        "community_id": site.community_id, "center_id": site.center_id,
    }  # fmt: skip


def import_sites(rows: list[SiteRow], *, by) -> tuple[ImportResult, list[RowError]]:
    """Write checked rows in one transaction: all, or (on any error) none."""
    begin_write()
    db.session.autoflush = False
    errors: list[RowError] = []
    result = ImportResult()
    districts = {d.name: d for d in db.session.scalars(select(District))}
    streets = {(s.district_id, s.name): s for s in db.session.scalars(select(Street))}
    communities = {(c.street_id, c.name): c for c in db.session.scalars(select(Community))}
    codes = [r.values["code"] for r in rows]
    existing: dict[str, Site] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        for site in db.session.scalars(
            select(Site).where(Site.code.in_(chunk))
            .options(selectinload(Site.facilities), selectinload(Site.opening_intervals))
        ):  # fmt: skip
            existing[site.code] = site
    centers = {
        s.community_id: s for s in db.session.scalars(select(Site).where(Site.kind == "center"))
    }

    def community_of(v) -> Community:
        district = districts.get(v["district"])
        if district is None:
            district = districts[v["district"]] = District(name=v["district"])
            db.session.add(district)
            db.session.flush()
        street = streets.get((district.id, v["street"]))
        if street is None:
            street = streets[(district.id, v["street"])] = Street(
                district_id=district.id, name=v["street"]
            )
            db.session.add(street)
            db.session.flush()
        community = communities.get((street.id, v["community"]))
        if community is None:
            community = communities[(street.id, v["community"])] = Community(
                street_id=street.id, name=v["community"], klass=v["community_class"]
            )
            db.session.add(community)
            db.session.flush()
        elif community.klass != v["community_class"]:
            audit.record("community.saved", "community", community.id, actor=by,
                         summary=community.name, before={"klass": community.klass},
                         after={"klass": v["community_class"]})  # fmt: skip
            community.klass = v["community_class"]
        return community

    # Centers first, so stations in the same file find theirs.
    for r in sorted(rows, key=lambda r: r.values["kind"] != "center"):
        v = r.values
        community = community_of(v)
        site = existing.get(v["code"])
        center = centers.get(community.id)
        if v["kind"] == "center" and center is not None and center.code != v["code"]:
            errors.append(RowError(r.row, "kind",
                                   _("This community already has a center: %(name)s (%(code)s).",
                                     name=center.name, code=center.code)))  # fmt: skip
            continue
        if v["kind"] == "station" and center is None:
            message = _("This community has no center yet. Add a row for it.")
            errors.append(RowError(r.row, "kind", message))
            continue
        if site is not None and site.kind != v["kind"]:
            errors.append(RowError(r.row, "kind",
                                   _("Site %(code)s is already a %(kind)s; its kind cannot change "
                                     "by import.", code=site.code,
                                     kind=SITE_KINDS[site.kind].label)))  # fmt: skip
            continue
        wanted = {
            **{
                k: v[k]
                for k in (
                    "name",
                    "address",
                    "phone",
                    "latitude",
                    "longitude",
                    "description",
                    "station_type",
                )
            },  # fmt: skip
            "community_id": community.id,
            "center_id": center.id if v["kind"] == "station" else None,
        }
        if site is None:
            site = Site(code=v["code"], kind=v["kind"], **wanted)
            db.session.add(site)
            existing[site.code] = site
            result.created.append(site)
            before = None
        else:
            before = _site_state(site)
        changed = before != wanted
        for key, value in wanted.items():
            setattr(site, key, value)
        if r.facilities is not None and sorted(site.facility_codes) != r.facilities:
            site.facilities = [SiteFacility(facility=c) for c in r.facilities]
            changed = True
        current_hours = sorted(site.weekly_hours())
        if r.hours is not None and current_hours != r.hours:
            site.opening_intervals = [
                OpeningInterval(weekday=d, opens_min=o, closes_min=c) for d, o, c in r.hours
            ]
            changed = True
        if before is not None and not changed:
            result.unchanged += 1
            continue
        refresh_search_text(site)
        if before is not None:
            _touch(site)
        db.session.flush()
        if v["kind"] == "center":
            centers[community.id] = site
        if before is not None:
            result.updated.append(site)
        audit.record(
            "site.imported", "site", site.id, site_id=site.id, actor=by, summary=site.name,
            before=before, after=wanted,
        )  # fmt: skip
    if errors:
        db.session.rollback()
        return ImportResult(), errors
    audit.record("sites.import", "import", None, actor=by,
                 summary=f"+{len(result.created)} ~{len(result.updated)} ={result.unchanged}",
                 after={"created": len(result.created), "updated": len(result.updated),
                        "unchanged": result.unchanged})  # fmt: skip
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ImportRefused(
            _("Someone changed sites while this file was being imported. Nothing was "
              "imported; upload the file again.")
        ) from None  # fmt: skip
    return result, []


# Writing CSV ---------------------------------------------------------------------------

# What a spreadsheet may read as the start of a formula (tab and carriage
# return too: Excel and LibreOffice skip them and look at what follows).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as text: a leading =, +, -, @, tab or CR gets a quote first."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    """A plain number such as -3.5 (float() would also take "\t-3", which is not plain)."""
    if text != text.strip():
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text, line by line, starting with the UTF-8 BOM so Excel reads Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(list(header))
    yield "\ufeff" + flush()
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        yield flush()


def header(chinese: bool) -> list[str]:
    return [CHINESE[k] if chinese else k for k in KEYS]


def template_rows() -> list[list[str]]:
    return [[EXAMPLE[k] for k in KEYS]]


def site_rows(sites: Iterable[Site]) -> Iterator[list]:
    """Export rows, in the import's format, so an export can be edited and re-imported."""
    for site in sites:
        community = site.community
        street = community.street
        yield [
            site.code, street.district.name, street.name, community.name, community.klass,
            site.kind, site.station_type or "", site.name, site.address, site.phone,
            site.latitude, site.longitude, site.description,
            ";".join(site.facility_codes), format_hours(site.weekly_hours()),
        ]  # fmt: skip
