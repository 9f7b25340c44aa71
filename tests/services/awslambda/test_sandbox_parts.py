"""The sandbox's parts on their own: finding bubblewrap (and saying why not), the relay that is a
function's one way out, and the cgroup files each memory limit is made of."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from localiam.services.awslambda.memory import MemoryLimits, WorkerGroup
from localiam.services.awslambda.relay import Relays, endpoint_address
from localiam.services.awslambda.sandbox import SandboxUnavailable, probe


def test_a_missing_bubblewrap_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SandboxUnavailable, match=r"bubblewrap \(bwrap\) is not installed; install it"):
        probe(str(tmp_path / "no-such-bwrap"))


def test_a_bubblewrap_that_cannot_make_a_sandbox_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'bubblewrap 9'; exit 0; fi\n"
        "echo 'bwrap: setting up uid map: Permission denied' >&2; exit 1\n"
    )
    fake.chmod(0o755)
    with pytest.raises(SandboxUnavailable) as raised:
        probe(str(fake))
    assert "cannot create a sandbox here (bwrap: setting up uid map: Permission denied)" in str(raised.value)
    assert "user namespaces may be disabled" in str(raised.value)


@pytest.mark.parametrize(
    ("endpoint", "address"),
    [
        ("http://127.0.0.1:4599", ("127.0.0.1", 4599)),
        ("http://0.0.0.0:4599", ("127.0.0.1", 4599)),
        ("http://[::]:4599", ("::1", 4599)),
        ("http://localhost", ("localhost", 80)),
    ],
)
def test_the_relay_connects_to_the_endpoint_on_loopback(endpoint: str, address: tuple[str, int]) -> None:
    assert endpoint_address(endpoint) == address


@pytest.fixture
def web() -> Iterator[int]:
    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"hello through the relay " + self.path.encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_the_relay_joins_a_unix_socket_to_the_endpoint(tmp_path: Path, web: int) -> None:
    import http.client
    import socket

    relays = Relays(tmp_path)
    try:
        path = relays.socket_for(f"http://127.0.0.1:{web}")
        assert relays.socket_for(f"http://127.0.0.1:{web}") == path  # one relay per endpoint
        for n in range(3):
            sock = socket.socket(socket.AF_UNIX)
            sock.connect(str(path))
            conn = http.client.HTTPConnection("127.0.0.1", web)
            conn.sock = sock
            conn.request("GET", f"/{n}")
            assert conn.getresponse().read() == f"hello through the relay /{n}".encode()
            conn.close()
    finally:
        relays.close()
    assert not path.exists()
    with pytest.raises(OSError), socket.socket(socket.AF_UNIX) as closed:
        closed.connect(str(path))


def fake_cgroup(tmp_path: Path) -> Path:
    """A directory standing for the server's cgroup (the kernel makes the files a real one has)."""
    parent = tmp_path / "localiam-1"
    parent.mkdir()
    return parent


def test_a_cgroup_v2_group_is_made_of_memory_max_and_no_swap(tmp_path: Path) -> None:
    limits = MemoryLimits("cgroup2", fake_cgroup(tmp_path))
    group = limits.group(128)
    assert group is not None and group.version == 2
    assert (group.path / "memory.max").read_text() == str(128 << 20)
    assert (group.path / "memory.swap.max").read_text() == "0"
    assert group.oom_kills() == 0 and group.peak_mb() is None
    (group.path / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    (group.path / "memory.peak").write_text(str((100 << 20) + 1))
    assert group.oom_kills() == 1 and group.peak_mb() == 101
    assert group.procs == group.path / "cgroup.procs"


def test_a_cgroup_v1_group_limits_memory_and_memory_with_swap(tmp_path: Path) -> None:
    limits = MemoryLimits("cgroup1", fake_cgroup(tmp_path))
    group = limits.group(256)
    assert group is not None and group.version == 1
    assert (group.path / "memory.limit_in_bytes").read_text() == str(256 << 20)
    assert (group.path / "memory.memsw.limit_in_bytes").read_text() == str(256 << 20)
    (group.path / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    (group.path / "memory.max_usage_in_bytes").write_text(str(64 << 20))
    assert group.oom_kills() == 2 and group.peak_mb() == 64
    assert limits.group(256) is not None and limits.group(256).path.name == "worker-3"  # type: ignore[union-attr]


def test_without_cgroups_there_is_no_group() -> None:
    assert MemoryLimits("rlimit").group(128) is None


def test_a_group_of_a_real_hierarchy_is_removed_with_its_processes() -> None:
    """On this host's own hierarchy (when it has one that localiam may use)."""
    from localiam.services.awslambda.memory import detect

    limits = detect()
    if limits.parent is None:
        pytest.skip("no memory cgroup that this process may create here")
    import subprocess

    group = limits.group(64)
    assert isinstance(group, WorkerGroup)
    child = subprocess.Popen(["/bin/sh", "-c", 'echo $$ > "$0" && exec sleep 30', str(group.procs)])
    try:
        deadline = 50
        while not group.pids() and deadline:
            deadline -= 1
            threading.Event().wait(0.02)
        assert group.pids() == [child.pid]
        group.kill()
        assert child.wait(timeout=5) == -9
        group.remove()
        assert not group.path.exists()
    finally:
        child.kill()
        limits.close()
    assert limits.parent is not None and not limits.parent.exists()
