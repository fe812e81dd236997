"""Ask the bridge service for the terminal's status over its socket (one JSON line each way).

Only the ``status`` request, which never touches money; the shapes are in
docs/internal-apis.md, section 3.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

MAX_ANSWER_BYTES = 64 * 1024


class ProbeError(Exception):
    """The bridge could not be asked, or answered something unreadable; says which."""


def bridge_status(socket_path: Path | str, timeout: float = 3.0) -> dict[str, Any]:
    """The bridge's ``status`` answer, checked for the fields the operator is shown."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            sock.sendall(b'{"op": "status"}\n')
            answer = _read_line(sock)
    except FileNotFoundError:
        raise ProbeError(f"the bridge is not running (no socket at {socket_path})") from None
    except ConnectionRefusedError:
        raise ProbeError(f"the bridge is not accepting connections on {socket_path}") from None
    except PermissionError:
        raise ProbeError(f"not allowed to open {socket_path} (run as root or in the "
                         "firmware-bridge group)") from None
    except TimeoutError:
        raise ProbeError(f"the bridge did not answer within {timeout:g} s") from None
    except OSError as e:
        raise ProbeError(f"talking to the bridge failed: {e}") from None
    return parse_status(answer)


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_ANSWER_BYTES:
            raise ProbeError("the bridge's answer is too long")
    return data.split(b"\n", 1)[0]


def parse_status(line: bytes) -> dict[str, Any]:
    """Check one ``status`` answer line; :class:`ProbeError` names what is wrong."""
    try:
        answer = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ProbeError(f"the bridge answered something that is not JSON: {line[:80]!r}") \
            from None
    if not isinstance(answer, dict):
        raise ProbeError("the bridge's answer is not a JSON object")
    if answer.get("ok") is not True:
        error = answer.get("error")
        message = error.get("message") if isinstance(error, dict) else None
        raise ProbeError(f"the bridge refused the status request: {message or answer!r}"[:300])
    if not isinstance(answer.get("connected"), bool):
        raise ProbeError("the bridge's status has no 'connected' true/false field")
    for key in ("last_error", "protocol", "device", "last_answer_at"):
        if answer.get(key) is not None and not isinstance(answer[key], str):
            raise ProbeError(f"the bridge's status has a non-text {key!r}")
    return {"connected": answer["connected"], "busy": bool(answer.get("busy")),
            "protocol": answer.get("protocol"), "device": answer.get("device"),
            "last_answer_at": answer.get("last_answer_at"),
            "last_error": answer.get("last_error")}
