"""The PDF store: a folder of rendered PDFs (and full registry exports) named by their key, written atomically.

Every web and worker process reads and writes the same folder (``PDF_STORE_DIR``; on several
machines a shared file system, like the attachment store). A file appears whole or not at all: it is
written to a temporary file in the same folder, flushed to disk, then linked to its final name, which
never replaces an existing file (a retried or concurrent job that lost the race keeps the first file).
A file is written from bytes (:meth:`PdfStore.write`) or from chunks as they are produced
(:meth:`PdfStore.write_stream`, constant memory); its suffix (:data:`SUFFIXES`) says what it is.
A failed write (disk full, ``ENOSPC``) removes the temporary file and raises :class:`StoreFull` or
:class:`StoreError`; no partial file is ever visible under a key. Plain Python: no Flask, no database.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

KEY_PATTERN = re.compile(r"[0-9a-f]{64}")
SUFFIXES = (".pdf", ".json", ".csv")
"""What the store holds: PDFs, and the registry's full exports (JSON and CSV)."""
READ_CHUNK = 64 * 1024


class StoreError(OSError):
    """The store could not write or read a file; the message names the file and the reason."""


class StoreFull(StoreError):
    """The disk holding the store is full (``ENOSPC``) or over quota (``EDQUOT``)."""


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"a store key is 64 lower-case hex digits, not {str(key)[:80]!r}")
    return key


def _check_suffix(suffix: str) -> str:
    if suffix not in SUFFIXES:
        raise ValueError(f"the store holds files ending in {', '.join(SUFFIXES)}, not {str(suffix)[:20]!r}")
    return suffix


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 (64 hex digits) of the file at ``path``, read in chunks (constant memory). Raises
    ``OSError`` (``FileNotFoundError``...) when it cannot be read."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class PdfStore:
    """Files under ``root``, one per key (64 hex digits) and suffix (``.pdf`` unless said), in
    sub-folders by the key's first two digits."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str, suffix: str = ".pdf") -> Path:
        """Where the file of ``key`` lives (it may not exist). Raises ``ValueError`` for a malformed key
        or a suffix not in :data:`SUFFIXES`."""
        key = _check_key(key)
        return self.root / key[:2] / f"{key}{_check_suffix(suffix)}"

    def exists(self, key: str, suffix: str = ".pdf") -> bool:
        return self.path(key, suffix).is_file()

    def read(self, key: str, sha256: str | None = None) -> bytes | None:
        """The stored bytes of the PDF ``key``, or ``None`` when there is no such file, or when ``sha256``
        is given and the bytes no longer have that SHA-256 (a damaged file is never served)."""
        try:
            data = self.path(key).read_bytes()
        except FileNotFoundError:
            return None
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            return None
        return data

    def write(self, key: str, data: bytes) -> bytes:
        """Store the PDF ``data`` under ``key`` unless a file is already there; returns the bytes now
        stored (``data``, or the existing file's when another writer got there first).

        Raises :class:`StoreFull` when the disk is full, :class:`StoreError` for any other failure
        to write; in both cases nothing is left under ``key`` nor as a temporary file.
        """
        existing = self._write(key, [data], ".pdf")
        return data if existing is None else existing.read_bytes()

    def write_stream(self, key: str, chunks: Iterable[bytes], suffix: str) -> tuple[str, int]:
        """Store the file of ``key`` and ``suffix`` from ``chunks`` as they come (memory does not grow
        with the file) unless a file is already there; returns the SHA-256 (hex) and size in bytes of
        the file now stored (the existing file's when another writer got there first).

        Raises :class:`StoreFull` or :class:`StoreError` like :meth:`write`, and whatever ``chunks``
        raises; in every case nothing is left under ``key`` nor as a temporary file.
        """
        digest, size = hashlib.sha256(), 0

        def counted() -> Iterator[bytes]:
            nonlocal size
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                yield chunk

        existing = self._write(key, counted(), suffix)
        if existing is None:
            return digest.hexdigest(), size
        return file_sha256(existing), existing.stat().st_size

    def _write(self, key: str, chunks: Iterable[bytes], suffix: str) -> Path | None:
        """Write ``chunks`` to a temporary file, then link it to its final name: ``None`` when this
        call's file is the one stored, else the path of the file another writer stored first."""
        final = self.path(key, suffix)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=final.parent)
        except OSError as exc:
            raise _store_error(exc, final) from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            try:
                os.link(tmp, final)  # never replaces: the first complete file wins
            except FileExistsError:
                return final
            return None
        except OSError as exc:
            raise _store_error(exc, final) from exc
        finally:
            tmp.unlink(missing_ok=True)

    def delete(self, key: str, suffix: str = ".pdf") -> None:
        """Remove the file of ``key`` and ``suffix`` if there is one."""
        self.path(key, suffix).unlink(missing_ok=True)


def _store_error(exc: OSError, path: Path) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreFull(exc.errno, f"the disk holding the PDF store is full; {path.name} was not written")
    return StoreError(exc.errno, f"the PDF store could not write {path.name}: {exc.strerror or exc}")
