"""The sandbox a function runs in: bubblewrap (``bwrap``), a maintained, unprivileged sandbox
built on Linux namespaces (Debian package ``bubblewrap``).

A function sees what it sees on AWS (``lambda-runtime-environment``,
``configuration-envvars-runtime``) and nothing of localiam:

* its code read-only at ``/var/task`` (``LAMBDA_TASK_ROOT``) and the runtime's bootstrap at
  ``/var/runtime``; a private, writable ``/tmp`` of its own execution environment;
* the operating system (``/usr``, the dynamic loader's cache, time zones, certificates) and the
  Python that runs localiam, with its site-packages (boto3), read-only; nothing else of the host's
  file system: not the data dir, not the database, not another function's code or ``/tmp``, not the
  home directory (a bound directory that contains a hidden path gets an empty directory there);
* its own user (``sbx_user1051``, uid 993, as on AWS), PID, IPC, UTS and network namespaces: it
  sees only its own processes (so it cannot signal the server, or read ``/proc/<server>/environ``),
  holds no capabilities, and every process it starts dies with it;
* a network with only a loopback interface, on which the endpoint's port is forwarded to
  localiam through a Unix socket (:mod:`.relay`): the function reaches localiam and nothing else
  (not PostgreSQL, not the host's other services, not the internet).

:func:`probe` finds ``bwrap`` and runs a sandbox once, so that a host where namespaces are
refused (a locked-down container, an AppArmor profile) is told at start rather than at the first
Invoke.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TASK_ROOT", "Sandbox", "SandboxUnavailable", "probe"]

TASK_ROOT = "/var/task"
RUNTIME_DIR = "/var/runtime"
BOOTSTRAP = f"{RUNTIME_DIR}/bootstrap.py"
ENDPOINT_SOCKET = f"{RUNTIME_DIR}/endpoint.sock"
UID = 993
"""``sbx_user1051``: the user a function runs as on AWS."""
GID = 990

_ROOT_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/alternatives",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/pki",
    "/etc/mime.types",
    "/etc/nsswitch.conf",
    "/etc/protocols",
    "/etc/services",
    "/etc/os-release",
)
_PASSWD = f"root:x:0:0:root:/root:/sbin/nologin\nsbx_user1051:x:{UID}:{GID}::/home/sbx_user1051:/sbin/nologin\n"
_GROUP = f"root:x:0:\nsbx_user1051:x:{GID}:\n"
_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"


class SandboxUnavailable(Exception):
    """No sandbox can run here; the message says why and what to do."""


def _python_dirs() -> list[str]:
    """What the interpreter that runs localiam needs: its installation and its site-packages
    (a virtual environment's too), and the directory of the executable it was started as."""
    paths = {sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        with_path = sysconfig.get_paths().get(name)
        if with_path:
            paths.add(with_path)
    import site

    paths.update(getattr(site, "getsitepackages", list)())
    if site.ENABLE_USER_SITE:
        paths.add(site.getusersitepackages())
    executable = Path(sys.executable)
    paths.add(str(executable.parent))
    paths.add(str(executable.resolve().parent))
    candidates = {p for p in paths if p and os.path.isdir(p)}
    candidates |= {os.path.realpath(p) for p in candidates}
    kept: list[str] = []  # the outermost of nested directories
    for path in sorted(candidates):
        if path != "/" and not any(_under(path, k) for k in kept):
            kept.append(path)
    return kept


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


@dataclass(frozen=True, slots=True)
class Sandbox:
    """How to start a process in a bubblewrap sandbox (one per :class:`~.runtime.Runtime`)."""

    bwrap: str
    version: str
    etc_dir: Path
    """Generated ``passwd``, ``group`` and ``hosts`` (read-only in the sandbox)."""
    python_dirs: tuple[str, ...] = field(default_factory=lambda: tuple(_python_dirs()))

    def command(
        self,
        argv: Sequence[str],
        *,
        code_dir: Path,
        tmp_dir: Path,
        bootstrap: Path,
        endpoint_socket: Path | None,
        hide: Iterable[str] = (),
    ) -> list[str]:
        """``bwrap ... -- argv``: ``argv`` runs in ``/var/task`` with the layout described above;
        ``hide`` names host paths that must never be visible (the data dir ...): an empty
        directory covers each that lies inside a bound directory."""
        args = [
            self.bwrap,
            "--unshare-user",
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--uid",
            str(UID),
            "--gid",
            str(GID),
            "--hostname",
            "localhost",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        for link in _ROOT_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        bound = ["/usr"]
        for path in _ETC:
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
        for name in ("passwd", "group", "hosts"):
            args += ["--ro-bind", str(self.etc_dir / name), f"/etc/{name}"]
        # The private /tmp first: the Python that runs localiam may live under /tmp (a virtual
        # environment in a checkout there), and is bound over it.
        args += ["--bind", str(tmp_dir), "/tmp"]
        for path in self.python_dirs:
            if not _under(path, "/usr"):
                args += ["--ro-bind", path, path]
                bound.append(path)
        for hidden in hide:
            if any(_under(hidden, b) for b in bound):
                args += ["--tmpfs", hidden]
        args += ["--ro-bind", str(code_dir), TASK_ROOT]
        args += ["--ro-bind", str(bootstrap), BOOTSTRAP]
        if endpoint_socket is not None:
            args += ["--bind", str(endpoint_socket), ENDPOINT_SOCKET]
        args += ["--proc", "/proc", "--dev", "/dev", "--chdir", TASK_ROOT, "--"]
        return args + list(argv)


def _write_etc(directory: Path) -> None:
    for name, text in (("passwd", _PASSWD), ("group", _GROUP), ("hosts", _HOSTS)):
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(text)


def probe(bwrap: str | None = None) -> Sandbox:
    """A sandbox that has been seen to work here; :class:`SandboxUnavailable` saying why not."""
    found = bwrap or shutil.which("bwrap")
    if not found or not os.access(found, os.X_OK):
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; install it (Debian/Ubuntu: apt-get install bubblewrap, "
            "Fedora: dnf install bubblewrap)"
        )
    try:
        version = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxUnavailable(f"{found} --version failed: {exc}") from None
    etc_dir = Path(tempfile.mkdtemp(prefix="localiam-etc-"))
    atexit.register(shutil.rmtree, etc_dir, True)
    _write_etc(etc_dir)
    sandbox = Sandbox(found, version, etc_dir)
    with tempfile.TemporaryDirectory(prefix="localiam-probe-") as scratch:
        code, tmp = Path(scratch, "code"), Path(scratch, "tmp")
        code.mkdir()
        tmp.mkdir()
        bootstrap = Path(scratch, "bootstrap.py")
        bootstrap.write_text("")
        argv = [sys.executable, "-S", "-c", f"import os; assert os.getuid() == {UID}"]
        try:
            done = subprocess.run(
                sandbox.command(argv, code_dir=code, tmp_dir=tmp, bootstrap=bootstrap, endpoint_socket=None),
                capture_output=True,
                text=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise SandboxUnavailable(f"{found} could not start: {exc}") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise SandboxUnavailable(
            f"{found} cannot create a sandbox here ({detail[-1] if detail else f'exit status {done.returncode}'}); "
            "user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, user.max_user_namespaces, "
            "or an AppArmor policy)"
        )
    return sandbox
