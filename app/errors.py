"""Error pages in plain words: what happened, whether anything was saved, what to do next.

Requests to the JSON API (``/api/``) get the same errors as RFC 9457 problem details instead of pages
(:mod:`app.api.problems`)."""

from __future__ import annotations

from flask import Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from . import kept
from .api import problems as api_problems
from .extensions import database_unavailable, db, login_manager
from .i18n import describe, ui_lang
from .problems import Problem
from .requesttext import RefusedText

PAGES = {
    400: (_l("The request could not be understood"),
          _l("Something in what your browser sent was not as expected. Go back and try again.")),
    403: (_l("That is not possible for your account"),
          _l("Your account may not do this here, or the audit has moved on since the page was loaded (for "
             "example it was submitted or decided meanwhile). Nothing was changed. Go back and reload the page.")),
    404: (_l("Page not found"),
          _l("There is no page at this address. If you followed a link to an audit or a product, check it: "
             "audits are visible only to their school and its regulator, products only once an audit of them "
             "is published.")),
    405: (_l("That is not possible here"), _l("This page cannot be used that way. Go back and use the buttons.")),
    429: (_l("Too many attempts"),
          _l("More requests of this kind came from you or your network than are allowed in a short time, so "
             "this one was refused and nothing was changed. Wait a minute, then try again.")),
    413: (_l("The form is too large"),
          _l("What you sent is larger than the 512 KiB this tool accepts for one page, so nothing was saved. "
             "Shorten the longest answers (a few paragraphs each is plenty) and send the page again.")),
    500: (_l("Something went wrong on our side"),
          _l("The page could not be produced. Answers you saved earlier are safe; try again in a moment.")),
}
"""Title and message of each error page, translated when the page is rendered."""
CSRF_PAGE = (_l("This page has expired"),
             _l("For your security each form carries a token, and this one was missing or out of date "
                "(for example because the browser was restarted or cookies were cleared). Nothing from this "
                "page was saved."))
CSRF_AGAIN = _l("Go back, reload the page, and enter the answers again.")
CSRF_KEPT = _l("Open the page again (not the back button): it comes with a new token.")
SESSION_ENDED_PAGE = (_l("Your session has ended"),
                      _l("You signed out (perhaps in another tab or window), or your session was ended elsewhere "
                         "(a password change or an administrator), so nothing from this page was saved."))
SESSION_ENDED = _l("Your session ended (you signed out in another tab or window, or your password was changed "
                   "elsewhere), so nothing from that page was saved. Sign in again.")
KEPT = _l("What you typed on this page is kept in this browser and will be filled in again when you open it.")
"""Said beside a refused save whose form keeps its input in the browser (:mod:`app.kept`)."""
DATABASE_PAGE = (_l("The database could not be reached"),
                 _l("The database is restarting or out of reach for a moment, so this request could not be "
                    "completed. Nothing from this page was saved, and everything saved before was kept. Try "
                    "again in a minute."))
DATABASE_RETRY_AFTER = 30
"""Seconds a client is asked to wait (``Retry-After``) when the database could not be reached."""
REFUSED_PAGE = (_l("Request refused"),
                _l("Nothing was changed. The audit may have moved on since the page was loaded (for example "
                   "another user submitted, decided or withdrew it meanwhile): go back and reload the page."))


def _page(code: int, title: str, message: str, *, again: str | None = None, sign_in: bool = False,
          resend: list[tuple[str, str]] | None = None, resend_to: str | None = None):
    """An error page. ``again``: the page that fills in the input its form kept in the browser (the
    page says so and links to it); ``sign_in``: a link to sign in again (and then to ``again``);
    ``resend``: the posted form's fields, offered again to ``resend_to`` with a "Send again" button."""
    link = None
    if sign_in:
        link = {"url": url_for("accounts.login", **({"next": again} if again else {})),
                "text": str(_l("Sign in again"))}
    elif again:
        link = {"url": again, "text": str(_l("Open the page again"))}
    return render_template("errors/error.html", code=code, title=str(title), message=str(message),
                           kept=str(KEPT) if again else "", again=link, resend=resend, resend_to=resend_to), code


def _resend_fields() -> list[tuple[str, str]] | None:
    """The posted form's fields, to offer them again from the error page ("Send again"); ``None`` for a
    request that was not a form post or that carried files (a browser cannot re-send those from here)."""
    if request.method != "POST" or request.files or not request.form:
        return None
    return list(request.form.items(multi=True))


def _session_ended() -> bool:
    """Whether this request comes from a browser whose user was signed in and no longer is (signed out
    in another tab, or the session ended by a password change or by an administrator)."""
    return not current_user.is_authenticated and bool(session.get("_user_id") or session.get(kept.SIGNED_OUT))


def unauthorized():
    """Sign-in needed: to the sign-in page, then back (``next``) to the page, or for a form sent after
    the session ended, to the page it came from, which puts the kept input back."""
    again = kept.page_again()
    if request.method == "POST":
        flash(_sentences(SESSION_ENDED, KEPT) if again else str(SESSION_ENDED), "warning")
    else:
        flash(str(login_manager.login_message), login_manager.login_message_category)
    if again is None and request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        again = request.full_path if request.query_string else request.path
    return redirect(url_for("accounts.login", **({"next": again} if again else {})))


def _sentences(*parts: object) -> str:
    """Sentences of separate messages as one text (Chinese puts no space after 。)."""
    return ("" if ui_lang() == "zh" else " ").join(str(p) for p in parts)


def register(app: Flask) -> None:
    """Attach the handlers for CSRF failures (400), 403, 404, 405, 413, 429 and 500 to ``app``, for a
    :class:`~app.problems.Problem` no view caught (409: the request was refused, nothing was written),
    for text of the request that cannot be kept (:class:`~app.requesttext.RefusedText`: 400, the API
    422) and for a database that cannot be reached (503, see :func:`app.extensions.database_unavailable`)."""

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        if not database_unavailable(exc):
            raise exc  # a fault in what was asked: the 500 page (and a traceback in the log)
        # The transaction is gone with its connection: nothing of this request was committed.
        db.session.rollback()
        current_app.logger.error("the database could not be reached: %s", exc)
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
        if api_problems.is_api_request():
            return api_problems.problem_response(503, Problem("api.database_unavailable"), headers=headers)
        # The page must not need the database: the signed-in user (an expired row now) is not shown.
        g._login_user = login_manager.anonymous_user()
        page, status = _page(503, *DATABASE_PAGE, resend=_resend_fields(), resend_to=request.url)
        return page, status, headers

    @app.errorhandler(RefusedText)
    def unreadable(exc: RefusedText):
        # Raised where the request is read (its address, query string or JSON body), before any view
        # wrote anything: the API names each refused value, a page the first.
        if api_problems.is_api_request():
            status = 400 if any(field == "path" for field, _problem in exc.refusals) else 422
            return api_problems.from_api_problem(api_problems.ApiProblem(
                status, "api.invalid", errors=exc.refusals, count=len(exc.refusals)))
        return _page(400, PAGES[400][0], describe(exc))

    @app.errorhandler(Problem)
    def refused(exc: Problem):
        # A view catches the problems a user can cause; one that escapes comes from a race (two users
        # acting on one audit at once). Whatever the view had changed is rolled back, not half-written.
        db.session.rollback()
        if isinstance(exc, api_problems.ApiProblem):
            return api_problems.from_api_problem(exc)
        current_app.logger.warning("request refused: %s", exc)
        if api_problems.is_api_request():
            return api_problems.problem_response(409, exc)
        title, advice = REFUSED_PAGE
        return _page(409, title, f"{describe(exc)} {advice}")

    login_manager.unauthorized_handler(unauthorized)

    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError):
        if api_problems.is_api_request():
            return api_problems.problem_response(403, Problem("api.csrf"))
        again = kept.page_again()
        if _session_ended():
            return _page(400, *SESSION_ENDED_PAGE, again=again, sign_in=True)
        title, message = CSRF_PAGE
        return _page(400, title, _sentences(message, CSRF_KEPT if again else CSRF_AGAIN), again=again)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if api_problems.is_api_request():
            return api_problems.from_http_exception(exc)
        code = exc.code or 500
        title, message = PAGES.get(code, (exc.name, exc.description or ""))
        page, status = _page(code, title, message, again=kept.page_again() if code == 413 else None)
        # The shortest window of every limit (app.config) is a minute: retrying sooner cannot succeed.
        return (page, status, {"Retry-After": "60"}) if code == 429 else (page, status)

    @app.errorhandler(500)
    def server_error(_exc):
        if api_problems.is_api_request():
            db.session.rollback()
            return api_problems.problem_response(500, Problem("api.server_error"))
        return _page(500, *PAGES[500])
