"""``python -m tests.soak [--donations N] [--seconds S] [--seed X]``: the crash-and-fault soak.

Prints the table and exits 0 when the invariant held, 1 on any violation.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from tests.soak.harness import Options, Soak, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev soak", description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=180,
                        help="stop killing after this long even if donations remain")
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument("--kill-every", type=float, default=4.0, metavar="S",
                        help="mean seconds between two SIGKILLs")
    parser.add_argument("--protocol", choices=("concert-v2", "concert-v3"),
                        default="concert-v2")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="default: a new directory under /tmp (kept, for the logs)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    # A short path: the bridge's Unix socket lives in it (108 bytes at most).
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kiosk-soak-"))
    print(f"soak: seed {seed}, {args.donations} donations, {args.seconds:g} s, "
          f"work dir {workdir}", flush=True)
    report = Soak(Options(donations=args.donations, seconds=args.seconds, seed=seed,
                          kill_every_s=args.kill_every, protocol=args.protocol),
                  workdir).run()
    print(table(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
