"""One JSON line per request on the ``doorstep.access`` logger.

A WSGI middleware rather than a Flask hook: it sees the status and the bytes
actually sent (after compression, for streamed bodies too) and times the whole
response, until the server closes it. The query string is left out on purpose:
searches and tokens are the residents' business, not the log's.

On when ACCESS_LOG is (production's default). If nothing else has configured
the logger, lines go to standard output, where gunicorn, systemd or a container
runtime collects them.
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask

logger = logging.getLogger("doorstep.access")

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from the proxy is kept when it looks like one; anything else is replaced.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _request_id(environ) -> str:
    offered = environ.get("HTTP_X_REQUEST_ID", "")
    return offered if _SAFE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def _path(environ) -> str:
    # WSGI hands the path over as latin-1; the browser sent UTF-8.
    raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


class AccessLog:
    """Wrap a WSGI app; log each response when the server has finished with it."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request_id = _request_id(environ)
        environ["doorstep.request_id"] = request_id
        entry = {"status": 500}

        def _start_response(status, headers, exc_info=None):
            entry["status"] = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            body = self.wsgi_app(environ, _start_response)
        except BaseException:
            _log(environ, entry["status"], 0, started, request_id)
            raise

        def _finished(sent: int) -> None:
            _log(environ, entry["status"], sent, started, request_id)

        return _CountingBody(body, _finished)


class _CountingBody:
    """The response body, passed through, counting bytes; logs on close."""

    def __init__(self, body, on_close):
        self.body = body
        self.on_close = on_close
        self.sent = 0

    def __iter__(self):
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self):
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.on_close(self.sent)


def _log(environ, status: int, sent: int, started: float, request_id: str) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    line = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": environ.get("REQUEST_METHOD", ""),
        "path": _path(environ),
        "status": status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        "bytes": sent,
        "remote_addr": environ.get("REMOTE_ADDR", ""),
        "request_id": request_id,
    }
    logger.info(json.dumps(line, ensure_ascii=False))


def _default_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


def init_app(app: Flask) -> None:
    if not app.config.get("ACCESS_LOG"):
        return
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    # Alembic's logging set-up (flask db upgrade in this process) disables every
    # logger that exists by then; ACCESS_LOG asks for this one.
    logger.disabled = False
    if not logger.handlers:
        logger.addHandler(_default_handler())
        # The line is complete as it is; a root handler would print it twice.
        logger.propagate = False
    app.wsgi_app = AccessLog(app.wsgi_app)
