"""Organisations and users: create, authenticate, change password, the development demo instance.

Plain functions that change the session and flush; callers commit. Errors are :class:`AccountError`
with a code that names what is wrong (``account.*`` in :data:`app.messages.MESSAGES`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    ACCOUNT_EVENT_KINDS,
    ORG_KINDS,
    ROLE_ORG_KIND,
    ROLES,
    AccountEvent,
    Organisation,
    User,
    UserSession,
)
from ..problems import Problem
from ..securitylog import log_event
from .passwords import check_policy, hash_password, needs_rehash, verify_password
from .sessions import end_all_sessions

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
    check_role_fits(role, organisation)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError("account.email_taken", email=email)
    check_policy(password, email=email)
    user = User(email=email, name=name, password_hash=hash_password(password), role=role,
                organisation=organisation, demo=demo)
    db.session.add(user)
    db.session.flush()
    return user


def check_role_fits(role: str, organisation: Organisation | None) -> None:
    """Raise :class:`AccountError` for an unknown role, or a role that does not fit the organisation's
    kind (school_admin needs a school, reviewer a regulator, ngo_analyst an NGO, instance_admin none)."""
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


def note_failed_sign_in(email: str) -> User | None:
    """Count a failed sign-in (wrong password or second factor) on the account of ``email``, if there
    is one (flushed), for the notice at its next sign-in; returns that user."""
    user = get_user_by_email(email)
    if user is not None:
        user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
        db.session.flush()
    return user


def note_sign_in(user: User, now: dt.datetime | None = None) -> tuple[int, dt.datetime | None]:
    """Record a sign-in of ``user`` (flushed): returns the number of failed attempts since the
    previous sign-in and when that was (``None`` for a first sign-in), and resets the count."""
    failed, previous = user.failed_sign_ins or 0, user.last_sign_in_at
    user.failed_sign_ins = 0
    user.last_sign_in_at = now or dt.datetime.now(dt.UTC)
    db.session.flush()
    return failed, previous


def change_password(user: User, current: str, new: str, *, keep: UserSession | None = None) -> None:
    """Set a new password after checking the current one; every other session of this user ends
    (all but ``keep``, the one changing it). Raises :class:`WrongPasswordError` if ``current`` is wrong,
    :class:`SamePasswordError` if ``new`` equals it, :class:`app.accounts.passwords.PasswordPolicyError`
    if the policy refuses ``new``."""
    if not verify_password(user.password_hash, current):
        raise WrongPasswordError("account.wrong_password")
    if new == current:
        raise SamePasswordError("account.same_password")
    check_policy(new, email=user.email)
    user.password_hash = hash_password(new)
    user.password_changed_at = dt.datetime.now(dt.UTC)
    db.session.flush()
    end_all_sessions(user, "password_changed", keep=keep)
    log_event("password_changed", user_id=user.id)


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


# -- administration by the instance administrator (web and command line) ----------------------------

SYSTEM_ACTOR = "system"
"""Actor label of account-log events with no signed-in user (the command line)."""


def record_event(kind: str, actor: User | None, *, user: User | None = None, organisation: Organisation | None = None,
                 details: dict[str, Any] | None = None) -> AccountEvent:
    """Append an event to the instance's account log (flushed). ``details`` must be JSON-serialisable
    and never holds a password or a link's token. Raises ``ValueError`` for a ``kind`` not in
    :data:`app.models.ACCOUNT_EVENT_KINDS`."""
    if kind not in ACCOUNT_EVENT_KINDS:
        raise ValueError(f"unknown account event kind {kind!r}; expected one of {', '.join(ACCOUNT_EVENT_KINDS)}")
    event = AccountEvent(actor_id=actor.id if actor else None, actor=actor.email if actor else SYSTEM_ACTOR,
                         kind=kind, user_id=user.id if user else None,
                         organisation_id=organisation.id if organisation else None, details=details or {},
                         at=dt.datetime.now(dt.UTC))
    db.session.add(event)
    db.session.flush()
    return event


def account_events(limit: int = 500) -> list[AccountEvent]:
    """The latest ``limit`` events of the account log, newest first."""
    return list(db.session.scalars(sa.select(AccountEvent).order_by(AccountEvent.id.desc()).limit(limit)))


def organisations() -> list[tuple[Organisation, int]]:
    """Every organisation with its number of users, by kind then name."""
    counts = (sa.select(User.organisation_id, sa.func.count(User.id).label("n")).group_by(User.organisation_id)
              .subquery())
    stmt = (sa.select(Organisation, sa.func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.organisation_id == Organisation.id)
            .order_by(Organisation.kind, Organisation.name))
    return [(org, int(n)) for org, n in db.session.execute(stmt)]


def users() -> list[User]:
    """Every user, by e-mail address."""
    return list(db.session.scalars(sa.select(User).order_by(User.email)))


def user_facts(user: User) -> dict[str, Any]:
    """What the account log records of a user: e-mail address, role, organisation name (or ``None``)."""
    return {"email": user.email, "role": user.role,
            "organisation": user.organisation.name if user.organisation else None}


def add_org(name: str, kind: str, actor: User | None) -> Organisation:
    """:func:`create_org` and its "org_created" event in the account log, by ``actor``."""
    org = create_org(name, kind)
    record_event("org_created", actor, organisation=org, details={"name": org.name, "kind": org.kind})
    return org


def _link_token(user: User, lifetime: dt.timedelta, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    user.reset_token_sha256 = hashlib.sha256(token.encode("ascii")).hexdigest()
    user.reset_expires_at = now + lifetime
    return token


def add_user(*, email: str, name: str, role: str, organisation: Organisation | None, actor: User | None,
             link_lifetime: dt.timedelta) -> tuple[User, str]:
    """Create a user who sets their own password through a one-time link (no e-mail is sent: the
    administrator hands the link over). Returns the user (flushed) and the link's token, shown once.
    Until the link is used nobody knows a password of the account (it gets a random one).
    Raises what :func:`create_user` raises."""
    user = create_user(email=email, name=name, password=secrets.token_urlsafe(48), role=role,
                       organisation=organisation)
    now = dt.datetime.now(dt.UTC)
    token = _link_token(user, link_lifetime, now)
    db.session.flush()
    record_event("user_created", actor, user=user, organisation=organisation, details=user_facts(user))
    record_event("password_link_issued", actor, user=user,
                 details={"email": user.email, "expires": user.reset_expires_at.isoformat(timespec="seconds")})
    return user, token


def _active_admins() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.role == "instance_admin", User.active.is_(True))) or 0


def _not_self(user: User, actor: User | None) -> None:
    if actor is not None and user.id == actor.id:
        raise AccountError("account.own_account")


def set_active(user: User, active: bool, actor: User | None) -> None:
    """Enable or disable ``user`` (flushed) with a "user_enabled" / "user_disabled" event.

    Disabling ends every session of the user at once (and the session loader refuses inactive users
    anyway). Raises :class:`AccountError` when
    ``actor`` disables themselves or the last active instance administrator. Setting the state it
    already has changes nothing and records nothing.
    """
    if bool(user.active) == active:
        return
    if not active:
        _not_self(user, actor)
        if user.role == "instance_admin" and _active_admins() <= 1:
            raise AccountError("account.last_admin", email=user.email)
        end_all_sessions(user, "account_disabled")
    user.active = active
    db.session.flush()
    log_event("account_enabled" if active else "account_disabled", user_id=user.id,
              actor_id=actor.id if actor else None)
    record_event("user_enabled" if active else "user_disabled", actor, user=user, details={"email": user.email})


def change_role(user: User, role: str, organisation: Organisation | None, actor: User | None) -> None:
    """Give ``user`` another role and the organisation it needs (flushed), with a "role_changed" event
    (before and after); every session of the user ends (the new role may have shorter timeouts or
    need a second factor). Raises :class:`AccountError` when the role does not fit the organisation (see
    :func:`check_role_fits`), ``actor`` changes their own role, or the last active instance
    administrator would lose the role. The same role and organisation change nothing."""
    _not_self(user, actor)
    check_role_fits(role, organisation)
    if role == user.role and (organisation.id if organisation else None) == user.organisation_id:
        return
    if user.role == "instance_admin" and user.active and _active_admins() <= 1:
        raise AccountError("account.last_admin", email=user.email)
    before = user_facts(user)
    user.role = role
    user.organisation = organisation
    db.session.flush()
    end_all_sessions(user, "role_changed")
    log_event("role_changed", user_id=user.id, actor_id=actor.id if actor else None, before=before["role"],
              after=role)
    record_event("role_changed", actor, user=user, organisation=organisation,
                 details={"before": before, "after": user_facts(user)})


def issue_password_link(user: User, actor: User | None, lifetime: dt.timedelta) -> str:
    """Reset ``user``'s password: the current one stops working at once, every session of the user
    ends, and a one-time link to set a new one is issued (valid for ``lifetime``; a newer link
    replaces it). Returns the link's token (shown once, stored only as its SHA-256), with a
    "password_link_issued" event. Raises :class:`AccountError` for a disabled user."""
    if not user.active:
        raise AccountError("account.user_disabled", email=user.email)
    now = dt.datetime.now(dt.UTC)
    token = _link_token(user, lifetime, now)
    user.password_hash = hash_password(secrets.token_urlsafe(48))
    db.session.flush()
    end_all_sessions(user, "password_reset")
    log_event("password_reset", user_id=user.id, actor_id=actor.id if actor else None)
    record_event("password_link_issued", actor, user=user,
                 details={"email": user.email, "expires": user.reset_expires_at.isoformat(timespec="seconds")})
    return token


def user_for_link(token: str, now: dt.datetime | None = None) -> User:
    """The active user whose password link has this token. Raises :class:`AccountError`
    ``account.link_invalid`` (unknown, used, replaced, or the user is disabled) or
    ``account.link_expired``."""
    digest = hashlib.sha256((token or "").encode("utf-8")).hexdigest()
    user = db.session.scalar(sa.select(User).where(User.reset_token_sha256 == digest))
    if user is None or not user.active:
        raise AccountError("account.link_invalid")
    expires = user.reset_expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    if expires is None or (now or dt.datetime.now(dt.UTC)) >= expires:
        raise AccountError("account.link_expired", expired=expires.strftime("%Y-%m-%d %H:%M UTC") if expires else "–")
    return user


def set_password_with_link(token: str, new: str) -> User:
    """Set the password of the link's user (flushed) and use the link up; every other session of the
    user ends. Raises what :func:`user_for_link` raises, and
    :class:`app.accounts.passwords.PasswordPolicyError` if the policy refuses ``new``."""
    user = user_for_link(token)
    check_policy(new, email=user.email)
    user.password_hash = hash_password(new)
    user.reset_token_sha256 = None
    user.reset_expires_at = None
    user.password_changed_at = dt.datetime.now(dt.UTC)
    db.session.flush()
    end_all_sessions(user, "password_reset")
    log_event("password_set", user_id=user.id)
    record_event("password_set", user, user=user, details={"email": user.email, "by": "link"})
    return user
