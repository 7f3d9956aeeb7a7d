"""Times as the app shows them: UTC, to the minute."""

from __future__ import annotations

import datetime as dt


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC datetime. SQLite returns naive values; they were stored in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def format_utc(value: dt.datetime | None) -> str:
    """``"YYYY-MM-DD HH:MM UTC"``; ``""`` for ``None``."""
    return "" if value is None else as_utc(value).strftime("%Y-%m-%d %H:%M UTC")
