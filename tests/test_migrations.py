"""Migrations run both ways on the database under test (SQLite or PostgreSQL)."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db

from .conftest import make_app


def test_upgrade_downgrade_upgrade(databases):
    url = databases.new_url()
    app = make_app(url)
    try:
        with app.app_context():
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {"site", "user", "audit_entry", "staff_scope"} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert set(inspect(db.engine).get_table_names()) == tables
    finally:
        with app.app_context():
            db.engine.dispose()
        databases.drop(url)


def test_models_and_migrations_agree(app):
    """Autogenerate finds nothing to do: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
