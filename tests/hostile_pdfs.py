"""Malformed PDFs an attacker might upload to /verify, built byte by byte (no PDF library would write them)."""

from __future__ import annotations


def pdf_with(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF of ``objects`` (object 1 is the catalogue, 2 the page tree) with a correct
    cross-reference table, and ``trailer_extra`` added to the trailer dictionary."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra + b">>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


CATALOGUE = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"


def deep_array(depth: int = 200_000) -> bytes:
    """A PDF whose trailer holds an array nested ``depth`` deep (a recursive parser runs out of stack)."""
    return pdf_with([CATALOGUE, PAGES], b"/Deep " + b"[" * depth + b"]" * depth + b" ")


def huge_hex_signature(hex_digits: int = 8 * 1024 * 1024) -> bytes:
    """A PDF with a signature field whose signature value is ``hex_digits`` of hex (slow and
    memory-hungry to parse: 8 MB took 90 s and 1.35 GB)."""
    signature = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 10 20 10] "
                 b"/Contents <" + b"0" * hex_digits + b"> >>")
    return pdf_with([b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] /SigFlags 3 >> >>", PAGES,
                     b"<< /FT /Sig /T (Signature1) /V 4 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] >>",
                     signature])
