"""The verification form: a PDF file, or the SHA-256 fingerprint of one (64 hex digits)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import StringField
from wtforms.validators import ValidationError

from ..requesttext import CheckedForm
from .services import SHA256_RE

NOT_HEX = re.compile(r"[^0-9a-f]")
SHA256SUM_LINE = re.compile(r"\\?(?P<sha>[0-9a-f]+)\s+\*?(?P<name>\S.*)")
"""A line of ``sha256sum`` (or ``shasum -a 256``) output, lower-cased: the hex digits, spaces, an optional
``*`` (binary mode) and the file name; GNU adds a leading backslash when the name has one."""
INVISIBLE = {" ": lambda: _("a space"), "\t": lambda: _("a tab"), "\n": lambda: _("a line break"),
             "\r": lambda: _("a line break"), "\u00a0": lambda: _("a non-breaking space")}


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """What to check: an uploaded ``file``, a pasted ``sha256`` (lower-case hex), or both."""

    file: FileStorage | None
    sha256: str | None


def _strip_lower(value: str | None) -> str | None:
    return value.strip().lower() if isinstance(value, str) else value


def _sha256sum_line(value: str) -> re.Match[str] | None:
    """``value`` as a ``sha256sum`` line, or ``None``. The file name must have a character that is
    not a hex digit ("report.pdf" has), so two fingerprints, or one split by a space, are not taken
    for a fingerprint and a file name."""
    match = SHA256SUM_LINE.fullmatch(value)
    return match if match and NOT_HEX.search(match["name"]) else None


def _hash_of_line(value: str | None) -> str | None:
    """The fingerprint of a whole ``sha256sum`` line ("<64 hex digits>  report.pdf"); anything else
    unchanged (checked by the validator)."""
    if isinstance(value, str):
        match = _sha256sum_line(value)
        if match and SHA256_RE.fullmatch(match["sha"]):
            return match["sha"]
    return value


def _character(char: str) -> str:
    """``char`` named so that it can be seen: quoted when visible, in words when not."""
    if char in INVISIBLE:
        return INVISIBLE[char]()
    if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Zs"):
        return _("an invisible character (U+%(code)s)", code=f"{ord(char):04X}")
    return _("“%(char)s”", char=char)


class VerifyForm(CheckedForm):
    """Upload the PDF, or paste its fingerprint (for a file too large or too private to upload)."""

    pdf = FileField(_l("The PDF report"))
    sha256 = StringField(_l("Or its SHA-256 fingerprint"), filters=[_strip_lower, _hash_of_line],
                         render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 200})

    def validate_sha256(self, field: StringField) -> None:
        value = field.data or ""
        if not value or SHA256_RE.fullmatch(value):
            return
        line = _sha256sum_line(value)
        if line:  # a sha256sum line whose fingerprint is too short or too long (64 digits: taken by the filter)
            raise ValidationError(_("The fingerprint before the file name has %(num)s hex digits; a SHA-256 "
                                    "fingerprint has 64.", num=len(line["sha"])))
        bad = NOT_HEX.search(value)
        if bad:
            raise ValidationError(_("A SHA-256 fingerprint contains only the digits 0–9 and the letters a–f; "
                                    "this one contains %(what)s.", what=_character(bad.group(0))))
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
