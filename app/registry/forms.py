"""Publishing forms (on the audit's page): publish the approved audit, withdraw the publication."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from ..requesttext import CheckedForm


class PublishForm(CheckedForm):
    """Publish the approved audit to the public product registry, redacted."""

    show_school_name = BooleanField(_l("Show our school's name with the published audit"))


class UnpublishForm(CheckedForm):
    """Withdraw the audit's publication: a button, only the CSRF token."""
