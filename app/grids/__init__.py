"""Grids (网格) and homes: the rules for a community's grid tree, its compounds,
buildings, heads and grid workers (``tree``), the bulk import (``grids_csv``),
a resident's home and the "我的网格" card (``home``), and the resident's page
for their home (``routes``, blueprint ``grids``)."""

from flask import Blueprint

bp = Blueprint("grids", __name__)

from . import routes  # noqa: E402,F401
