"""``python -m tests.benchmarks [NAME ...]``: run every benchmark module, or the named ones."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import tests.benchmarks as package


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__)
                  if not m.name.startswith("_"))


def _load() -> str:
    """The 1, 5 and 15 minute load averages: on a shared machine they say how noisy a run
    was (the ratios against each run's own baseline are what count)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: "
              f"{', '.join(available())}", file=sys.stderr)
        return 2
    for name in names:
        print(f"\n== {name} ==  (load average {_load()})", flush=True)
        importlib.import_module(f"tests.benchmarks.{name}").main()
        print(f"(load average at the end {_load()})", flush=True)
    return 0


raise SystemExit(main(sys.argv[1:]))
