"""URL converters shared by every feature's routes (registered on the app in :func:`app.create_app`)."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

ROW_ID_MAX = 2**31 - 1
"""The largest id a database INTEGER column holds (SQLite and PostgreSQL alike)."""


class RowId(IntegerConverter):
    """``<id:name>`` in a route: a row id, a whole number from 0 to :data:`ROW_ID_MAX`. A larger
    number matches no route (404), instead of overflowing inside the database driver (500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's signature
        super().__init__(map, *args, min=0, max=ROW_ID_MAX, **kwargs)
