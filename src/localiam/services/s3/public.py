"""S3 Block Public Access: the four settings and what "public" means for a bucket policy.

Source: Amazon S3 User Guide, ``access-control-block-public-access`` ("Blocking public access
to your Amazon S3 storage"), sections "Block public access settings" and "The meaning of
'public'". Quoted sentences below are from that page unless another page is named.

What is modelled:

- :class:`PublicAccessBlock`, the ``PublicAccessBlockConfiguration`` of a bucket or an account,
  and how the two combine (``bucket | account``);
- :func:`policy_is_public` / :func:`statement_is_public` / :func:`public_statements`: the
  "meaning of public" for a bucket policy, read from the parsed :class:`~localiam.policy.Policy`
  only (no request, no account context);
- :func:`acl_refused`, :func:`policy_refused`, :func:`restricts`: the effect of
  ``BlockPublicAcls``, ``BlockPublicPolicy`` and ``RestrictPublicBuckets``.

Whether an ACL is public (grants to the ``AllUsers`` or ``AuthenticatedUsers`` groups) is the
caller's to decide; this module takes it as a flag.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from localiam.errors import AwsError, client_error
from localiam.policy import Condition, Effect, Policy, Principals, Statement

__all__ = [
    "ALL_ON",
    "BROADEST_FIXED_PREFIX",
    "FIXING_KEYS",
    "PublicAccessBlock",
    "acl_refused",
    "condition_fixes_values",
    "policy_is_public",
    "policy_refused",
    "public_statements",
    "restricts",
    "statement_is_public",
]


# --------------------------------------------------------------------------- settings

_MEMBERS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}

MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"
"""S3's ``MalformedXML`` message, the error S3 returns for a configuration its schema rejects."""


def _malformed() -> AwsError:
    return client_error("MalformedXML", MALFORMED_XML)


@dataclass(frozen=True, slots=True)
class PublicAccessBlock:
    """A ``PublicAccessBlockConfiguration``: the same four flags at bucket and account level.

    "Amazon S3 Block Public Access provides four settings. These settings are independent and
    can be used in any combination. Each setting can be applied to an access point, a bucket,
    or an entire AWS account."
    """

    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    ALL_ON: ClassVar[PublicAccessBlock]
    """Every setting on: what new buckets get since April 2023 ("Amazon S3 will automatically
    enable S3 Block Public Access ... for all new buckets", AWS What's New, December 2022,
    ``amazon-s3-automatically-enable-block-public-access-disable-access-control-lists-buckets-april-2023``)."""

    @classmethod
    def from_params(cls, config: Mapping[str, Any]) -> PublicAccessBlock:
        """From botocore's shape ``{"BlockPublicAcls": True, ...}``; a missing member is ``False``
        (each member is "Required: No" in ``API_PublicAccessBlockConfiguration``). Members other
        than the four are ignored; a member that is not a boolean raises S3's ``MalformedXML``."""
        if not isinstance(config, Mapping):
            raise _malformed()
        values: dict[str, bool] = {}
        for attr, member in _MEMBERS.items():
            value = config.get(member, False)
            if value is None:
                value = False
            if not isinstance(value, bool):
                raise _malformed()
            values[attr] = value
        return cls(**values)

    def to_params(self) -> dict[str, bool]:
        """botocore's shape, every member present."""
        return {member: bool(getattr(self, attr)) for attr, member in _MEMBERS.items()}

    def to_json(self) -> str:
        return json.dumps(self.to_params(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> PublicAccessBlock:
        return cls.from_params(json.loads(text))

    def __or__(self, other: object) -> PublicAccessBlock:
        """The effective settings of two levels (bucket and account): "If the block public access
        settings for the access point, bucket, or account differ, then Amazon S3 applies the most
        restrictive combination of the access point, bucket, and account settings." Each flag
        restricts when on, so the most restrictive combination is each flag or-ed."""
        if not isinstance(other, PublicAccessBlock):
            return NotImplemented
        return PublicAccessBlock(
            **{f.name: bool(getattr(self, f.name) or getattr(other, f.name)) for f in fields(self)}
        )


ALL_ON = PublicAccessBlock(True, True, True, True)
PublicAccessBlock.ALL_ON = ALL_ON


# --------------------------------------------------------------------------- the meaning of "public"
#
# "When evaluating a bucket policy, Amazon S3 begins by assuming that the policy is public. It
# then evaluates the policy to determine whether it qualifies as non-public. To be considered
# non-public, a bucket policy must grant access only to fixed values (values that don't contain
# a wildcard or an AWS Identity and Access Management Policy Variable) for one or more of the
# following:" — the principal, or one of the condition keys below.

_IP_KEY = "aws:sourceip"
_USERID_KEY = "aws:userid"
_ACCESS_POINT_ARN_KEY = "s3:dataaccesspointarn"

FIXING_KEYS: frozenset[str] = frozenset(
    {
        # "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)": the
        # page names aws:PrincipalOrgID as its example; aws:PrincipalAccount and
        # aws:PrincipalArn name a principal just as directly, so they are read as covered too.
        "aws:principalorgid",
        "aws:principalaccount",
        "aws:principalarn",
        # "A set of Classless Inter-Domain Routings (CIDRs), using aws:SourceIp."
        _IP_KEY,
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        # "aws:userid, outside the pattern "AROLEID:*""
        _USERID_KEY,
        # "s3:DataAccessPointArn" (a wildcard is allowed in the access point name, see below)
        _ACCESS_POINT_ARN_KEY,
        "s3:dataaccesspointaccount",
    }
)
"""Condition keys that make an ``Allow`` with a wildcard principal non-public when pinned to fixed
values. Lower case: condition key names are case-insensitive."""

# Operators that pin the key to the listed values. Negated operators ("StringNotEquals",
# "NotIpAddress" ...) leave every other value open; "...IfExists" lets a request without the key
# through; "ForAllValues:" is true when the key is absent. None of them fixes anything.
_PINNING_STRING_OPERATORS = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})
_PINNING_IP_OPERATORS = frozenset({"IpAddress"})
_PINNING_QUALIFIERS = frozenset({None, "ForAnyValue"})

# "Bucket policies that grant access conditioned on the aws:SourceIp condition key with very
# broad IP ranges (for example, 0.0.0.0/1) are evaluated as "public." This includes values
# broader than /8 for IPv4 and /32 for IPv6 (excluding RFC1918 private ranges)."
# RFC 1918's blocks (10/8, 172.16/12, 192.168/16) are themselves /8 or narrower, so no range
# broader than /8 lies inside one: the exclusion never changes the outcome of the prefix test.
BROADEST_FIXED_PREFIX = {4: 8, 6: 32}
"""The broadest prefix length still counted as fixed, per IP version."""

_WILDCARDS = ("*", "?")
_VARIABLE = "${"


def _is_fixed(value: str) -> bool:
    """ "fixed values (values that don't contain a wildcard or an AWS Identity and Access
    Management Policy Variable)"."""
    return bool(value) and _VARIABLE not in value and not any(w in value for w in _WILDCARDS)


def _fixed_source_ip(value: str) -> bool:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return network.prefixlen >= BROADEST_FIXED_PREFIX[network.version]


def _fixed_userid(value: str) -> bool:
    """A fixed ``aws:userid``, or a role's unique id followed by ``:*`` (every session of one
    role: "aws:userid, outside the pattern "AROLEID:*"", read as the pattern being the one place
    a wildcard is allowed)."""
    if _is_fixed(value):
        return True
    role_id, colon, session = value.partition(":")
    return bool(colon) and session == "*" and _is_fixed(role_id)


def _fixed_access_point_arn(value: str) -> bool:
    """``s3:DataAccessPointArn``: "When used in a bucket policy, this value can contain a wildcard
    for the access point name without rendering the policy public, as long as the account id is
    fixed. For example, allowing access to arn:aws:s3:us-west-2:123456789012:accesspoint/* would
    permit access to any access point associated with account 123456789012 in Region us-west-2,
    without rendering the bucket policy public." Everything before the name must be fixed."""
    if _is_fixed(value):
        return True
    prefix, slash, name = value.partition(":accesspoint/")
    if not slash or not _is_fixed(prefix) or _VARIABLE in name:
        return False
    parts = prefix.split(":")
    return len(parts) == 5 and parts[0] == "arn" and parts[2] == "s3" and len(parts[4]) == 12 and parts[4].isdigit()


def condition_fixes_values(condition: Condition) -> bool:
    """Whether ``condition`` restricts its statement to fixed values of a key from
    :data:`FIXING_KEYS`: a pinning operator, no ``IfExists``, and every listed value fixed (the
    values are alternatives, so one open value opens the statement)."""
    key = condition.key.lower()
    if key not in FIXING_KEYS or condition.if_exists or condition.qualifier not in _PINNING_QUALIFIERS:
        return False
    if not condition.values:
        return False
    if key == _IP_KEY:
        return condition.base in _PINNING_IP_OPERATORS and all(_fixed_source_ip(v) for v in condition.values)
    if condition.base not in _PINNING_STRING_OPERATORS:
        return False
    if key == _USERID_KEY:
        return all(_fixed_userid(v) for v in condition.values)
    if key == _ACCESS_POINT_ARN_KEY:
        return all(_fixed_access_point_arn(v) for v in condition.values)
    return all(_is_fixed(v) for v in condition.values)


def _principal_is_fixed(principals: Principals) -> bool:
    """ "An AWS principal, user, role, or service principal": named AWS principals, service
    principals and canonical users are fixed; ``"*"`` and ``{"AWS": "*"}`` are not, and neither
    is a federated (web identity) principal — the page's first public example is
    ``"Principal": {"Federated": "graph.facebook.com"}``."""
    if principals.wildcard or principals.federated:
        return False
    named = (*principals.aws, *principals.service, *principals.canonical_user)
    return bool(named) and all(_is_fixed(v) for v in named)


def statement_is_public(statement: Statement) -> bool:
    """Whether this statement makes a bucket policy public.

    - A ``Deny`` never grants, so it never makes a policy public.
    - An ``Allow`` is non-public when its ``Principal`` is fixed, or when one of its conditions
      pins a key of :data:`FIXING_KEYS` to fixed values (conditions are and-ed, so one is
      enough). "You can make these policies non-public by including any of the condition keys
      listed previously, using a fixed value."
    - ``NotPrincipal`` in an ``Allow`` grants to everyone but the named principals, so it counts
      as a wildcard principal; a statement with no principal at all is not fixed either ("Amazon
      S3 begins by assuming that the policy is public").

    Actions and resources play no part: the page's rules name only principals and condition keys.
    """
    if statement.effect is not Effect.ALLOW:
        return False
    if statement.principal is not None and _principal_is_fixed(statement.principal):
        return False
    return not any(condition_fixes_values(c) for c in statement.conditions)


def public_statements(policy: Policy) -> tuple[Statement, ...]:
    """The statements that make ``policy`` public: the reason behind :func:`policy_is_public`."""
    return tuple(s for s in policy.statements if statement_is_public(s))


def policy_is_public(policy: Policy) -> bool:
    """What ``GetBucketPolicyStatus`` reports as ``IsPublic``: public when any statement is. "This
    policy qualifies as public because of the third statement" — one public statement renders the
    entire policy public."""
    return any(statement_is_public(s) for s in policy.statements)


# --------------------------------------------------------------------------- the settings' effects


def acl_refused(config: PublicAccessBlock, acl_is_public: bool) -> bool:
    """``BlockPublicAcls``: "PUT Bucket acl and PUT Object acl calls fail if the specified ACL is
    public. PUT Object calls fail if the request includes a public ACL. PUT Bucket calls fail if
    the request includes a public ACL." (``API_PublicAccessBlockConfiguration``). Pass the
    effective settings (bucket ``|`` account)."""
    return config.block_public_acls and acl_is_public


def policy_refused(config: PublicAccessBlock, policy: Policy) -> bool:
    """``BlockPublicPolicy``: "Setting this option to TRUE for a bucket causes Amazon S3 to reject
    calls to PUT Bucket policy if the specified bucket policy allows public access." S3 answers
    with ``AccessDenied``. "Enabling this setting doesn't affect existing access point or bucket
    policies." """
    return config.block_public_policy and policy_is_public(policy)


def restricts(config: PublicAccessBlock, policy: Policy | None) -> bool:
    """``RestrictPublicBuckets`` in force for a bucket with this policy: only AWS service
    principals and the bucket owner's account may then use the policy.

    "Setting this option to TRUE restricts access to an access point or bucket with a public
    policy to only AWS service principals and authorized users within the bucket owner's account
    and access point owner's account. This setting blocks all cross-account access to the access
    point or bucket (except by AWS service principals) ... Amazon S3 blocks public and
    cross-account access derived from any public access point or bucket policy, including
    non-public delegation to specific accounts." And "RestrictPublicBuckets only applies to
    buckets that have public policies": no policy, or a non-public one, is unaffected.
    """
    return config.restrict_public_buckets and policy is not None and policy_is_public(policy)
