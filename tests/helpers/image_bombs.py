"""Images and answers that are small on the wire and huge once decoded, and a way to measure
how much memory a fresh Python process peaked at while meeting one."""

from __future__ import annotations

import functools
import struct
import subprocess
import sys
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG's signature and IHDR (RGB, 8 bits) declaring ``width`` x ``height``."""
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


@functools.cache
def png_bomb(side: int = 12000) -> bytes:
    """A valid, all-black ``side`` x ``side`` PNG of under 2 MB (432 MB of pixels at 12000)."""
    comp = zlib.compressobj(1)
    row = b"\0" * (1 + 3 * side)
    idat = b"".join(comp.compress(row * 100) for _ in range(side // 100))
    idat += comp.compress(row * (side % 100)) + comp.flush()
    return png_header(side, side, idat)


def peak_rss_mib(code: str, *args: str) -> tuple[float, str]:
    """Run ``code`` in a fresh Python (from the repository) and return its peak RSS (VmHWM,
    in MiB) and what it printed."""
    wrapper = (code + "\nimport sys as _s\n"
               "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0],"
               " file=_s.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    hwm = [line for line in proc.stderr.splitlines() if line.startswith("VmHWM")]
    assert hwm, proc.stderr[-3000:]
    return int(hwm[0].split()[1]) / 1024, proc.stdout + proc.stderr
