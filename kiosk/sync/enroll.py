"""Enrollment: trade a one-time code for this device's token and receipt key."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from kiosk.core.config import Config
from kiosk.core.ledger import Ledger
from kiosk.sync.client import ApiClient, Refused, Transient
from kiosk.sync.token_file import write_token


class EnrollFailed(Exception):
    """Enrollment did not happen; the message says why in plain words."""


@dataclass(frozen=True)
class Enrollment:
    device_id: str
    token: str
    receipt_key: str


def parse_enrollment(doc: Any, device_id: str) -> Enrollment:
    if not isinstance(doc, dict):
        raise EnrollFailed("the server's enrollment answer is not a JSON object")
    token, key = doc.get("token"), doc.get("receipt_key")
    if doc.get("device_id") != device_id:
        raise EnrollFailed(f"the server enrolled {doc.get('device_id')!r}, not {device_id!r}")
    if not isinstance(token, str) or not re.fullmatch(r"[\x21-\x7e]{16,512}", token):
        raise EnrollFailed("the server's answer has no usable token")
    if not isinstance(key, str) or not re.fullmatch(r"[0-9a-f]{32,128}", key):
        raise EnrollFailed("the server's answer has no usable receipt key (hex)")
    return Enrollment(device_id, token, key)


def enroll(cfg: Config, ledger: Ledger, code: str, client: ApiClient,
           wait_s: float = 15) -> Enrollment:
    """Enroll, then store the token (0600, atomically) and the receipt key. A network that is
    not up yet (a device just booted, a demo server still starting) is retried for ``wait_s``.
    """
    deadline = time.monotonic() + wait_s
    pause = 0.1
    while True:
        try:
            answer = client.call("POST", "v1/enroll", auth=False,
                                 body={"code": code, "device_id": cfg.device.id})
            break
        except Transient:
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
        except Refused as e:
            _explain(e)
    enrollment = parse_enrollment(answer.json(), cfg.device.id)
    write_token(Path(cfg.api.token_file), enrollment.token)
    ledger.set_setting("receipt_key", enrollment.receipt_key)
    ledger.audit("kioskctl", "enrolled", device_id=cfg.device.id)
    return enrollment


def _explain(e: Refused) -> NoReturn:
    """Raise EnrollFailed in the operator's words for a refused enrollment."""
    if e.status == 404:
        raise EnrollFailed("this enrollment code is not known to the server") from None
    if e.status == 409:
        raise EnrollFailed("this enrollment code was already used; ask for a new one") from None
    raise EnrollFailed(f"the server refused the enrollment: {e}") from None
