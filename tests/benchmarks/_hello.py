"""The start-up and memory baselines: a bare Kivy hello-world, nothing of the project nor of
the test suite imported (run as a script, not as a module of the ``tests`` package).

``python tests/benchmarks/_hello.py WORKDIR ready``: sends READY=1 to $NOTIFY_SOCKET once its
first frame is drawn, then runs until SIGTERM. ``... WORKDIR memory``: prints its resident
memory as one JSON line once the first frame is up, and exits.

Kivy is configured as the kiosk configures it (its own home, no config file, an 800x480
window, the same input providers and no modules), so only the app differs."""

import os
import signal
import socket
import sys


def configure(workdir: str) -> None:
    home = os.path.join(workdir, "kivy-home")
    os.makedirs(home, exist_ok=True)
    os.environ.update(KIVY_HOME=home, KIVY_NO_CONFIG="1", KIVY_NO_FILELOG="1",
                      KIVY_NO_ARGS="1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    from kivy.config import Config

    for section, key, value in (("graphics", "fullscreen", "0"), ("graphics", "width", "800"),
                                ("graphics", "height", "480"), ("graphics", "resizable", "0"),
                                ("graphics", "show_cursor", "0"),
                                ("graphics", "multisamples", "0")):
        Config.set(section, key, value)
    for option in list(Config.options("input")):
        Config.remove_option("input", option)
    Config.set("input", "touchscreen", "probesysfs,provider=mtdev")
    if Config.has_section("modules"):
        Config.remove_section("modules")
    Config.add_section("modules")


def notify_ready() -> None:
    path = os.environ.get("NOTIFY_SOCKET", "")
    if path:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.connect("\0" + path[1:] if path.startswith("@") else path)
            s.sendall(b"READY=1")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(workdir: str, mode: str) -> None:
    configure(workdir)
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.graphics.opengl import glFinish
    from kivy.uix.label import Label

    class Hello(App):
        def build(self) -> Label:
            return Label(text="Hello")

    app = Hello()

    def drawn(*_args: object) -> None:
        Window.unbind(on_flip=drawn)
        glFinish()  # drawn, not just queued (as the kiosk's READY=1)
        if mode == "memory":
            print(f'{{"rss_mb": {rss_mb():.1f}}}', flush=True)
            Clock.schedule_once(lambda _dt: app.stop(), 0)
        else:
            notify_ready()

    Window.bind(on_flip=drawn)
    signal.signal(signal.SIGTERM, lambda *_a: Clock.schedule_once(lambda _dt: app.stop(), 0))
    app.run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
