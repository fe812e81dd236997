"""At most one frame queued to the GPU behind the one being drawn (screen memory, issue 17).

Kivy swaps and goes on to the next frame without waiting for the GPU, and a swap that shows
nothing (an offscreen window's pbuffer) does not even flush: Mesa's llvmpipe then kept binning
frame after frame of a slide transition into scenes it flushed only when something forced
it, and kept that memory for reuse (~50 MB of the process after one transition). A flush per
frame alone left the frames queued behind a renderer falling behind (peak 204 MB against
237-247 MB; paced, 181 MB). A Pi's KMS/DRM swap flushes and waits for the previous page flip,
so there this costs nothing; it bounds the queue wherever the display does not, and a queued
frame is only latency between a touch and what the donor sees.

Each frame gets a GL fence before its swap (Mesa flushes the frame to make it), and the UI
thread waits (at most :data:`WAIT_LIMIT_S`) for the previous frame's fence: the frame being
drawn plus one in the GPU's hands. GL 3.2, ARB_sync or OpenGL ES 3.0 are needed; without
them nothing is done.
"""

from __future__ import annotations

import ctypes
import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("kiosk.screen")

# A frame that takes longer than this on the GPU is not waited for any further: the UI thread
# never stalls for long (the systemd watchdog, touches), the queue just grows by one.
WAIT_LIMIT_S = 0.1

_GL_SYNC_GPU_COMMANDS_COMPLETE = 0x9117
_GL_SYNC_FLUSH_COMMANDS_BIT = 0x1
_GL_TIMEOUT_EXPIRED = 0x911B
_GL_WAIT_FAILED = 0x911D
_GL_VERSION = 0x1F02
_GL_EXTENSIONS = 0x1F03


def has_fences(version: str, extensions: str) -> bool:
    """Whether a context whose ``glGetString(GL_VERSION)`` and ``GL_EXTENSIONS`` are these has
    fence syncs: OpenGL ES 3.0 or later, desktop OpenGL 3.2 or later, or ARB_sync."""
    if "GL_ARB_sync" in extensions.split():
        return True
    m = re.match(r"\s*(OpenGL ES(?:-C[ML])? )?(\d+)\.(\d+)", version)
    if m is None:
        return False
    major, minor = int(m.group(2)), int(m.group(3))
    return (major, minor) >= ((3, 0) if m.group(1) else (3, 2))


class _Fences:
    """glFenceSync, glClientWaitSync and glDeleteSync of the current context, through SDL (the
    library that made the context knows how to look its functions up: EGL or GLX)."""

    def __init__(self, get_proc: Any):
        def fn(name: bytes, restype: Any, *argtypes: Any) -> Any:
            address = get_proc(name)
            if not address:
                raise LookupError(name.decode())
            return ctypes.CFUNCTYPE(restype, *argtypes)(address)

        self.fence = fn(b"glFenceSync", ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint)
        self.client_wait = fn(b"glClientWaitSync", ctypes.c_uint, ctypes.c_void_p,
                              ctypes.c_uint, ctypes.c_uint64)
        self.delete = fn(b"glDeleteSync", None, ctypes.c_void_p)


class FramePacer:
    """Bound to the window's ``on_flip`` (before the swap): fences this frame, waits for the
    previous one. ``waits`` and ``late`` (waits that hit :data:`WAIT_LIMIT_S` or failed) are
    counted for the tests and the logs."""

    def __init__(self, fences: _Fences):
        self._fences = fences
        self._previous: int | None = None
        self.waits = 0
        self.late = 0

    def on_flip(self, *_args: object) -> None:
        fence = self._fences.fence(_GL_SYNC_GPU_COMMANDS_COMPLETE, 0)
        previous, self._previous = self._previous, fence or None
        if previous is None:
            return
        result = self._fences.client_wait(previous, _GL_SYNC_FLUSH_COMMANDS_BIT,
                                          int(WAIT_LIMIT_S * 1e9))
        self._fences.delete(previous)
        self.waits += 1
        if result in (_GL_TIMEOUT_EXPIRED, _GL_WAIT_FAILED):
            self.late += 1


def _sdl_get_proc() -> Any | None:
    """SDL_GL_GetProcAddress of the SDL2 library loaded in this process (Kivy's window)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for path in dict.fromkeys(line.split(None, 5)[-1] for line in maps.splitlines()
                              if re.search(r"/libSDL2-2[.-][^/]*\.so", line)):
        try:
            get_proc = ctypes.CDLL(path).SDL_GL_GetProcAddress
        except (OSError, AttributeError):
            continue
        get_proc.restype, get_proc.argtypes = ctypes.c_void_p, [ctypes.c_char_p]
        return get_proc
    return None


def install(window: Any) -> FramePacer | None:
    """Pace ``window``'s frames (UI thread, its GL context current); None where the context
    has no fences or its functions cannot be found (frames then go as Kivy sends them)."""
    from kivy.graphics.opengl import glGetString

    def text(name: int) -> str:
        try:
            return (glGetString(name) or b"").decode("ascii", "replace")
        except Exception:  # noqa: BLE001 - e.g. GL_EXTENSIONS is an error in a core profile
            return ""

    version = text(_GL_VERSION)
    if not has_fences(version, text(_GL_EXTENSIONS)):
        log.info("frames not paced: no GL fences in %r", version)
        return None
    get_proc = _sdl_get_proc()
    if get_proc is None:
        log.info("frames not paced: SDL2's GL function lookup not found")
        return None
    try:
        pacer = FramePacer(_Fences(get_proc))
    except LookupError as e:
        log.info("frames not paced: %s not found", e)
        return None
    window.bind(on_flip=pacer.on_flip)
    return pacer
