"""The state every part of the :class:`~kiosk.core.ledger.Ledger` facade shares."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.core.db import Database
from kiosk.core.ledger.records import Limits


class LedgerPart:
    """One concern of the ledger; :class:`~kiosk.core.ledger.Ledger` combines them all."""

    def __init__(self, db: Database, path: Path, limits: Limits):
        self.db = db
        self.path = path
        self.limits = limits
        # A str, for the free-disk guard's statvfs: Path.parent costs more than the call.
        self.data_dir = os.fspath(path.parent)
        # time.monotonic() until which the free-disk guard may trust its last reading
        # (Donations._check_disk); 0: read the disk at the next guard.
        self.disk_reading_ok_until = 0.0
