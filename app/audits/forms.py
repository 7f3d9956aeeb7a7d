"""Forms: the new-audit form and one questionnaire step, built from the questionnaire data.

A step's form class is made at request time from the section's questions (single -> radios,
boolean -> yes / no / not known, multi -> checkboxes, integer -> number, date -> date, text and
textarea with a length limit). Every field checks its own value with the questionnaire's
``coerce`` and explains a refusal in words a school administrator can act on, so one wrong field
never blocks saving the others. The view turns a validated form into plain values
(:func:`step_values`) before the service sees it.

Question texts come from the questionnaire in the interface language (``lang``); messages of the
form itself are gettext strings, translated in ``app/translations``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, DateInput, ListWidget

from ..i18n import describe
from ..requesttext import CheckedForm
from ..rules.questionnaire import DEFAULT_MAX_LENGTH, UNKNOWN, AnswerError, Question, Questionnaire, Section

BOOLEAN_LABELS = {"en": ("Yes", "No", "Not known"), "zh": ("是", "否", "不清楚")}
"""A yes/no question's three options, in the words the report uses for the answers (``Questionnaire.display``)."""
FIELD_PREFIX = "q_"
"""Python attribute prefix of question fields (the HTML name is the bare question id)."""


class NewAuditForm(CheckedForm):
    """Start an audit: the product and its vendor (the rest is asked step by step)."""

    product_name = StringField(_l("Product name"), validators=[
        DataRequired(_l("Enter the product's name.")),
        Length(max=200, message=_l("Shorten the name to 200 characters or fewer.")),
    ], render_kw={"maxlength": 200, "autocomplete": "off"})
    vendor_name = StringField(_l("Vendor"), validators=[
        DataRequired(_l("Enter the vendor's name (the company that supplies the product).")),
        Length(max=200, message=_l("Shorten the name to 200 characters or fewer.")),
    ], render_kw={"maxlength": 200, "autocomplete": "organization"})


# -- step layout ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Slot:
    """One question on a step. ``condition`` is ``None`` (always shown) or what is left of the
    question's show-if over questions of the same step (:meth:`Condition.partial`), for the page's script."""

    question: Question
    condition: dict[str, Any] | None


def step_slots(questionnaire: Questionnaire, section: Section, answers: Mapping[str, Any]) -> list[Slot]:
    """The questions of ``section`` to put on the page, given the typed saved ``answers``.

    Questions whose show-if depends only on earlier steps are left out when it fails; those that
    depend on questions of this step are kept with a reduced condition for the browser to apply.
    """
    effective = questionnaire.effective_answers(answers)
    local = {q.id for q in section.questions}
    slots = []
    for q in section.questions:
        if q.show_if is None:
            slots.append(Slot(q, None))
            continue
        reduced = q.show_if.partial(effective, local)
        if reduced is True:
            slots.append(Slot(q, None))
        elif reduced is not False:
            slots.append(Slot(q, reduced))
    return slots


def condition_json(slot: Slot) -> str | None:
    """The slot's condition as compact JSON for a ``data-show-if`` attribute (autoescaped there)."""
    return None if slot.condition is None else json.dumps(slot.condition, separators=(",", ":"),
                                                          ensure_ascii=False)


# -- fields -----------------------------------------------------------------------------------

class MultiCheckboxField(SelectMultipleField):
    """Checkboxes, one per option."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _raw(question: Question, field: Field) -> Any:
    """The submitted value as the questionnaire's ``coerce`` takes it; ``None`` for no answer."""
    data = field.data
    if question.type == "multi":
        return list(data) if data else None
    if data is None:
        return None
    text = str(data)
    if question.type not in ("text", "textarea"):
        text = text.strip()
    return text if text.strip() else None


def friendly_error(question: Question, raw: Any, exc: AnswerError, lang: str = "en") -> str:
    """A refusal in words a school administrator can act on, for ``question``'s type.

    The sentence is in the interface language (gettext); an option named in it is in ``lang``.
    Needs a request or app context.
    """
    t = question.type
    if t == "single":
        return _("Choose one of the options.")
    if t == "boolean":
        return _("Choose yes, no or not known.")
    if t == "multi":
        known = {o.id for o in question.options}
        if all(v in known for v in raw):
            lone = next((question.option(v) for v in raw if v in question.exclusive), None)
            label = lone.label[lang] if lone else ""
            return _("“%(option)s” cannot be combined with other choices: untick one of them.", option=label)
        return _("Choose only from the options listed.")
    if t == "integer":
        lo, hi = question.min, question.max
        if lo is not None and hi is not None:
            return _("Enter a whole number between %(min)s and %(max)s.", min=lo, max=hi)
        if lo is not None:
            return _("Enter a whole number of at least %(min)s.", min=lo)
        if hi is not None:
            return _("Enter a whole number of at most %(max)s.", max=hi)
        return _("Enter a whole number, for example 12.")
    if t == "date":
        return _("Enter a date as year-month-day, for example 2026-09-01.")
    if t in ("text", "textarea"):
        limit = question.max_length or DEFAULT_MAX_LENGTH[t]
        if len(raw.strip()) > limit:
            return _("Shorten this answer to %(limit)s characters or fewer (it has %(length)s).",
                     limit=f"{limit:,}", length=f"{len(raw.strip()):,}")
        return _("Remove the invisible control characters (they often come with copied text).")
    return describe(exc)  # pragma: no cover - every type is handled above


class AnswerCheck:
    """WTForms validator: the questionnaire decides; the message is :func:`friendly_error`'s.

    On success the typed answer is left on ``field.answer`` (``None`` for no answer).
    """

    def __init__(self, questionnaire: Questionnaire, question: Question, lang: str) -> None:
        self.questionnaire, self.question, self.lang = questionnaire, question, lang

    def __call__(self, form: FlaskForm, field: Field) -> None:
        field.answer = None
        raw = _raw(self.question, field)
        if raw is None:
            return
        try:
            field.answer = self.questionnaire.coerce(self.question, raw)
        except AnswerError as exc:
            raise ValidationError(friendly_error(self.question, raw, exc, self.lang)) from None


def _choices(question: Question, lang: str) -> list[SelectChoice]:
    return [SelectChoice(o.id, o.label[lang]) for o in question.options]


def _field(questionnaire: Questionnaire, question: Question, lang: str) -> Field:
    check = [AnswerCheck(questionnaire, question, lang)]
    kw: dict[str, Any] = {"label": question.label[lang], "description": question.help[lang],
                          "validators": check, "name": question.id}
    t = question.type
    if t == "single":
        return RadioField(choices=_choices(question, lang), validate_choice=False, **kw)
    if t == "boolean":
        yes, no, unknown = BOOLEAN_LABELS[lang]
        return RadioField(choices=[SelectChoice("yes", yes), SelectChoice("no", no), SelectChoice(UNKNOWN, unknown)],
                          validate_choice=False, **kw)
    if t == "multi":
        return MultiCheckboxField(choices=_choices(question, lang), validate_choice=False, **kw)
    if t == "integer":
        # A text box, not type=number: browsers silently drop what a number box cannot parse, and
        # their own range bubbles would block "Back"; the server's message is clearer.
        return StringField(render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 10}, **kw)
    if t == "date":
        return StringField(widget=DateInput(), **kw)
    limit = question.max_length or DEFAULT_MAX_LENGTH[t]
    if t == "textarea":
        return TextAreaField(render_kw={"maxlength": limit, "rows": 5}, **kw)
    return StringField(render_kw={"maxlength": limit}, **kw)


def step_form_class(questionnaire: Questionnaire, slots: list[Slot], lang: str = "en") -> type[FlaskForm]:
    """A FlaskForm class with one field per slot; the HTML name of each field is the question id.

    Kept per questionnaire object, set of questions and language (at most :data:`FORM_CLASSES_KEPT`,
    least recently used out): a class holds only the fields' definitions, never a value, so every
    request of a step can share it instead of building it (about a tenth of a step page's work)."""
    key = (id(questionnaire), tuple(s.question.id for s in slots), lang)
    with _form_classes_lock:
        kept = _form_classes.get(key)
        if kept is not None and kept[0] is questionnaire:
            _form_classes.move_to_end(key)
            return kept[1]
    attrs: dict[str, Any] = {FIELD_PREFIX + s.question.id: _field(questionnaire, s.question, lang) for s in slots}
    form_class = type("StepForm", (CheckedForm,), attrs)
    with _form_classes_lock:
        _form_classes[key] = (questionnaire, form_class)
        _form_classes.move_to_end(key)
        while len(_form_classes) > FORM_CLASSES_KEPT:
            _form_classes.popitem(last=False)
    return form_class


FORM_CLASSES_KEPT = 512
"""Step form classes kept per process (:func:`step_form_class`): a few per step and language."""
_form_classes: OrderedDict[tuple[int, tuple[str, ...], str], tuple[Questionnaire, type[FlaskForm]]] = OrderedDict()
_form_classes_lock = threading.Lock()


def form_data(slots: list[Slot], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Saved typed answers -> initial field data (``data=`` of the form) for the slots' questions."""
    out: dict[str, Any] = {}
    for s in slots:
        q, value = s.question, answers.get(s.question.id)
        if value is None:
            continue
        if q.type == "boolean":
            out[FIELD_PREFIX + q.id] = UNKNOWN if value == UNKNOWN else ("yes" if value else "no")
        elif q.type == "multi":
            out[FIELD_PREFIX + q.id] = list(value)
        elif isinstance(value, dt.date):
            out[FIELD_PREFIX + q.id] = value.isoformat()
        else:
            out[FIELD_PREFIX + q.id] = str(value) if q.type == "integer" else value
    return out


def question_field(form: FlaskForm, question: Question) -> Field:
    """The form's field for ``question``."""
    return form[FIELD_PREFIX + question.id]


def step_values(form: FlaskForm, slots: list[Slot]) -> dict[str, Any]:
    """Typed answers of the fields that passed their check (``None`` = cleared); call after ``validate``."""
    out: dict[str, Any] = {}
    for s in slots:
        field = question_field(form, s.question)
        if not field.errors:
            out[s.question.id] = getattr(field, "answer", None)
    return out
