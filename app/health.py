"""What /healthz checks: the database, and Redis when the throttle counts live there."""

import redis
from flask import Flask, current_app
from sqlalchemy import text

from .extensions import db

# Redis URLs as Flask-Limiter spells them, and as redis-py does.
_REDIS_SCHEMES = {"redis://": "redis://", "rediss://": "rediss://", "redis+unix://": "unix://"}
REDIS_TIMEOUT_S = 1.0


def database_status() -> str:
    """'ok' when the database answers a query, else 'unreachable'."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return "unreachable"
    return "ok"


def redis_client(app: Flask) -> redis.Redis | None:
    """One client per app (its pool keeps the connection), or None without Redis."""
    if "doorstep_redis" not in app.extensions:
        url = app.config.get("RATELIMIT_STORAGE_URI") or ""
        client = None
        for scheme, redis_scheme in _REDIS_SCHEMES.items():
            if url.startswith(scheme):
                client = redis.Redis.from_url(
                    redis_scheme + url[len(scheme) :],
                    socket_timeout=REDIS_TIMEOUT_S,
                    socket_connect_timeout=REDIS_TIMEOUT_S,
                )
                break
        app.extensions["doorstep_redis"] = client
    return app.extensions["doorstep_redis"]


def redis_status() -> str:
    """'ok', 'unreachable', or 'not configured' when throttle counts are in memory."""
    client = redis_client(current_app._get_current_object())
    if client is None:
        return "not configured"
    try:
        client.ping()
    except (redis.RedisError, OSError):
        return "unreachable"
    return "ok"
