"""What each kind of policy requires or forbids, and how large it may be.

Sources:
- identity, boundary and session policies must not name a principal and must name resources
  (``reference_policies_elements_principal``: "You cannot use the Principal element in an
  identity-based policy"); IAM's wording is "Policy document should not specify a principal."
  and "Policy statement must contain resources.".
- resource-based policies must name a principal (S3's ``PutBucketPolicy`` wording: "Missing
  required field Principal").
- role trust policies must name a principal, may not use ``NotPrincipal``
  (``reference_policies_elements_notprincipal``: "You cannot use the NotPrincipal element in an
  IAM identity-based policy nor in an IAM role trust policy") and may not have a Resource
  ("Has prohibited field Resource").
- SCPs (``orgs_manage_policies_scps_syntax``) take no Principal; RCPs
  (``orgs_manage_policies_rcps_syntax``) need ``"Principal": "*"``, take no NotPrincipal nor
  NotAction, must have Version 2012-10-17, and ``Allow`` "is only supported for the
  RCPFullAWSAccess policy".
- IAM Sids are alphanumeric (``reference_policies_elements_sid``).
- Sizes (``reference_iam-quotas``, ``orgs_reference_limits``): managed 6,144; inline user
  2,048, group 5,120, role 10,240; role trust 2,048; session 2,048; SCP and RCP 5,120. IAM
  does not count white space ("IAM doesn't count white space when calculating the size of a
  policy against these limits"; ``GetAccountSummary``: trust policy size "in non-whitespace
  characters"); Organizations counts every character ("All characters in your SCP count against
  its maximum size", ``orgs_manage_policies_scps_syntax``; the same sentence for RCPs).
- A session policy is an STS request parameter, not an IAM document: ``API_AssumeRole``
  ("The plaintext that you use for both inline and managed session policies can't exceed 2,048
  characters"), and STS's model gives the ``Policy`` parameter a maximum length of 2,048, so
  every character counts, white space included.
- Organizations rejects a policy that breaks these rules with one text for every cause: "The
  provided policy document does not meet the requirements of the specified policy type."
- Not checked: ``CreateRole`` rejects a bare ``"Principal": "*"`` in a trust policy ("AssumeRolepolicy
  contained an invalid principal: \"STAR\":\"*\"", recorded in aws-cdk's tests) while accepting
  ``{"AWS": "*"}``; :class:`~localiam.policy.model.Principals` folds both into ``wildcard``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from localiam.policy.findings import Collector, Finding, pointer
from localiam.policy.model import VERSION_2012, Effect, PartialPolicy, PartialStatement, Policy, PolicyType, Principals

ORGANIZATIONS_WORDING = "The provided policy document does not meet the requirements of the specified policy type."

_SID = re.compile(r"^[0-9A-Za-z]*$")

IAM_TYPES = frozenset({PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION, PolicyType.TRUST})
COUNTS_WHITE_SPACE = frozenset({PolicyType.SCP, PolicyType.RCP, PolicyType.SESSION})

INLINE_LIMITS = {"user": 2048, "group": 5120, "role": 10240}
SIZE_LIMITS = {
    PolicyType.IDENTITY: 6144,
    PolicyType.BOUNDARY: 6144,
    PolicyType.SESSION: 2048,
    PolicyType.TRUST: 2048,
    PolicyType.SCP: 5120,
    PolicyType.RCP: 5120,
}


def size_limit(policy_type: PolicyType, inline_for: str | None = None) -> int | None:
    """The size limit AWS enforces, or ``None`` where AWS sets none here (resource policies
    vary by service: an S3 bucket policy may be 20 KB)."""
    if policy_type is PolicyType.IDENTITY and inline_for is not None:
        return INLINE_LIMITS[inline_for]
    return SIZE_LIMITS.get(policy_type)


def policy_size(source: str | bytes | Mapping[str, Any], policy_type: PolicyType) -> int:
    """Characters that count against the limit: IAM skips white space outside strings;
    Organizations and STS (session policies) count all of it."""
    if isinstance(source, Mapping):
        text = json.dumps(source, separators=(",", ":"))
    elif isinstance(source, bytes):
        text = source.decode("utf-8", errors="replace")
    else:
        text = source
    if policy_type in COUNTS_WHITE_SPACE:
        return len(text)
    count = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            count += 1
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            count += 1
        elif not ch.isspace():
            count += 1
    return count


def _where(stmt: PartialStatement, *field: str) -> str:
    return stmt.location + pointer(*field)


def check_policy_type(
    policy: Policy | PartialPolicy,
    policy_type: PolicyType,
    *,
    source: str | bytes | Mapping[str, Any] | None = None,
    inline_for: str | None = None,
) -> list[Finding]:
    """Findings for the rules of ``policy_type``; ``source`` enables the size check.

    ``policy`` may be what the parser read of a document with errors
    (:func:`localiam.policy.parse.read_policy`): the required and forbidden elements are
    checked by the elements each statement has as written, whether or not their values could be
    read, and the rules on values skip the values the parser could not read.
    """
    c = Collector()
    org = policy_type in (PolicyType.SCP, PolicyType.RCP)
    read = PartialPolicy.of(policy)

    if policy_type is PolicyType.RCP and read.version != VERSION_2012:
        c.error(
            "RCP_VERSION_REQUIRED", "/Version", f'{ORGANIZATIONS_WORDING} An RCP must have "Version": "2012-10-17".'
        )

    for stmt in read.statements:
        has = stmt.elements
        named = "Principal" in has or "NotPrincipal" in has
        element = "Principal" if "Principal" in has else "NotPrincipal"
        has_resource = "Resource" in has or "NotResource" in has

        if policy_type in IAM_TYPES and stmt.sid and not _SID.match(stmt.sid):
            c.error(
                "INVALID_SID",
                _where(stmt, "Sid"),
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
                "expression [0-9A-Za-z]*",
            )

        if policy_type in (PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION, PolicyType.SCP):
            if named:
                message = ORGANIZATIONS_WORDING if org else "Policy document should not specify a principal."
                c.error("PRINCIPAL_NOT_ALLOWED", _where(stmt, element), message)
            if not has_resource:
                message = ORGANIZATIONS_WORDING if org else "Policy statement must contain resources."
                c.error("MISSING_RESOURCE", _where(stmt), message)

        elif policy_type is PolicyType.RESOURCE:
            if not named:
                c.error("MISSING_PRINCIPAL", _where(stmt), "Missing required field Principal")
            if not has_resource:
                c.error("MISSING_RESOURCE", _where(stmt), "Policy statement must contain resources.")

        elif policy_type is PolicyType.TRUST:
            if "NotPrincipal" in has:
                c.error(
                    "NOT_PRINCIPAL_NOT_ALLOWED",
                    _where(stmt, "NotPrincipal"),
                    "NotPrincipal cannot be used in a role trust policy.",
                )
            elif "Principal" not in has:
                c.error("MISSING_PRINCIPAL", _where(stmt), "Missing required field Principal")
            for field in ("Resource", "NotResource"):
                if field in has:
                    c.error("RESOURCE_NOT_ALLOWED", _where(stmt, field), f"Has prohibited field {field}")
            actions = stmt.actions
            if actions is not None and not actions.negated:
                for i, pattern in enumerate(actions.patterns):
                    vendor = pattern.split(":", 1)[0].lower() if ":" in pattern else ""
                    if vendor and vendor != "sts":
                        c.error(
                            "TRUST_ACTION_NOT_ASSUME",
                            actions.location(_where(stmt), i),
                            "AssumeRole policy may only specify STS AssumeRole actions.",
                        )
                        break

        elif policy_type is PolicyType.RCP:
            if "NotPrincipal" in has:
                c.error(
                    "NOT_PRINCIPAL_NOT_ALLOWED",
                    _where(stmt, "NotPrincipal"),
                    f"{ORGANIZATIONS_WORDING} RCPs do not support NotPrincipal.",
                )
            elif "Principal" not in has or (stmt.principal is not None and not _only_wildcard(stmt.principal)):
                c.error(
                    "RCP_PRINCIPAL_MUST_BE_WILDCARD",
                    _where(stmt, "Principal") if "Principal" in has else _where(stmt),
                    f'{ORGANIZATIONS_WORDING} An RCP statement must have "Principal": "*".',
                )
            if "NotAction" in has:
                c.error(
                    "NOT_ACTION_NOT_ALLOWED",
                    _where(stmt, "NotAction"),
                    f"{ORGANIZATIONS_WORDING} RCPs do not support NotAction.",
                )
            if stmt.effect is Effect.ALLOW:
                c.error(
                    "RCP_ALLOW_NOT_SUPPORTED",
                    _where(stmt, "Effect"),
                    f"{ORGANIZATIONS_WORDING} Allow is only supported for the RCPFullAWSAccess policy.",
                )
            if not has_resource:
                c.error("MISSING_RESOURCE", _where(stmt), ORGANIZATIONS_WORDING)

    if source is not None:
        limit = size_limit(policy_type, inline_for)
        if limit is not None:
            size = policy_size(source, policy_type)
            if size > limit:
                counted = "" if policy_type in COUNTS_WHITE_SPACE else ", white space not counted"
                c.error(
                    "POLICY_TOO_LARGE",
                    "",
                    f"{size_exceeded_message(policy_type, limit, inline_for).rstrip('.')} "
                    f"(this {policy_type.value} policy has {size} characters{counted}).",
                )
    return c.findings


def size_exceeded_message(policy_type: PolicyType, limit: int, inline_for: str | None = None) -> str:
    """The text AWS returns for a policy over its size limit, as observed from each API:

    - managed policies and boundaries (IAM ``LimitExceeded``): "Cannot exceed quota for
      PolicySize: 6144";
    - role trust policies (``CreateRole``/``UpdateAssumeRolePolicy``): "Cannot exceed quota for
      ACLSizePerRole: 2048";
    - inline policies (``PutUserPolicy``...): "Maximum policy size of 10240 bytes exceeded for role
      NAME" (the entity's name is not known here);
    - session policies: STS's parameter validation, "Member must have length less than or equal
      to 2048";
    - SCPs and RCPs (Organizations ``ConstraintViolationException``): "You have exceeded the
      maximum policy size."
    """
    if policy_type is PolicyType.TRUST:
        return f"Cannot exceed quota for ACLSizePerRole: {limit}"
    if policy_type is PolicyType.SESSION:
        return (
            "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have "
            f"length less than or equal to {limit}"
        )
    if policy_type in (PolicyType.SCP, PolicyType.RCP):
        return "You have exceeded the maximum policy size."
    if inline_for is not None:
        return f"Maximum policy size of {limit} bytes exceeded for {inline_for}"
    return f"Cannot exceed quota for PolicySize: {limit}"


def _only_wildcard(p: Principals) -> bool:
    return p.wildcard and not (p.aws or p.service or p.federated or p.canonical_user)
