"""The content-addressed image cache: ``data_dir/images/<sha256>``.

An image is streamed to a temporary ``.part-*`` file, size-capped, checked against its sha256,
its pixel count checked from its header, decoded with Pillow to prove it is an image, fsynced,
and only then renamed to its final name.
So a file named by a hash always holds exactly that content, even after a power cut or a
SIGKILL mid-download (which leaves at most a ``.part-*`` file, removed on the next pull).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
import warnings
from collections.abc import Iterable
from pathlib import Path

from PIL import Image

from kiosk.core.catalog import MAX_IMAGE_PIXELS
from kiosk.core.durable import fsync_dir
from kiosk.sync.catalog_parse import CatalogRefused, ImageRef
from kiosk.sync.client import ApiClient

PART_PREFIX = ".part-"


def prove_image(path: Path, max_pixels: int = MAX_IMAGE_PIXELS) -> None:
    """Decode the whole file (a JPEG at reduced scale); raise CatalogRefused if it is not a
    readable image or if its header declares more than ``max_pixels`` (checked before any
    pixel is decoded: a small file can declare a huge image)."""
    name = f"image {path.name[:12]}…"
    try:
        with warnings.catch_warnings():
            # Pillow's own (much higher) bomb threshold only warns; the cap below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)  # reads the header only
        with im:
            width, height = im.size
            if width * height > max_pixels:
                raise CatalogRefused(f"{name} is {width} x {height} pixels, more than the "
                                     f"{max_pixels} a kiosk shows")
            # A JPEG is decoded at 1/8 scale: every entropy-coded block is still read (a
            # truncated or corrupt file is refused as before) but the inverse DCTs of a
            # full-size picture are skipped (~3x less CPU on a 1920x1080 photo; sync pulls 30).
            im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            im.load()
    except CatalogRefused:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError,
            Image.DecompressionBombError) as e:
        raise CatalogRefused(f"{name} does not decode ({e})") from None


class ImageCache:
    def __init__(self, images_dir: Path):
        self.dir = Path(images_dir)

    def path(self, sha256: str) -> Path:
        return self.dir / sha256

    def has(self, ref: ImageRef) -> bool:
        try:
            return self.path(ref.sha256).stat().st_size == ref.bytes
        except FileNotFoundError:
            return False

    def fetch(self, client: ApiClient, ref: ImageRef) -> Path:
        """Download one image into the cache (see module docs). Raises CatalogRefused for a
        bad image and the client's errors for network trouble."""
        self.dir.mkdir(parents=True, exist_ok=True)
        part = self.dir / f"{PART_PREFIX}{ref.sha256[:16]}-{uuid.uuid4().hex[:8]}"
        digest = hashlib.sha256()
        size = 0
        try:
            with open(part, "wb") as f:
                def sink(chunk: bytes) -> None:
                    nonlocal size
                    size += len(chunk)
                    if size > ref.bytes:
                        raise CatalogRefused(f"image {ref.sha256[:12]}… is larger than the "
                                             f"{ref.bytes} bytes the catalog declares")
                    digest.update(chunk)
                    f.write(chunk)

                try:
                    url = client.url(ref.url)
                except ValueError as e:  # InsecureUrl, or not a URL at all
                    raise CatalogRefused(f"image {ref.sha256[:12]}…: {e}") from None
                client.call("GET", url, auth=client.same_origin(url), max_bytes=ref.bytes,
                            sink=sink, identity=True)
                if size != ref.bytes:
                    raise CatalogRefused(f"image {ref.sha256[:12]}… has {size} bytes, the "
                                         f"catalog declares {ref.bytes}")
                if digest.hexdigest() != ref.sha256:
                    raise CatalogRefused(f"image {ref.sha256[:12]}… does not match its sha256 "
                                         f"(got {digest.hexdigest()[:12]}…)")
                f.flush()
                os.fsync(f.fileno())
            prove_image(part)
            final = self.path(ref.sha256)
            os.replace(part, final)
            fsync_dir(self.dir)
            return final
        finally:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()

    def remove_unused(self, keep: Iterable[str]) -> int:
        """Delete cached images not in ``keep`` and any leftover partial downloads."""
        wanted = set(keep)
        removed = 0
        if not self.dir.exists():
            return 0
        for entry in self.dir.iterdir():
            if entry.name.startswith(PART_PREFIX) or (entry.is_file()
                                                      and entry.name not in wanted):
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
                    removed += 1
        return removed
