"""A function's ``MemorySize`` as a real limit, with AWS's out-of-memory answer.

On AWS a function that uses more memory than its ``MemorySize`` is killed and the invocation
ends with ``errorType`` ``Runtime.OutOfMemory`` (``"RequestId: ... Error: Runtime exited with
error: signal: killed"``; the REPORT line shows ``Max Memory Used`` at the limit). Each worker
gets a limit of its own, by the best means the host offers, in this order:

* **cgroup v2**: a child cgroup of the server's with ``memory.max`` = ``MemorySize`` and no swap,
  when the server's cgroup delegates the memory controller to its children
  (``cgroup.subtree_control`` lists ``memory``); an OOM kill shows in ``memory.events``;
  ``cgroup.kill`` ends the whole tree; ``memory.peak`` gives Max Memory Used.
* **cgroup v1**: the same with the v1 memory controller (``memory.limit_in_bytes``,
  ``memory.memsw.limit_in_bytes``, ``oom_kill`` in ``memory.oom_control``,
  ``memory.max_usage_in_bytes``), when the server may create cgroups there.
* **RLIMIT_AS**: otherwise the worker limits its own address space (``MemorySize`` plus
  :data:`ADDRESS_SPACE_ALLOWANCE` for what the runtime maps but never touches) and reports a
  ``MemoryError`` as the out-of-memory kill AWS would have made. Address space is not resident
  memory, so this limit is approximate; it still stops a 2 GB allocation in a 128 MB function.

Every cgroup is made by the server under a directory of its runtime's own
(``localiam-<pid>-<n>``), and removed when its worker is gone.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ADDRESS_SPACE_ALLOWANCE", "MemoryLimits", "WorkerGroup", "detect"]

log = logging.getLogger("localiam.lambda")
_runtimes = itertools.count(1)
"""Each :class:`MemoryLimits` of this process gets a directory of its own."""

ADDRESS_SPACE_ALLOWANCE = 64 << 20
"""Bytes of address space a worker may map beyond ``MemorySize`` under RLIMIT_AS (the
interpreter's and libraries' reservations that hold no memory)."""


@dataclass(slots=True)
class WorkerGroup:
    """One worker's cgroup."""

    path: Path
    version: int

    @property
    def procs(self) -> Path:
        """Write a pid here to move that process (and its future children) into the group."""
        return self.path / "cgroup.procs"

    def oom_kills(self) -> int:
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            text = (self.path / name).read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def peak_mb(self) -> int | None:
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        try:
            return -(-int((self.path / name).read_text()) // (1 << 20))
        except (OSError, ValueError):
            return None

    def pids(self) -> list[int]:
        try:
            return [int(line) for line in self.procs.read_text().split()]
        except (OSError, ValueError):
            return []

    def kill(self) -> None:
        """SIGKILL every process in the group (whatever it started, in whatever session)."""
        if self.version == 2:
            with contextlib.suppress(OSError):
                (self.path / "cgroup.kill").write_text("1")
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        """Remove the group once its processes are gone (killing any left)."""
        for attempt in range(100):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                if attempt % 10 == 0:
                    self.kill()
                time.sleep(0.01)


@dataclass(slots=True)
class MemoryLimits:
    """The means the host offers: ``mode`` is ``"cgroup2"``, ``"cgroup1"`` or ``"rlimit"``."""

    mode: str
    parent: Path | None = None
    """The server's own directory of worker cgroups (``None`` under ``rlimit``)."""
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def version(self) -> int:
        return 2 if self.mode == "cgroup2" else 1

    def group(self, limit_mb: int) -> WorkerGroup | None:
        """A new cgroup limited to ``limit_mb`` MiB without swap; ``None`` under ``rlimit`` or if
        the cgroup cannot be made (the worker then limits its address space)."""
        if self.parent is None:
            return None
        path = self.parent / f"worker-{next(self.numbers)}"
        limit = str(limit_mb << 20)
        try:
            path.mkdir(mode=0o755)
        except OSError as exc:
            log.warning(
                "cannot make a memory cgroup at %s (%s): the worker limits its address space instead", path, exc
            )
            return None
        group = WorkerGroup(path, self.version)
        try:
            if self.version == 2:
                (path / "memory.max").write_text(limit)
                with contextlib.suppress(OSError):
                    (path / "memory.swap.max").write_text("0")
            else:
                (path / "memory.limit_in_bytes").write_text(limit)
                with contextlib.suppress(OSError):  # absent without swap accounting
                    (path / "memory.memsw.limit_in_bytes").write_text(limit)
        except OSError:
            group.remove()
            return None
        return group

    def close(self) -> None:
        if self.parent is not None:
            with contextlib.suppress(OSError):
                self.parent.rmdir()


def _own_cgroup(version: int, controller: str = "memory") -> str | None:
    """This process's cgroup path in the v2 hierarchy or the v1 ``controller`` hierarchy."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (version == 2 and controllers == "") or (version == 1 and controller in controllers.split(",")):
            return path
    return None


def _mounts(fstype: str, option: str | None = None) -> list[Path]:
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[2] == fstype and (option is None or option in fields[3].split(",")):
            found.append(Path(fields[1]))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep(base: Path, version: int) -> None:
    """Remove the empty cgroups of servers that are gone (killed before they could)."""
    with contextlib.suppress(OSError):
        for stale in base.glob("localiam-*"):
            pid = stale.name.removeprefix("localiam-").split("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                for child in stale.glob("worker-*"):
                    WorkerGroup(child, version).remove()
                with contextlib.suppress(OSError):
                    stale.rmdir()


def _make_parent(base: Path, version: int) -> Path | None:
    _sweep(base, version)
    parent = base / f"localiam-{os.getpid()}-{next(_runtimes)}"
    try:
        parent.mkdir(mode=0o755)
    except OSError:
        return None
    return parent


def _cgroup2() -> MemoryLimits | None:
    own = _own_cgroup(2)
    if own is None:
        return None
    for mount in _mounts("cgroup2"):
        base = mount / own.lstrip("/")
        try:
            delegated = "memory" in (base / "cgroup.subtree_control").read_text().split()
        except OSError:
            continue
        if not delegated:
            with contextlib.suppress(OSError):
                (base / "cgroup.subtree_control").write_text("+memory")
                delegated = "memory" in (base / "cgroup.subtree_control").read_text().split()
        if delegated:
            parent = _make_parent(base, 2)
            if parent is not None:
                with contextlib.suppress(OSError):
                    (parent / "cgroup.subtree_control").write_text("+memory")
                    if "memory" in (parent / "cgroup.subtree_control").read_text().split():
                        return MemoryLimits("cgroup2", parent)
                with contextlib.suppress(OSError):
                    parent.rmdir()
    return None


def _cgroup1() -> MemoryLimits | None:
    own = _own_cgroup(1)
    if own is None:
        return None
    for mount in _mounts("cgroup", "memory"):
        base = mount / own.lstrip("/")
        if (base / "memory.limit_in_bytes").exists():
            parent = _make_parent(base, 1)
            if parent is not None:
                return MemoryLimits("cgroup1", parent)
    return None


def detect(prefer: str | None = None) -> MemoryLimits:
    """The best means this host offers (``prefer="rlimit"`` forces the fallback)."""
    if prefer != "rlimit":
        for make in (_cgroup2, _cgroup1):
            limits = make()
            if limits is not None:
                return limits
    return MemoryLimits("rlimit")
