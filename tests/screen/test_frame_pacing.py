"""The screen keeps at most one frame queued to the GPU (kiosk.screen.ui.frame_pacing; screen
memory, issue 17): which GL contexts have fences, the pacer's bookkeeping, and the real app in
an offscreen window pacing every frame of its slide transitions.

``python -m tests.screen.test_frame_pacing WORKDIR`` is the real app's side (one Kivy window
per process); it writes WORKDIR/report.json."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kiosk.screen.ui import frame_pacing
from kiosk.screen.ui.frame_pacing import FramePacer, has_fences
from tests.helpers.screen_child import child_report, run_and_report


def test_which_contexts_have_fences():
    assert has_fences("4.5 (Compatibility Profile) Mesa 22.3.6", "")
    assert has_fences("3.2.0 NVIDIA 535.1", "")
    assert not has_fences("3.1 Mesa 22.3.6", "")
    assert not has_fences("2.1 Mesa 22.3.6", "GL_ARB_vertex_buffer_object GL_EXT_blend")
    assert has_fences("2.1 Mesa 22.3.6", "GL_EXT_blend GL_ARB_sync GL_ARB_texture")
    assert not has_fences("2.1 Mesa", "GL_ARB_syncx")  # a whole name, not a prefix
    assert has_fences("OpenGL ES 3.1 Mesa 23.2.1", "")  # a Pi's v3d
    assert has_fences("OpenGL ES 3.0 V3D 4.2", "")
    assert not has_fences("OpenGL ES 2.0 Mesa 23.2.1", "")  # VideoCore IV (vc4)
    assert not has_fences("OpenGL ES-CM 1.1 Mesa", "")
    assert not has_fences("", "")
    assert not has_fences("Mesa 22.3.6", "")


@given(st.text(), st.text())
def test_any_version_string_is_an_answer(version, extensions):
    assert has_fences(version, extensions) in (True, False)


@given(st.integers(0, 99), st.integers(0, 99), st.booleans(), st.text(max_size=30))
def test_fences_from_version_numbers(major, minor, es, rest):
    version = f"{'OpenGL ES ' if es else ''}{major}.{minor}{(' ' + rest) if rest else ''}"
    assert has_fences(version, "") == ((major, minor) >= ((3, 0) if es else (3, 2)))


class RecordedFences:
    """Stands in for the GL driver's fences: a GPU that takes longer than the wait limit
    cannot be made to happen on demand here, so the waits' answers are scripted."""

    def __init__(self, answers: list[int]):
        self.answers, self.made, self.waited, self.deleted = answers, 0, [], []

    def fence(self, _condition: int, _flags: int) -> int:
        self.made += 1
        return self.made  # fence handles 1, 2, 3...

    def client_wait(self, fence: int, _flags: int, timeout_ns: int) -> int:
        self.waited.append((fence, timeout_ns))
        return self.answers.pop(0)

    def delete(self, fence: int) -> None:
        self.deleted.append(fence)


def test_each_frame_waits_for_the_one_before_it():
    satisfied, timed_out, already = 0x911C, 0x911B, 0x911A
    fences = RecordedFences([already, timed_out, satisfied])
    pacer = FramePacer(fences)
    for _ in range(4):
        pacer.on_flip()
    # Frame 1 waits for nothing; frame n for frame n-1's fence, which is then deleted.
    assert [f for f, _ in fences.waited] == [1, 2, 3]
    assert {t for _, t in fences.waited} == {int(frame_pacing.WAIT_LIMIT_S * 1e9)}
    assert fences.deleted == [1, 2, 3]
    assert (pacer.waits, pacer.late) == (3, 1)


def test_the_real_app_paces_its_frames(tmp_path):
    report = child_report("tests.screen.test_frame_pacing", tmp_path, str(tmp_path))
    assert report["paced"], report  # Mesa's context here has fences, so the app paces
    assert report["slides"] == 4
    assert report["flips"] >= 20  # four 0.6 s slide transitions were drawn
    # Every frame after the first waited for the one before it: none went unpaced.
    assert report["waits"] == report["flips"] - 1


def main(workdir: Path) -> int:
    from tests.screen.ui_driver import configure_window

    configure_window(workdir, 800, 480)
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.screen.donation_flow import FlowSettings
    from kiosk.screen.startup import register_font
    from kiosk.screen.ui.app import KioskApp, KioskContext
    from tests.screen.screen_fixtures import ScriptedPort, make_projects, open_ledger

    settings = FlowSettings(preset_amounts_cents=(200, 500), custom_min_cents=100,
                            custom_max_cents=15000)
    register_font()
    app = KioskApp(KioskContext(flow_settings=settings,
                                projects=make_projects(workdir / "photos", 3, (640, 400)),
                                ledger=open_ledger(workdir / "data" / "kiosk.db"),
                                port=ScriptedPort(), device_id="pacing", receipt_base_url="x",
                                slide_duration_s=60))
    report: dict[str, Any] = {"error": None, "flips": 0, "slides": 0}

    def flipped(*_args: Any) -> None:
        report["flips"] += 1

    Window.bind(on_flip=flipped)  # before the app's build: every frame is counted

    def step(_dt: float) -> bool:
        screen = app.screen("attract")
        if screen.ids.slides.transition.is_active:
            return True
        if report["slides"] < 4:
            screen.next_slide()
            report["slides"] += 1
            return True
        pacer = app.frame_pacer
        report.update(paced=pacer is not None, waits=pacer.waits if pacer else 0)
        app.stop()
        return False

    app.bind(on_shown=lambda *_a: Clock.schedule_interval(step, 0.1))
    return run_and_report(app, report, workdir)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
