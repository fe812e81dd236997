"""A Raspberry Pi-sized budget for a group of processes: one CPU and 1 GiB of memory shared by
everything started in it. The first mechanism that works here is used, and named in the output:

1. ``systemd-run --scope`` in a slice with CPUQuota=100% and MemoryMax=1G (systemd as PID 1);
2. a cgroup v2 child of this process's cgroup with cpu.max and memory.max (controllers
   delegated to it);
3. a cgroup v1 child (cpu and memory hierarchies mounted, written as root) with a CFS quota of
   100 ms per 100 ms period and memory.limit_in_bytes;
4. otherwise ``taskset`` to one CPU and RLIMIT_AS of 1 GiB per process (address space, not
   memory used: no shared limit and no group peak; the screen, whose software OpenGL reserves
   about 1.1 GB of address space, may fail to start under it, which the output then shows).
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


class Budget:
    """Start processes inside the budget with ``wrap(argv)`` → (argv, preexec_fn)."""

    name = "none"

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
    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.name = f"systemd-run --scope in {unit} (CPUQuota=100%, MemoryMax=1G)"
        subprocess.run(["systemctl", "set-property", "--runtime", unit, "CPUQuota=100%",
                        "MemoryMax=1G"], check=True, capture_output=True, timeout=10)
        group = subprocess.run(["systemctl", "show", "-P", "ControlGroup", unit],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        self.dir = Path("/sys/fs/cgroup") / group.lstrip("/") if group else None

    def wrap(self, argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
        return ["systemd-run", "--scope", "--quiet", f"--slice={self.unit}", "--", *argv], None

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
    def __init__(self, parent: Path, name: str) -> None:
        self.name = f"cgroup v2 {parent / name} (cpu.max 100000 100000, memory.max 1G)"
        (parent / "cgroup.subtree_control").write_text("+cpu +memory")
        self.dir = parent / name
        self.dir.mkdir()
        (self.dir / "cpu.max").write_text(f"{CPU_PERIOD_US} {CPU_PERIOD_US}")
        (self.dir / "memory.max").write_text(str(MEMORY_MAX))

    def wrap(self, argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
        procs = self.dir / "cgroup.procs"
        return argv, lambda: procs.write_text(str(os.getpid()))

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
    def __init__(self, cpu: Path, memory: Path) -> None:
        self.cpu, self.memory = cpu, memory
        self.name = (f"cgroup v1 {cpu} + {memory} (cpu.cfs_quota_us {CPU_PERIOD_US} per "
                     f"{CPU_PERIOD_US} us, memory.limit_in_bytes 1G)")
        cpu.mkdir()
        try:
            memory.mkdir()
        except OSError:
            cpu.rmdir()
            raise
        (cpu / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
        (cpu / "cpu.cfs_quota_us").write_text(str(CPU_PERIOD_US))
        (memory / "memory.limit_in_bytes").write_text(str(MEMORY_MAX))

    def wrap(self, argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
        def join() -> None:
            for group in (self.cpu, self.memory):
                (group / "cgroup.procs").write_text(str(os.getpid()))
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
        _remove([self.cpu, self.memory])


class TasksetRlimit(Budget):
    name = "taskset -c 0 + RLIMIT_AS 1 GiB per process (no shared limit, no group peak)"

    def wrap(self, argv: list[str]) -> tuple[list[str], Callable[[], None] | None]:
        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_MAX, MEMORY_MAX))
        return ["taskset", "-c", "0", *argv], limit


def make_budget(label: str) -> Budget:
    """A fresh group named after ``label`` with the first mechanism that works here."""
    name = f"kiosk-budget-{label}-{uuid.uuid4().hex[:8]}"
    if Path("/run/systemd/system").is_dir() and shutil.which("systemd-run"):
        try:
            return SystemdSlice(f"{name}.slice")
        except (OSError, subprocess.SubprocessError):
            pass
    own = _own_cgroups()
    for root in UNIFIED:
        if (root / "cgroup.controllers").exists() and "" in own:
            parent = root / own[""].lstrip("/")
            controllers = (parent / "cgroup.controllers").read_text().split()
            if {"cpu", "memory"} <= set(controllers):
                try:
                    return CgroupV2(parent, name)
                except OSError:
                    pass
    mounts = _v1_mounts()
    if "cpu" in mounts and "memory" in mounts:
        try:
            return CgroupV1(mounts["cpu"] / own.get("cpu", "/").lstrip("/") / name,
                            mounts["memory"] / own.get("memory", "/").lstrip("/") / name)
        except OSError:
            pass
    return TasksetRlimit()


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
                if option in ("cpu", "memory"):
                    mounts[option] = Path(where)
    return mounts


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
