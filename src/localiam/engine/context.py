"""The request context: the global condition keys AWS fills itself, plus what the caller adds.

``reference_policies_condition-keys`` defines each key and when it is present:
- ``aws:PrincipalArn`` (a role session's is its role's ARN), ``aws:PrincipalAccount``,
  ``aws:PrincipalType``, ``aws:userid``, ``aws:PrincipalOrgID`` / ``aws:PrincipalOrgPaths``
  (only for members of an organization), ``aws:PrincipalTag/*`` (session tags override the
  role's tags), ``aws:PrincipalIsAWSService``, ``aws:PrincipalServiceName``;
- ``aws:username``: IAM users only;
- ``aws:TokenIssueTime``, ``aws:MultiFactorAuthPresent``: temporary credentials only (the
  latter ``false`` for temporary credentials obtained without MFA: the page's Deny with
  ``"Bool": {"aws:MultiFactorAuthPresent": "false"}`` "denies requests that can be
  authenticated using MFA, but were not. This applies only to temporary credentials");
- ``aws:MultiFactorAuthAge``: "included in the request context only if the principal making
  the call was authenticated using MFA. If MFA was not used, this key is not present"; the
  seconds from the verified code to the request, so it is made per request here;
- ``aws:CurrentTime``, ``aws:EpochTime``, ``aws:SecureTransport``, ``aws:RequestedRegion``;
- ``aws:ResourceAccount``, ``aws:ResourceOrgID``, ``aws:ResourceOrgPaths``,
  ``aws:ResourceTag/*``.
Anonymous callers and service principals carry no principal keys but ``aws:PrincipalType``
and ``aws:PrincipalIsAWSService`` (``aws:PrincipalServiceName`` for services).

Keys are stored lower-cased (condition key names are case-insensitive) and every value is a
tuple of strings (multivalued keys have several).
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ContextValue = str | Sequence[str]


class ContextError(ValueError):
    """A context value of the wrong type."""


@dataclass(frozen=True, slots=True)
class ResourceFacts:
    """What AWS knows about the resource: its owner, organization and tags."""

    account: str | None = None
    organization_id: str | None = None
    organization_paths: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    context: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    """The keys these facts put in a request context, computed once."""

    def __post_init__(self) -> None:
        ctx: dict[str, tuple[str, ...]] = {}
        if self.account:
            ctx["aws:resourceaccount"] = (self.account,)
        if self.organization_id:
            ctx["aws:resourceorgid"] = (self.organization_id,)
            if self.organization_paths:
                ctx["aws:resourceorgpaths"] = self.organization_paths
        for key, value in self.tags.items():
            ctx[f"aws:resourcetag/{key.lower()}"] = (value,)
        object.__setattr__(self, "context", ctx)


def _utc(now: _dt.datetime) -> _dt.datetime:
    return now if now.tzinfo else now.replace(tzinfo=_dt.UTC)


def time_keys(now: _dt.datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``aws:CurrentTime`` and ``aws:EpochTime`` for ``now`` (naive: UTC)."""
    moment = _utc(now)
    current = (moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),)
    return current, (str(int(moment.timestamp())),)


def normalise_context(extra: Mapping[str, ContextValue]) -> dict[str, tuple[str, ...]]:
    """Caller-supplied keys: lower-cased names, every value a tuple of strings. Booleans and
    numbers become the strings AWS compares; anything else is a :class:`ContextError`."""
    out: dict[str, tuple[str, ...]] = {}
    for key, value in extra.items():
        name = _NAMES.get(key)
        if name is None:
            if not isinstance(key, str) or ":" not in key:
                raise ContextError(f"context key {key!r} must look like 'service:name'")
            name = key.lower()
            if len(_NAMES) < 4096:
                _NAMES[key] = name
        if value.__class__ is str:  # the commonest: as it is
            out[name] = (value,)
        elif isinstance(value, (list, tuple)):
            out[name] = tuple(_scalar(key, v) for v in value)
        else:
            out[name] = (_scalar(key, value),)
    return out


_NAMES: dict[str, str] = {}
"""Context key names seen, lower-cased (a process asks with a few hundred names at most)."""


def _scalar(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise ContextError(f"context key {key!r}: value {value!r} must be a string, number or boolean")


def build_context(
    principal_ctx: Mapping[str, tuple[str, ...]],
    resource: ResourceFacts,
    extra: Mapping[str, tuple[str, ...]],
    now: _dt.datetime | None = None,
    region: str = "us-east-1",
    secure_transport: bool = True,
    multi_factor_auth_time: int | None = None,
) -> dict[str, tuple[str, ...]]:
    """Everything a condition can look at for one request; ``extra`` (already normalised)
    adds keys and overrides the derived ones. ``multi_factor_auth_time`` (the principal's
    :attr:`~localiam.engine.principal.Principal.multi_factor_auth_time`) adds
    ``aws:MultiFactorAuthAge``."""
    if multi_factor_auth_time is not None:
        moment = int(time.time()) if now is None else int(_utc(now).timestamp())
        age = (str(max(0, moment - multi_factor_auth_time)),)
        principal_ctx = {**principal_ctx, "aws:multifactorauthage": age}
    if now is None:
        second = int(time.time())
        made = _this_second.get((region, secure_transport))
        if made is None or made[0] != second:
            made = (second, _request_keys(_dt.datetime.fromtimestamp(second, _dt.UTC), region, secure_transport))
            if len(_this_second) > 64:
                _this_second.clear()
            _this_second[(region, secure_transport)] = made
        request_keys = made[1]
    else:
        request_keys = _request_keys(now, region, secure_transport)
    return {**principal_ctx, **request_keys, **resource.context, **extra}


def _request_keys(now: _dt.datetime, region: str, secure_transport: bool) -> dict[str, tuple[str, ...]]:
    current, epoch = time_keys(now)
    return {
        "aws:currenttime": current,
        "aws:epochtime": epoch,
        "aws:securetransport": _TRUE if secure_transport else _FALSE,
        "aws:requestedregion": (region,),
    }


_this_second: dict[tuple[str, bool], tuple[int, dict[str, tuple[str, ...]]]] = {}
"""The keys that depend on the clock, the region and the transport alone, made once a second
for each region and transport (and never changed once made: every context copies them)."""


_TRUE = ("true",)
_FALSE = ("false",)
