"""Optional PAdES signature of issued reports (pyHanko), and checking a signature on upload.

A deployment that configures ``REPORT_SIGNING_KEY`` and ``REPORT_SIGNING_CERT`` (PEM files; the key
may be protected by ``REPORT_SIGNING_KEY_PASSWORD``) gets every issued PDF signed with an invisible
PAdES baseline B-B signature. Without them reports are unsigned and verification relies on the
stored SHA-256 alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path


class SigningError(RuntimeError):
    """The signing key or certificate cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What a PDF's signatures say. ``signed``: at least one signature; ``intact``: every signature
    covers bytes that were not changed; ``covers_whole_file``: nothing was appended after the last
    signature; ``trusted``: the signer chains to the configured certificate; ``signer``: subject."""

    signed: bool
    intact: bool = False
    covers_whole_file: bool = False
    trusted: bool = False
    signer: str | None = None

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.covers_whole_file and self.trusted


def load_signer(key_path: str | Path, cert_path: str | Path, password: str | None = None):
    """The pyHanko signer for a PEM key and certificate (the key decrypted with ``password``).

    Raises :class:`SigningError` naming the file that cannot be read, or saying that the key cannot
    be loaded (wrong password, not a key) or does not belong to the certificate.
    """
    from pyhanko.sign import signers

    for setting, path in (("REPORT_SIGNING_KEY", key_path), ("REPORT_SIGNING_CERT", cert_path)):
        try:
            with open(path, "rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise SigningError(f"{setting}: cannot read {path}: {exc.strerror or exc}") from None
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path),
                                       key_passphrase=password.encode() if password else None)
    if signer is None:
        raise SigningError(f"cannot load the signing key {key_path} with certificate {cert_path}: not a PEM key "
                           "and certificate, or REPORT_SIGNING_KEY_PASSWORD is wrong or missing")
    if signer.signing_cert.public_key.dump() != _public_key_info(signer):
        raise SigningError(f"the signing key {key_path} does not belong to the certificate {cert_path}")
    return signer


def _public_key_info(signer) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_der_private_key(signer.signing_key.dump(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def sign_pdf(pdf: bytes, key_path: str | Path, cert_path: str | Path, password: str | None = None) -> bytes:
    """Return ``pdf`` with an invisible PAdES B-B signature appended as an incremental update.

    Raises :class:`SigningError` if the key or certificate cannot be read or do not match.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = load_signer(key_path, cert_path, password)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name="EduAuditReport", subfilter=fields.SigSeedSubFilter.PADES,
                                        reason="Issued by EduAudit")
    out = signers.sign_pdf(writer, meta, signer=signer)
    return out.getvalue()


def check_signature(pdf: bytes, trusted_cert_path: str | Path | None) -> SignatureCheck:
    """Validate the signatures of ``pdf`` against the certificate at ``trusted_cert_path``.

    Never raises for a malformed or unsigned PDF: it reports ``signed=False`` instead.
    """
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError, ValueErrorWithMessage
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(BytesIO(pdf))
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, OSError):
        return SignatureCheck(signed=False)
    if not signatures:
        return SignatureCheck(signed=False)
    roots = [load_cert_from_pemder(str(trusted_cert_path))] if trusted_cert_path else []
    context = ValidationContext(trust_roots=roots)
    intact = trusted = True
    signer = None
    for sig in signatures:
        try:
            status = validate_pdf_signature(sig, context)
        except (SignatureValidationError, ValueErrorWithMessage, PdfError, ValueError, KeyError, TypeError):
            # An uploaded file is untrusted input: a malformed signature is a broken one, not a crash.
            return SignatureCheck(signed=True, intact=False, covers_whole_file=False, trusted=False, signer=signer)
        intact = intact and status.intact and status.valid
        trusted = trusted and status.trusted
        signer = status.signing_cert.subject.human_friendly
    try:
        covers = signatures[-1].coverage.name == "ENTIRE_FILE"
    except (PdfError, ValueError, KeyError, TypeError):
        covers = False
    return SignatureCheck(signed=True, intact=intact, covers_whole_file=covers, trusted=trusted and bool(roots),
                          signer=signer)
