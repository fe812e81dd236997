"""Run in a process of its own (Kivy configures itself once per process): loads a .kv file
through ``kiosk.screen.ui.kv_cache`` and prints, as one JSON line, the rules Kivy's Builder got
from it and whether Kivy's parser ran.

``python -m tests.screen.kv_cache_child load KV CACHE_DIR`` (CACHE_DIR ``-``: no cache);
``python -m tests.screen.kv_cache_child damaged KV CACHE_DIR``: Hypothesis writes damaged
kept parses (any bytes, a truncated one, another Kivy's) and every load must still give the
rules of a fresh parse, then keep a good parse again.
``python -m tests.screen.kv_cache_child style - CACHE_DIR``: Kivy's own style.kv, kept through
``kv_cache.keep_kivy_style`` called before ``kivy.lang`` is imported (``-``: not called);
``... style-late - CACHE_DIR``: the same, called after."""

from __future__ import annotations

import json
import pickle
import sys
import types
from pathlib import Path
from typing import Any


def _code(code: Any) -> Any:
    """A compiled expression as comparable values (a constant value stays as it is)."""
    if not isinstance(code, types.CodeType):
        return repr(code)
    return [code.co_code.hex(), repr(code.co_consts), list(code.co_names)]


def dump_rule(rule: Any) -> dict[str, Any]:
    """Everything of a parsed rule that Kivy's Builder applies, in plain values."""
    return {
        "name": rule.name, "id": rule.id, "level": rule.level,
        # watched_keys comes from a set: its order differs from one process to the next.
        "properties": [[p.name, p.value, p.mode, _code(p.co_value),
                        sorted(repr(k) for k in p.watched_keys or [])]
                       for p in rule.properties.values()],
        "handlers": [[h.name, h.value, _code(h.co_value)] for h in rule.handlers],
        "children": [dump_rule(c) for c in rule.children],
        "canvas": [dump_rule(c) if c else None
                   for c in (rule.canvas_before, rule.canvas_root, rule.canvas_after)],
    }


class ParseCount:
    """Counts the runs of Kivy's own parser (instrumented, still run)."""

    def __init__(self) -> None:
        from kivy.lang.parser import Parser

        self.runs = 0
        real = Parser.parse

        def counted(parser: Any, content: str) -> Any:
            self.runs += 1
            return real(parser, content)

        Parser.parse = counted


def rules_of(kv: Path) -> list[Any]:
    from kivy.lang import Builder

    return [[str(selector.key) if hasattr(selector, "key") else repr(selector), dump_rule(rule)]
            for selector, rule in Builder.rules if rule.ctx.filename == str(kv)]


def load(kv: Path, cache_dir: str) -> dict[str, Any]:
    from kiosk.screen.ui import kv_cache

    count = ParseCount()
    kv_cache.use_directory(None if cache_dir == "-" else Path(cache_dir))
    kv_cache.load(kv)
    return {"parsed": count.runs, "rules": rules_of(kv)}


def damaged(kv: Path, cache_dir: Path) -> dict[str, Any]:
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from kivy.lang import Builder

    from kiosk.screen.ui import kv_cache

    kv_cache.use_directory(cache_dir)
    kv_cache.load(kv)
    fresh = rules_of(kv)
    path = cache_dir / f"{kv.stem}.parsed"
    kept = path.read_bytes()
    stamp, text, parser = pickle.loads(kept)
    kv_cache._STAMP = "0.0.0|" + stamp  # the same parse, as another Kivy would have kept it
    kv_cache._write(path, text, parser)
    kv_cache._STAMP = stamp
    other_kivy = path.read_bytes()
    count = ParseCount()

    @settings(max_examples=60, deadline=None, database=None)
    @given(st.one_of(st.binary(max_size=2000),
                     st.integers(0, len(kept) - 1).map(lambda n: kept[:n]),
                     st.just(other_kivy), st.just(b"")))
    def any_damage_is_a_miss(data: bytes) -> None:
        Builder.unload_file(str(kv))
        (cache_dir / f"{kv.stem}.parsed").write_bytes(data)
        runs = count.runs
        kv_cache.load(kv)
        assert rules_of(kv) == fresh
        assert count.runs == runs + 1  # parsed again
        Builder.unload_file(str(kv))
        kv_cache.load(kv)  # and kept again: the next load is a hit
        assert rules_of(kv) == fresh
        assert count.runs == runs + 1

    any_damage_is_a_miss()
    return {"ok": True, "parsed": count.runs}


def kivy_style(cache_dir: str, *, late: bool = False) -> dict[str, Any]:
    import os

    import kivy

    from kiosk.screen.ui import kv_cache

    if late:
        import kivy.lang  # noqa: F401 - imported before the hook, as by a careless caller
    hooked = cache_dir != "-" and kv_cache.keep_kivy_style(Path(cache_dir))
    import kivy.lang.builder
    from kivy.lang import Builder
    from kivy.lang.parser import Parser

    style = Path(os.path.join(kivy.kivy_data_dir, "style.kv"))
    return {"hooked": hooked, "rules": rules_of(style),
            # Kivy's own names, as Kivy left them: the real class, the real loader's source.
            "builder_parser_is_kivys": kivy.lang.builder.Parser is Parser,
            "source_readable": bool(kivy.lang.builder.__loader__.get_source(
                "kivy.lang.builder")),
            "finders_left": sum(type(f).__name__ == "_KivyStyleFinder" for f in sys.meta_path),
            "builder_ok": Builder.load_string("<Hello@Label>:\n    text: 'hi'\n") is None}


if __name__ == "__main__":
    mode, kv_file, directory = sys.argv[1:4]
    if mode in ("style", "style-late"):
        result = kivy_style(directory, late=mode == "style-late")
    elif mode == "load":
        result = load(Path(kv_file), directory)
    else:
        result = damaged(Path(kv_file), Path(directory))
    print(json.dumps(result))
