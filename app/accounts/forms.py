"""Sign-in, change-password and API token forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from .passwords import MAX_LENGTH, MIN_LENGTH
from .tokens import LIFETIMES_DAYS, NAME_MAX


class LoginForm(FlaskForm):
    """E-mail address and password."""

    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address.")),
                                                         Length(max=254)],
                       render_kw={"autocomplete": "username", "maxlength": 254})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})


class PasswordForm(FlaskForm):
    """The current password, and the new one twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(min=MIN_LENGTH, max=MAX_LENGTH,
               message=_l("Use between %(min)d and %(max)d characters.", min=MIN_LENGTH, max=MAX_LENGTH)),
    ], render_kw={"autocomplete": "new-password", "minlength": MIN_LENGTH, "maxlength": MAX_LENGTH})
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Enter the new password again.")),
        EqualTo("new", message=_l("The two new passwords differ.")),
    ], render_kw={"autocomplete": "new-password"})


class TokenForm(FlaskForm):
    """A new personal API token: its name, scope and lifetime."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Name the token (for example the system that "
                                                               "uses it).")), Length(max=NAME_MAX)],
                       render_kw={"maxlength": NAME_MAX})
    scope = RadioField(_l("Scope"), choices=[SelectChoice("read", _l("Read only")),
                                             SelectChoice("write", _l("Read and write"))],
                       default="read", validators=[DataRequired(_l("Choose a scope."))])
    lifetime = SelectField(_l("Expires after"), coerce=int, default=90,
                           choices=[SelectChoice(days, _l("%(num)d days", num=days)) for days in LIFETIMES_DAYS])


class RevokeTokenForm(FlaskForm):
    """Revoke one token (the CSRF token only)."""
