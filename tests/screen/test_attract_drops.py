"""A slide dropped from the attract loop (more projects than the slides it keeps built) is
freed soon after, with its text and photo textures, instead of waiting for Python's
occasional full collection (screen memory, issue 17).

The real app in an offscreen window, run in its own process (one Kivy window per process):
``python -m tests.screen.test_attract_drops WORKDIR`` writes WORKDIR/report.json."""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path
from typing import Any

from tests.helpers.screen_child import child_report, run_and_report


def test_a_dropped_slide_is_freed_soon_after(tmp_path):
    report = child_report("tests.screen.test_attract_drops", tmp_path, str(tmp_path))
    assert report["dropped"] >= 1  # the loop went past the slides it keeps
    # With Python's automatic collection off, only the loop's own collection frees them.
    assert report["alive_after_collect"] == 0


def main(workdir: Path) -> int:
    from tests.screen.ui_driver import configure_window

    configure_window(workdir, 800, 480)
    from kivy.clock import Clock

    from kiosk.screen.donation_flow import FlowSettings
    from kiosk.screen.startup import register_font
    from kiosk.screen.ui.app import KioskApp, KioskContext
    from kiosk.screen.ui.screens import attract
    from tests.screen.screen_fixtures import ScriptedPort, make_projects, open_ledger

    projects = make_projects(workdir / "photos", attract.MAX_SLIDES + 2, (640, 400))
    settings = FlowSettings(preset_amounts_cents=(200, 500), custom_min_cents=100,
                            custom_max_cents=15000)
    register_font()
    app = KioskApp(KioskContext(flow_settings=settings, projects=projects,
                                ledger=open_ledger(workdir / "data" / "kiosk.db"),
                                port=ScriptedPort(), device_id="drops", receipt_base_url="x",
                                slide_duration_s=60))
    gc.disable()  # no automatic full collection: only the loop's own may free the slides
    report: dict[str, Any] = {"error": None, "dropped": 0, "steps": 0}
    dropped: list[weakref.ref] = []
    original_remove = None

    def watch_drops(screen: Any) -> None:
        nonlocal original_remove
        manager = screen.ids.slides
        original_remove = manager.remove_widget

        def remove(slide: Any, *args: Any, **kwargs: Any) -> None:
            original_remove(slide, *args, **kwargs)
            dropped.append(weakref.ref(slide))
            report["dropped"] += 1

        manager.remove_widget = remove  # observe which slides the loop drops

    def step(_dt: float) -> bool:
        screen = app.screen("attract")
        if screen.ids.slides.transition.is_active:
            return True
        if report["steps"] < len(projects) + 2:
            screen.next_slide()
            report["steps"] += 1
            return True
        # Past the collection delay, with automatic collection off: only the loop freed them.
        Clock.schedule_once(finish, attract.COLLECT_AFTER_DROP_S + 1.0)
        return False

    def finish(_dt: float) -> None:
        report["alive_after_collect"] = sum(ref() is not None for ref in dropped)
        app.stop()

    def start(*_args: Any) -> None:
        watch_drops(app.screen("attract"))
        Clock.schedule_interval(step, 0.1)

    app.bind(on_shown=start)
    try:
        return run_and_report(app, report, workdir)
    finally:
        gc.enable()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
