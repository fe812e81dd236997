"""A Raspberry Pi-sized budget for a group of processes: one CPU and 1 GiB of memory shared by
everything started in it.

One CPU is one core of this machine given to the group alone: every process in it is pinned to
that core (a cpuset where the mechanism has one, the affinity mask otherwise), and whoever
starts the group pins itself and what it starts outside the group (the central service) to the
other cores (:func:`pin_outside`). A CFS quota of one CPU stays on as a cap, but it no longer
decides: on a 2-core host a quota alone lets the group run on both cores for half of each
100 ms period and then stops every thread in it, the screen's included, for the other half, a
stall no single-core device has (a single core time-slices its threads by their nice level).
The first mechanism that works here is used, and named in the output:

1. ``systemd-run --scope`` in a slice with AllowedCPUs=, CPUQuota=100% and MemoryMax=1G
   (systemd as PID 1);
2. a cgroup v2 child of this process's cgroup with cpuset.cpus, cpu.max and memory.max
   (controllers delegated to it);
3. a cgroup v1 child (cpuset, cpu and memory hierarchies mounted, written as root) with
   cpuset.cpus, a CFS quota of 100 ms per 100 ms period and memory.limit_in_bytes;
4. otherwise ``taskset`` to the group's core and RLIMIT_AS of 1 GiB per process (address space,
   not memory used: no shared limit and no group peak; the screen, whose software OpenGL
   reserves about 1.1 GB of address space, may fail to start under it, which the output then
   shows).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

CPU_PERIOD_US = 100_000
MEMORY_MAX = 1 << 30
UNIFIED = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))


# The cores this process could run on when it started (before pin_outside narrowed them).
CORES = frozenset(os.sched_getaffinity(0))


def group_core() -> int:
    """The core given to the group: the last one this process could run on."""
    return max(CORES)


def pin_outside() -> set[int]:
    """Pin this process (and what it starts from now on) to the cores the group does not use,
    so the group's core is its own, as a device's CPU is. Returns those cores (empty, and
    nothing pinned, on a one-core machine)."""
    others = set(CORES - {group_core()})
    if others:
        os.sched_setaffinity(0, others)
    return others


class Budget:
    """Start processes inside the budget with ``wrap(argv)`` → (argv, preexec_fn)."""

    name = "none"
    core = -1

    def wrap(self, argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
        return argv, None

    def peak_memory_mb(self) -> float | None:
        """The whole group's peak memory (page cache included, as the kernel charges it)."""
        return None

    def oom_kills(self) -> int | None:
        return None

    def limit_hits(self) -> int | None:
        """How often the group's memory use reached the limit (the kernel then reclaimed)."""
        return None

    def throttled(self) -> tuple[int, int, float] | None:
        """CPU quota periods, those in which the group was throttled, and seconds throttled:
        whether the one-CPU quota, rather than the machine, held the group back."""
        return None

    def close(self) -> None:
        """After every process in it has exited."""


class SystemdSlice(Budget):
    def __init__(self, unit: str, core: int) -> None:
        self.unit, self.core = unit, core
        self.name = (f"systemd-run --scope in {unit} (AllowedCPUs={core}, CPUQuota=100%, "
                     "MemoryMax=1G)")
        subprocess.run(["systemctl", "set-property", "--runtime", unit, f"AllowedCPUs={core}",
                        "CPUQuota=100%", "MemoryMax=1G"], check=True, capture_output=True,
                       timeout=10)
        group = subprocess.run(["systemctl", "show", "-P", "ControlGroup", unit],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        self.dir = Path("/sys/fs/cgroup") / group.lstrip("/") if group else None

    def wrap(self, argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
        return ["systemd-run", "--scope", "--quiet", f"--slice={self.unit}", "--", *argv], \
            _pin(self.core)

    def peak_memory_mb(self) -> float | None:
        return _read_mb(self.dir / "memory.peak") if self.dir else None

    def oom_kills(self) -> int | None:
        return _v2_event(self.dir, "oom_kill") if self.dir else None

    def limit_hits(self) -> int | None:
        return _v2_event(self.dir, "max") if self.dir else None

    def throttled(self) -> tuple[int, int, float] | None:
        return _cpu_stat(self.dir / "cpu.stat", "throttled_usec", 1e-6) if self.dir else None

    def close(self) -> None:
        subprocess.run(["systemctl", "stop", self.unit], capture_output=True, timeout=30)


class CgroupV2(Budget):
    def __init__(self, parent: Path, name: str, core: int) -> None:
        self.core = core
        self.name = (f"cgroup v2 {parent / name} (cpuset.cpus {core}, cpu.max 100000 100000, "
                     "memory.max 1G)")
        (parent / "cgroup.subtree_control").write_text("+cpuset +cpu +memory")
        self.dir = parent / name
        self.dir.mkdir()
        (self.dir / "cpuset.cpus").write_text(str(core))
        (self.dir / "cpu.max").write_text(f"{CPU_PERIOD_US} {CPU_PERIOD_US}")
        (self.dir / "memory.max").write_text(str(MEMORY_MAX))

    def wrap(self, argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
        procs, pin = self.dir / "cgroup.procs", _pin(self.core)

        def join() -> None:
            procs.write_text(str(os.getpid()))
            pin()
        return argv, join

    def peak_memory_mb(self) -> float | None:
        return _read_mb(self.dir / "memory.peak")

    def oom_kills(self) -> int | None:
        return _v2_event(self.dir, "oom_kill")

    def limit_hits(self) -> int | None:
        return _v2_event(self.dir, "max")

    def throttled(self) -> tuple[int, int, float] | None:
        return _cpu_stat(self.dir / "cpu.stat", "throttled_usec", 1e-6)

    def close(self) -> None:
        _remove([self.dir])


class CgroupV1(Budget):
    def __init__(self, cpuset: Path, cpu: Path, memory: Path, core: int) -> None:
        self.cpuset, self.cpu, self.memory, self.core = cpuset, cpu, memory, core
        self.name = (f"cgroup v1 {cpuset} + {cpu} + {memory} (cpuset.cpus {core}, "
                     f"cpu.cfs_quota_us {CPU_PERIOD_US} per {CPU_PERIOD_US} us, "
                     "memory.limit_in_bytes 1G)")
        made: list[Path] = []
        try:
            for group in (cpuset, cpu, memory):
                group.mkdir()
                made.append(group)
        except OSError:
            _remove(made)
            raise
        (cpuset / "cpuset.mems").write_text((cpuset.parent / "cpuset.mems").read_text())
        (cpuset / "cpuset.cpus").write_text(str(core))
        (cpu / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
        (cpu / "cpu.cfs_quota_us").write_text(str(CPU_PERIOD_US))
        (memory / "memory.limit_in_bytes").write_text(str(MEMORY_MAX))

    def wrap(self, argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
        pin = _pin(self.core)

        def join() -> None:
            for group in (self.cpuset, self.cpu, self.memory):
                (group / "cgroup.procs").write_text(str(os.getpid()))
            pin()
        return argv, join

    def peak_memory_mb(self) -> float | None:
        return _read_mb(self.memory / "memory.max_usage_in_bytes")

    def oom_kills(self) -> int | None:
        for line in (self.memory / "memory.oom_control").read_text().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return None

    def limit_hits(self) -> int | None:
        return int((self.memory / "memory.failcnt").read_text())

    def throttled(self) -> tuple[int, int, float] | None:
        return _cpu_stat(self.cpu / "cpu.stat", "throttled_time", 1e-9)

    def close(self) -> None:
        _remove([self.cpuset, self.cpu, self.memory])


class TasksetRlimit(Budget):
    def __init__(self, core: int) -> None:
        self.core = core
        self.name = (f"taskset -c {core} + RLIMIT_AS 1 GiB per process (no shared limit, no "
                     "group peak)")

    def wrap(self, argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
        pin = _pin(self.core)

        def limit() -> None:
            pin()
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_MAX, MEMORY_MAX))
        return argv, limit


def make_budget(label: str) -> Budget:
    """A fresh group named after ``label`` with the first mechanism that works here."""
    name = f"kiosk-budget-{label}-{uuid.uuid4().hex[:8]}"
    core = group_core()
    if Path("/run/systemd/system").is_dir() and shutil.which("systemd-run"):
        try:
            return SystemdSlice(f"{name}.slice", core)
        except (OSError, subprocess.SubprocessError):
            pass
    own = _own_cgroups()
    for root in UNIFIED:
        if (root / "cgroup.controllers").exists() and "" in own:
            parent = root / own[""].lstrip("/")
            controllers = (parent / "cgroup.controllers").read_text().split()
            if {"cpuset", "cpu", "memory"} <= set(controllers):
                try:
                    return CgroupV2(parent, name, core)
                except OSError:
                    pass
    mounts = _v1_mounts()
    if {"cpuset", "cpu", "memory"} <= set(mounts):
        try:
            return CgroupV1(*(mounts[c] / own.get(c, "/").lstrip("/") / name
                              for c in ("cpuset", "cpu", "memory")), core)
        except OSError:
            pass
    return TasksetRlimit(core)


def _remove(groups: list[Path], wait_s: float = 10) -> None:
    """rmdir once the last process in them has exited (a grandchild may outlive its parent
    by a moment)."""
    deadline = time.monotonic() + wait_s
    for group in groups:
        while True:
            try:
                group.rmdir()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def _own_cgroups() -> dict[str, str]:
    """controller → this process's cgroup path ("" for the v2 hierarchy)."""
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else [""]:
            own[c] = path
    return own


def _v1_mounts() -> dict[str, Path]:
    mounts = {}
    for line in Path("/proc/self/mounts").read_text().splitlines():
        _, where, kind, options, *_ = line.split()
        if kind == "cgroup":
            for option in options.split(","):
                if option in ("cpuset", "cpu", "memory"):
                    mounts[option] = Path(where)
    return mounts


def _pin(core: int) -> Callable[[], None]:
    """Run in the child before exec: the child and every thread it starts run on ``core``
    (a cpuset sets this too on joining; the mask is set anyway for mechanisms without one)."""
    return lambda: os.sched_setaffinity(0, {core})


def _read_mb(path: Path) -> float | None:
    try:
        return int(path.read_text()) / 2**20
    except (OSError, ValueError):
        return None


def _cpu_stat(path: Path, time_key: str, unit_s: float) -> tuple[int, int, float] | None:
    try:
        stat = dict(line.split() for line in path.read_text().splitlines())
        return (int(stat["nr_periods"]), int(stat["nr_throttled"]),
                int(stat[time_key]) * unit_s)
    except (OSError, KeyError, ValueError):
        return None


def _v2_event(group: Path, key: str) -> int | None:
    """A count from memory.events: ``oom_kill``, or ``max`` (the limit reached)."""
    try:
        for line in (group / "memory.events").read_text().splitlines():
            if line.startswith(f"{key} "):
                return int(line.split()[1])
    except OSError:
        pass
    return None
