"""The second factor (OWASP ASVS V2.8, V2.6): TOTP codes (RFC 6238, 6 digits, 30 s, pyotp) and ten
one-time recovery codes.

Required for ``PRIVILEGED_ROLES`` (reviewers, instance administrators) when ``MFA_REQUIRED`` is on
(default in production), optional for everyone else; demo users in development are never forced.
A code is accepted for the current 30-second step or the one either side (clock drift), and never for
a step at or before the last one accepted (no replay of an observed code). Recovery codes are 16
random base32 characters (80 bits), shown once, stored as a SHA-256 with a random salt of their own,
each usable once. The QR code of enrolment is an inline SVG made here (segno): the secret never
leaves the server except to the user's own page.

Plain functions that change the database session and flush; views commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import RecoveryCode, User
from ..securitylog import log_event
from .passwords import verify_password
from .services import AccountError, WrongPasswordError, record_event
from .sessions import end_all_sessions

RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
DRIFT_STEPS = 1
"""Steps accepted either side of the current one."""


class MfaError(AccountError):
    """A second-factor action cannot be done as asked; the code says why (``mfa.*``)."""


def required_for(user: User) -> bool:
    """Whether ``user`` must use a second factor: ``MFA_REQUIRED`` is on, the role is one of
    ``PRIVILEGED_ROLES``, and the user is not a demo user in development."""
    config = current_app.config
    if not config.get("MFA_REQUIRED") or user.role not in config["PRIVILEGED_ROLES"]:
        return False
    return not (user.demo and config["EDUAUDIT_ENV"] == "development")


def new_secret() -> str:
    """A new TOTP secret: 32 base32 characters (160 bits, RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=current_app.config["MFA_ISSUER"])


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline ``<svg>`` element (no XML declaration, no style attribute:
    the Content-Security-Policy allows it in the page)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff",
                                                 title="QR code")


def _step(now: dt.datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str, now: dt.datetime, after: int | None) -> int | None:
    """The step within the drift window whose code is ``code`` and which is later than ``after``."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = _step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _salted(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode("ascii")).hexdigest()


def _normal_recovery(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def new_recovery_codes(user: User, now: dt.datetime | None = None) -> list[str]:
    """Replace ``user``'s recovery codes by :data:`RECOVERY_CODE_COUNT` new ones (flushed) and return
    them as shown to the user (``xxxx-xxxx-xxxx-xxxx``, lower-case base32): never stored in clear."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    now = now or dt.datetime.now(dt.UTC)
    shown = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
        salt = secrets.token_hex(16)
        db.session.add(RecoveryCode(user_id=user.id, salt=salt, code_sha256=_salted(salt, raw), created_at=now))
        shown.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    db.session.flush()
    return shown


def recovery_codes_left(user: User) -> int:
    """How many of ``user``'s recovery codes are still unused."""
    return db.session.scalar(sa.select(sa.func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def enrol(user: User, secret: str, code: str, now: dt.datetime | None = None) -> list[str]:
    """Turn the second factor on for ``user`` with ``secret`` once ``code`` proves the authenticator
    app has it (flushed); returns the new recovery codes. Raises :class:`MfaError` ``mfa.wrong_code``."""
    now = now or dt.datetime.now(dt.UTC)
    step = _matching_step(secret, code, now, None)
    if step is None:
        raise MfaError("mfa.wrong_code")
    user.totp_secret = secret
    user.totp_last_step = step
    user.mfa_enabled_at = now
    db.session.flush()
    return new_recovery_codes(user, now)


def verify(user: User, code: str, now: dt.datetime | None = None) -> str | None:
    """Check a second-factor ``code`` of ``user`` (flushed when accepted): ``"totp"`` for a valid TOTP
    code not used before (its step is recorded), ``"recovery"`` for an unused recovery code (now used
    up), ``None`` otherwise."""
    if not user.mfa_enabled:
        return None
    now = now or dt.datetime.now(dt.UTC)
    step = _matching_step(user.totp_secret, code, now, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        db.session.flush()
        return "totp"
    wanted = _normal_recovery(code)
    if len(wanted) != 16:
        return None
    for row in db.session.scalars(sa.select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                                RecoveryCode.used_at.is_(None))):
        if hmac.compare_digest(row.code_sha256, _salted(row.salt, wanted)):
            row.used_at = now
            db.session.flush()
            return "recovery"
    return None


def turn_off(user: User) -> None:
    """Remove ``user``'s second factor and recovery codes (flushed). The caller checks the password
    (:func:`app.accounts.services.disable_mfa`) or the administrator's right (``reset_mfa``)."""
    user.totp_secret = None
    user.totp_last_step = None
    user.mfa_enabled_at = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def disable(user: User, password: str) -> None:
    """Turn off ``user``'s own second factor after checking their password (flushed, logged); their
    other sessions are not touched. Raises :class:`app.accounts.services.WrongPasswordError`,
    :class:`MfaError` ``mfa.required`` when their role requires it, ``mfa.not_enabled`` when it is off."""
    if not verify_password(user.password_hash, password):
        raise WrongPasswordError("account.wrong_password")
    if not user.mfa_enabled:
        raise MfaError("mfa.not_enabled", email=user.email)
    if required_for(user):
        raise MfaError("mfa.required")
    turn_off(user)
    log_event("mfa_disabled", user_id=user.id)


def reset(user: User, actor: User | None) -> None:
    """An instance administrator removes ``user``'s second factor (lost phone and codes): it is off,
    every session of the user ends, and the account log and the security log say so (flushed). The
    user enrols again at their next sign-in if their role requires it. Raises :class:`MfaError`
    ``mfa.not_enabled`` when it is off."""
    if not user.mfa_enabled:
        raise MfaError("mfa.not_enabled", email=user.email)
    turn_off(user)
    end_all_sessions(user, "mfa_reset")
    record_event("mfa_reset", actor, user=user, details={"email": user.email})
    log_event("mfa_reset", user_id=user.id, actor_id=actor.id if actor else None)
