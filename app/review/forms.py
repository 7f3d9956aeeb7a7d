"""Review forms: submitting an audit, the queue's filters, one rating block per finding or section, the
decision, starting a new version."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations
from wtforms import DateField, Form, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..i18n import ui_lang
from ..models import RATINGS
from ..requesttext import CheckedForm
from .report import RATING_LABELS
from .services import ACTION_MAX, COMMENT_MAX, OWNER_MAX

DECISION_CHOICES = [SelectChoice(*c) for c in (
    ("approved", _l("Approve")), ("changes_requested", _l("Request changes")), ("rejected", _l("Reject")))]
"""Labels of :data:`app.models.DECISIONS`, in the order the form offers them."""


class QueueFilterForm(Form):
    """GET filters of the queue (no CSRF: it changes nothing). Its field errors ("not a valid date")
    are in the interface language, like those of the FlaskForms."""

    class Meta:
        def get_translations(self, form):
            return translations

    status = SelectField(_l("Status"), validators=[Optional()])
    verdict = SelectField(_l("Verdict"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    school = SelectField(_l("School"), validators=[Optional()])
    submitted_from = DateField(_l("Submitted from"), validators=[Optional()])
    submitted_to = DateField(_l("Submitted until"), validators=[Optional()])


def rating_choices(lang: str) -> list[SelectChoice]:
    """"Not rated", then :data:`app.models.RATINGS` in the words of :data:`.report.RATING_LABELS`."""
    return [SelectChoice("", _l("Not rated")), *(SelectChoice(r, RATING_LABELS[r][lang]) for r in RATINGS)]


def review_form_class(count: int) -> type[FlaskForm]:
    """A form with fields ``t<i>_rating``, ``t<i>_comment``, ``t<i>_action``, ``t<i>_owner``,
    ``t<i>_due`` for each of ``count`` review targets (the targets' order is the page's), its ratings
    in the interface language."""
    choices = rating_choices(ui_lang())
    attrs: dict[str, Any] = {}
    for i in range(count):
        attrs[f"t{i}_rating"] = SelectField(_l("Rating"), choices=choices, validators=[Optional()])
        attrs[f"t{i}_comment"] = TextAreaField(_l("Comment"), validators=[Length(max=COMMENT_MAX)],
                                               render_kw={"rows": 2, "maxlength": COMMENT_MAX})
        attrs[f"t{i}_action"] = TextAreaField(_l("Action for the school"), validators=[Length(max=ACTION_MAX)],
                                              render_kw={"rows": 2, "maxlength": ACTION_MAX})
        attrs[f"t{i}_owner"] = StringField(_l("Owner"), validators=[Length(max=OWNER_MAX)],
                                           render_kw={"maxlength": OWNER_MAX})
        attrs[f"t{i}_due"] = DateField(_l("Due date"), validators=[Optional()])
    return type("ReviewForm", (CheckedForm,), attrs)


class DecisionForm(CheckedForm):
    """The reviewer's decision on the submission, with a comment for the school."""

    decision = RadioField(_l("Decision"), choices=DECISION_CHOICES,
                          validators=[DataRequired(_l("Choose a decision."))])
    comment = TextAreaField(_l("Comment to the school"), validators=[Length(max=COMMENT_MAX)],
                            render_kw={"rows": 4, "maxlength": COMMENT_MAX})
    acknowledgement = TextAreaField(_l("Acknowledgement: why you approve"), validators=[Length(max=COMMENT_MAX)],
                                    render_kw={"rows": 3, "maxlength": COMMENT_MAX})


class CarryOverForm(CheckedForm):
    """Carry the previous submission's ratings over: a button, only the CSRF token."""


class ActionForm(CheckedForm):
    """The school's own action-plan item."""

    action = TextAreaField(_l("Action"), validators=[Length(max=ACTION_MAX)],
                           render_kw={"rows": 2, "maxlength": ACTION_MAX})
    owner = StringField(_l("Owner"), validators=[Length(max=OWNER_MAX)], render_kw={"maxlength": OWNER_MAX})
    due_date = DateField(_l("Due date"), validators=[Optional()])


class DocumentRequestForm(CheckedForm):
    """The reviewer asks the school for a document on a finding or section (choices "finding:<id>" or
    "section:<id>", set per request from the submission's targets)."""

    target = SelectField(_l("Concerns"), validators=[DataRequired(_l("Choose the finding or section."))])
    document = TextAreaField(_l("The document to provide"), validators=[Length(max=ACTION_MAX)],
                             render_kw={"rows": 2, "maxlength": ACTION_MAX,
                                        "placeholder": _l("for example: the signed data processing agreement")})
    owner = StringField(_l("Owner"), validators=[Length(max=OWNER_MAX)], render_kw={"maxlength": OWNER_MAX})
    due_date = DateField(_l("Due date"), validators=[Optional()])


class DoneForm(CheckedForm):
    """Mark an action-plan item done, with a note of what was done."""

    note = TextAreaField(_l("What was done"), validators=[Length(max=COMMENT_MAX)],
                         render_kw={"rows": 2, "maxlength": COMMENT_MAX})


class SubmitForm(CheckedForm):
    """Send the audit to a regulator (the choices are set per request from the regulators on the instance)."""

    regulator = SelectField(_l("Regulator"), coerce=str, validators=[DataRequired(_l("Choose the regulator."))])
    note = TextAreaField(_l("Note to the reviewer (optional)"), validators=[
        Length(max=5000, message=_l("Shorten the note to 5,000 characters or fewer."))],
        render_kw={"maxlength": 5000, "rows": 3})


class NewVersionForm(CheckedForm):
    """Start a new version of an approved or rejected audit: a button, only the CSRF token."""
