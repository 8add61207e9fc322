"""The ``seed-demo`` command."""

import click
from flask import Flask


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--scale", default=1, show_default=True, help="Multiply the city by N.")
    @click.option("--if-empty", is_flag=True, help="Do nothing when sites already exist.")
    def seed_demo(scale: int, if_empty: bool) -> None:
        """Load the demo city: districts, streets, communities, sites, services."""
        from .seed import seed

        result = seed(scale=scale, if_empty=if_empty)
        click.echo(result)

    @app.cli.command("create-admin")
    @click.option("--mobile", prompt=True, help="The admin's mainland mobile number.")
    @click.option("--name", prompt=True, help="The name shown for the admin.")
    @click.password_option(help="At least 8 characters.")
    def create_admin(mobile: str, name: str, password: str) -> None:
        """Create an administrator (or make an existing account one)."""
        from ..accounts import service
        from ..accounts.mobile import normalize_mobile
        from ..extensions import db

        number = normalize_mobile(mobile)
        if number is None:
            raise click.BadParameter("not a mainland mobile number", param_hint="--mobile")
        if len(password) < 8 or password == number:
            raise click.BadParameter(
                "use at least 8 characters, not the mobile number", param_hint="--password"
            )
        name = " ".join(name.split())[:40]
        if not name:
            raise click.BadParameter("enter a name", param_hint="--name")
        user = service.find_by_mobile(number)
        if user is None:
            user = service.register(number, name, password)
        user = db.session.merge(user)
        user.is_admin = True
        db.session.commit()
        click.echo(f"Admin ready: user {user.id}, {name}.")

    @app.cli.command("generate-slots")
    def generate_slots_command() -> None:
        """Create bookable slots over each service's window (run daily, e.g. from cron)."""
        from .. import clock
        from ..bookings.slots import generate_all, open_slots

        report = generate_all(clock.today())
        click.echo(
            f"Slots ready at {report.sites} sites: {report.added} added just now, "
            f"{open_slots(clock.now())} open for booking."
        )
        for site_id, name in report.failed:
            click.echo(
                f"Slot generation failed for site {site_id} ({name}); see the log.", err=True
            )
