"""A short run of the crash-and-fault soak, so the harness itself cannot rot: 15 donations,
every process SIGKILLed at least once, central API faults, then the full invariant check."""

from __future__ import annotations

from pathlib import Path

from tests.soak.harness import PROCESSES, Options, Soak, table


def test_short_soak_keeps_the_invariant(tmp_path: Path) -> None:
    seed = 20240611
    options = Options(donations=15, seconds=40, seed=seed, kill_every_s=1.0,
                      settle_timeout_s=60)
    report = Soak(options, tmp_path / "soak").run()
    print(table(report))  # shown on failure, with the seed to replay it
    assert report.ok, table(report)
    assert sum(report.states.values()) == 15
    assert all(report.kills[name] >= 1 for name in PROCESSES), report.kills
    assert report.acquirer_approved >= 1
    assert report.duration_s < 60
