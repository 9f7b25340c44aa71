"""Small builders shared by the engine tests: policies from plain dicts, principals, requests.

Nothing here decides anything; every helper only assembles the inputs that
:func:`localiam.engine.authorize` takes, so a failing test points at the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from localiam.engine import (
    CompiledPolicy,
    Decision,
    OrganizationPolicies,
    PolicyInputs,
    Principal,
    Request,
    ResourceFacts,
    Tracer,
    authorize,
    compile_policy,
    normalise_context,
    principal_from_arn,
    session_principal,
)
from localiam.policy import PolicyType, parse_policy

ACCOUNT = "111122223333"
OTHER = "444455556666"
VERSION = "2012-10-17"

BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"
OBJECT = f"{BUCKET}/report.csv"


def stmt(
    effect: str,
    action: str | Sequence[str],
    resource: str | Sequence[str] | None = "*",
    *,
    sid: str | None = None,
    principal: Any = None,
    not_principal: Any = None,
    condition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One statement as AWS writes it."""
    out: dict[str, Any] = {"Effect": effect, "Action": action}
    if sid is not None:
        out["Sid"] = sid
    if resource is not None:
        out["Resource"] = resource
    if principal is not None:
        out["Principal"] = principal
    if not_principal is not None:
        out["NotPrincipal"] = not_principal
    if condition is not None:
        out["Condition"] = condition
    return out


def allow(action: str | Sequence[str], resource: str | Sequence[str] | None = "*", **kw: Any) -> dict[str, Any]:
    return stmt("Allow", action, resource, **kw)


def deny(action: str | Sequence[str], resource: str | Sequence[str] | None = "*", **kw: Any) -> dict[str, Any]:
    return stmt("Deny", action, resource, **kw)


def policy(
    *statements: Mapping[str, Any],
    kind: PolicyType = PolicyType.IDENTITY,
    name: str = "P",
) -> CompiledPolicy:
    """Parse (the parser must accept it) and compile a policy of ``statements``."""
    document = {"Version": VERSION, "Statement": list(statements)}
    result = parse_policy(document)
    assert result.value is not None, [str(f) for f in result.findings]
    return compile_policy(name, result.value, kind)


def identity(*statements: Mapping[str, Any], name: str = "IdentityPolicy") -> CompiledPolicy:
    return policy(*statements, kind=PolicyType.IDENTITY, name=name)


def boundary(*statements: Mapping[str, Any], name: str = "Boundary") -> CompiledPolicy:
    return policy(*statements, kind=PolicyType.BOUNDARY, name=name)


def session_policy(*statements: Mapping[str, Any], name: str = "SessionPolicy") -> CompiledPolicy:
    return policy(*statements, kind=PolicyType.SESSION, name=name)


def resource_policy(*statements: Mapping[str, Any], name: str = "BucketPolicy") -> CompiledPolicy:
    return policy(*statements, kind=PolicyType.RESOURCE, name=name)


def trust_policy(*statements: Mapping[str, Any], name: str = "TrustPolicy") -> CompiledPolicy:
    return policy(*statements, kind=PolicyType.TRUST, name=name)


def scp(*statements: Mapping[str, Any], name: str = "SCP") -> CompiledPolicy:
    return policy(*statements, kind=PolicyType.SCP, name=name)


def rcp(*statements: Mapping[str, Any], name: str = "RCP") -> CompiledPolicy:
    return policy(*statements, kind=PolicyType.RCP, name=name)


FULL_AWS_ACCESS = {"Effect": "Allow", "Action": "*", "Resource": "*"}
RCP_FULL_AWS_ACCESS = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}


def org(*levels: Iterable[CompiledPolicy], management: bool = False) -> OrganizationPolicies:
    """Organization policies, one iterable of policies per level (root, OUs..., account)."""
    return OrganizationPolicies(tuple(tuple(level) for level in levels), management_account=management)


def full_scp_levels(depth: int = 3) -> list[tuple[CompiledPolicy, ...]]:
    """FullAWSAccess on every level, as AWS attaches it when SCPs are enabled."""
    return [(scp(FULL_AWS_ACCESS, name="FullAWSAccess"),) for _ in range(depth)]


def user(name: str = "Alice", account: str = ACCOUNT, **kw: Any) -> Principal:
    return principal_from_arn(f"arn:aws:iam::{account}:user/{name}", **kw)


def root(account: str = ACCOUNT) -> Principal:
    return principal_from_arn(f"arn:aws:iam::{account}:root")


def role_arn(name: str = "AppRole", account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def role_session(role: str = "AppRole", name: str = "app-session", account: str = ACCOUNT, **kw: Any) -> Principal:
    return session_principal(role_arn(role, account), name, **kw)


def federated_user(name: str = "Bob", account: str = ACCOUNT) -> Principal:
    return principal_from_arn(f"arn:aws:sts::{account}:federated-user/{name}")


def decide(
    principal: Principal,
    action: str,
    target: str = "*",
    *,
    resource_account: str | None = None,
    resource_tags: Mapping[str, str] | None = None,
    context: Mapping[str, Any] | None = None,
    region: str = "us-east-1",
    secure_transport: bool = True,
    explain: bool = False,
    tracer: Tracer | None = None,
    **inputs: Any,
) -> Decision:
    """Authorize ``action`` on ``target`` (a resource ARN); ``inputs`` are :class:`PolicyInputs`
    fields (``resource`` is the resource-based policy)."""
    facts = ResourceFacts(account=resource_account, tags=dict(resource_tags or {}))
    request = Request(
        principal,
        action,
        target,
        resource_facts=facts,
        context=normalise_context(context or {}),
        region=region,
        secure_transport=secure_transport,
    )
    return authorize(PolicyInputs(**inputs), request, explain=explain, tracer=tracer)
