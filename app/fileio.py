"""Writing files a user keeps (reports): atomically, with the permissions a new file normally gets."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

NEW_FILE_MODE = 0o666
"""Asked for when the file is created; the process umask takes its bits away (0o644 with umask 022),
as for any file a program creates. ``tempfile.mkstemp`` asks for 0o600 (owner only), which suits a
scratch file but not a report meant to be filed and shared."""
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
_ATTEMPTS = 100


def write_atomically(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, so a failure leaves nothing.

    The file gets mode 0o666 less the umask (and the folder's default ACL, if any), like a file
    written directly; an existing file at ``path`` is replaced, not modified.
    """
    path = Path(path).resolve()
    fd, tmp = _create_temporary(path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_temporary(folder: Path) -> tuple[int, Path]:
    # What tempfile.mkstemp does (a random name, O_EXCL so nothing existing is opened), but with the
    # ordinary mode instead of 0o600.
    for _ in range(_ATTEMPTS):
        tmp = folder / f".eduaudit-{secrets.token_hex(8)}.part"
        try:
            return os.open(tmp, _FLAGS, NEW_FILE_MODE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary file name in {folder}")
