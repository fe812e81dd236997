"""``python -m tests.benchmarks [NAME ...]``: run every benchmark module, or the named ones."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import tests.benchmarks as package


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__)
                  if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: "
              f"{', '.join(available())}", file=sys.stderr)
        return 2
    for name in names:
        print(f"\n== {name} ==", flush=True)
        importlib.import_module(f"tests.benchmarks.{name}").main()
    return 0


raise SystemExit(main(sys.argv[1:]))
