"""The device token file: written atomically with mode 0600, read by kiosk-sync only."""

from __future__ import annotations

import contextlib
import os
import pwd
from pathlib import Path

from kiosk.core.durable import fsync_dir

# The service user that reads the token on a device (systemd/sysusers.d/kiosk.conf).
TOKEN_OWNER = "kiosk-sync"


def write_token(path: Path, token: str) -> None:
    """Write ``token`` so that the file is either the old one or the whole new one, and is
    never readable by anyone else, not even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        _keep_owner(fd, path)  # an existing token file's owner...
        _give_to_service_user(fd)  # ...and on a device, always kiosk-sync's
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


def _keep_owner(fd: int, path: Path) -> None:
    """``kioskctl enroll`` runs as root, but the file must stay readable by the kiosk-sync user
    that owns it (created by tmpfiles on a device): keep the old file's owner."""
    if os.geteuid() != 0:
        return
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    os.fchown(fd, st.st_uid, st.st_gid)


def read_token(path: Path) -> str | None:
    """The token, or None if the kiosk is not enrolled (no file, or an empty one)."""
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        return None
    return token or None


def _give_to_service_user(fd: int) -> None:
    """``kioskctl enroll`` runs as root on a device: the token must end up kiosk-sync's, or
    the service could not read it. Elsewhere (no such user, not root) nothing changes."""
    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam(TOKEN_OWNER)
    except KeyError:
        return
    os.fchown(fd, user.pw_uid, user.pw_gid)
