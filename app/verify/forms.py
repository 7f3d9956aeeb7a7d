"""The verification form: a PDF file, or the SHA-256 fingerprint of one (64 hex digits)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import StringField
from wtforms.validators import ValidationError

from .services import SHA256_RE

NOT_HEX = re.compile(r"[^0-9a-f]")


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """What to check: an uploaded ``file``, a pasted ``sha256`` (lower-case hex), or both."""

    file: FileStorage | None
    sha256: str | None


def _strip_lower(value: str | None) -> str | None:
    return value.strip().lower() if isinstance(value, str) else value


class VerifyForm(FlaskForm):
    """Upload the PDF, or paste its fingerprint (for a file too large or too private to upload)."""

    pdf = FileField(_l("The PDF report"))
    sha256 = StringField(_l("Or its SHA-256 fingerprint"), filters=[_strip_lower],
                         render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 200})

    def validate_sha256(self, field: StringField) -> None:
        value = field.data or ""
        if not value or SHA256_RE.fullmatch(value):
            return
        bad = NOT_HEX.search(value)
        if bad:
            raise ValidationError(_("A SHA-256 fingerprint contains only the digits 0–9 and the letters a–f; "
                                    "this one contains “%(char)s”.", char=bad.group(0)))
        raise ValidationError(_("A SHA-256 fingerprint has 64 characters; this one has %(num)s.", num=len(value)))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.chosen_file() and not self.sha256.data and not self.sha256.errors:
            self.pdf.errors.append(_("Choose a PDF file, or paste its SHA-256 fingerprint."))
            return False
        return ok

    def chosen_file(self) -> FileStorage | None:
        """The uploaded file, or ``None`` when the file field was left empty."""
        data = self.pdf.data
        return data if isinstance(data, FileStorage) and data.filename else None

    def to_request(self) -> VerifyRequest:
        """The validated form as an immutable value."""
        return VerifyRequest(file=self.chosen_file(), sha256=self.sha256.data or None)
