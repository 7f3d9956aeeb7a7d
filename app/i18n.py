"""The interface language: English or Simplified Chinese, switched in the page header.

The language of a request is, in order: the choice made with the header's switch (kept in the
session), the browser's ``Accept-Language``, then ``BABEL_DEFAULT_LOCALE`` (English). Its code is
also the key of the questionnaire's texts (``label["zh"]``), so :func:`ui_lang` indexes them directly.
The switch is a small POST form (CSRF-protected like every POST); a GET never changes the session.

Errors of services and the engine (:class:`app.problems.Problem`) reach pages through :func:`describe`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, has_request_context, redirect, request, session, url_for
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations, gettext
from jinja2.ext import InternationalizationExtension

from .messages import MESSAGES
from .problems import Problem
from .security import safe_next

LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}
"""Interface languages: code -> name in that language (as the switch shows it)."""
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
"""BCP 47 tag for ``<html lang>``: "zh-Hans" makes browsers pick Simplified Chinese glyphs."""
SESSION_KEY = "lang"
LIST_SEPARATOR = {"en": "; ", "zh": "；"}
"""Between the items of a list in one sentence (Chinese labels carry their own commas)."""
SENTENCE_END = {"en": ".", "zh": "。"}

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


def _translations() -> Any:
    """Flask-Babel's translations of this request, looked up once per request and locale.

    Flask-Babel finds them anew on every call (its context through three proxies, the locale, its
    string and a cache lookup: about 12 µs), and a page makes 20–70 such calls from its templates.
    This keeps the result on Flask-Babel's own per-request namespace beside the locale object it was
    found for, so ``force_locale`` (which sets a new locale object) and ``refresh`` (which drops it)
    are followed exactly as by Flask-Babel itself.
    """
    ctx = _cv_app.get(None)
    space = getattr(ctx.g, "_flask_babel", None) if ctx is not None else None
    if space is None:
        return get_translations()
    locale = getattr(space, "babel_locale", None)
    kept = getattr(space, "eduaudit_translations", None)
    if locale is not None and kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    space.eduaudit_translations = (space.babel_locale, translations)
    return translations


def install_template_gettext(app: Flask) -> None:
    """The templates' ``_``, ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext`` through
    :func:`_translations` (same strings and behaviour as Flask-Babel's, which they replace)."""
    i18n = app.jinja_env.extensions.get(InternationalizationExtension.identifier)
    if not isinstance(i18n, InternationalizationExtension):
        raise RuntimeError("Flask-Babel must be initialised before the templates' gettext is installed")
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )


def ui_lang() -> str:
    """``"en"`` or ``"zh"``: the language of the page being built (English outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


def describe(problem: Problem) -> str:
    """``problem`` as one sentence in the interface language, for a flash, a field error or an error page.

    The catalogue's message (:data:`app.messages.MESSAGES`) is translated with gettext; parameters
    that are words (statuses, ratings, roles, answer options...) become the word from their one home
    (:func:`app.labels.param_word`), lists are joined with :data:`LIST_SEPARATOR`, a nested problem
    is described in place; then a capital first letter and one full stop (。 in Chinese). Needs a
    request or app context. A code the catalogue lacks falls back to the English ``str(problem)``.
    """
    lang = ui_lang()
    text = _phrase(problem, lang).strip()
    return (text[:1].upper() + text[1:]).rstrip(".。") + SENTENCE_END[lang]


def _phrase(problem: Problem, lang: str) -> str:
    template = MESSAGES.get(problem.code)
    if template is None:
        return str(problem)
    question_id = getattr(problem, "question_id", None)
    params = {name: _param(name, value, lang, question_id) for name, value in problem.params.items()}
    translated = gettext(template)
    return translated % params if params else translated


def _param(name: str, value: Any, lang: str, question_id: str | None) -> str:
    from .labels import param_word  # here: app.labels imports this module

    if isinstance(value, Problem):
        return _phrase(value, lang)
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR[lang].join(_param(name, v, lang, question_id) for v in value)
    word = param_word(name, value, lang, question_id)
    return str(value) if word is None else word


def here() -> str:
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
            "language_tags": HTML_LANG, "language_next": here(),
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
