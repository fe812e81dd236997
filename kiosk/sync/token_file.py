"""The device token file: written atomically with mode 0600, read by kiosk-sync only."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from kiosk.sync.image_cache import fsync_dir


def write_token(path: Path, token: str) -> None:
    """Write ``token`` so that the file is either the old one or the whole new one, and is
    never readable by anyone else, not even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, token.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def read_token(path: Path) -> str | None:
    """The token, or None if the kiosk is not enrolled (no file, or an empty one)."""
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        return None
    return token or None
