"""Doorstep (家门口): the party–mass service portal.

``create_app`` builds the application; ``wsgi.py`` only calls it.
"""

import os

from flask import Flask
from flask_compress import Compress

from . import config as config_module
from .extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app. ``config`` is a config class, a mapping of overrides, or None."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    # Before any route is added: every <int:…> is an id the database can hold.
    from .urls import IdConverter

    app.url_map.converters["int"] = IdConverter
    app.config.from_object(config_module.Config)
    if config is None and os.environ.get("DOORSTEP_CONFIG") == "production":
        config = config_module.ProductionConfig
    if isinstance(config, type):
        app.config.from_object(config)
    elif isinstance(config, dict):
        app.config.update(config)
    settings = config if isinstance(config, type) else config_module.Config
    settings.init(app)

    # First of the after-request hooks, so it runs last: it compresses the
    # body every other hook has finished with. One instance per app, unlike the
    # shared extensions: Flask-Compress keeps the app's settings on the instance.
    app.extensions["compress"] = Compress(app)
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        render_as_batch=True,
    )
    # First of the request guards: no NUL byte reaches a view or a query.
    from . import inputs

    inputs.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from . import auth_setup

    auth_setup.init_app(app)

    from . import i18n

    i18n.init_app(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from .database import configure_sqlite

            configure_sqlite(db.engine)

    from . import access_log, htmx, page_cache, security, static_files, templating

    htmx.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    static_files.init_app(app)
    page_cache.init_app(app)
    page_cache.listen()

    from . import jobs

    jobs.listen()
    jobs.init_app(app)

    from .accounts import bp as accounts_bp
    from .admin import bp as admin_bp
    from .bookings import bp as bookings_bp
    from .errors import bp as errors_bp
    from .grids import bp as grids_bp
    from .notifications import bp as notifications_bp
    from .prefs import bp as prefs_bp
    from .public import bp as public_bp
    from .requests import bp as requests_bp
    from .staff import bp as staff_bp
    from .topics import bp as topics_bp
    from .volunteers import bp as volunteers_bp
    from .wishes import bp as wishes_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(prefs_bp)
    app.register_blueprint(errors_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(bookings_bp)
    app.register_blueprint(grids_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(volunteers_bp)
    app.register_blueprint(topics_bp)
    app.register_blueprint(wishes_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(requests_bp)
    if app.config.get("BENCH_CEILING") or os.environ.get("DOORSTEP_BENCH") == "1":
        from .bench import bp as bench_bp

        app.register_blueprint(bench_bp)

    from .demo import commands as demo_commands

    demo_commands.init_app(app)

    from . import backup

    backup.init_app(app)

    # WSGI middleware, innermost first: the access log sees the client address
    # that ProxyFix restored from the proxy's headers.
    access_log.init_app(app)
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
