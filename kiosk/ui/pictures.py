"""Project photos and QR codes as pixels ready for a texture.

Decoding and scaling run on a worker thread (plain Pillow, no Kivy); the UI thread only turns
the bytes into a texture. Photos are scaled once to the size they are shown at, and at most
``capacity`` textures are kept, so 30 full-HD photos do not sit in memory.
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps


@dataclass(frozen=True)
class Pixels:
    """RGB bytes, top row first, as Pillow gives them."""

    width: int
    height: int
    data: bytes


def load_photo(path: Path | None, width: int, height: int) -> Pixels | None:
    """The photo cropped to fill ``width`` x ``height``; None if missing or unreadable (the
    slide then shows without a photo rather than failing)."""
    if path is None or width <= 0 or height <= 0:
        return None
    try:
        with Image.open(path) as im:
            im.draft("RGB", (width, height))  # JPEG: decode at a reduced scale, much faster
            fitted = ImageOps.fit(im.convert("RGB"), (width, height), Image.Resampling.BILINEAR)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    pixels = Pixels(fitted.width, fitted.height, fitted.tobytes())
    del fitted
    return_free_memory()
    return pixels


def return_free_memory() -> None:
    """Hand memory freed since the last call back to the system (glibc's ``malloc_trim``).

    Every photo decode frees a few MB of buffers and every evicted texture its pixels; glibc
    keeps such freed pages mapped in its heaps (~30 MB after 30 full-HD photos). No-op where
    the C library has no ``malloc_trim``."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def _find_malloc_trim() -> object | None:
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except OSError:
        return None


_malloc_trim = _find_malloc_trim()


def qr_pixels(text: str, size: int, dark: str = "#000000", light: str = "#FFFFFF") -> Pixels:
    """A QR code of ``text`` at about ``size`` px, with its quiet zone, sharp edges."""
    import qrcode  # here, on a worker thread: kept off the start-up path

    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    img = code.make_image(fill_color=dark, back_color=light).get_image().convert("RGB")
    modules = img.width
    scale = max(1, size // modules)
    img = img.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)
    return Pixels(img.width, img.height, img.tobytes())


class TextureCache:
    """A small LRU of textures keyed by (project id, size)."""

    def __init__(self, capacity: int = 4):
        self.capacity = capacity
        self._items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        return None

    def put(self, key: Any, texture: Any) -> None:
        self._items[key] = texture
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def keys(self) -> list[Any]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)
