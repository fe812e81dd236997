"""Photos and QR codes as pixels (kiosk/screen/ui/pictures.py: plain Pillow, no Kivy): photos scaled
to the size they are shown at, whatever bytes the catalog's image files hold, and the first
slide's photo kept across restarts."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from kiosk.core.catalog import MAX_IMAGE_PIXELS
from kiosk.screen.ui import pictures
from tests.helpers.image_bombs import peak_rss_mib, png_bomb, png_header
from tests.screen.screen_fixtures import draw_photo


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return draw_photo(tmp_path / "photo.jpg", (42, 157, 143), (1280, 800), 3)


def test_a_photo_is_scaled_to_fill_the_size_it_is_shown_at(photo):
    pixels = pictures.load_photo(photo, 391, 344)
    assert (pixels.width, pixels.height) == (391, 344)
    assert len(pixels.data) == 391 * 344 * 3
    # Cropped to fill, not squashed: the middle keeps the photo's colour.
    middle = Image.frombytes("RGB", (391, 344), pixels.data).getpixel((195, 100))
    assert max(abs(a - b) for a, b in zip(middle, (42, 157, 143), strict=True)) < 80


def test_a_missing_or_broken_photo_is_no_photo(tmp_path):
    assert pictures.load_photo(tmp_path / "absent.jpg", 100, 80) is None
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert pictures.load_photo(broken, 100, 80) is None
    assert pictures.load_photo(None, 100, 80) is None


JPEG = io.BytesIO()
Image.new("RGB", (64, 48), (200, 30, 30)).save(JPEG, "JPEG")


@settings(max_examples=150, deadline=None)
@given(data=st.one_of(
    st.binary(max_size=2048),
    # A real JPEG with bytes overwritten here and there: the decoder's harder cases.
    st.lists(st.tuples(st.integers(0, len(JPEG.getvalue()) - 1), st.integers(0, 255)),
             max_size=12).map(lambda edits: _edited(JPEG.getvalue(), edits))))
def test_whatever_an_image_file_holds_the_slide_gets_a_photo_or_none(tmp_path_factory, data):
    # Catalog images come from the central API: outside input.
    path = tmp_path_factory.mktemp("img") / "image"
    path.write_bytes(data)
    pixels = pictures.load_photo(path, 40, 30)
    assert pixels is None or (pixels.width, pixels.height, len(pixels.data)) == (40, 30, 3600)


def _edited(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for index, value in edits:
        out[index] = value
    return bytes(out)


def test_a_cached_image_over_the_pixel_cap_is_never_decoded(tmp_path):
    """A 12 000 x 12 000 PNG of under 2 MB, already in the image cache (an older kiosk-sync
    accepted it) and the first slide: the screen shows no photo, caches none, and its peak
    memory stays far below the ~1.1 GiB that decoding it took, at every start."""
    bomb = tmp_path / "images" / ("b" * 64)
    bomb.parent.mkdir()
    bomb.write_bytes(png_bomb())
    cache_file = tmp_path / "screen-cache" / "first-photo.rgb"
    peak, out = peak_rss_mib(
        "import sys; from pathlib import Path; from kiosk.screen.ui import pictures\n"
        "cache = pictures.FirstPhotoCache(Path(sys.argv[2]))\n"
        "print('photo', pictures.load_first_photo(cache, Path(sys.argv[1]), 800, 480))",
        str(bomb), str(cache_file))
    assert "photo None" in out, out
    assert not cache_file.exists()
    assert peak < 150, f"the screen's picture loader peaked at {peak:.0f} MiB"


def test_only_the_header_of_an_over_cap_image_is_read(tmp_path, caplog):
    # No pixel data at all: a decode would fail the same way, but only the size check can
    # have refused it without trying (the log says so).
    path = tmp_path / "image"
    path.write_bytes(png_header(4097, 4096))
    assert 4097 * 4096 > MAX_IMAGE_PIXELS
    with caplog.at_level(logging.WARNING, logger="kiosk.screen"):
        assert pictures.load_photo(path, 800, 480) is None
    assert "4097 x 4096 pixels" in caplog.text


def test_a_large_png_under_the_cap_is_shown_within_bounded_memory(tmp_path):
    """A 4096 x 4096 PNG (the cap; PNG has no reduced decode): decoded once, shrunk by a whole
    factor before the RGB copy and the fit."""
    path = tmp_path / "big.png"
    Image.new("RGB", (4096, 4096), (42, 157, 143)).save(path, "PNG")
    peak, out = peak_rss_mib(
        "import sys; from pathlib import Path; from kiosk.screen.ui import pictures\n"
        "p = pictures.load_photo(Path(sys.argv[1]), 800, 480)\n"
        "print('photo', p.width, p.height, p.data[:3].hex())", str(path))
    assert "photo 800 480 2a9d8f" in out, out
    # 48 MiB decoded RGB, plus the interpreter and Pillow; a second full-size copy would add
    # 48 MiB more.
    assert peak < 110, f"peaked at {peak:.0f} MiB"


def test_first_photo_is_decoded_once_then_read_back_across_restarts(tmp_path, photo):
    cache = pictures.FirstPhotoCache(tmp_path / "screen-cache" / "first-photo.rgb")
    assert cache.get(photo, 391, 344) is None
    decoded = pictures.load_first_photo(cache, photo, 391, 344)
    assert decoded == pictures.load_photo(photo, 391, 344)
    assert cache.path.exists() and not cache.path.with_name("first-photo.rgb.tmp").exists()
    # The photo file's bytes replaced by garbage, its size and modification time kept: a
    # decode would now fail, so getting the photo proves it came from the cache.
    st_ = photo.stat()
    photo.write_bytes(b"\0" * st_.st_size)
    os.utime(photo, ns=(st_.st_atime_ns, st_.st_mtime_ns))
    again = pictures.load_first_photo(pictures.FirstPhotoCache(cache.path), photo, 391, 344)
    assert again == decoded


def test_first_photo_cache_misses_on_a_new_photo_or_another_size(tmp_path, photo):
    cache = pictures.FirstPhotoCache(tmp_path / "first-photo.rgb")
    pictures.load_first_photo(cache, photo, 391, 344)
    assert cache.get(photo, 390, 344) is None  # the screen turned, or another display
    draw_photo(photo, (231, 111, 81), (1280, 800), 5)  # kiosk-sync brought a new photo
    os.utime(photo, ns=(1, 1))
    assert cache.get(photo, 391, 344) is None
    fresh = pictures.load_first_photo(cache, photo, 391, 344)
    assert fresh == pictures.load_photo(photo, 391, 344)


@settings(max_examples=100, deadline=None)
@given(content=st.binary(max_size=4096), keep_header=st.booleans())
def test_a_damaged_cache_file_is_a_miss_never_an_error(tmp_path_factory, content, keep_header):
    directory = tmp_path_factory.mktemp("cache")
    source = draw_photo(directory / "p.jpg", (38, 70, 83), (160, 120), 1)
    cache = pictures.FirstPhotoCache(directory / "first-photo.rgb")
    header = (cache.key(source, 20, 10) + "\n").encode() if keep_header else b""
    cache.path.write_bytes(header + content)
    got = cache.get(source, 20, 10)
    assert got is None or (keep_header and got.data == content and len(content) == 600)


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path, photo):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory should be")
    cache = pictures.FirstPhotoCache(blocked / "first-photo.rgb")
    pixels = pictures.load_first_photo(cache, photo, 120, 90)
    assert pixels is not None and (pixels.width, pixels.height) == (120, 90)
    assert cache.get(photo, 120, 90) is None


def test_texture_cache_keeps_the_most_recently_used():
    lru = pictures.TextureCache(capacity=2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # a is now the most recent
    lru.put("c", 3)
    assert lru.keys() == ["a", "c"] and lru.get("b") is None and len(lru) == 2


def test_qr_pixels_read_back_as_the_text():
    import zxingcpp

    pixels = pictures.qr_pixels("https://dons.example.org/r/k-01/abc?amount=500", 320)
    image = Image.frombytes("RGB", (pixels.width, pixels.height), pixels.data)
    assert pixels.width == pixels.height >= 200
    assert [r.text for r in zxingcpp.read_barcodes(image)] == \
        ["https://dons.example.org/r/k-01/abc?amount=500"]
