"""Kivy rules parsed once and kept across starts (start-up).

Kivy parses a .kv file, and compiles every expression in it, each time it is loaded: ~16 ms
for the attract screen's rules at every start of the screen, against ~1.5 ms to read back that
parse pickled. :func:`load` gives Kivy's own ``Builder.load_string`` the kept parse when it
was made from the same text by the same Kivy and Python; anything else (a new or edited .kv
file, an upgrade, an unreadable or truncated file) is a miss: the file is parsed as usual and
the parse kept for the next start.

The cache directory is the screen's own (``screen-cache/kv/`` in the data directory), set once
by :func:`use_directory` before the screens are imported; without it (tests, tools) every load
is Kivy's plain ``Builder.load_file``. A kept parse holds compiled code that the screen runs,
and the data directory is shared with kiosk-sync (group ``kiosk``, group-writable): the
directory is made ``0700`` and each file ``0600``, and a file is used only if, opened, it
belongs to the screen's own user and nobody else may write it, so only the screen can have
written what it runs.

Kivy's own widget rules (``style.kv``, ~1 300 lines) are parsed as ``kivy.lang.builder`` is
first imported: :func:`keep_kivy_style`, called before that import, puts that parse through a
kept one too (``kivy-style.parsed``), with the same checks and the same fall-back. This module
imports nothing of ``kivy.lang`` at its own import, so that the hook can come first.
"""

from __future__ import annotations

import contextlib
import copyreg
import importlib.machinery
import importlib.util
import logging
import marshal
import os
import pickle
import stat
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import kivy

if TYPE_CHECKING:
    from kivy.lang.parser import Parser

log = logging.getLogger("kiosk.screen")
# What a kept parse depends on besides the .kv text: its code objects are the interpreter's
# bytecode, its objects Kivy's parser classes.
_STAMP = f"{kivy.__version__}|{importlib.util.MAGIC_NUMBER.hex()}|{sys.implementation.cache_tag}"
_directory: Path | None = None
_KIVY_STYLE_KEPT_AS = "kivy-style.parsed"  # not "style": a screen's own file may be style.kv


def use_directory(directory: Path | None) -> None:
    """Keep parses in ``directory`` (None: do not keep them)."""
    global _directory
    _directory = directory


def load(kv: Path) -> None:
    """``Builder.load_file(kv)``, through the kept parse when there is one."""
    from kivy.lang import Builder
    from kivy.lang.parser import Parser

    if _directory is None:
        Builder.load_file(str(kv))
        return
    text = kv.read_text(encoding="utf-8")
    parser = _kept_or_parsed(_directory / f"{kv.stem}.parsed", text, str(kv), Parser)
    with _parser_given(parser):
        Builder.load_string(text, filename=str(kv))


def keep_kivy_style(directory: Path) -> bool:
    """Keep parses in ``directory``, Kivy's own ``style.kv`` included: call before anything
    imports ``kivy.lang`` (Kivy parses that file as its builder module is first imported).
    False, and only the screen's own files kept, if ``kivy.lang`` is already imported."""
    use_directory(directory)
    if "kivy.lang.builder" in sys.modules:
        return False
    sys.meta_path.insert(0, _KivyStyleFinder())
    return True


def _kept_or_parsed(kept: Path, text: str, filename: str,
                    parser_class: Callable[..., Parser]) -> Parser:
    parser = _read(kept, text, parser_class)
    if parser is None:
        parser = parser_class(content=text, filename=filename)  # also runs its #: directives
        _write(kept, text, parser)
    else:
        parser.execute_directives()  # #:import and #:set, as a fresh parse would
    return parser


class _KivyStyleFinder:
    """Finds ``kivy.lang.builder`` as Python would, once, and wraps its loader
    (:class:`_KivyStyleLoader`); every other import is left to the next finder."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "kivy.lang.builder":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # once: a later re-import is Kivy's plain one
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _KivyStyleLoader(spec.loader)
        return spec


class _KivyStyleLoader:
    """Runs ``kivy.lang.builder`` with its ``Parser`` handing back the kept parse of
    ``style.kv`` (the one file it parses at import); every other parse, and any file that
    does not match what was kept, is Kivy's own."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:  # get_source, get_code, ...: the real loader's
        return getattr(self._real, name)

    def create_module(self, spec: Any) -> Any:
        return self._real.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        # The parser module needs only the builder's name, not its content (Kivy imports it
        # from the builder in this same circular way).
        import kivy.lang.parser as kv_parser

        real = kv_parser.Parser
        style = os.path.abspath(os.path.join(kivy.kivy_data_dir, "style.kv"))

        def parser(**kwargs: Any) -> Parser:
            kv_parser.Parser = real  # pickle finds the class by its module's name
            filename = kwargs.get("filename")
            if _directory is None or not filename or os.path.abspath(filename) != style:
                return real(**kwargs)
            try:
                return _kept_or_parsed(_directory / _KIVY_STYLE_KEPT_AS, kwargs["content"],
                                       filename, real)
            except Exception as e:  # noqa: BLE001 - Kivy must start: its own parse
                log.warning("Kivy's style.kv parsed as usual (kept parse failed: %s)", e)
                return real(**kwargs)

        kv_parser.Parser = parser  # the builder's `from kivy.lang.parser import Parser`
        try:
            self._real.exec_module(module)
        finally:
            kv_parser.Parser = real
            module.Parser = real


@contextlib.contextmanager
def _parser_given(parser: Parser) -> Iterator[None]:
    """``Builder.load_string`` makes its ``Parser(content=..., filename=...)`` through the
    builder module's global: hand it ``parser`` instead, for this one call (UI thread)."""
    import kivy.lang.builder as kivy_builder

    real = kivy_builder.Parser
    kivy_builder.Parser = lambda **_kwargs: parser
    try:
        yield
    finally:
        kivy_builder.Parser = real


def _reduce_code(code: types.CodeType) -> tuple[object, tuple[bytes]]:
    return marshal.loads, (marshal.dumps(code),)


def _write(path: Path, text: str, parser: Parser) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)  # not the data directory's group-writable mode
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.fchmod(fd, 0o600)  # whatever the umask
        with open(fd, "wb") as f:
            pickler = pickle.Pickler(f, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = copyreg.dispatch_table.copy()
            pickler.dispatch_table[types.CodeType] = _reduce_code
            pickler.dump((_STAMP, text, parser))
        os.replace(tmp, path)  # never a half-written file under the real name
    except Exception as e:  # noqa: BLE001 - only a cache: the next start parses again
        log.info("parsed rules of %s not kept: %s", path.stem, e)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _read(path: Path, text: str, parser_class: Callable[..., Parser]) -> Parser | None:
    try:
        # O_NONBLOCK: a FIFO put in its place must not hang the start-up (refused below).
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # none kept yet, or a symbolic link
        return None
    with open(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            log.warning("parsed rules %s not used: not the screen's own file (owner %d, mode "
                        "%o)", path, st.st_uid, stat.S_IMODE(st.st_mode))
            return None
        try:
            stamp, kept_text, parser = pickle.load(f)
        except Exception as e:  # noqa: BLE001 - truncated or foreign: a miss, parsed again
            log.info("parsed rules of %s unreadable, parsed again: %s", path.stem, e)
            return None
    if stamp != _STAMP or kept_text != text or type(parser) is not parser_class:
        return None
    return parser
