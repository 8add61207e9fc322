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
