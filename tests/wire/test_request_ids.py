"""Request ids are shaped like AWS's (``x-amzn-RequestId``: a version 4 UUID) and never repeat."""

from __future__ import annotations

import os
import re
import uuid

from localiam.wire.protocol import new_request_id

V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_request_ids_are_version_4_uuids() -> None:
    ids = [new_request_id() for _ in range(20_000)]
    assert all(V4.match(i) for i in ids)
    assert all(uuid.UUID(i).version == 4 for i in ids[:100])
    assert len(set(ids)) == len(ids)


def test_a_forked_child_draws_other_ids_than_its_parent() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first id, to the parent
        os.close(read)
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    mine = new_request_id()
    with os.fdopen(read) as pipe:
        theirs = pipe.read()
    os.waitpid(pid, 0)
    assert V4.match(theirs)
    assert theirs != mine
