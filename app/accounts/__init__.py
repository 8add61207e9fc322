"""Accounts: register, log in and out, and a resident's own data (/me)."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from . import routes  # noqa: E402,F401
