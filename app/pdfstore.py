"""The PDF store: a folder of rendered PDFs named by their key, written atomically.

Every web and worker process reads and writes the same folder (``PDF_STORE_DIR``; on several
machines a shared file system, like the attachment store). A file appears whole or not at all: it is
written to a temporary file in the same folder, flushed to disk, then linked to its final name, which
never replaces an existing file (a retried or concurrent job that lost the race keeps the first file).
A failed write (disk full, ``ENOSPC``) removes the temporary file and raises :class:`StoreFull` or
:class:`StoreError`; no partial file is ever visible under a key. Plain Python: no Flask, no database.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from pathlib import Path

KEY_PATTERN = re.compile(r"[0-9a-f]{64}")


class StoreError(OSError):
    """The store could not write or read a file; the message names the file and the reason."""


class StoreFull(StoreError):
    """The disk holding the store is full (``ENOSPC``) or over quota (``EDQUOT``)."""


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"a store key is 64 lower-case hex digits, not {str(key)[:80]!r}")
    return key


class PdfStore:
    """PDF files under ``root``, one per key (64 hex digits), in sub-folders by the key's first two digits."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Where the PDF of ``key`` lives (it may not exist). Raises ``ValueError`` for a malformed key."""
        key = _check_key(key)
        return self.root / key[:2] / f"{key}.pdf"

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def read(self, key: str, sha256: str | None = None) -> bytes | None:
        """The stored bytes of ``key``, or ``None`` when there is no such file, or when ``sha256`` is
        given and the bytes no longer have that SHA-256 (a damaged file is never served)."""
        try:
            data = self.path(key).read_bytes()
        except FileNotFoundError:
            return None
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            return None
        return data

    def write(self, key: str, data: bytes) -> bytes:
        """Store ``data`` under ``key`` unless a file is already there; returns the bytes now stored
        (``data``, or the existing file's when another writer got there first).

        Raises :class:`StoreFull` when the disk is full, :class:`StoreError` for any other failure
        to write; in both cases nothing is left under ``key`` nor as a temporary file.
        """
        final = self.path(key)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".pdf", dir=final.parent)
        except OSError as exc:
            raise _store_error(exc, final) from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            try:
                os.link(tmp, final)  # never replaces: the first complete file wins
            except FileExistsError:
                existing = final.read_bytes()
                return existing
            return data
        except OSError as exc:
            raise _store_error(exc, final) from exc
        finally:
            tmp.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        """Remove the file of ``key`` if there is one."""
        self.path(key).unlink(missing_ok=True)


def _store_error(exc: OSError, path: Path) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreFull(exc.errno, f"the disk holding the PDF store is full; {path.name} was not written")
    return StoreError(exc.errno, f"the PDF store could not write {path.name}: {exc.strerror or exc}")
