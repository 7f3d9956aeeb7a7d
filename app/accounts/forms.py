"""Sign-in and change-password forms; the instance administrator's account forms; API token forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length

from ..requesttext import CheckedForm
from .passwords import MAX_LENGTH, MIN_LENGTH
from .tokens import LIFETIMES_DAYS, NAME_MAX


class LoginForm(CheckedForm):
    """E-mail address and password."""

    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address.")),
                                                         Length(max=254)],
                       render_kw={"autocomplete": "username", "maxlength": 254})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})


class SetPasswordForm(CheckedForm):
    """The new password twice (reached through a one-time link; the change-password form adds the current one)."""

    new = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(min=MIN_LENGTH, max=MAX_LENGTH,
               message=_l("Use between %(min)d and %(max)d characters.", min=MIN_LENGTH, max=MAX_LENGTH)),
    ], render_kw={"autocomplete": "new-password", "minlength": MIN_LENGTH, "maxlength": MAX_LENGTH})
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Enter the new password again.")),
        EqualTo("new", message=_l("The two new passwords differ.")),
    ], render_kw={"autocomplete": "new-password"})


class PasswordForm(SetPasswordForm):
    """The current password, and the new one twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))],
                            render_kw={"autocomplete": "current-password"})


ROLE_CHOICES = [SelectChoice(*c) for c in (
    ("school_admin", _l("School administrator")), ("reviewer", _l("Reviewer (regulator)")),
    ("ngo_analyst", _l("NGO analyst")), ("instance_admin", _l("Instance administrator")))]
KIND_CHOICES = [SelectChoice(*c) for c in (("school", _l("School")), ("regulator", _l("Regulator")),
                                           ("ngo", _l("NGO")))]


def _role_field() -> SelectField:
    return SelectField(_l("Role"), choices=ROLE_CHOICES)


def _organisation_field() -> SelectField:
    """The choices are set by the view ("" for no organisation)."""
    return SelectField(_l("Organisation"), choices=[])


class UserCreateForm(CheckedForm):
    """A new account: e-mail address, name, role and organisation; the person sets the password."""

    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter an e-mail address.")),
                                                         Length(max=254)], render_kw={"maxlength": 254})
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)],
                       render_kw={"maxlength": 200})
    role = _role_field()
    organisation = _organisation_field()


class RoleForm(CheckedForm):
    """Another role, with the organisation it needs."""

    role = _role_field()
    organisation = _organisation_field()


class ActiveForm(CheckedForm):
    """Enable (``"1"``) or disable (``"0"``) an account."""

    active = HiddenField(validators=[AnyOf(["0", "1"])])


class ButtonForm(CheckedForm):
    """A form that is only a button (its CSRF token), e.g. issuing a password link."""


class OrgForm(CheckedForm):
    """A new organisation: its unique name and its kind."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the organisation's name.")), Length(max=200)],
                       render_kw={"maxlength": 200})
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)

class TokenForm(CheckedForm):
    """A new personal API token: its name, scope and lifetime."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Name the token (for example the system that "
                                                               "uses it).")), Length(max=NAME_MAX)],
                       render_kw={"maxlength": NAME_MAX})
    scope = RadioField(_l("Scope"), choices=[SelectChoice("read", _l("Read only")),
                                             SelectChoice("write", _l("Read and write"))],
                       default="read", validators=[DataRequired(_l("Choose a scope."))])
    lifetime = SelectField(_l("Expires after"), coerce=int, default=90,
                           choices=[SelectChoice(days, _l("%(num)d days", num=days)) for days in LIFETIMES_DAYS])


class RevokeTokenForm(CheckedForm):
    """Revoke one token (the CSRF token only)."""


class CodeForm(CheckedForm):
    """A second-factor code: 6 digits from the authenticator app, or a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "maxlength": 40,
                                  "spellcheck": "false"})


class ConfirmPasswordForm(CheckedForm):
    """The current password, to confirm a change of the second factor."""

    password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password.")),
                                                                 Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
