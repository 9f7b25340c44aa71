"""Session policies and session tags passed to ``AssumeRole`` and ``GetFederationToken``.

- Session policies (``access_policies``, "Session policies"; ``API_AssumeRole``): one inline
  ``Policy`` (an identity-style policy: no Principal, Resource required) and up to ten managed
  ``PolicyArns``; customer managed ones must be in the account of the role. A malformed inline
  policy is ``MalformedPolicyDocument`` with IAM's wording.
- Session tags (``id_session-tags``): up to 50; keys are case-insensitive, so two keys that
  differ only by case are one key passed twice; a session that chains inherits its caller's
  transitive tags, and "if you pass a session tag with the same key as an inherited tag, the
  operation fails".
- Packed size (``API_AssumeRole``, ``PackedPolicySize``): AWS compresses the session policy,
  the policy ARNs and the tags into a binary format with its own limit and reports how full
  it is in percent; past 100 the call fails with ``PackedPolicyTooLarge`` ("Packed policy
  consumes N% of allotted space, please use smaller policy." or "Packed size of session tags
  consumes N% of allotted space.", AWS Knowledge Center ``iam-role-aws-sts-error``). AWS does
  not publish the format; localiam measures the policy's characters outside white space, the
  ARNs and the tag keys and values against 2,048 characters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from localiam.errors import AwsError, ValidationError, client_error
from localiam.policy.model import PolicyType
from localiam.policy.types import policy_size
from localiam.policy.validate import validate_policy
from localiam.services.base import OperationContext, Params
from localiam.services.sts._service import constraint_error
from localiam.state.aws_managed import AWS_MANAGED_PREFIX
from localiam.state.sts_store import managed_policy_exists

PACKED_LIMIT = 2048
"""Characters of policy, ARNs and tags that make 100 % of the packed size (localiam's measure)."""

MAX_POLICY_ARNS = 10
MAX_SESSION_TAGS = 50
MAX_POLICY_LENGTH = 2048


def malformed_policy(message: str) -> AwsError:
    return client_error("MalformedPolicyDocument", message)


def packed_too_large(message: str) -> AwsError:
    return client_error("PackedPolicyTooLarge", message)


@dataclass(frozen=True, slots=True)
class SessionInputs:
    """What a new session carries besides its identity."""

    policy: str | None = None
    policy_arns: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    transitive_tag_keys: tuple[str, ...] = ()
    passed_tags: dict[str, str] = field(default_factory=dict)
    passed_transitive_keys: tuple[str, ...] = ()
    packed_size: int | None = None

    @property
    def has_session_policy(self) -> bool:
        return self.policy is not None or bool(self.policy_arns)

    def tag_context(self) -> dict[str, str | list[str]]:
        """``aws:RequestTag/*``, ``aws:TagKeys`` and ``sts:TransitiveTagKeys`` of the request
        (``reference_policies_iam-condition-keys``)."""
        keys: dict[str, str | list[str]] = {}
        if self.passed_tags:
            for key, value in self.passed_tags.items():
                keys[f"aws:RequestTag/{key}"] = value
            keys["aws:TagKeys"] = list(self.passed_tags)
        if self.passed_transitive_keys:
            keys["sts:TransitiveTagKeys"] = list(self.passed_transitive_keys)
        return keys


def session_policy(params: Params) -> str | None:
    """The inline session policy, validated as a session policy."""
    policy = params.get("Policy")
    if policy is None:
        return None
    if not isinstance(policy, str):
        raise malformed_policy("Syntax errors in policy.")
    if len(policy) > MAX_POLICY_LENGTH:
        raise constraint_error(policy, "policy", f"Member must have length less than or equal to {MAX_POLICY_LENGTH}")
    result = validate_policy(policy, PolicyType.SESSION, with_lint=False)
    errors = [f for f in result.errors if f.code != "POLICY_TOO_LARGE"]
    if errors:
        raise malformed_policy(errors[0].message)
    return policy


def policy_arns(ctx: OperationContext, params: Params, *, account: str) -> tuple[str, ...]:
    """The managed session policies: existing, and customer managed ones of ``account``."""
    raw = params.get("PolicyArns") or []
    if len(raw) > MAX_POLICY_ARNS:
        raise constraint_error(raw, "policyArns", f"Member must have length less than or equal to {MAX_POLICY_ARNS}")
    arns: list[str] = []
    for item in raw:
        arn = item.get("arn") if isinstance(item, Mapping) else None
        if not isinstance(arn, str) or not arn.startswith("arn:"):
            raise ValidationError(f"{arn} is invalid")
        if not arn.startswith(AWS_MANAGED_PREFIX):
            parts = arn.split(":", 5)
            if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("policy/") or parts[4] != account:
                raise ValidationError(
                    f"Policy {arn} is not valid: customer managed session policies must be in the role's account."
                )
        if not managed_policy_exists(ctx.tx, arn):
            raise malformed_policy(f"Policy {arn} does not exist or is not attachable.")
        arns.append(arn)
    return tuple(arns)


def session_tags(params: Params) -> tuple[dict[str, str], tuple[str, ...]]:
    """The ``Tags`` and ``TransitiveTagKeys`` passed, checked."""
    raw = params.get("Tags") or []
    if len(raw) > MAX_SESSION_TAGS:
        raise constraint_error(raw, "tags", f"Member must have length less than or equal to {MAX_SESSION_TAGS}")
    tags: dict[str, str] = {}
    lowered: set[str] = set()
    for item in raw:
        key = item.get("Key") if isinstance(item, Mapping) else None
        value = item.get("Value") if isinstance(item, Mapping) else None
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValidationError("Each session tag needs a Key and a Value.")
        if key.lower() in lowered:
            raise ValidationError(f"Duplicate tag keys found. Tag keys are case insensitive: {key}")
        lowered.add(key.lower())
        tags[key] = value
    transitive: list[str] = []
    for key in params.get("TransitiveTagKeys") or []:
        if not isinstance(key, str) or key.lower() not in lowered:
            raise ValidationError(f"Transitive tag key {key} is not one of the session tags passed.")
        transitive.append(key)
    return tags, tuple(transitive)


def inherited_tags(ctx: OperationContext) -> tuple[dict[str, str], tuple[str, ...]]:
    """The transitive tags of the calling role session, which a chained session inherits
    (``id_session-tags``, "Chaining roles with session tags")."""
    caller = ctx.caller
    if caller is None or caller.key.kind != "session" or caller.key.session.get("kind") != "assumed-role":
        return {}, ()
    session = caller.key.session
    tags: Mapping[str, str] = session.get("tags") or {}
    keys = tuple(session.get("transitive_tag_keys") or ())
    by_lower = {k.lower(): (k, v) for k, v in tags.items()}
    inherited = {by_lower[k.lower()][0]: by_lower[k.lower()][1] for k in keys if k.lower() in by_lower}
    return inherited, tuple(inherited)


def combine_tags(
    passed: dict[str, str], passed_keys: tuple[str, ...], inherited: dict[str, str], inherited_keys: tuple[str, ...]
) -> tuple[dict[str, str], tuple[str, ...]]:
    clash = {k.lower() for k in passed} & {k.lower() for k in inherited}
    if clash:
        raise ValidationError(
            f"One or more session tags conflict with transitive tags inherited from the calling session: "
            f"{', '.join(sorted(clash))}"
        )
    return {**inherited, **passed}, inherited_keys + passed_keys


def packed_size(policy: str | None, arns: tuple[str, ...], tags: Mapping[str, str]) -> int:
    """Percent of the packed allotment used (localiam's measure, see the module docstring);
    raises ``PackedPolicyTooLarge`` past 100."""
    policy_chars = policy_size(policy, PolicyType.SESSION) if policy else 0
    arn_chars = sum(len(a) for a in arns)
    tag_chars = sum(len(k) + len(v) for k, v in tags.items())
    tags_percent = math.ceil(tag_chars * 100 / PACKED_LIMIT)
    if tags_percent > 100:
        raise packed_too_large(f"Packed size of session tags consumes {tags_percent}% of allotted space.")
    percent = math.ceil((policy_chars + arn_chars + tag_chars) * 100 / PACKED_LIMIT)
    if percent > 100:
        raise packed_too_large(f"Packed policy consumes {percent}% of allotted space, please use smaller policy.")
    return percent


def session_inputs(
    ctx: OperationContext, params: Params, *, account: str, inherit: bool, allow_transitive: bool = True
) -> SessionInputs:
    """Everything a new session carries, checked in the order AWS reports problems."""
    policy = session_policy(params)
    arns = policy_arns(ctx, params, account=account)
    passed, passed_keys = session_tags(params)
    if not allow_transitive:
        passed_keys = ()
    inherited, inherited_keys = inherited_tags(ctx) if inherit else ({}, ())
    tags, keys = combine_tags(passed, passed_keys, inherited, inherited_keys)
    size = packed_size(policy, arns, tags) if (policy or arns or tags) else None
    return SessionInputs(policy, arns, tags, keys, passed, passed_keys, size)
