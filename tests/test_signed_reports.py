"""Signing wired in: with a key and certificate configured, every issued PDF is signed before its
SHA-256 is stored, /verify reports the signature of an upload, and a one-byte change fails both the
fingerprint and the signature. A configuration with only half of the pair, or unreadable files,
stops start-up."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from test_signing import _identity
from test_verify import AUTHENTIC, NOT_FOUND, download, finished, paste, qn, upload  # noqa: F401

from app import create_app
from app.config import ConfigError
from app.extensions import db
from app.models import IssuedReport
from app.reports.signing import check_signature

SIGNED_BY = "Signed by: Common Name: EduAudit test"
INTACT = "Intact: the signed bytes have not changed since signing."
BROKEN = "Broken: the file was changed after it was signed."
TRUSTED = "Trusted: signed with this instance's certificate."


@pytest.fixture
def identity(tmp_path):
    return _identity(tmp_path, "EduAudit test")


@pytest.fixture
def app_config(identity):
    key, cert = identity
    return {"REPORT_SIGNING_KEY": str(key), "REPORT_SIGNING_CERT": str(cert)}


def test_the_downloaded_pdf_is_signed_authentic_and_trusted(app, client, finished, identity):  # noqa: F811
    pdf = download(client, finished)
    check = check_signature(pdf, identity[1])
    assert check.valid and "EduAudit test" in check.signer
    with app.app_context():
        row = db.session.scalars(sa.select(IssuedReport)).one()
        assert row.sha256 == hashlib.sha256(pdf).hexdigest()  # the signed bytes, as handed out
    page = upload(client, pdf).text
    assert AUTHENTIC in page and SIGNED_BY in page and INTACT in page and TRUSTED in page
    assert "can be checked by uploading" in paste(client, row.sha256).text


def test_one_changed_byte_fails_the_hash_and_the_signature(client, finished, identity):  # noqa: F811
    pdf = bytearray(download(client, finished))
    pdf[400] ^= 0x01  # inside the signed range: the first page's content
    check = check_signature(bytes(pdf), identity[1])
    assert check.signed and not check.intact and not check.valid
    page = upload(client, bytes(pdf)).text
    assert NOT_FOUND in page and BROKEN in page and AUTHENTIC not in page


def test_a_signature_by_another_key_is_not_trusted(app, client, tmp_path):
    from weasyprint import HTML

    from app.reports.signing import sign_pdf

    key, cert = _identity(tmp_path, "Someone else")
    pdf = sign_pdf(HTML(string="<p>not ours</p>").write_pdf(), key, cert)
    page = upload(client, pdf).text
    assert "Signed by: Common Name: Someone else" in page and "Not trusted" in page and NOT_FOUND in page


@pytest.mark.parametrize("settings, message", [
    ({"REPORT_SIGNING_KEY": "KEY"}, "REPORT_SIGNING_KEY is set but REPORT_SIGNING_CERT is not"),
    ({"REPORT_SIGNING_CERT": "CERT"}, "REPORT_SIGNING_CERT is set but REPORT_SIGNING_KEY is not"),
    ({"REPORT_SIGNING_KEY": "KEY", "REPORT_SIGNING_CERT": "missing.pem"}, "REPORT_SIGNING_CERT: cannot read"),
    ({"REPORT_SIGNING_KEY": "CERT", "REPORT_SIGNING_CERT": "CERT"}, "cannot load the signing key"),
    ({"REPORT_SIGNING_KEY": "KEY", "REPORT_SIGNING_CERT": "OTHER"}, "does not belong to the certificate"),
])
def test_start_up_refuses_an_unusable_signing_configuration(tmp_path, identity, settings, message):
    key, cert = identity
    other = _identity(tmp_path, "Other")[1]
    paths = {"KEY": str(key), "CERT": str(cert), "OTHER": str(other), "missing.pem": str(tmp_path / "missing.pem")}
    config = {name: paths[value] for name, value in settings.items()}
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", **config})


def test_an_unsigned_deployment_still_verifies(client, finished, app):  # noqa: F811
    app.config.update(REPORT_SIGNING_KEY=None, REPORT_SIGNING_CERT=None)
    pdf = download(client, finished)
    assert not check_signature(pdf, None).signed
    page = upload(client, pdf).text
    assert AUTHENTIC in page and "This PDF carries no digital signature." in page
    assert "can be checked by uploading" not in paste(client, hashlib.sha256(pdf).hexdigest()).text
