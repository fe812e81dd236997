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
