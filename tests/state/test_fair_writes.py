"""Writers of one process take turns on an SQLite store in the order they asked
(``localiam.state.store._FairLock``): SQLite's busy handler polls with growing sleeps and lets
late writers overtake, which made tail latencies under concurrent writes tens of times the
median. A writer that waits longer than the timeout gives up its turn without blocking the
ones behind it."""

from __future__ import annotations

import threading
import time

import pytest

from localiam.state.store import StoreError, _FairLock


def test_turns_are_granted_in_the_order_asked() -> None:
    lock = _FairLock()
    order: list[int] = []
    first = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with lock.hold():
            first.set()
            release.wait(5)

    def waiter(i: int) -> None:
        with lock.hold():
            order.append(i)

    threading.Thread(target=holder).start()
    first.wait(5)
    threads = []
    for i in range(8):
        t = threading.Thread(target=waiter, args=(i,))
        t.start()
        threads.append(t)
        time.sleep(0.02)  # each asks after the previous one
    release.set()
    for t in threads:
        t.join(5)
    assert order == list(range(8))


def test_a_waiter_that_gives_up_leaves_its_turn_to_the_next() -> None:
    lock = _FairLock(timeout=0.2)
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with lock.hold():
            held.set()
            release.wait(5)

    threading.Thread(target=holder).start()
    held.wait(5)
    with pytest.raises(StoreError, match="locked"), lock.hold():
        pass
    got: list[str] = []

    def next_writer() -> None:
        with lock.hold():
            got.append("turn")

    after = threading.Thread(target=next_writer)
    after.start()
    release.set()
    after.join(5)
    assert got == ["turn"]
