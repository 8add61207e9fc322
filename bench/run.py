"""The benchmark harness behind ``make bench`` and ``make bench-smoke``.

For each database (the SQLite default and PostgreSQL) and each demo scale
(1× and the large city), it loads the demo city with ``seed-demo``, serves the
portal with gunicorn and drives the key endpoints with wrk. Alongside the load
it counts SQL queries per request (in-process, with the Flask test client),
weighs responses with and without gzip, and adds up each public page's first
load (HTML and every asset it links). The results go to docs/BENCHMARKS.md,
each target marked met or not met with its figures.

``--smoke`` runs the same steps at a tiny scale with one-second load runs and
fails on any error or 5xx: a check that the harness and every endpoint work.
"""

import argparse
import gzip
import http.client
import json
import os
import platform
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LUA_SCRIPT = ROOT / "bench" / "report.lua"
WARM_UP_S = 2.0  # an uncounted wrk run before each GET endpoint's measured one
REPORT = ROOT / "docs" / "BENCHMARKS.md"
SECRET_KEY = "bench-secret-key-not-for-production"
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DEMO_PASSWORD = "doorstep-demo"
# The demo accounts a logged-in endpoint is measured as (README, Demo accounts).
DEMO_PEOPLE = {"resident": "13800000001", "volunteer": "13800000002", "staff": "13800000003"}
SEARCH_TERM = "食堂"

# Targets (issue 7). Page weight: 1 KB = 1,000 bytes, the stricter reading.
THROUGHPUT_SHARE = 0.30
P95_LIMIT_MS = 50.0
GROWTH_LIMIT = 1.5
QUERY_LIMIT = 8
PAGE_WEIGHT_LIMIT = 60_000

GENERATED_SECTION = "## Load and page weight"


@dataclass
class Endpoint:
    name: str
    path: str
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    body: str | None = None
    key_page: bool = True  # a GET page the throughput, growth and query targets apply to
    public_page: bool = False  # a full page a visitor can land on: weighed on first load
    person: str | None = None  # measured logged in as this demo person (DEMO_PEOPLE)

    @property
    def logged_in(self) -> bool:
        return self.person is not None


@dataclass
class Load:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    statuses: dict
    errors: dict

    @property
    def failures(self) -> list[str]:
        bad = [f"{n}× HTTP {code}" for code, n in self.statuses.items() if int(code) >= 500]
        bad += [f"{n} {kind} errors" for kind, n in self.errors.items() if n]
        if not self.requests:
            bad.append("no requests completed")
        return bad


# Servers and databases -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(db_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(DATABASE_URL=db_url, SECRET_KEY=SECRET_KEY, DOORSTEP_BENCH="1")
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "DOORSTEP_CONFIG"):
        env.pop(name, None)  # plain http on loopback, one host: no shared store needed
    return env


def flask_cli(db_url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=server_env(db_url),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


@contextmanager
def fresh_database(kind: str, workdir: Path):
    """An empty database of ``kind``, migrated to head; dropped afterwards."""
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
        url = f"sqlite:///{path}"
    else:
        import psycopg

        name = "doorstep_bench_" + uuid.uuid4().hex[:10]
        server = os.environ.get("BENCH_POSTGRES_URL", POSTGRES_SERVER)
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = server.rsplit("/", 1)[0] + "/" + name
    try:
        flask_cli(url, "db", "upgrade")
        yield url
    finally:
        if kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def gunicorn_command(port: int) -> tuple[list[str], str]:
    """gunicorn with the project's settings file when there is one, else 2×cores+1 gthread."""
    base = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    settings_file = ROOT / "gunicorn.conf.py"
    if settings_file.exists():
        conf = runpy.run_path(str(settings_file))
        described = (
            f"gunicorn.conf.py: {conf['workers']} workers × {conf['threads']} threads "
            f"({conf['worker_class']})"
        )
        return base + ["--config", str(settings_file), "wsgi:app"], described
    workers, threads = 2 * (os.cpu_count() or 1) + 1, 4
    extra = ["--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread"]
    return base + extra + ["wsgi:app"], f"{workers} workers × {threads} threads (gthread)"


@contextmanager
def serve(db_url: str, log_path: Path):
    """gunicorn on a free port, bound to ``db_url``; stopped on the way out."""
    port = free_port()
    command, settings = gunicorn_command(port)
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=server_env(db_url),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log_path}")
            with suppress(OSError):
                if fetch(base_url, "/healthz").status == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not become healthy; see {log_path}")
        yield base_url, settings
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


# HTTP ------------------------------------------------------------------------


@dataclass
class Fetched:
    status: int
    headers: dict
    body: bytes  # as sent on the wire (compressed when Content-Encoding says so)

    @property
    def text(self) -> str:
        raw = gzip.decompress(self.body) if self.encoding == "gzip" else self.body
        return raw.decode("utf-8", "replace")

    @property
    def encoding(self) -> str:
        return self.headers.get("content-encoding", "")


def fetch(base_url, path, *, method="GET", headers=None, body=None) -> Fetched:
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return Fetched(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


_TOKEN = re.compile(r'(?:name="csrf_token"|id="csrf-token") value="([^"]+)"')


def log_in(base_url: str, token_path: str, person: str = "resident") -> tuple[str, str]:
    """Log a demo person in; return the session cookie and a CSRF token for it."""
    first = fetch(base_url, "/login")
    cookie = first.headers["set-cookie"].split(";", 1)[0]
    token = _TOKEN.search(first.text).group(1)
    mobile, password = DEMO_PEOPLE[person], DEMO_PASSWORD
    form = urllib.parse.urlencode({"mobile": mobile, "password": password, "csrf_token": token})
    done = fetch(
        base_url, "/login", method="POST", body=form,
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    if done.status != 303:
        raise RuntimeError(f"demo login answered {done.status}")
    cookie = done.headers["set-cookie"].split(";", 1)[0]
    page = fetch(base_url, token_path, headers={"Cookie": cookie})
    # The login cleared the session; the page put a fresh CSRF secret in it.
    if "set-cookie" in page.headers:
        cookie = page.headers["set-cookie"].split(";", 1)[0]
    return cookie, _TOKEN.search(page.text).group(1)


def run_wrk(base_url: str, endpoint: Endpoint, duration: float, connections: int) -> Load:
    env = dict(os.environ, BENCH_METHOD=endpoint.method)
    if endpoint.body is not None:
        env["BENCH_BODY"] = endpoint.body
    command = [
        "wrk", "--threads", str(min(2, connections)), "--connections", str(connections),
        "--duration", f"{max(1, round(duration))}s", "--timeout", "10s", "--latency",
        "--script", str(LUA_SCRIPT),
    ]  # fmt: skip
    for name, value in endpoint.headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(base_url + endpoint.path)
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration + 120
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if result.returncode or line is None:
        raise RuntimeError(f"wrk failed on {endpoint.name}:\n{result.stdout}{result.stderr}")
    data = json.loads(line.removeprefix("BENCH-RESULT "))
    seconds = data["duration_us"] / 1e6
    return Load(
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        statuses=dict(sorted(data["statuses"].items())),
        errors=data["errors"],
    )


class _Assets(HTMLParser):
    """Everything a page makes the browser fetch on first load."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            rel = (attrs.get("rel") or "").lower().split()
            if {"stylesheet", "icon", "preload", "modulepreload", "manifest"} & set(rel):
                self.urls.append(attrs["href"])
        elif tag == "img" and attrs.get("src") and attrs.get("loading") != "lazy":
            self.urls.append(attrs["src"])


def compressed_size(response: Fetched, server_compresses: bool) -> tuple[int, bool]:
    """Bytes on the wire with gzip offered, and whether the figure was computed.

    A server that compresses leaves small bodies plain on purpose: their wire
    size is what a browser gets. Only when it compresses nothing at all is the
    gzip size computed from the body (text types; images are compressed already).
    """
    if response.encoding == "gzip" or server_compresses:
        return len(response.body), False
    kind = response.headers.get("content-type", "")
    if kind.startswith(("text/", "application/javascript", "application/json", "image/svg")):
        return len(gzip.compress(response.body, 6)), True
    return len(response.body), False


def weigh(base_url: str, endpoint: Endpoint, server_compresses: bool) -> dict:
    """Uncompressed and gzip sizes of one response."""
    plain = fetch(base_url, endpoint.path, headers=endpoint.headers)
    zipped = fetch(base_url, endpoint.path, headers={**endpoint.headers, "Accept-Encoding": "gzip"})
    if plain.status != 200 or zipped.status != 200:
        raise RuntimeError(f"{endpoint.name} answered {plain.status} / {zipped.status}")
    size, computed = compressed_size(zipped, server_compresses)
    return {"bytes": len(plain.body), "gzip": size, "gzip_computed": computed}


def first_load(base_url: str, endpoint: Endpoint, server_compresses: bool) -> dict:
    """A visitor's first load: the page and every asset it links, compressed."""
    page = fetch(base_url, endpoint.path, headers={"Accept-Encoding": "gzip"})
    parser = _Assets()
    parser.feed(page.text)
    total, computed = compressed_size(page, server_compresses)
    html = total
    for url in dict.fromkeys(parser.urls):
        parts = urllib.parse.urlsplit(url)
        if parts.netloc and parts.netloc != urllib.parse.urlsplit(base_url).netloc:
            continue  # nothing is loaded from elsewhere (no CDN); count it if it ever is
        asset = fetch(base_url, parts.path + (f"?{parts.query}" if parts.query else ""),
                      headers={"Accept-Encoding": "gzip"})  # fmt: skip
        size, guessed = compressed_size(asset, server_compresses)
        total += size
        computed = computed or guessed
    return {"html": html, "total": total, "assets": len(set(parser.urls)), "computed": computed}


# The data set and what to ask for ---------------------------------------------


def measurement_app(db_url: str):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": db_url.replace("postgresql://", "postgresql+psycopg://", 1),
            "SECRET_KEY": SECRET_KEY,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "BENCH_CEILING": True,
            # Queries and CPU of rendering the page, not of serving a cached copy.
            "PAGE_CACHE_SECONDS": 0,
        }
    )


def census(app) -> dict:
    """How big the loaded city is."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Activity, Booking, Site, Slot, User, VolunteerProfile

    with app.app_context():
        counts = {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in (
                ("sites", Site), ("slots", Slot), ("bookings", Booking), ("users", User),
                ("volunteers", VolunteerProfile), ("activities", Activity),
            )
        }  # fmt: skip
        db.session.remove()
    return counts


def endpoints_for(app) -> list[Endpoint]:
    """The key endpoints, with ids from the loaded city (the first copy's)."""
    from sqlalchemy import select

    from app import clock
    from app.extensions import db
    from app.models import District, Service, Site, Slot

    with app.app_context():
        district = db.session.scalar(select(District.id).order_by(District.id).limit(1))
        site = db.session.scalar(
            select(Site.id).where(Site.kind == "center").order_by(Site.id).limit(1)
        )
        soon = clock.now() + timedelta(days=1)
        service, slot, starts = db.session.execute(
            select(Service.id, Slot.id, Slot.starts_at)
            .join(Slot, Slot.service_id == Service.id)
            .where(Service.category == "canteen", Service.active.is_(True), Slot.starts_at > soon)
            .order_by(Service.id, Slot.starts_at)
            .limit(1)
        ).one()
        day = clock.local(starts).date().isoformat()
        db.session.remove()
    fragment = {"HX-Request": "true", "HX-Target": "slots"}
    return [
        Endpoint("home", "/", public_page=True),
        Endpoint("search", "/sites?" + urllib.parse.urlencode({"q": SEARCH_TERM}),
                 public_page=True),
        Endpoint("district", f"/sites?district={district}", public_page=True),
        Endpoint("site", f"/sites/{site}", public_page=True),
        Endpoint("service", f"/services/{service}", public_page=True, key_page=False),
        Endpoint("slots fragment", f"/services/{service}?date={day}", headers=fragment),
        Endpoint("activities", "/activities", public_page=True),
        # What people who are logged in open (never from the page cache).
        Endpoint("my bookings", "/me/bookings", key_page=False, person="resident"),
        Endpoint("my messages", "/me/messages", key_page=False, person="resident"),
        Endpoint("my volunteering", "/me/volunteer", key_page=False, person="volunteer"),
        Endpoint("staff home", "/staff/", key_page=False, person="staff"),
        Endpoint("staff day list", f"/staff/sites/{site}/bookings", key_page=False,
                 person="staff"),
        Endpoint("staff volunteering", f"/staff/sites/{site}/volunteering", key_page=False,
                 person="staff"),
        Endpoint("staff activities", f"/staff/sites/{site}/volunteering/activities",
                 key_page=False, person="staff"),
        Endpoint("book (POST)", f"/slots/{slot}/book", method="POST", key_page=False,
                 person="resident", body=f"service_id={service}&seats=1&date={day}"),
        Endpoint("ceiling", "/bench/ceiling", key_page=False),
    ]  # fmt: skip


def count_queries(app, endpoints: list[Endpoint], repeat: int) -> tuple[dict, dict]:
    """SQL statements per request, in-process (a warm-up request first), and the app's
    CPU milliseconds per GET over ``repeat`` requests: a figure other work on the
    machine barely moves, unlike latency under load."""
    from sqlalchemy import event

    from app.extensions import db

    counts, cpu_ms = {}, {}
    with app.app_context():
        engine = db.engine
    visitor = app.test_client()
    people = {}
    for person, mobile in DEMO_PEOPLE.items():
        people[person] = app.test_client()
        login = people[person].post("/login", data={"mobile": mobile, "password": DEMO_PASSWORD})
        assert login.status_code == 303, (person, login.status_code)
    for endpoint in endpoints:
        if endpoint.path.startswith("/bench/"):
            continue
        statements: list[str] = []

        def record(conn, cursor, statement, *args, statements=statements):
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
                statements.append(statement)

        def call(endpoint=endpoint):
            client = people[endpoint.person] if endpoint.logged_in else visitor
            if endpoint.method == "POST":
                form = urllib.parse.parse_qs(endpoint.body)
                return client.post(endpoint.path, data={k: v[0] for k, v in form.items()})
            return client.get(endpoint.path, headers=endpoint.headers)

        call()
        event.listen(engine, "before_cursor_execute", record)
        try:
            response = call()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        if response.status_code >= 500:
            raise RuntimeError(f"{endpoint.name} answered {response.status_code} in-process")
        counts[endpoint.name] = len(statements)
        if endpoint.method == "GET":
            started = time.process_time()
            for _ in range(repeat):
                call()
            cpu_ms[endpoint.name] = (time.process_time() - started) / repeat * 1000
    with app.app_context():
        db.engine.dispose()
    return counts, cpu_ms


# One database at one scale ------------------------------------------------------


def settle(url: str) -> None:
    """VACUUM a freshly loaded PostgreSQL database before measuring it.

    Millions of inserted rows otherwise set autovacuum to work on the big tables
    in the middle of the load runs, on the same two cores: the figures would be
    of the vacuum, not of the portal in its steady state.
    """
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def bench_city(kind, scale, workdir, duration, connections, full, log) -> dict:
    """Seed ``scale``× into a fresh ``kind`` database and measure it."""
    with fresh_database(kind, workdir) as url:
        log(f"{kind} ×{scale}: seeding")
        started = time.perf_counter()
        seeded = flask_cli(url, "seed-demo", "--scale", str(scale))
        seed_s = time.perf_counter() - started
        if kind == "postgresql":
            settle(url)
        app = measurement_app(url)
        rows = census(app)
        endpoints = endpoints_for(app)
        if not full:
            endpoints = [e for e in endpoints if e.key_page or e.person or e.name == "ceiling"]
        queries, cpu_ms = count_queries(app, endpoints, repeat=20 if duration >= 5 else 3)
        log(f"{kind} ×{scale}: {rows} seeded in {seed_s:.0f} s; queries {queries}")
        result = {"kind": kind, "scale": scale, "rows": rows, "seed_s": seed_s,
                  "seed_output": seeded, "queries": queries, "load": {}, "sizes": {},
                  "weight": {}, "endpoints": {e.name: e.path for e in endpoints},
                  "keys": [e.name for e in endpoints if e.key_page], "cpu_ms": cpu_ms}  # fmt: skip
        with serve(url, workdir / f"gunicorn-{kind}-{scale}.log") as (base_url, settings):
            result["server"] = settings
            logins = {person: log_in(base_url, endpoints[0].path, person) for person in DEMO_PEOPLE}
            for endpoint in endpoints:
                if endpoint.logged_in:
                    cookie, token = logins[endpoint.person]
                    endpoint.headers = {**endpoint.headers, "Cookie": cookie}
                if endpoint.method == "POST":
                    endpoint.headers["Content-Type"] = "application/x-www-form-urlencoded"
                    endpoint.body += "&csrf_token=" + urllib.parse.quote(token)
            result["compression"] = fetch(
                base_url, "/", headers={"Accept-Encoding": "gzip"}
            ).encoding
            compresses = result["compression"] == "gzip"
            # A booking the demo resident already holds would make every POST a
            # duplicate; the first request books, the rest are refused: both count.
            for endpoint in endpoints:
                if endpoint.method == "GET" and duration >= WARM_UP_S * 2:
                    # Not counted: every worker renders the page once, as on a
                    # server that has been up for a while.
                    run_wrk(base_url, endpoint, WARM_UP_S, connections)
                load = run_wrk(base_url, endpoint, duration, connections)
                result["load"][endpoint.name] = load
                log(
                    f"  {endpoint.name:15} {load.rps:8.1f} req/s  p50 {load.p50_ms:6.1f} ms  "
                    f"p95 {load.p95_ms:6.1f} ms  {load.statuses}"
                )
                if endpoint.method == "GET":
                    result["sizes"][endpoint.name] = weigh(base_url, endpoint, compresses)
                if endpoint.public_page and full:
                    result["weight"][endpoint.name] = first_load(base_url, endpoint, compresses)
    return result


# Report ----------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with suppress(OSError, StopIteration):
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        kib = int(next(x for x in meminfo if x.startswith("MemTotal")).split()[1])
        ram = f"{kib / 1024 / 1024:.0f} GiB"
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0].split(" [")[0],
        "load": os.getloadavg(),
    }


def _mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _n(value: float) -> str:
    return f"{value:,.0f}"


def evaluate(results: list[dict], small: int, large: int) -> list[tuple[str, bool, str]]:
    """Every target, per database: (target, met?, figures)."""
    verdicts = []
    for kind in dict.fromkeys(r["kind"] for r in results):
        big = next(r for r in results if r["kind"] == kind and r["scale"] == large)
        tiny = next(r for r in results if r["kind"] == kind and r["scale"] == small)
        keys = big["keys"]
        ceiling = big["load"]["ceiling"].rps
        shares = {n: big["load"][n].rps / ceiling for n in keys}
        worst = min(shares, key=shares.get)
        verdicts.append((
            f"{kind}: throughput, every key page ≥ {THROUGHPUT_SHARE:.0%} of the ceiling",
            all(s >= THROUGHPUT_SHARE for s in shares.values()),
            f"ceiling {_n(ceiling)} req/s; lowest {worst} {shares[worst]:.0%} "
            f"({_n(big['load'][worst].rps)} req/s)"
            + _misses({n: f"{s:.0%}" for n, s in shares.items() if s < THROUGHPUT_SHARE}),
        ))  # fmt: skip
        p95 = {n: big["load"][n].p95_ms for n in keys}
        slowest = max(p95, key=p95.get)
        verdicts.append((
            f"{kind}: latency, p95 < {P95_LIMIT_MS:.0f} ms at the large scale",
            all(v < P95_LIMIT_MS for v in p95.values()),
            f"highest {slowest} {p95[slowest]:.1f} ms"
            + _misses({n: f"{v:.0f} ms" for n, v in p95.items() if v >= P95_LIMIT_MS}),
        ))  # fmt: skip
        growth = {n: big["load"][n].p50_ms / tiny["load"][n].p50_ms for n in keys}
        steepest = max(growth, key=growth.get)
        verdicts.append((
            f"{kind}: growth, {small}× → {large}× p50 ≤ {GROWTH_LIMIT}×",
            all(g <= GROWTH_LIMIT for g in growth.values()),
            f"steepest {steepest} {growth[steepest]:.2f}×"
            + _misses({n: f"{g:.2f}×" for n, g in growth.items() if g > GROWTH_LIMIT}),
        ))  # fmt: skip
        qs = {n: (tiny["queries"][n], big["queries"][n]) for n in keys}
        verdicts.append((
            f"{kind}: queries, ≤ {QUERY_LIMIT} per page and the same at every scale",
            all(a == b and b <= QUERY_LIMIT for a, b in qs.values()),
            f"most {max(b for _, b in qs.values())}"
            + _misses({n: f"{a} at {small}×, {b} at {large}×" for n, (a, b) in qs.items()
                       if a != b or b > QUERY_LIMIT}),
        ))  # fmt: skip
        if big["weight"]:
            weights = {n: w["total"] for n, w in big["weight"].items()}
            heaviest = max(weights, key=weights.get)
            guessed = any(w["computed"] for w in big["weight"].values())
            verdicts.append((
                f"{kind}: page weight, first load ≤ {PAGE_WEIGHT_LIMIT / 1000:.0f} KB compressed",
                all(w <= PAGE_WEIGHT_LIMIT for w in weights.values()),
                f"heaviest {heaviest} {weights[heaviest] / 1000:.1f} KB"
                + (" (gzip sizes computed, not served)" if guessed else "")
                + _misses({n: f"{w / 1000:.1f} KB" for n, w in weights.items()
                           if w > PAGE_WEIGHT_LIMIT}),
            ))  # fmt: skip
        posts = big["load"].get("book (POST)")
        if posts is not None:
            verdicts.append((
                f"{kind}: booking POST under load never fails with 5xx",
                not posts.failures,
                ", ".join(f"{n:,}× {code}" for code, n in posts.statuses.items()),
            ))  # fmt: skip
    return verdicts


def _misses(items: dict) -> str:
    return ("; missed by " + ", ".join(f"{n} {v}" for n, v in items.items())) if items else ""


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _statuses(load: Load) -> str:
    return " ".join(f"{code}×{n:,}" for code, n in load.statuses.items())


def render_results(results, info, args, verdicts) -> str:
    small, large = args.small_scale, args.large_scale
    lines = [
        GENERATED_SECTION + " (`make bench`)",
        "",
        f"Date: {info['date']}. Machine: {info['cores']} cores ({info['cpu']}), "
        f"{info['ram']} RAM; Python {info['python']}, {info['wrk']}. Load average (1 / 5 / "
        f"15 min) when the run started: {' / '.join(f'{x:.2f}' for x in info['load'])}; "
        f"when it ended: {' / '.join(f'{x:.2f}' for x in info['load_end'])}."
        + (f" {args.note}" if args.note else ""),
        "",
        f"Each endpoint: wrk with {args.connections} connections for {args.duration:.0f} s "
        f"(GET endpoints after an uncounted {WARM_UP_S:.0f} s warm-up run), "
        f"against gunicorn ({results[0].get('server', '')}) on the same machine, wrk and "
        "the database sharing its cores. The ceiling is `/bench/ceiling` (registered only "
        "with `DOORSTEP_BENCH=1`): the same workers answering a short string. For the public "
        "pages wrk sends no cookie, like a resident who is not logged in, so they come from "
        "the page cache (app/page_cache.py) after the first request in each worker. The "
        "pages of people who are logged in (my bookings, messages and volunteering as the "
        "demo resident and volunteer; the staff pages as the demo center staff, at the first "
        "center) carry that person's session cookie and are rendered every time. Queries are "
        "counted in-process with the Flask test client and the page cache off (one warm-up "
        "request first): what rendering the page costs. *app CPU* is the CPU time of that "
        "process per GET, rendering included (the app, and SQLite in it; not the PostgreSQL "
        "server), a figure other work on the machine barely moves. "
        "Sizes: the body without `Accept-Encoding`, and with `Accept-Encoding: gzip`"
        + (
            "."
            if all(r.get("compression") == "gzip" for r in results)
            else " (the server did not compress: gzip sizes computed from the body)."
        ),
        "",
        "### Targets",
        "",
        "| target | result | figures |",
        "|---|---|---|",
    ]
    lines += [f"| {t} | {_mark(ok)} | {fig} |" for t, ok, fig in verdicts]
    lines.append("")
    lines += [
        "### Data sets",
        "",
        "| database | scale | sites | slots | bookings | users | volunteers | activities | "
        "seed-demo |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = r["rows"]
        lines.append(
            f"| {r['kind']} | {r['scale']}× | {_n(c['sites'])} | {_n(c['slots'])} | "
            f"{_n(c['bookings'])} | {_n(c['users'])} | {_n(c['volunteers'])} | "
            f"{_n(c['activities'])} | {r['seed_s']:.0f} s |"
        )
    lines.append("")
    for r in results:
        ceiling = r["load"]["ceiling"].rps
        lines += [
            f"### {r['kind']}, {r['scale']}×",
            "",
            "| endpoint | path | req/s | p50 ms | p95 ms | of ceiling | queries | app CPU ms | "
            "bytes | gzip bytes | statuses |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, load in r["load"].items():
            size = r["sizes"].get(name)
            path = r["endpoints"][name]
            lines.append(
                f"| {name} | `{path}` | {_n(load.rps)} | {load.p50_ms:.1f} | {load.p95_ms:.1f} | "
                f"{load.rps / ceiling:.0%} | {r['queries'].get(name, '—')} | "
                f"{_ms(r['cpu_ms'].get(name))} | {_n(size['bytes']) if size else '—'} | "
                f"{_n(size['gzip']) if size else '—'} | "
                f"{_statuses(load)} |"
            )
        lines.append("")
        if r["weight"]:
            lines += ["First load, compressed (HTML + CSS + JS + other assets):", "",
                      "| page | HTML | total | assets |", "|---|---|---|---|"]  # fmt: skip
            for name, w in r["weight"].items():
                lines.append(
                    f"| {name} | {w['html'] / 1000:.1f} KB | {w['total'] / 1000:.1f} KB | "
                    f"{w['assets']} |"
                )
            lines.append("")
    growth = []
    for kind in dict.fromkeys(r["kind"] for r in results):
        tiny = next(r for r in results if r["kind"] == kind and r["scale"] == small)
        big = next(r for r in results if r["kind"] == kind and r["scale"] == large)
        for name in big["load"]:
            if name in big["keys"]:
                a, b = tiny["load"][name].p50_ms, big["load"][name].p50_ms
                x, y = tiny["cpu_ms"][name], big["cpu_ms"][name]
                growth.append(
                    f"| {kind} | {name} | {a:.1f} | {b:.1f} | {b / a:.2f}× | "
                    f"{x:.1f} | {y:.1f} | {y / x:.2f}× |"
                )
    lines += [f"### Growth, {small}× → {large}×", "",
              f"| database | page | p50 ms at {small}× | p50 ms at {large}× | p50 ratio | "
              f"app CPU ms at {small}× | at {large}× | CPU ratio |",
              "|---|---|---|---|---|---|---|---|", *growth, ""]  # fmt: skip
    return "\n".join(lines)


def write_report(path: Path, results_md: str) -> None:
    """Regenerate the results; keep every other section (seed timings, findings) as it is."""
    kept = ""
    if REPORT.exists():
        sections = re.split(r"(?m)^(?=## )", REPORT.read_text())[1:]
        kept = "".join(
            section.rstrip() + "\n\n"
            for section in sections
            if not section.startswith(GENERATED_SECTION)
        )
    head = (
        "# Benchmarks\n\n"
        "Figures as measured, with the machine and the date. The load and weight sections "
        "are written by `make bench` (bench/run.py); rerun it rather than editing them.\n\n"
    )
    path.write_text(head + results_md.rstrip() + "\n\n" + kept.rstrip() + "\n")


# Entry point -----------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny scale, 1 s runs, temp output")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--small-scale", type=int, default=1)
    parser.add_argument("--large-scale", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--output", type=Path, default=REPORT)
    parser.add_argument("--note", default="", help="a sentence for the report's header")
    args = parser.parse_args(argv)
    if args.smoke:
        args.large_scale, args.duration, args.connections = 2, 1.0, 4
        if args.output == REPORT:
            args.output = Path(tempfile.mkstemp(prefix="doorstep-bench-", suffix=".md")[1])
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    def log(message):
        print(message, flush=True)

    info = {**machine(), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    workdir = Path(tempfile.mkdtemp(prefix="doorstep-bench-"))
    results, failures = [], []
    try:
        for kind in args.databases.split(","):
            for scale, full in ((args.small_scale, False), (args.large_scale, True)):
                result = bench_city(
                    kind, scale, workdir, args.duration, args.connections, full, log
                )
                results.append(result)
                for name, load in result["load"].items():
                    failures += [f"{kind} ×{scale} {name}: {x}" for x in load.failures]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    info["load_end"] = os.getloadavg()
    verdicts = evaluate(results, args.small_scale, args.large_scale)
    markdown = render_results(results, info, args, verdicts)
    if args.output == REPORT:
        write_report(REPORT, markdown)
    else:
        args.output.write_text(markdown + "\n")
    log(f"report: {args.output}")
    for target, ok, figures in verdicts:
        log(f"{'met    ' if ok else 'NOT MET'}  {target}: {figures}")
    if failures:
        log("endpoint failures:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
