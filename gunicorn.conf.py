"""gunicorn settings for Doorstep: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Everything an operator may change comes from the environment:

- ``BIND`` (e.g. ``0.0.0.0:8000`` or ``unix:/run/doorstep.sock``), else ``HOST`` (default
  ``127.0.0.1``) and ``PORT`` (default ``8000``);
- ``WEB_CONCURRENCY``: worker processes (default 2 × CPU cores + 1);
- ``GUNICORN_THREADS``: threads per worker (default 4);
- ``GUNICORN_TIMEOUT``: seconds a request may take before its worker is replaced (default 30);
- ``GUNICORN_MAX_REQUESTS``: requests a worker serves before it is replaced (default 50,000).

The app writes its own JSON access log (``doorstep.access``), so gunicorn's is off.
"""

import multiprocessing
import os


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = [os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{_number('PORT', 8000)}"]
workers = _number("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
# Threads let one worker wait on the database for one request while serving another.
worker_class = "gthread"
threads = _number("GUNICORN_THREADS", 4)

timeout = _number("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
# The reverse proxy keeps connections open to us; a little longer than one request.
keepalive = 5
# Replace each worker now and then, at different moments, so slow leaks stay bounded.
# A worker is replaced after this many requests (a guard against slow leaks). Each
# replacement loads the app again and starts with an empty page cache, so under
# load a low number shows up as latency spikes: keep it high.
max_requests = _number("GUNICORN_MAX_REQUESTS", 50_000)
max_requests_jitter = max_requests // 10

accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "doorstep"

# Heartbeat files in memory: a slow or full disk must not get healthy workers killed.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# No management socket: its default path is one per user, which several app
# instances on one machine would fight over, and nothing here uses it.
control_socket_disable = True
