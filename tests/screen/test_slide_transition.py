"""The attract screen's slide transition (kiosk.screen.ui.transitions) in the real app, in a
real offscreen window: frozen part of its way it looks like Kivy's own SlideTransition of the
same two slides (no black bars, no flipped picture, the theme's background, crisp words), and
once a slide is shown nothing is drawn again until something changes."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.screen.test_screen_ui import SIZES, drive


def difference(a: str, b: str) -> tuple[float, float]:
    """(mean, share of pixels off by more than 48 of 255 in a channel) between two shots."""
    diff = ImageChops.difference(Image.open(a).convert("RGB"), Image.open(b).convert("RGB"))
    mean = sum(ImageStat.Stat(diff).mean) / 3
    far = diff.convert("L").point(lambda v: 255 if v > 16 else 0)
    return mean, ImageStat.Stat(far).mean[0] / 255


@pytest.mark.parametrize("size", SIZES)
def test_slides_move_as_kivys_slide_transition_draws_them(tmp_path, size):
    report = drive(tmp_path, "slide-frames", size, "fr", "--port", "scripted")
    shots = report["slide_shots"]
    for name in ("left-30", "left-70", "right-30", "right-70", "done"):
        mean, far = difference(shots[f"kiosk-{name}"], shots[f"kivy-{name}"])
        assert mean < 1.5 and far < 0.01, (name, mean, far)
    # The pictures really move: frozen at 0.3 and at 0.7 the window differs.
    assert difference(shots["kiosk-left-30"], shots["kiosk-left-70"])[0] > 10
    assert report["idle_frames"] == 0
