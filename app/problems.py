"""The base of every error a user may see: a code from the catalogue and its parameters, no prose.

Services and the engine raise subclasses of :class:`Problem` (``ReviewError("review.comment_missing")``,
``AnswerError("pupil_min_age", "answer.too_small", min=2)``); the message lives once, in
:data:`app.messages.MESSAGES`. ``str(problem)`` is the English for logs and the command line, with
word parameters as ids; the web layer shows :func:`app.i18n.describe` instead, in the page's language.
Imports neither Flask nor the models, so the engine can use it.
"""

from __future__ import annotations

from typing import Any

from .messages import MESSAGES


class Problem(Exception):
    """A problem with what was asked: ``code`` (a key of :data:`app.messages.MESSAGES`) and ``params``
    (the values of the message's ``%(name)s`` fields: text, numbers, dates, ids, lists of them, or
    another :class:`Problem`)."""

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        return english(self)


def english(problem: Problem) -> str:
    """The problem's message in English with its parameters as given (ids, lists joined by ", "); a
    code the catalogue lacks comes back as the code and its parameters (never raises)."""
    template = MESSAGES.get(problem.code)
    params = {name: _plain(value) for name, value in problem.params.items()}
    if template is None:
        return f"{problem.code} {params}" if params else problem.code
    return template % params if params else template


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_plain(v) for v in value)
    return str(value)
