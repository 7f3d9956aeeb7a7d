"""Sign in (throttled), the second factor, sign out (POST), one's sessions, change password, personal
API tokens.

Sign-in answers the same "e-mail or password is wrong" whether the address exists or not, and takes
the same time (a dummy hash is checked). Failed attempts are slowed per account and client address
with a doubling wait (:mod:`.throttle`), and limited per client address across accounts
(``LOGIN_RATE_LIMIT``); nobody's failures slow the owner at another address, and successful sign-ins
never count. With a second factor the password step leads to a code step (:func:`login_code`); a
role that requires one and has none is sent to enrol before anything else (:func:`require_mfa`).
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .. import pagecache
from ..extensions import db, limiter
from ..i18n import describe, ui_lang
from ..kept import SIGNED_OUT
from ..labels import ROLE_NAMES
from ..security import forget_signed_csrf_token, safe_next
from ..securitylog import log_event
from ..timefmt import format_utc
from . import bp, mfa, services, sessions, throttle, tokens
from .forms import CodeForm, ConfirmPasswordForm, LoginForm, PasswordForm, RevokeTokenForm, TokenForm
from .passwords import PasswordPolicyError

KEPT_ON_SIGN_IN = ("lang",)
"""Session keys that survive signing in (everything else is dropped: no session fixation)."""
PENDING_KEY = "mfa_pending"
"""Session key of a sign-in whose password was right and whose second factor is awaited."""
PENDING_LIFETIME = dt.timedelta(minutes=5)
ENROL_KEY = "mfa_enrol_secret"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _demo_notice() -> list[services.DemoAccount]:
    if current_app.config["EDUAUDIT_ENV"] != "development":
        return []
    return services.demo_accounts_present()


def _failed(response) -> bool:
    """Only attempts that did not sign in count against the per-address limit (success redirects)."""
    return response.status_code != 302


def _address() -> str:
    return request.remote_addr or ""


def _wait_page(seconds: int):
    """429 with the real wait: too many failed attempts at this account from this address."""
    minutes = max(1, -(-seconds // 60))
    message = ngettext("Too many wrong attempts at this account from your network. Wait %(num)d minute, then "
                       "try again.", "Too many wrong attempts at this account from your network. Wait %(num)d "
                       "minutes, then try again.", minutes)
    page = render_template("errors/error.html", code=429, title=_("Too many attempts"), message=message)
    return page, 429, {"Retry-After": str(seconds)}


def _reset_session() -> None:
    kept = {key: session[key] for key in KEPT_ON_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    forget_signed_csrf_token()


def _sign_in(user, *, method: str):
    """Start the session of ``user`` and go on to ``next``; tells of failed attempts since last time."""
    _reset_session()
    sessions.start_session(user)
    login_user(user)
    failed, previous = services.note_sign_in(user)
    throttle.forget(user.email, _address())
    db.session.commit()  # the session row, a rehashed password, the sign-in count
    log_event("sign_in", user_id=user.id, session=sessions.current_session().id, method=method)
    flash(_("Signed in as %(email)s.", email=user.email), "success")
    if failed:
        since = format_utc(previous) if previous else None
        flash(ngettext("%(num)d failed sign-in attempt since your last sign-in (%(since)s). If it was not you, "
                       "change your password.",
                       "%(num)d failed sign-in attempts since your last sign-in (%(since)s). If they were not "
                       "yours, change your password.", failed, since=since or _("none before")), "warning")
    return redirect(safe_next(request.args.get("next")))


def _failure(email: str, event: str, **facts) -> None:
    throttle.record_failure(email, _address())
    user = services.note_failed_sign_in(email)
    db.session.commit()
    log_event(event, user_id=user.id if user else None, email=user.email if user else None, **facts)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
def login():
    """The sign-in form; on success, the second-factor step if the user has one, else ``next`` if it is
    a page of this site, else home."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        wait = throttle.wait_seconds(form.email.data, _address())
        if wait:
            log_event("sign_in_refused", reason="throttled")
            return _wait_page(wait)
        allow_demo = current_app.config["EDUAUDIT_ENV"] == "development"
        user = services.authenticate(form.email.data, form.password.data, allow_demo=allow_demo)
        if user is not None and user.mfa_enabled:
            _reset_session()
            session[PENDING_KEY] = {"user": user.id, "at": int(sessions.utcnow().timestamp())}
            db.session.commit()  # a rehashed password
            return redirect(url_for("accounts.login_code", next=request.args.get("next")))
        if user is not None:
            return _sign_in(user, method="password")
        _failure(form.email.data, "sign_in_failed", step="password")
        failed = True
    return render_template("accounts/login.html", body=_login_body(form, failed))


SIGN_IN_ACTION = f"sign-in-action-{secrets.token_hex(16)}"
"""Stands for the sign-in form's address (it carries ``next``) in the kept form (random per process)."""


def _login_body(form: LoginForm, failed: bool) -> Markup:
    """The sign-in page's content. A form that shows no error (every GET) is rendered once per language
    and demo accounts shown and kept (:func:`app.pagecache.kept_form`); each response puts in this
    session's CSRF token and the form's own address, escaped. Raises ``ValueError`` if the kept HTML does
    not hold the address's placeholder exactly once."""
    demo = _demo_notice()
    following = request.args.get("next", "")
    action = url_for("accounts.login", next=following) if following else url_for("accounts.login")
    context = {"form": form, "failed": failed, "demo": demo, "role_names": ROLE_NAMES}
    if failed or form.errors or request.method != "GET":
        return Markup(render_template("accounts/_login_body.html", **context, csrf_value=generate_csrf(),
                                      action=action))
    html = str(pagecache.kept_form(("sign-in", ui_lang(), tuple(demo)), lambda csrf: render_template(
        "accounts/_login_body.html", **context, csrf_value=csrf, action=SIGN_IN_ACTION)))
    if html.count(SIGN_IN_ACTION) != 1:
        raise ValueError("the kept sign-in form must hold the address placeholder exactly once")
    return Markup(html.replace(SIGN_IN_ACTION, str(escape(action))))


def _pending_user():
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    started = dt.datetime.fromtimestamp(int(pending.get("at", 0)), dt.UTC)
    if sessions.utcnow() - started > PENDING_LIFETIME:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(services.User, pending["user"])
    return user if user is not None and user.is_active and user.mfa_enabled else None


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
def login_code():
    """The second step of signing in: a code of the authenticator app, or a recovery code (each code
    works once). The password step must have been passed within the last 5 minutes."""
    user = _pending_user()
    if user is None:
        flash(_("Sign in again: the sign-in was not finished within 5 minutes."), "info")
        return redirect(url_for("accounts.login", next=request.args.get("next")))
    form = CodeForm()
    if form.validate_on_submit():
        wait = throttle.wait_seconds(user.email, _address())
        if wait:
            log_event("sign_in_refused", user_id=user.id, reason="throttled")
            return _wait_page(wait)
        method = mfa.verify(user, form.code.data)
        if method is not None:
            session.pop(PENDING_KEY, None)
            log_event("recovery_code_used" if method == "recovery" else "mfa_used", user_id=user.id)
            response = _sign_in(user, method=method)
            if method == "recovery":
                flash(ngettext("You used a recovery code; %(num)d is left. Make new ones on the page "
                               "“Two-step sign-in”.", "You used a recovery code; %(num)d are left. Make new "
                               "ones on the page “Two-step sign-in”.", mfa.recovery_codes_left(user)), "warning")
            return response
        _failure(user.email, "mfa_failed")
        form.code.errors = [*form.code.errors, describe(mfa.MfaError("mfa.wrong_code"))]
    return render_template("accounts/login_code.html", form=form, next=request.args.get("next", "")), \
        422 if form.errors else 200


@bp.post("/logout")
def logout():
    """Sign out (POST with the CSRF token, so another site cannot sign a user out): the session ends
    on the server, so a copy of its cookie opens nothing any more."""
    lang = session.get("lang")
    if current_user.is_authenticated:
        sessions.end_current("signed_out")
        db.session.commit()
    logout_user()
    session.clear()
    forget_signed_csrf_token()
    if lang:
        session["lang"] = lang
    session[SIGNED_OUT] = True  # a form sent from a page still open says the session ended
    flash(_("Signed out."), "success")
    return redirect(url_for("accounts.login"))


MFA_FREE_ENDPOINTS = frozenset({"accounts.mfa_page", "accounts.mfa_enrol", "accounts.logout", "static",
                                "i18n.switch"})
"""Pages a user who must enrol a second factor may still reach."""


def require_mfa():
    """Before every request: a signed-in user whose role requires a second factor and who has none
    may only enrol (or sign out); every other page sends them to enrolment (the API answers 403)."""
    if request.endpoint in MFA_FREE_ENDPOINTS or g.get("api_token") is not None:
        return None
    if not current_user.is_authenticated or current_user.mfa_enabled or not mfa.required_for(current_user):
        return None
    if request.path.startswith("/api/"):
        abort(403)
    flash(_("Your role requires two-step sign-in. Set it up to go on."), "warning")
    return redirect(url_for("accounts.mfa_page"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change the password; every other session of this user ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data,
                                     keep=sessions.current_session())
        except services.WrongPasswordError as exc:
            form.current.errors.append(describe(exc))
        except services.SamePasswordError as exc:
            form.new.errors.append(describe(exc))
        except PasswordPolicyError as exc:
            form.new.errors.append(describe(exc))
        else:
            db.session.commit()
            flash(_("Password changed. Other devices signed in with this account have been signed out."),
                  "success")
            return redirect(url_for("audits.home"))
    return render_template("accounts/password.html", form=form)


def _session_rows():
    here = sessions.current_session()
    return [{"id": row.id, "device": row.user_agent or _("unknown browser"), "address": row.address,
             "created": format_utc(row.created_at), "last_seen": format_utc(row.last_seen_at),
             "current": here is not None and row.id == here.id}
            for row in sessions.active_sessions(current_user)]


@bp.get("/account/sessions")
@login_required
def sessions_page():
    """The user's active sessions (browser, address, signed in, last seen), with "sign out this one"
    and "sign out everywhere else"."""
    return render_template("accounts/sessions.html", rows=_session_rows(), form=RevokeTokenForm())


@bp.post("/account/sessions/<id:session_id>/end")
@login_required
def end_session(session_id: int):
    """Sign out one of the user's sessions (404 for someone else's, as for none)."""
    if not RevokeTokenForm().validate_on_submit():
        return redirect(url_for("accounts.sessions_page"))
    here = sessions.current_session()
    if sessions.end_session(current_user, session_id) is None:
        abort(404)
    db.session.commit()
    if here is not None and here.id == session_id:
        return logout()
    flash(_("That session is signed out."), "success")
    return redirect(url_for("accounts.sessions_page"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    """Sign out every session of the user but this one."""
    if RevokeTokenForm().validate_on_submit():
        ended = sessions.end_all_sessions(current_user, "ended_by_user", keep=sessions.current_session())
        db.session.commit()
        flash(ngettext("%(num)d other session signed out.", "%(num)d other sessions signed out.", ended), "success")
    return redirect(url_for("accounts.sessions_page"))


def _no_store(page, status: int = 200):
    return page, status, {"Cache-Control": "private, no-store"}


def _mfa_page(code_form: CodeForm | None = None, password_form: ConfirmPasswordForm | None = None,
              codes: list[str] | None = None, status: int = 200):
    user = current_user
    context = {"enabled": user.mfa_enabled, "required": mfa.required_for(user), "codes": codes,
               "code_form": code_form or CodeForm(formdata=None),
               "password_form": password_form or ConfirmPasswordForm(formdata=None)}
    if user.mfa_enabled:
        context.update(since=format_utc(user.mfa_enabled_at), left=mfa.recovery_codes_left(user))
    else:
        secret = session.get(ENROL_KEY)
        if not secret:
            secret = session[ENROL_KEY] = mfa.new_secret()
        context.update(secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
                       qr=mfa.qr_svg(mfa.provisioning_uri(secret, user.email)))
    return _no_store(render_template("accounts/mfa.html", **context), status)


@bp.get("/account/mfa")
@login_required
def mfa_page():
    """Two-step sign-in: set it up (QR code and the secret for the authenticator app, then a code to
    confirm), or see it is on, make new recovery codes, turn it off."""
    return _mfa_page()


@bp.post("/account/mfa")
@login_required
def mfa_enrol():
    """Confirm the authenticator app with a code: two-step sign-in is on; the recovery codes are
    shown once."""
    form = CodeForm()
    secret = session.get(ENROL_KEY)
    if current_user.mfa_enabled or not secret:
        return redirect(url_for("accounts.mfa_page"))
    if form.validate_on_submit():
        try:
            codes = mfa.enrol(current_user, secret, form.code.data)
        except mfa.MfaError as exc:
            form.code.errors = [*form.code.errors, describe(exc)]
        else:
            session.pop(ENROL_KEY, None)
            db.session.commit()
            log_event("mfa_enrolled", user_id=current_user.id)
            return _mfa_page(codes=codes)
    return _mfa_page(code_form=form, status=422)


@bp.post("/account/mfa/recovery-codes")
@login_required
def mfa_new_codes():
    """New recovery codes (the old ones stop working), after the password."""
    form = ConfirmPasswordForm()
    if form.validate_on_submit() and current_user.mfa_enabled:
        if services.verify_password(current_user.password_hash, form.password.data):
            codes = mfa.new_recovery_codes(current_user)
            db.session.commit()
            return _mfa_page(codes=codes)
        form.password.errors = [*form.password.errors, describe(services.WrongPasswordError("account.wrong_password"))]
    return _mfa_page(password_form=form, status=422)


@bp.post("/account/mfa/off")
@login_required
def mfa_off():
    """Turn two-step sign-in off, after the password (refused when the role requires it)."""
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        try:
            mfa.disable(current_user, form.password.data)
        except services.AccountError as exc:
            form.password.errors = [*form.password.errors, describe(exc)]
        else:
            db.session.commit()
            flash(_("Two-step sign-in is off."), "success")
            return redirect(url_for("accounts.mfa_page"))
    return _mfa_page(password_form=form, status=422)


def _tokens_page(form: TokenForm, created: str | None = None, status: int = 200):
    rows = [{"id": t.id, "name": t.name, "prefix": t.prefix, "scope": t.scope,
             "created": format_utc(t.created_at), "expires": format_utc(t.expires_at),
             "last_used": format_utc(t.last_used_at) if t.last_used_at else "",
             "state": "revoked" if t.revoked_at else ("live" if tokens.is_live(t) else "expired")}
            for t in tokens.tokens_of(current_user)]
    page = render_template("accounts/tokens.html", form=form, tokens=rows, created=created,
                           revoke_form=RevokeTokenForm(), api_url=url_for("api-docs.openapi_json"))
    # A page that shows a new token is never stored by a browser or a proxy.
    return page, status, {"Cache-Control": "no-store"}


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def api_tokens():
    """The user's personal API tokens: create one (shown once, on the answer to this POST), see when
    each was last used, revoke them."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _token, text = tokens.create_token(current_user, name=form.name.data, scope=form.scope.data,
                                               lifetime_days=form.lifetime.data)
        except tokens.TokenError as exc:
            form.name.errors.append(describe(exc))
        else:
            db.session.commit()
            return _tokens_page(TokenForm(formdata=None), created=text)
    return _tokens_page(form)


@bp.post("/account/tokens/<id:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    """Revoke one of the user's tokens; requests with it are refused from now on (404 for a token
    of someone else, as for one that does not exist)."""
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        return redirect(url_for("accounts.api_tokens"))
    token = tokens.revoke(current_user, token_id)
    if token is None:
        abort(404)
    db.session.commit()
    flash(_("Token “%(name)s” revoked.", name=token.name), "success")
    return redirect(url_for("accounts.api_tokens"))
