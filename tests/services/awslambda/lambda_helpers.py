"""What the Lambda runtime tests share: a runtime in the sandbox where one works here, and a way
to see a function's processes from the host whatever PID namespace they are in."""

from __future__ import annotations

from typing import Any

from lambda_processes import tree, wait_tree_gone, witness
from localiam.services.awslambda.runtime import Runtime
from localiam.services.awslambda.sandbox import SandboxUnavailable, probe


def sandbox_or_reason() -> str | None:
    """``None`` when bubblewrap works here, else why not."""
    try:
        probe()
    except SandboxUnavailable as exc:
        return str(exc)
    return None


def make_runtime(**options: Any) -> Runtime:
    """A runtime in bubblewrap's sandbox where it works here; otherwise (a laptop without
    bubblewrap) explicitly unsafe: the runtime tests are about Lambda's semantics, which hold in
    both (``test_isolation.py`` is about the sandbox and skips without one)."""
    try:
        return Runtime(sandbox=probe(), **options)
    except SandboxUnavailable:
        return Runtime(unsafe=True, **options)


__all__ = ["make_runtime", "sandbox_or_reason", "tree", "wait_tree_gone", "witness"]
