"""Language and time-zone selection, and the template helpers that show times."""

from datetime import date, datetime

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_time

from . import clock
from .extensions import babel

LANGUAGE_COOKIE = "lang"
ELDER_COOKIE = "elder"


def select_locale() -> str:
    """The language chosen with the switch, else Simplified Chinese.

    Outside a request (commands, service calls in tests) it is the default.
    """
    chosen = request.cookies.get(LANGUAGE_COOKIE) if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def elder_mode() -> bool:
    """Elder mode (长辈模式) is on when its cookie says so."""
    return request.cookies.get(ELDER_COOKIE) == "1"


def local_time(moment: datetime | None) -> str:
    """'14:30' in Asia/Shanghai."""
    return format_time(moment, "HH:mm") if moment else ""


def local_date(day: date | datetime | None, fmt: str = "medium") -> str:
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = clock.local(day).date()  # the local calendar day of an instant
    return format_date(day, fmt)


def month_day(day: date) -> str:
    """'12月2日' / 'Dec 2': the locale's own month-and-day (a skeleton, not a pattern:
    the pattern 'MMMd' would read '12月2' in Chinese)."""
    from babel.dates import format_skeleton
    from flask_babel import get_locale

    return format_skeleton("MMMd", day, locale=get_locale() or "zh")


def local_day(moment: date | datetime | None) -> str:
    """'11月24日 星期二' / 'Nov 24 Tuesday': a short date with its weekday."""
    if moment is None:
        return ""
    from .vocab import WEEKDAYS

    day = clock.local(moment).date() if isinstance(moment, datetime) else moment
    return f"{month_day(day)} {WEEKDAYS[day.weekday()]}"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path) + "/translations")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["local_day"] = local_day
    app.jinja_env.filters["month_day"] = month_day

    @app.context_processor
    def inject_preferences():
        from flask_babel import get_locale

        return {
            "current_language": str(get_locale() or "zh"),
            "elder_mode": elder_mode(),
            "today": clock.today(),
        }
