"""Organisations and users: create, authenticate, change password, the development demo instance.

Plain functions that change the session and flush; callers commit. Errors are :class:`AccountError`
with a code that names what is wrong (``account.*`` in :data:`app.messages.MESSAGES`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import ORG_KINDS, ROLE_ORG_KIND, ROLES, Organisation, User, new_session_token
from ..problems import Problem
from .passwords import check_policy, hash_password, needs_rehash, verify_password

EMAIL_MAX = 254
NAME_MAX = 200


class AccountError(Problem, ValueError):
    """An organisation or user cannot be created or changed as asked; the code says why."""


class WrongPasswordError(AccountError):
    """The current password given to :func:`change_password` is not the user's."""


class SamePasswordError(AccountError):
    """The new password given to :func:`change_password` equals the current one."""


def normalise_email(email: str) -> str:
    """``email`` trimmed and lower-cased; raises :class:`AccountError` unless it looks like
    ``name@domain`` (one ``@``, something on both sides, no spaces) and has at most 254 characters."""
    value = (email or "").strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value or "@" in domain:
        raise AccountError("account.not_an_email", email=email)
    if len(value) > EMAIL_MAX:
        raise AccountError("account.email_too_long", length=len(value), limit=EMAIL_MAX)
    return value


def _name(value: str, *, organisation: bool) -> str:
    """``value`` stripped; raises :class:`AccountError` if it is empty or longer than 200 characters
    (the codes name an organisation's name or a person's)."""
    value = (value or "").strip()
    if not value:
        raise AccountError("account.org_name_empty" if organisation else "account.name_empty")
    if len(value) > NAME_MAX:
        raise AccountError("account.org_name_too_long" if organisation else "account.name_too_long",
                           length=len(value), limit=NAME_MAX)
    return value


def get_org(name: str) -> Organisation | None:
    """The organisation with exactly this name, or ``None``."""
    return db.session.scalar(sa.select(Organisation).where(Organisation.name == name))


def create_org(name: str, kind: str) -> Organisation:
    """Add an organisation (flushed). Raises :class:`AccountError` for an unknown ``kind`` (one of
    school, regulator, ngo), an empty or too long name, or a name already taken."""
    name = _name(name, organisation=True)
    if kind not in ORG_KINDS:
        raise AccountError("account.unknown_org_kind", org_kind=kind, org_kinds=ORG_KINDS)
    if get_org(name) is not None:
        raise AccountError("account.org_exists", name=name)
    org = Organisation(name=name, kind=kind)
    db.session.add(org)
    db.session.flush()
    return org


def get_user_by_email(email: str) -> User | None:
    """The user with this e-mail address (any case), or ``None`` (also for a malformed address)."""
    try:
        email = normalise_email(email)
    except AccountError:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def create_user(*, email: str, name: str, password: str, role: str, organisation: Organisation | None,
                demo: bool = False) -> User:
    """Add a user (flushed) with an Argon2id hash of ``password``.

    Raises :class:`AccountError` for a malformed or taken e-mail, an unknown role, a role that does
    not fit the organisation's kind (school_admin needs a school, reviewer a regulator, ngo_analyst
    an NGO, instance_admin none), and :class:`app.accounts.passwords.PasswordPolicyError` for a
    password the policy refuses.
    """
    email = normalise_email(email)
    name = _name(name, organisation=False)
    if role not in ROLES:
        raise AccountError("account.unknown_role", role=role, roles=ROLES)
    wanted = ROLE_ORG_KIND[role]
    if wanted is None and organisation is not None:
        raise AccountError("account.role_without_org", role=role)
    if wanted is not None and organisation is None:
        raise AccountError("account.role_needs_org", role=role, org_kind=wanted)
    if wanted is not None and organisation.kind != wanted:
        raise AccountError("account.role_needs_org_kind", role=role, org_kind=wanted, name=organisation.name,
                           found_org_kind=organisation.kind)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError("account.email_taken", email=email)
    check_policy(password, email=email)
    user = User(email=email, name=name, password_hash=hash_password(password), role=role,
                organisation=organisation, demo=demo)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str, *, allow_demo: bool) -> User | None:
    """The active user with this e-mail and password, or ``None`` (unknown e-mail, wrong password,
    deactivated account, or a demo user outside development). Takes the same time for an unknown
    e-mail as for a wrong password. Upgrades the stored hash if its parameters are outdated."""
    user = get_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.is_active or (user.demo and not allow_demo):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; rotates the session token, so every other
    session of this user ends. Raises :class:`WrongPasswordError` if ``current`` is wrong,
    :class:`SamePasswordError` if ``new`` equals it, :class:`app.accounts.passwords.PasswordPolicyError`
    if the policy refuses ``new``."""
    if not verify_password(user.password_hash, current):
        raise WrongPasswordError("account.wrong_password")
    if new == current:
        raise SamePasswordError("account.same_password")
    check_policy(new, email=user.email)
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    user.password_changed_at = dt.datetime.now(dt.UTC)
    db.session.flush()


def load_session_user(session_id: str) -> User | None:
    """The user a session belongs to, from Flask-Login's ``<id>:<session_token>``; ``None`` if the
    token was rotated (password changed), the user is inactive, or the id is malformed."""
    user_id, _sep, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """One demo user as shown on the sign-in page in development."""

    email: str
    password: str
    role: str
    organisation: str | None


DEMO_ACCOUNTS = (
    DemoAccount("school@demo.eduaudit.test", "demo-school-password", "school_admin", "Demo Primary School"),
    DemoAccount("reviewer@demo.eduaudit.test", "demo-reviewer-password", "reviewer", "Demo Education Regulator"),
    DemoAccount("ngo@demo.eduaudit.test", "demo-ngo-password", "ngo_analyst", "Demo Children's Rights NGO"),
    DemoAccount("admin@demo.eduaudit.test", "demo-admin-password", "instance_admin", None),
)
"""The development demo instance: one user of each role (passwords printed on the sign-in page)."""

DEMO_ORGS = {"Demo Primary School": "school", "Demo Education Regulator": "regulator",
             "Demo Children's Rights NGO": "ngo"}


def create_demo_instance(*, environment: str) -> list[DemoAccount]:
    """Create the demo organisations and users that do not exist yet (flushed); returns those created.

    Raises :class:`AccountError` unless ``environment`` is ``development``: no demo user is ever
    created elsewhere (and :func:`authenticate` refuses demo users outside development).
    """
    if environment != "development":
        raise AccountError("account.demo_outside_development", environment=environment)
    orgs = {name: get_org(name) or create_org(name, kind) for name, kind in DEMO_ORGS.items()}
    created = []
    for account in DEMO_ACCOUNTS:
        if get_user_by_email(account.email) is not None:
            continue
        create_user(email=account.email, name=account.email.split("@")[0].capitalize() + " (demo)",
                    password=account.password, role=account.role,
                    organisation=orgs[account.organisation] if account.organisation else None, demo=True)
        created.append(account)
    return created


def demo_accounts_present() -> list[DemoAccount]:
    """The demo accounts that exist in the database (for the sign-in page's notice)."""
    emails = set(db.session.scalars(sa.select(User.email).where(User.demo.is_(True))))
    return [a for a in DEMO_ACCOUNTS if a.email in emails]
