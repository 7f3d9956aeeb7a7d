"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile) and the
password policy (OWASP ASVS 4.0 V2.1: at least 12 characters, at most 128, no composition rules, not a
common password from the offline list in ``data/common-passwords.txt.gz``, see ``data/README.md``)."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..problems import Problem

MIN_LENGTH = 12
MAX_LENGTH = 128

COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has: used to spend the same time on unknown e-mails")


class PasswordPolicyError(Problem, ValueError):
    """The password breaks the policy; the code says how (``password.*`` in :data:`app.messages.MESSAGES`)."""


@functools.cache
def common_passwords() -> frozenset[str]:
    """The offline list of common passwords, lower-cased (19,640 entries; read once per process)."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def check_policy(password: str, *, email: str = "") -> None:
    """Raise :class:`PasswordPolicyError` unless 12 <= len(password) <= 128 characters, the password
    is not the e-mail address or its name part, and it is not on the list of common passwords (any
    case, surrounding spaces ignored: ``password.common``)."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError("password.too_short", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError("password.too_long", max=MAX_LENGTH)
    lowered = password.strip().lower()
    if email and lowered in {email.lower(), email.lower().split("@", 1)[0]}:
        raise PasswordPolicyError("password.is_email")
    if lowered in common_passwords():
        raise PasswordPolicyError("password.common")


def hash_password(password: str) -> str:
    """An Argon2id hash in PHC string format (salt and parameters included)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``. With ``stored_hash=None`` (unknown user) a dummy
    hash is checked so the answer takes as long as for a known user, and ``False`` is returned."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(stored_hash)
