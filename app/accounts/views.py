"""Sign in (rate-limited), sign out (POST), change password.

Sign-in answers the same "e-mail or password is wrong" whether the address exists or not, and takes
the same time (a dummy hash is checked). It is limited per client address and per e-mail address
(``LOGIN_RATE_LIMIT``, ``LOGIN_RATE_LIMIT_PER_ACCOUNT``), counting failed attempts only (so nobody
can lock a colleague out by signing in as themselves); over the limit it answers 429.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..i18n import describe
from ..labels import ROLE_NAMES
from ..security import safe_next
from . import bp, services
from .forms import LoginForm, PasswordForm
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
