"""Where the bytes of attached documents live: one small interface, one implementation (a folder).

Documents are stored by their SHA-256 (content-addressed): the same document attached twice is kept
once, and a stored file is checked against its name when it is read back. An S3-compatible store
can be added by implementing :class:`AttachmentStore` and naming it in ``ATTACHMENT_STORAGE``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class StoredDocumentMissing(LookupError):
    """The store has no document under this SHA-256, or what it has does not hash to it."""


class AttachmentStore(Protocol):
    """A content-addressed store of documents (bytes), keyed by their SHA-256 in lower-case hex."""

    def put(self, data: bytes) -> str:
        """Keep ``data``; returns its SHA-256. Idempotent: the same bytes again change nothing."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``; raises :class:`StoredDocumentMissing` if there are none or
        they do not hash to ``sha256`` (a damaged file is never handed out)."""
        ...

    def delete(self, sha256: str) -> None:
        """Forget the bytes under ``sha256`` (nothing happens if there are none)."""
        ...


class LocalFolderStore:
    """Documents as files under ``root``: ``<root>/<first two hex digits>/<sha256>``, written to a
    temporary file and renamed into place (never half-written), readable by the app's user only."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if not SHA256_HEX.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 in lower-case hex: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        path = self._path(sha256)
        if path.is_file():
            return sha256
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha256

    def get(self, sha256: str) -> bytes:
        try:
            data = self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise StoredDocumentMissing(sha256) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoredDocumentMissing(sha256)
        return data

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)


def store_from_config(config: Mapping[str, Any]) -> AttachmentStore:
    """The store the settings name (``ATTACHMENT_STORAGE``, checked by :func:`app.config.finalise`;
    only ``local`` so far, in ``ATTACHMENT_STORAGE_PATH``). Raises ``ValueError`` for another name."""
    if config.get("ATTACHMENT_STORAGE") == "local":
        return LocalFolderStore(config["ATTACHMENT_STORAGE_PATH"])
    raise ValueError(f"unknown attachment store {config.get('ATTACHMENT_STORAGE')!r}")
