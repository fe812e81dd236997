"""The attract loop draws nothing while nothing changes: between two slide transitions the
real app, in a real offscreen window, flips no frame (a Clock-driven property, a label
rendered again or the progress bar would each make it draw on every tick)."""

from __future__ import annotations

from tests.screen.test_screen_ui import drive


def test_a_shown_slide_draws_no_frame_until_the_next_transition(tmp_path):
    report = drive(tmp_path, "idle-frames", "800x480", "fr", "--port", "scripted")
    assert report["idle_frames"] == 0
    # The count is live: the next slide transition draws frames.
    assert report["transition_frames"] > 5
