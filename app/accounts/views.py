"""Sign in (rate-limited), sign out (POST), change password, personal API tokens.

Sign-in answers the same "e-mail or password is wrong" whether the address exists or not, and takes
the same time (a dummy hash is checked). It is limited per client address and per e-mail address
(``LOGIN_RATE_LIMIT``, ``LOGIN_RATE_LIMIT_PER_ACCOUNT``), counting failed attempts only (so nobody
can lock a colleague out by signing in as themselves); over the limit it answers 429.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..i18n import describe
from ..kept import SIGNED_OUT
from ..labels import ROLE_NAMES
from ..security import safe_next
from ..timefmt import format_utc
from . import bp, services, tokens
from .forms import LoginForm, PasswordForm, RevokeTokenForm, TokenForm
from .passwords import PasswordPolicyError

KEPT_ON_SIGN_IN = ("lang",)
"""Session keys that survive signing in (everything else is dropped: no session fixation)."""


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"]


def _account_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()


def _demo_notice() -> list[services.DemoAccount]:
    if current_app.config["EDUAUDIT_ENV"] != "development":
        return []
    return services.demo_accounts_present()


def _failed(response) -> bool:
    """Only attempts that did not sign in count against the limits (success redirects)."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key, deduct_when=_failed)
def login():
    """The sign-in form; on success, go to ``next`` if it is a page of this site, else home."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        allow_demo = current_app.config["EDUAUDIT_ENV"] == "development"
        user = services.authenticate(form.email.data, form.password.data, allow_demo=allow_demo)
        if user is not None:
            kept = {key: session[key] for key in KEPT_ON_SIGN_IN if key in session}
            session.clear()
            session.update(kept)
            login_user(user)
            db.session.commit()  # a rehashed password is kept
            flash(_("Signed in as %(email)s.", email=user.email), "success")
            return redirect(safe_next(request.args.get("next")))
        failed = True
    return render_template("accounts/login.html", form=form, failed=failed, demo=_demo_notice(),
                           role_names=ROLE_NAMES, next=request.args.get("next", ""))


@bp.post("/logout")
def logout():
    """Sign out (POST with the CSRF token, so another site cannot sign a user out)."""
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    session[SIGNED_OUT] = True  # a form sent from a page still open says the session ended
    flash(_("Signed out."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change the password; every other session of this user ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except services.WrongPasswordError as exc:
            form.current.errors.append(describe(exc))
        except services.SamePasswordError as exc:
            form.new.errors.append(describe(exc))
        except PasswordPolicyError:
            form.new.errors.append(_("This password is not allowed: use at least 12 characters and not your "
                                     "e-mail address."))
        else:
            db.session.commit()
            login_user(current_user)  # the session carries the new token; other sessions are now void
            flash(_("Password changed. Other devices signed in with this account have been signed out."),
                  "success")
            return redirect(url_for("audits.home"))
    return render_template("accounts/password.html", form=form)


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
