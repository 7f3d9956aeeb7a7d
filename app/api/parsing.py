"""How the API reads request bodies: flask-smorest's ``Blueprint`` whose schemas get JSON read by
:func:`app.requesttext.loads` (strict UTF-8; a lone surrogate or NUL anywhere in it refused, naming
``json.<path>``, before a schema or a view sees it), not by webargs' own reader."""

from __future__ import annotations

from typing import Any

import flask_smorest
from flask import Request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ..requesttext import loads


class ApiParser(FlaskParser):
    """webargs' Flask parser with :func:`app.requesttext.loads` as its JSON reader: an empty body is
    missing and what is not JSON is a 400, as with webargs' reader; unstorable text raises
    :class:`app.requesttext.RefusedText` (answered 422 by :mod:`app.errors`)."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return loads(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: flask-smorest's, arguments parsed by :class:`ApiParser`."""

    ARGUMENTS_PARSER = ApiParser()
