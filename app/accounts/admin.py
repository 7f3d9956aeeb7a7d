"""Accounts on the web, for the instance administrator: organisations and users (list, create,
disable and enable, change role, reset a password with a one-time link), and the account log. The
command line (``eduaudit orgs`` / ``users``) stays.

No e-mail is sent: creating a user or resetting a password shows a one-time link once, which the
administrator hands to the person; they set their own password through it
(:func:`set_password`, the one page here open to anyone holding a valid link). Every change is an
event of the instance's account log (``account_events``): account changes concern no audit, so they
are not in an audit's trail. Pages with a link are not cached.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..access import roles_required
from ..extensions import db
from ..i18n import describe
from ..labels import ORG_KIND_NAMES, ROLE_NAMES
from ..models import Organisation, User
from ..timefmt import format_utc
from . import bp, mfa, services
from .forms import ActiveForm, ButtonForm, OrgForm, RoleForm, SetPasswordForm, UserCreateForm
from .passwords import PasswordPolicyError

admin_only = roles_required("instance_admin")

EVENT_NAMES = {
    "org_created": lambda: _("Organisation created"),
    "user_created": lambda: _("Account created"),
    "user_disabled": lambda: _("Account disabled"),
    "user_enabled": lambda: _("Account enabled"),
    "role_changed": lambda: _("Role changed"),
    "password_link_issued": lambda: _("Password reset: link issued"),
    "password_set": lambda: _("Password set through a link"),
    "mfa_reset": lambda: _("Two-step sign-in reset"),
}


def _org_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("None (instance administrator)"))] + [
        SelectChoice(str(org.id), f"{org.name} ({ORG_KIND_NAMES[org.kind]})") for org, _n in services.organisations()]


def _chosen_org(value: str | None) -> Organisation | None:
    return db.session.get(Organisation, int(value)) if value and value.isdigit() else None


def _no_store(page: Any, code: int = 200):
    return page, code, {"Cache-Control": "private, no-store"}


def _link(token: str, user: User) -> dict[str, str]:
    return {"url": url_for("accounts.set_password", token=token, _external=True),
            "expires": format_utc(user.reset_expires_at), "email": user.email}


def _user_row(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": str(ROLE_NAMES[user.role]),
            "organisation": user.organisation.name if user.organisation else "", "active": bool(user.active),
            "demo": bool(user.demo), "created": format_utc(user.created_at),
            "link_pending": user.reset_token_sha256 is not None, "mfa": user.mfa_enabled,
            "url": url_for("accounts.admin_user", user_id=user.id)}


def _users_page(form: UserCreateForm, link: dict[str, str] | None = None, code: int = 200):
    return _no_store(render_template("accounts/admin_users.html", users=[_user_row(u) for u in services.users()],
                                     form=form, link=link), code)


@bp.get("/admin/users")
@admin_only
def admin_users():
    """Every account, and the form to create one."""
    form = UserCreateForm(formdata=None)
    form.organisation.choices = _org_choices()
    return _users_page(form)


@bp.post("/admin/users")
@admin_only
def admin_user_create():
    """Create an account; the page then shows the one-time link to hand to the person."""
    form = UserCreateForm()
    form.organisation.choices = _org_choices()
    if not form.validate():
        return _users_page(form, code=422)
    try:
        user, token = services.add_user(email=form.email.data, name=form.name.data, role=form.role.data,
                                        organisation=_chosen_org(form.organisation.data), actor=current_user,
                                        link_lifetime=current_app.config["PASSWORD_LINK_LIFETIME"])
    except services.AccountError as exc:
        db.session.rollback()
        field = form.email if exc.code in ("account.not_an_email", "account.email_too_long", "account.email_taken") \
            else form.name if exc.code in ("account.name_empty", "account.name_too_long") else form.organisation
        field.errors = [*field.errors, describe(exc)]
        return _users_page(form, code=422)
    db.session.commit()
    fresh = UserCreateForm(formdata=None)
    fresh.organisation.choices = _org_choices()
    return _users_page(fresh, link=_link(token, user))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_page(user: User, role_form: RoleForm | None = None, link: dict[str, str] | None = None,
               code: int = 200):
    if role_form is None:
        role_form = RoleForm(formdata=None, role=user.role,
                             organisation=str(user.organisation_id) if user.organisation_id else "")
    role_form.organisation.choices = _org_choices()
    events = [_event_row(e) for e in services.account_events() if e.user_id == user.id]
    return _no_store(render_template(
        "accounts/admin_user.html", user=_user_row(user), role_form=role_form, active_form=ActiveForm(formdata=None),
        reset_form=ButtonForm(formdata=None), link=link, own=user.id == current_user.id, events=events), code)


@bp.get("/admin/users/<int:user_id>")
@admin_only
def admin_user(user_id: int):
    """One account: its facts, its log, and the forms to change its role, disable it, reset its password."""
    return _user_page(_user_or_404(user_id))


def _refused(user: User, exc: services.AccountError, role_form: RoleForm | None = None):
    db.session.rollback()
    flash(describe(exc), "warning")
    return _user_page(user, role_form, code=422)


@bp.post("/admin/users/<int:user_id>/role")
@admin_only
def admin_user_role(user_id: int):
    """Change the account's role and organisation."""
    user = _user_or_404(user_id)
    form = RoleForm()
    form.organisation.choices = _org_choices()
    if not form.validate():
        return _user_page(user, form, code=422)
    try:
        services.change_role(user, form.role.data, _chosen_org(form.organisation.data), current_user)
    except services.AccountError as exc:
        return _refused(user, exc, form)
    db.session.commit()
    flash(_("%(email)s is now: %(role)s.", email=user.email, role=ROLE_NAMES[user.role]), "success")
    return redirect(url_for("accounts.admin_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/active")
@admin_only
def admin_user_active(user_id: int):
    """Disable the account (every session of it ends at once) or enable it again."""
    user = _user_or_404(user_id)
    form = ActiveForm()
    if not form.validate():
        abort(400)
    try:
        services.set_active(user, form.active.data == "1", current_user)
    except services.AccountError as exc:
        return _refused(user, exc)
    db.session.commit()
    flash(_("%(email)s is enabled and can sign in.", email=user.email) if user.active else
          _("%(email)s is disabled: signed out everywhere, and cannot sign in.", email=user.email), "success")
    return redirect(url_for("accounts.admin_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/password-link")
@admin_only
def admin_user_reset(user_id: int):
    """Reset the password: the old one stops working, the user is signed out, and the page shows a
    one-time link to set a new one."""
    user = _user_or_404(user_id)
    if not ButtonForm().validate():
        abort(400)
    try:
        token = services.issue_password_link(user, current_user, current_app.config["PASSWORD_LINK_LIFETIME"])
    except services.AccountError as exc:
        return _refused(user, exc)
    db.session.commit()
    return _user_page(user, link=_link(token, user))


@bp.post("/admin/users/<int:user_id>/mfa-reset")
@admin_only
def admin_user_mfa_reset(user_id: int):
    """Turn off the user's two-step sign-in (lost phone and recovery codes); they are signed out
    everywhere and set it up again at their next sign-in if their role requires it. Logged."""
    user = _user_or_404(user_id)
    if not ButtonForm().validate():
        abort(400)
    if user.id == current_user.id:
        return _refused(user, services.AccountError("account.own_account"))
    try:
        mfa.reset(user, current_user)
    except services.AccountError as exc:
        return _refused(user, exc)
    db.session.commit()
    flash(_("Two-step sign-in of %(email)s is reset: signed out everywhere.", email=user.email), "success")
    return redirect(url_for("accounts.admin_user", user_id=user.id))


def _orgs_page(form: OrgForm, code: int = 200):
    rows = [{"name": org.name, "kind": str(ORG_KIND_NAMES[org.kind]), "users": n, "created": format_utc(org.created_at)}
            for org, n in services.organisations()]
    return _no_store(render_template("accounts/admin_orgs.html", orgs=rows, form=form), code)


@bp.route("/admin/organisations", methods=["GET", "POST"])
@admin_only
def admin_orgs():
    """Every organisation with its number of accounts; POST creates one."""
    if request.method == "GET":
        return _orgs_page(OrgForm(formdata=None))
    form = OrgForm()
    if not form.validate():
        return _orgs_page(form, 422)
    try:
        org = services.add_org(form.name.data, form.kind.data, current_user)
    except services.AccountError as exc:
        db.session.rollback()
        form.name.errors = [*form.name.errors, describe(exc)]
        return _orgs_page(form, 422)
    db.session.commit()
    flash(_("Organisation “%(name)s” created.", name=org.name), "success")
    return redirect(url_for("accounts.admin_orgs"))


def _event_row(event) -> dict[str, Any]:
    details = event.details or {}
    if event.kind == "role_changed":
        before, after = details.get("before", {}), details.get("after", {})
        summary = _("%(email)s: %(before)s → %(after)s", email=after.get("email", ""),
                    before=" · ".join(str(v) for v in (ROLE_NAMES.get(before.get("role"), ""),
                                                       before.get("organisation")) if v),
                    after=" · ".join(str(v) for v in (ROLE_NAMES.get(after.get("role"), ""),
                                                      after.get("organisation")) if v))
    elif event.kind == "org_created":
        summary = f"{details.get('name', '')} ({ORG_KIND_NAMES.get(details.get('kind'), '')})"
    elif event.kind == "password_link_issued":
        summary = _("%(email)s, valid until %(when)s", email=details.get("email", ""),
                    when=details.get("expires", "").replace("T", " "))
    else:
        summary = details.get("email", "")
    return {"at": format_utc(event.at), "actor": event.actor, "kind": EVENT_NAMES[event.kind](), "summary": summary}


@bp.get("/admin/log")
@admin_only
def admin_log():
    """The account log, newest first (append-only, like an audit's trail)."""
    events = [_event_row(e) for e in services.account_events()]
    return _no_store(render_template("accounts/admin_log.html", events=events))


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Set one's password through the one-time link an instance administrator handed over; the link is
    used up, and the person signs in with the new password."""
    form = SetPasswordForm()
    try:
        user = services.user_for_link(token)
    except services.AccountError as exc:
        return _no_store(render_template("accounts/set_password.html", form=None, problem=describe(exc)), 404)
    if form.validate_on_submit():
        try:
            services.set_password_with_link(token, form.new.data)
        except PasswordPolicyError as exc:
            form.new.errors = [*form.new.errors, describe(exc)]
        else:
            db.session.commit()
            flash(_("Your password is set. Sign in with it now."), "success")
            return redirect(url_for("accounts.login"))
    return _no_store(render_template("accounts/set_password.html", form=form, email=user.email, problem=None),
                     422 if form.errors else 200)
