"""The messages Django's file email backend wrote in a folder (the service under test sends
through it when CENTRAL_EMAIL_DIR is set)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

# The backend ends each message with a line of 79 dashes. It names its file after the
# second and the backend object's id, and appends: messages sent within one second by a
# backend at a reused address share a file.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def sent_messages(folder: Path) -> list[EmailMessage]:
    """Every message in ``folder``, oldest file first, in writing order within a file."""
    files = sorted(folder.glob("*.log"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    return [email.message_from_bytes(raw, policy=email.policy.default)
            for path in files for raw in path.read_bytes().split(SEPARATOR) if raw.strip()]
