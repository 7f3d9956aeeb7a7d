"""Optional PAdES signatures: a signed report validates against the configured certificate; an
altered one, or one signed by someone else, does not."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pypdf import PdfWriter

from app.reports.signing import check_signature, sign_pdf


def _identity(tmp_path, name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    key_path, cert_path = tmp_path / f"{name}.key.pem", tmp_path / f"{name}.cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@pytest.fixture(scope="module")
def pdf():
    from weasyprint import HTML

    return HTML(string="<h1>Privacy risk audit EA-TEST</h1><p>Verdict: high</p>").write_pdf()


def test_signed_report_validates(tmp_path, pdf):
    key, cert = _identity(tmp_path, "EduAudit test")
    signed = sign_pdf(pdf, key, cert)
    check = check_signature(signed, cert)
    assert check.valid and check.signer and "EduAudit test" in check.signer


def test_unsigned_report_is_reported_as_unsigned(tmp_path, pdf):
    _, cert = _identity(tmp_path, "EduAudit test")
    assert check_signature(pdf, cert).signed is False
    assert check_signature(b"not a pdf", cert).signed is False


def test_signature_by_another_key_is_not_trusted(tmp_path, pdf):
    their_key, their_cert = _identity(tmp_path, "Someone else")
    _, ours = _identity(tmp_path, "EduAudit test")
    check = check_signature(sign_pdf(pdf, their_key, their_cert), ours)
    assert check.signed and check.intact and not check.trusted and not check.valid


def test_a_changed_byte_breaks_the_signature(tmp_path, pdf):
    key, cert = _identity(tmp_path, "EduAudit test")
    signed = sign_pdf(pdf, key, cert)
    tampered = bytearray(signed)
    tampered[200] ^= 0x01  # a byte of the signed range (the page content, before the signature)
    check = check_signature(bytes(tampered), cert)
    assert check.signed and not check.intact and not check.valid


def test_page_appended_after_signing_is_detected(tmp_path, pdf):
    import io

    key, cert = _identity(tmp_path, "EduAudit test")
    signed = sign_pdf(pdf, key, cert)
    # The real attack: an incremental update leaves the signed bytes intact and adds a page after them.
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    check = check_signature(out.getvalue(), cert)
    assert check.signed and check.intact and check.trusted
    assert not check.covers_whole_file and not check.valid


def test_garbage_after_the_header_is_unsigned_not_a_crash(tmp_path):
    _, cert = _identity(tmp_path, "EduAudit test")
    assert check_signature(b"%PDF-1.7\n" + bytes(range(256)) * 40, cert).signed is False
