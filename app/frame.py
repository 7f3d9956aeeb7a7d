"""The frame of every page: ``base.html``'s site header and footer, rendered once per process for what
they show and kept in the parts store (:mod:`app.pagecache`).

The header's links depend on the interface language and the signed-in user's role (and whether they
belong to an organisation): those are its key, a handful of entries in all. What differs from one
request to the next, the session's CSRF token (in the sign-out and language forms), the page to come
back to after switching the language, the user's e-mail and organisation name, are placeholders in
the kept HTML that each response fills in, escaped. The footer shows the language alone.
"""

from __future__ import annotations

import secrets

from flask import Flask, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from . import pagecache
from .i18n import here, ui_lang

PLACEHOLDERS = {name: f"{name}-{secrets.token_hex(16)}" for name in ("next", "email", "organisation")}
"""Stand for the header's per-request texts in the kept HTML (random per process, so no text a user
enters can contain one); the CSRF token's is :data:`app.pagecache.CSRF_PLACEHOLDER`."""


def site_header() -> Markup:
    """The site header for this request's user and language, with this session's CSRF token, this page's
    address and the user's e-mail and organisation put in. Raises ``ValueError`` if the kept HTML does
    not hold each placeholder as often as the header shows it."""
    user = current_user._get_current_object()
    signed_in = bool(user.is_authenticated)
    role = user.role if signed_in else None
    organisation = user.organisation.name if signed_in and user.organisation else None
    has_organisation = organisation is not None
    html = pagecache.kept(("site-header", ui_lang(), signed_in, role, has_organisation), lambda: render_template(
        "_site_header.html", signed_in=signed_in, role=role, has_organisation=has_organisation,
        csrf_value=pagecache.CSRF_PLACEHOLDER, language_next=PLACEHOLDERS["next"],
        user_email=PLACEHOLDERS["email"], organisation_name=PLACEHOLDERS["organisation"]))
    html = str(pagecache.with_csrf_token(html, generate_csrf(), count=2 if signed_in else 1))
    values = {"next": here(), "email": user.email if signed_in else None, "organisation": organisation}
    for name, value in values.items():
        placeholder = PLACEHOLDERS[name]
        if html.count(placeholder) != (value is not None):
            raise ValueError(f"the kept site header must hold the {name} placeholder {int(value is not None)} time(s)")
        if value is not None:
            html = html.replace(placeholder, str(escape(value)))
    return Markup(html)


def site_footer() -> Markup:
    """The site footer in this request's language."""
    return pagecache.kept(("site-footer", ui_lang()), lambda: Markup(render_template("_site_footer.html")))


def register(app: Flask) -> None:
    """Make ``site_header()`` and ``site_footer()`` available to every template."""
    app.add_template_global(site_header)
    app.add_template_global(site_footer)
