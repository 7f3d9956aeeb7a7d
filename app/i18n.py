"""The interface language: English or Simplified Chinese, switched in the page header.

The language of a request is, in order: the choice made with the header's switch (kept in the
session), the browser's ``Accept-Language``, then ``BABEL_DEFAULT_LOCALE`` (English). Its code is
also the key of the questionnaire's texts (``label["zh"]``), so :func:`ui_lang` indexes them directly.
The switch is a small POST form (CSRF-protected like every POST); a GET never changes the session.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, has_request_context, redirect, request, session, url_for
from flask_babel import get_locale

from .security import safe_next

LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}
"""Interface languages: code -> name in that language (as the switch shows it)."""
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
"""BCP 47 tag for ``<html lang>``: "zh-Hans" makes browsers pick Simplified Chinese glyphs."""
SESSION_KEY = "lang"

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The language code for this request (Flask-Babel's locale selector); the default outside one."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    # Werkzeug falls back to the primary subtag, so "zh-CN" and "zh-Hans-CN" pick "zh".
    return request.accept_languages.best_match(list(LANGUAGES), default=current_app.config["BABEL_DEFAULT_LOCALE"])


def ui_lang() -> str:
    """``"en"`` or ``"zh"``: the language of the page being built (English outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


def _here() -> str:
    """Where the switch returns to: this page, or the home page when this URL cannot be fetched again."""
    rule = request.url_rule
    if rule is None or "GET" not in (rule.methods or ()):
        return url_for("audits.home")
    if request.method == "GET" and request.query_string:
        return request.full_path
    return request.path


@bp.app_context_processor
def language_context() -> dict[str, Any]:
    lang = ui_lang()
    return {"ui_lang": lang, "html_lang": HTML_LANG[lang], "language_names": LANGUAGES,
            "language_tags": HTML_LANG, "language_next": _here(),
            # Between two sentences kept in separate elements or messages: Chinese puts no space after 。
            "sentence_gap": "" if lang == "zh" else " "}


@bp.after_app_request
def vary_on_language(response: Response) -> Response:
    # Without a session choice the page depends on Accept-Language: caches must key on it.
    response.vary.add("Accept-Language")
    return response


@bp.post("/language")
def switch():
    """Keep the chosen interface language in the session and return to the page the form was on."""
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session[SESSION_KEY] = lang
    return redirect(safe_next(request.form.get("next")))
