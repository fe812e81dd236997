"""Project photos and QR codes as pixels ready for a texture.

Decoding and scaling run on a worker thread (plain Pillow, no Kivy); the UI thread only turns
the bytes into a texture. Photos are scaled once to the size they are shown at, and at most
``capacity`` textures are kept, so 30 full-HD photos do not sit in memory.
"""

from __future__ import annotations

import ctypes
import logging
import os
import warnings
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from PIL import Image

from kiosk.core.catalog import MAX_IMAGE_PIXELS

if TYPE_CHECKING:
    from kivy.graphics.texture import Texture

_Key = TypeVar("_Key", bound=Hashable)

log = logging.getLogger("kiosk.screen")


@dataclass(frozen=True)
class Pixels:
    """RGB bytes, top row first, as Pillow gives them."""

    width: int
    height: int
    data: bytes


def load_photo(path: Path | None, width: int, height: int) -> Pixels | None:
    """The photo cropped to fill ``width`` x ``height``; None if missing, unreadable or larger
    than ``MAX_IMAGE_PIXELS`` (the slide then shows without a photo rather than failing)."""
    if path is None or width <= 0 or height <= 0:
        return None
    from PIL import ImageOps  # here: a restart shows its first photo without it

    try:
        with warnings.catch_warnings():
            # Pillow's own (much higher) bomb threshold only warns; the cap below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)  # the header only
        with im:
            if im.width * im.height > MAX_IMAGE_PIXELS:
                # Checked before any decode: a small file can declare a huge image (an older
                # kiosk-sync let such files into the cache).
                log.warning("photo %s not shown: %d x %d pixels", path.name[:12], im.width,
                            im.height)
                return None
            im.draft("RGB", (width, height))  # JPEG: decode at a reduced scale, much faster
            im.load()
            # Other formats decode whole: shrink by a whole factor at once, before the RGB
            # copy and the fit, so no second full-size buffer is made.
            factor = min(im.width // width, im.height // height)
            reducible = im.mode in ("RGB", "RGBA", "L", "LA")  # not palette indices
            small = im.reduce(factor) if factor >= 2 and reducible else im
            fitted = ImageOps.fit(small.convert("RGB"), (width, height),
                                  Image.Resampling.BILINEAR)
            del small
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError,
            Image.DecompressionBombError):
        return None
    pixels = Pixels(fitted.width, fitted.height, fitted.tobytes())
    del fitted
    return_free_memory()
    return pixels


class FirstPhotoCache:
    """The photo of the attract loop's first slide, as pixels at its shown size, kept in one
    file across restarts: a start with the same catalog and screen shows it without Pillow
    (no decoder to load, nothing to decode), which is most of the way to the first frame's
    photo. Keyed by the photo file (path, size, modification time) and the shown size; a
    stale, truncated or unreadable file is simply a miss, and a write that fails is skipped
    (it is only a cache)."""

    def __init__(self, path: Path):
        self.path = path

    @staticmethod
    def key(source: Path, width: int, height: int) -> str:
        st = source.stat()
        return f"{source}|{st.st_size}|{st.st_mtime_ns}|{width}x{height}"

    def get(self, source: Path, width: int, height: int) -> Pixels | None:
        try:
            key = self.key(source, width, height)
            with self.path.open("rb") as f:
                header = f.readline(4096)
                data = f.read(width * height * 3 + 1)
        except OSError:
            return None
        if header != (key + "\n").encode("utf-8", "surrogateescape") or \
                len(data) != width * height * 3:
            return None
        return Pixels(width, height, data)

    def put(self, source: Path, width: int, height: int, pixels: Pixels) -> None:
        if (pixels.width, pixels.height) != (width, height):
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as f:
                f.write((self.key(source, width, height) + "\n").encode("utf-8",
                                                                         "surrogateescape"))
                f.write(pixels.data)
            os.replace(tmp, self.path)  # never a half-written file under the real name
        except OSError as e:
            log.info("first photo not cached: %s", e)
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass  # e.g. its directory is not one: nothing was written


def load_first_photo(cache: FirstPhotoCache, path: Path | None, width: int,
                     height: int) -> Pixels | None:
    """``load_photo`` through the first-photo cache."""
    if path is None:
        return None
    pixels = cache.get(path, width, height)
    if pixels is None:
        pixels = load_photo(path, width, height)
        if pixels is not None:
            cache.put(path, width, height, pixels)
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


class TextureCache(Generic[_Key]):
    """A small LRU of textures keyed by (project id, size), or by project id alone."""

    def __init__(self, capacity: int = 4):
        self.capacity = capacity
        self._items: OrderedDict[_Key, Texture] = OrderedDict()

    def get(self, key: _Key) -> Texture | None:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        return None

    def put(self, key: _Key, texture: Texture) -> None:
        self._items[key] = texture
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def keys(self) -> list[_Key]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)
