"""Making a rename survive a power cut: after ``os.replace`` into a directory, fsync the
directory itself, or the new name may be lost even though the file's bytes were synced."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
