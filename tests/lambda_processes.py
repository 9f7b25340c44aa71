"""A function's processes seen from the host, whatever PID namespace they are in: every process
of a function inherits its environment, so a ``WITNESS`` variable in the function's environment
finds them all in ``/proc``."""

from __future__ import annotations

import os
import time
from pathlib import Path


def witness() -> str:
    """A value for a ``WITNESS`` environment variable: every process of the function inherits it,
    so :func:`tree` finds them from the host."""
    return os.urandom(8).hex()


def tree(token: str) -> list[int]:
    """Host pids of live (not zombie) processes whose environment has ``WITNESS=token``."""
    needle = f"WITNESS={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(entry.name))
    return found


def wait_tree_gone(token: str, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while tree(token) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not tree(token)


def roots(token: str) -> list[int]:
    """The witnessed processes whose parent is not witnessed: one per worker."""
    pids = set(tree(token))
    found = []
    for pid in pids:
        try:
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent not in pids:
            found.append(pid)
    return sorted(found)


def wait_roots(token: str, count: int, seconds: float = 5.0) -> bool:
    """Wait until exactly ``count`` workers are witnessed."""
    deadline = time.monotonic() + seconds
    while len(roots(token)) != count and time.monotonic() < deadline:
        time.sleep(0.02)
    return len(roots(token)) == count
