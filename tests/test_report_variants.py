"""Archival and accessible PDF variants: PDF/A-3b carries its identification in the XMP metadata,
PDF/UA-1 is tagged and names its language; an unknown variant is refused with the allowed values."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from webhelpers import REALISTIC, complete

from app import create_app
from app.cli import main
from app.config import ConfigError
from app.reports.context import build_report_context
from app.reports.limits import render_pdf_limited
from app.reports.render import PDF_VARIANTS, render_pdf
from app.rules.engine import evaluate

GENERATED = dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def context(ruleset):
    qn = ruleset.questionnaire
    answers = qn.validate_answers(complete(qn, REALISTIC))
    assessment = evaluate(ruleset, answers, answers["jurisdiction"], answers["planned_date"])
    return build_report_context(ruleset, assessment, report_id="EA-ABCDEFGH23", generated_at=GENERATED)


def catalog(pdf: bytes):
    return PdfReader(io.BytesIO(pdf)).trailer["/Root"].get_object()


def xmp(pdf: bytes) -> str:
    return catalog(pdf)["/Metadata"].get_object().get_data().decode("utf-8")


def xmp_value(metadata: str, name: str) -> str | None:
    """``name`` (e.g. ``pdfaid:part``) written as an attribute or as an element."""
    found = re.search(rf'{name}="([^"]*)"|<{name}>([^<]*)</{name}>', metadata)
    return (found.group(1) or found.group(2)) if found else None


def render(context, variant=None) -> bytes:
    # the production path (a child process): WeasyPrint's PDF/A code leaves the sRGB profile file
    # open, which would be a ResourceWarning, hence an error, in this process
    return render_pdf_limited(context, pdf_variant=variant)


def test_pdf_a_3b_identifies_itself_in_xmp(context):
    metadata = xmp(render(context, "pdf/a-3b"))
    assert "http://www.aiim.org/pdfa/ns/id/" in metadata
    assert xmp_value(metadata, "pdfaid:part") == "3" and xmp_value(metadata, "pdfaid:conformance") == "B"


def test_pdf_ua_1_is_tagged_and_names_its_language(context):
    pdf = render(context, "pdf/ua-1")
    root = catalog(pdf)
    assert "/StructTreeRoot" in root
    assert str(root["/MarkInfo"]["/Marked"]).lower() == "true"
    assert root["/Lang"] == "en"
    assert xmp_value(xmp(pdf), "pdfuaid:part") == "1"


def test_plain_pdf_claims_no_conformance(context):
    pdf = render(context)
    root = catalog(pdf)
    assert "/StructTreeRoot" not in root
    assert "/Metadata" not in root or "pdfaid" not in xmp(pdf)


def test_unknown_variant_is_refused_naming_the_allowed_ones(tmp_path, context):
    with pytest.raises(ValueError, match="pdf/a-3b"):
        render_pdf(context, pdf_variant="pdf/a-9z")
    with pytest.raises(ConfigError, match=r"REPORT_PDF_VARIANT.*pdf/ua-1"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                    "REPORT_PDF_VARIANT": "pdf/x-4"})
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                      "REPORT_PDF_VARIANT": " PDF/A-3U "})
    assert app.config["REPORT_PDF_VARIANT"] == "pdf/a-3u" and "pdf/a-3u" in PDF_VARIANTS


def test_cli_writes_the_variant_and_refuses_others(tmp_path):
    case = "tests/cases/hangzhou-no11-classroom.yaml"
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["evaluate", case, "--pdf", str(out), "--pdf-variant", "pdf/a-3b"])
    assert result.exit_code == 0, result.output
    assert xmp_value(xmp(out.read_bytes()), "pdfaid:part") == "3"
    result = CliRunner().invoke(main, ["evaluate", case, "--pdf", str(out), "--pdf-variant", "pdf/a-9"])
    assert result.exit_code == 2 and "pdf/ua-1" in result.output
