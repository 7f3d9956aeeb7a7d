"""Common passwords are refused (ASVS 2.1.7) on every path that sets one: account creation (command line
and web), password change, and reset through a link (the web paths are in test_security.py and
test_accounts_web.py); the list is the offline file shipped in the repository."""

from __future__ import annotations

import pytest

from app.accounts import passwords
from app.accounts.passwords import PasswordPolicyError, check_policy


@pytest.mark.parametrize("password", ["password1234", "Password1234", " QWERTYUIOP123 ", "1q2w3e4r5t6y",
                                      "qwerty123456", "123456654321"])
def test_a_common_password_is_refused_whatever_its_case(password):
    with pytest.raises(PasswordPolicyError) as refused:
        check_policy(password, email="someone@school.test")
    assert refused.value.code == "password.common"


@pytest.mark.parametrize("password", ["correct horse battery staple", "a completely new passphrase",
                                      "Tr0ub4dor&3-with-more"])
def test_an_uncommon_password_passes(password):
    check_policy(password, email="someone@school.test")


def test_the_list_is_the_shipped_file_with_its_source_named():
    words = passwords.common_passwords()
    assert len(words) > 19_000 and "password" in words and all(w == w.lower() for w in words)
    readme = (passwords.COMMON_PASSWORDS.parent / "README.md").read_text(encoding="utf-8")
    assert "Django" in readme and "Royce Williams" in readme and "Redistribution" in readme


def test_the_command_line_refuses_a_common_password(app):
    from webhelpers import create_accounts

    from app.accounts.services import create_user, get_org
    from app.extensions import db

    with app.app_context():
        create_accounts(["school"])
        with pytest.raises(PasswordPolicyError):
            create_user(email="new@school.test", name="New", password="administrator", role="school_admin",
                        organisation=get_org("Test School"))
        db.session.rollback()
