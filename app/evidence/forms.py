"""The attach form (a question, the document request it answers if any, and a document) and the remove
button's form (its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import SelectField
from wtforms.validators import DataRequired, ValidationError

from ..requesttext import CheckedForm
from .services import Upload


class AttachForm(CheckedForm):
    """Which answer the document supports (choices grouped by step) and the document itself."""

    question = SelectField(_l("The answer it supports"), validators=[DataRequired(_l("Choose a question."))])
    request = SelectField(_l("It answers the regulator's request"), default="")
    document = FileField(_l("The document"))

    def validate_document(self, field: FileField) -> None:
        if not isinstance(field.data, FileStorage) or not field.data.filename:
            raise ValidationError(_l("Choose a document to attach."))

    def to_upload(self) -> Upload:
        """The validated form as an immutable value (the document read into memory: its size is
        bounded by the route's request limit)."""
        document: FileStorage = self.document.data
        return Upload(question_id=self.question.data, file_name=document.filename or "", data=document.stream.read(),
                      request_id=int(self.request.data) if self.request.data else None)


class RemoveForm(CheckedForm):
    """Remove one attachment (the form carries only the CSRF token)."""
