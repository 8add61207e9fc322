"""Static files under content-hashed names, cached by browsers for a year.

At start-up every file under ``static/`` is hashed once into a manifest held
in memory: ``css/app.css`` becomes ``css/app.3f2a9c1b07.css``. ``url_for('static',
filename='css/app.css')`` then builds the hashed URL, which is served with
``Cache-Control: public, max-age=31536000, immutable``: a changed file gets a new
name, so a cached copy never goes stale. The plain names keep working, with a
short cache, for anything that links to them directly.

In debug mode names stay plain (a file edited without a restart would otherwise
be served under a name cached for a year), unless STATIC_HASHED_NAMES says so.
"""

import hashlib
from pathlib import Path, PurePosixPath

from flask import Flask, current_app, send_from_directory

HASH_LENGTH = 10
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_MAX_AGE = 300  # seconds, for plain names


class Manifest:
    """Plain name → hashed name, and back, for every file in one folder."""

    def __init__(self, folder: str | Path):
        self.hashed: dict[str, str] = {}
        self.plain: dict[str, str] = {}
        root = Path(folder)
        if not root.is_dir():
            return
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            name = path.relative_to(root).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
            hashed = hashed_name(name, digest)
            self.hashed[name] = hashed
            self.plain[hashed] = name


def hashed_name(name: str, digest: str) -> str:
    """``js/app.js`` → ``js/app.<digest>.js``; a name without a suffix gets one."""
    path = PurePosixPath(name)
    if path.suffix:
        return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))
    return f"{name}.{digest}"


def _manifest() -> Manifest | None:
    return current_app.extensions.get("static_manifest")


def hash_static_urls(endpoint: str, values: dict) -> None:
    """url_for('static', filename=...) builds the hashed name when there is one."""
    if endpoint != "static" or "filename" not in values:
        return
    manifest = _manifest()
    if manifest is not None:
        values["filename"] = manifest.hashed.get(values["filename"], values["filename"])


def serve_static(filename: str):
    """A hashed name is immutable: a year in every cache. A plain name: a few minutes."""
    folder = current_app.static_folder
    manifest = _manifest()
    plain = manifest.plain.get(filename) if manifest is not None else None
    if plain is None:
        return send_from_directory(folder, filename, max_age=SHORT_MAX_AGE)
    response = send_from_directory(folder, plain, max_age=31536000)
    response.headers["Cache-Control"] = IMMUTABLE
    return response


def init_app(app: Flask) -> None:
    enabled = app.config.get("STATIC_HASHED_NAMES")
    if enabled is None:
        enabled = not app.debug
    if enabled and app.static_folder:
        app.extensions["static_manifest"] = Manifest(app.static_folder)
    app.url_defaults(hash_static_urls)
    app.view_functions["static"] = serve_static
