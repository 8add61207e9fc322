"""What each area holds about a person: its part of "download my data", and what
deleting the account does to it.

Every area registers its parts (``@part("bookings", covers=("booking.user_id",))``)
next to the models it owns. ``covers`` names the columns that point at the
person; a test fails when a column of any table that names a user is covered
by no part, so a new table cannot be left out of the export or the deletion.

``export(user)`` gathers every part; ``erase(user)`` runs every part's
``on_delete`` inside the deletion's transaction: what the person holds is let
go through the area's own rules (a future booking is cancelled and its seat
goes to the waiting list), personal things are removed, and records of service
stay with the name gone.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .models import User

Export = Callable[[User], object]
Erase = Callable[[User], None]


@dataclass
class Part:
    name: str
    export: Export
    covers: tuple[str, ...]
    erase: Erase | None = None
    kept: str = ""  # why nothing is erased, when nothing is
    order: int = 100

    def on_delete(self, func: Erase) -> Erase:
        """Register what deleting the account does to this part."""
        self.erase = func
        return func


_PARTS: dict[str, Part] = {}


def part(name: str, *, covers: tuple[str, ...], kept: str = "", order: int = 100):
    """Register ``name`` of "download my data"; the function returns its JSON-ready data.

    ``kept`` says why deleting the account leaves this part as it is (another
    person's record, say); otherwise register an ``on_delete``. Lower
    ``order`` runs first on deletion (what holds places before what holds
    the person).
    """

    def register(func: Export) -> Part:
        registered = Part(name, func, covers, kept=kept, order=order)
        _PARTS[name] = registered
        return registered

    return register


def parts() -> list[Part]:
    _load_areas()
    return list(_PARTS.values())


def covered_columns() -> dict[str, str]:
    """``"table.column"`` → the part that covers it."""
    return {column: p.name for p in parts() for column in p.covers}


def export(user: User) -> dict:
    from . import clock

    data = {"exported_at": clock.now().isoformat()}
    for p in parts():
        data[p.name] = p.export(user)
    return data


def erase(user: User) -> None:
    """Let go of everything the person holds (inside the caller's transaction)."""
    for p in sorted(parts(), key=lambda p: p.order):
        if p.erase is not None:
            p.erase(user)


def _load_areas() -> None:
    """Each area's parts live next to its models; importing them registers them."""
    from .accounts import personal as _accounts  # noqa: F401
    from .bookings import personal as _bookings  # noqa: F401
    from .grids import personal as _grids  # noqa: F401
    from .notifications import personal as _notifications  # noqa: F401
    from .requests import personal as _requests  # noqa: F401
    from .topics import personal as _topics  # noqa: F401
    from .volunteers import personal as _volunteers  # noqa: F401
    from .wishes import personal as _wishes  # noqa: F401


def iso(moment) -> str | None:
    return moment.isoformat() if moment else None
