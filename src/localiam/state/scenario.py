"""Load a scenario file (format: ``docs/scenarios.md``): a small AWS world and the requests to
decide in it. YAML or JSON. Unknown keys, invalid policies, dangling references and values of
the wrong type are all reported, each with the file and a JSON-pointer location, in one
:class:`ScenarioError`; nothing is half-loaded.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from localiam.engine.context import normalise_context
from localiam.engine.federation import federation_keys
from localiam.policy.catalog import condition_key_types, is_multivalued_key
from localiam.policy.conditions import values_read_as
from localiam.policy.findings import Result, Severity, pointer
from localiam.policy.model import Policy, PolicyType
from localiam.policy.parse import complete, read_policy
from localiam.policy.types import check_policy_type
from localiam.state.aws_managed import AWS_MANAGED, AWS_MANAGED_PREFIX, FULL_AWS_ACCESS, RCP_FULL_AWS_ACCESS
from localiam.state.world import (
    FULL_AWS_ACCESS as FULL_AWS_ACCESS_NAME,
)
from localiam.state.world import (
    RCP_FULL_AWS_ACCESS as RCP_FULL_AWS_ACCESS_NAME,
)
from localiam.state.world import (
    Account,
    AclEntry,
    Group,
    Organization,
    OrganizationalUnit,
    ResourceEntry,
    Role,
    User,
    World,
    canonical_user_id,
)

EXPECTATIONS = ("allow", "deny", "explicit-deny", "implicit-deny")


class ScenarioError(Exception):
    """Everything wrong with one scenario file, each problem with its location."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{self.file}: {where or '/'}: {message}" for where, message in self.problems)


@dataclass
class FederatedSpec:
    """Someone an identity provider signed in: ``provider`` is what a trust policy's
    ``Federated`` names (``accounts.google.com``, an IAM OIDC or SAML provider's ARN);
    ``claims`` the token's claims (``sub``, ``aud``, ``amr`` ...) or, for SAML, the ``saml:``
    keys without their prefix (``sub``, ``sub_type``, ``aud`` ...)."""

    provider: str
    claims: dict[str, str | list[str]] = field(default_factory=dict)


@dataclass
class SessionSpec:
    role: str | None
    """The role of a role session; ``None`` for a federated user's session (``user``)."""
    name: str
    policy: Policy | None = None
    policy_arns: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    federated: FederatedSpec | None = None
    """The role session came from ``AssumeRoleWithWebIdentity`` / ``AssumeRoleWithSAML``."""
    user: str | None = None
    """The IAM user who called ``GetFederationToken`` (a custom identity broker): the
    federated user may do what both the user's policies and the session policies allow."""


@dataclass(slots=True)
class RequestSpec:
    name: str
    principal: str
    action: str
    resource: str
    location: str
    session: SessionSpec | None = None
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The keys the request adds to its context, as the engine reads them: lower-cased names,
    every value a tuple of strings (:func:`~localiam.engine.normalise_context`); for a
    federated principal, after the keys of its login (``federation_keys``), which its own
    keys override."""
    expect: str | None = None
    federated: FederatedSpec | None = None
    """The principal is a web identity or SAML user (``principal: {federated: ..., claims: ...}``),
    as the trust policy of ``AssumeRoleWithWebIdentity`` / ``AssumeRoleWithSAML`` sees it."""


@dataclass
class Scenario:
    file: str
    world: World
    requests: list[RequestSpec]
    aws_managed: dict[str, Policy]


class _Reader:
    """Walks the raw document, recording problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []
        self.invalid_policies: dict[str, set[str]] = {}
        """Scope (an account id, ``"organization"`` or ``"aws"``) → names of the policies defined
        there whose documents were rejected. References to them are not reported again as
        dangling: the document's own problems already are."""
        self.shared: dict[str, str] = {}
        """Principals and actions of requests: one string for all the requests that name one
        (the parser makes one each), which also hashes once."""
        self.values: dict[str, tuple[str]] = {}
        """Context values as the engine reads them, one tuple for all the requests that give
        the value."""
        self.accepted: dict[str, set[str]] = {}
        """Context key of a checked type → the values (as text) already found to be of it."""

    def note_invalid(self, scope: str, defined: Any, parsed: Mapping[str, Any]) -> None:
        if isinstance(defined, Mapping):
            names = {str(name) for name in defined} - set(parsed)
            self.invalid_policies.setdefault(scope, set()).update(names)

    def is_invalid(self, scope: str, name: str) -> bool:
        return name in self.invalid_policies.get(scope, set())

    def fail(self, where: str, message: str) -> None:
        self.problems.append((where, message))

    def mapping(self, value: Any, where: str, allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(where, f"must be a mapping, not {_kind(value)}")
            return {}
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                key = str(key)
            if allowed is not None and key not in allowed:
                self.fail(where + pointer(key), f"unknown key {key!r} (expected one of: {', '.join(allowed)})")
                continue
            out[key] = item
        return out

    def string(self, value: Any, where: str, *, required: bool = True) -> str | None:
        if value is None:
            if required:
                self.fail(where, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.fail(where, f"must be a string, not {_kind(value)}")
            return None
        return str(value)

    def strings(self, value: Any, where: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            self.fail(where, f"must be a list of strings, not {_kind(value)}")
            return []
        out = []
        for i, item in enumerate(value):
            text = self.string(item, f"{where}/{i}")
            if text is not None:
                out.append(text)
        return out

    def tags(self, value: Any, where: str) -> dict[str, str]:
        raw = self.mapping(value, where)
        out = {}
        for key, item in raw.items():
            text = self.string(item, where + pointer(key))
            if text is not None:
                out[key] = text
        return out

    def policy(self, value: Any, where: str, policy_type: PolicyType) -> Policy | None:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                self.fail(where, f"policy is not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
                return None
        if not isinstance(value, Mapping):
            self.fail(where, f"a policy document must be a mapping, not {_kind(value)}")
            return None
        read = read_policy(value)
        findings = list(read.findings)
        if read.value is not None:
            findings.extend(check_policy_type(read.value, policy_type))
        errors = [f for f in findings if f.severity is Severity.ERROR]
        for finding in errors:
            self.fail(where + finding.location, f"{finding.code}: {finding.message}")
        return None if errors else complete(Result(read.value, tuple(findings))).value

    def policies(self, value: Any, where: str, policy_type: PolicyType) -> dict[str, Policy]:
        out = {}
        for name, doc in self.mapping(value, where).items():
            parsed = self.policy(doc, where + pointer(name), policy_type)
            if parsed is not None:
                out[name] = parsed
        return out


def _kind(value: Any) -> str:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a YAML date (quote it to pass it as text)"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def read_document(path: Path) -> Any:
    """YAML or JSON (JSON is YAML, but its errors read better from the JSON parser)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return json.loads(text)
    return yaml.safe_load(text)


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    name = str(path)
    try:
        raw = read_document(path)
    except OSError as exc:
        raise ScenarioError(name, [("", f"cannot read the file: {exc.strerror or exc}")]) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(name, [("", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(name, [("", f"invalid YAML{where}: {problem}")]) from None
    except UnicodeDecodeError:
        raise ScenarioError(name, [("", "the file is not UTF-8 text")]) from None
    except RecursionError:
        raise ScenarioError(name, [("", TOO_DEEP)]) from None
    try:
        return build_scenario(raw, name)
    except RecursionError:
        raise ScenarioError(name, [("", TOO_DEEP)]) from None


TOO_DEEP = "the document is nested too deeply to read"


def build_scenario(raw: Any, name: str = "<scenario>") -> Scenario:
    r = _Reader()
    if raw is None:
        raise ScenarioError(name, [("", "the scenario is empty; it needs at least 'requests', the requests to decide")])
    top = r.mapping(raw, "", ("organization", "accounts", "resources", "requests", "aws_managed_policies"))
    if not isinstance(raw, Mapping):
        raise ScenarioError(name, r.problems)

    aws_managed_docs = dict(AWS_MANAGED)
    aws_managed_docs.update(r.mapping(top.get("aws_managed_policies"), "/aws_managed_policies"))
    aws_managed: dict[str, Policy] = {}
    for arn, doc in aws_managed_docs.items():
        where = "/aws_managed_policies" + pointer(arn)
        if not arn.startswith(AWS_MANAGED_PREFIX):
            r.fail(where, f"AWS managed policy ARNs start with {AWS_MANAGED_PREFIX}")
            continue
        parsed = r.policy(doc, where, PolicyType.IDENTITY)
        if parsed is not None:
            aws_managed[arn] = parsed
    r.note_invalid("aws", aws_managed_docs, aws_managed)

    world = World()
    for account_id, body in r.mapping(top.get("accounts"), "/accounts").items():
        account = _account(r, account_id, body, "/accounts" + pointer(account_id))
        if account is not None:
            world.accounts[account_id] = account

    if "organization" in top:
        world.organization = _organization(r, top["organization"], "/organization")
        if world.organization is not None:
            for account_id in _org_accounts(world.organization.root):
                world.accounts.setdefault(account_id, Account(account_id))
            world.accounts.setdefault(
                world.organization.management_account, Account(world.organization.management_account)
            )

    resources = top.get("resources")
    if resources is not None and not isinstance(resources, list):
        r.fail("/resources", f"must be a list of resources, not {_kind(resources)}")
        resources = None
    for i, item in enumerate(resources or []):
        entry = _resource(r, item, f"/resources/{i}")
        if entry is not None:
            world.resources.append(entry)

    requests = top.get("requests")
    specs: list[RequestSpec] = []
    if requests is None:
        r.fail("/requests", "is required: a list of requests to decide")
    elif not isinstance(requests, list):
        r.fail("/requests", "must be a list")
    else:
        for i, item in enumerate(requests):
            spec = _request(r, item, f"/requests/{i}")
            if spec is not None:
                specs.append(spec)

    _check_references(r, world, aws_managed)
    if r.problems:
        raise ScenarioError(name, r.problems)
    return Scenario(name, world, specs, aws_managed)


def _account_id_ok(r: _Reader, account_id: str, where: str) -> bool:
    if not (len(account_id) == 12 and account_id.isdigit()):
        r.fail(where, f"account id {account_id!r} must be 12 digits (quote it in YAML)")
        return False
    return True


def _account(r: _Reader, account_id: str, body: Any, where: str) -> Account | None:
    if not _account_id_ok(r, account_id, where):
        return None
    b = r.mapping(body, where, ("name", "policies", "groups", "users", "roles"))
    account = Account(account_id, name=r.string(b.get("name"), where + "/name", required=False))
    account.policies = r.policies(b.get("policies"), where + "/policies", PolicyType.IDENTITY)
    r.note_invalid(account_id, b.get("policies"), account.policies)
    for gname, gbody in r.mapping(b.get("groups"), where + "/groups").items():
        gw = where + "/groups" + pointer(gname)
        g = r.mapping(gbody, gw, ("policies", "inline"))
        account.groups[gname] = Group(
            gname,
            policies=r.strings(g.get("policies"), gw + "/policies"),
            inline=r.policies(g.get("inline"), gw + "/inline", PolicyType.IDENTITY),
        )
    for uname, ubody in r.mapping(b.get("users"), where + "/users").items():
        uw = where + "/users" + pointer(uname)
        u = r.mapping(ubody, uw, ("path", "groups", "policies", "inline", "boundary", "tags"))
        account.users[uname] = User(
            uname,
            path=_path(r, u.get("path"), uw + "/path"),
            groups=r.strings(u.get("groups"), uw + "/groups"),
            policies=r.strings(u.get("policies"), uw + "/policies"),
            inline=r.policies(u.get("inline"), uw + "/inline", PolicyType.IDENTITY),
            boundary=r.string(u.get("boundary"), uw + "/boundary", required=False),
            tags=r.tags(u.get("tags"), uw + "/tags"),
        )
    for rname, rbody in r.mapping(b.get("roles"), where + "/roles").items():
        rw = where + "/roles" + pointer(rname)
        ro = r.mapping(rbody, rw, ("path", "trust", "policies", "inline", "boundary", "tags", "service_linked"))
        trust = r.policy(ro["trust"], rw + "/trust", PolicyType.TRUST) if ro.get("trust") is not None else None
        service_linked = ro.get("service_linked", False)
        if not isinstance(service_linked, bool):
            r.fail(rw + "/service_linked", "must be true or false")
            service_linked = False
        account.roles[rname] = Role(
            rname,
            path=_path(r, ro.get("path"), rw + "/path"),
            trust=trust,
            policies=r.strings(ro.get("policies"), rw + "/policies"),
            inline=r.policies(ro.get("inline"), rw + "/inline", PolicyType.IDENTITY),
            boundary=r.string(ro.get("boundary"), rw + "/boundary", required=False),
            tags=r.tags(ro.get("tags"), rw + "/tags"),
            service_linked=service_linked,
        )
    return account


def _path(r: _Reader, value: Any, where: str) -> str:
    text = r.string(value, where, required=False)
    if text is None:
        return "/"
    if not (text.startswith("/") and text.endswith("/")):
        r.fail(where, f"path {text!r} must begin and end with '/'")
        return "/"
    return text


def _organization(r: _Reader, body: Any, where: str) -> Organization | None:
    b = r.mapping(body, where, ("management_account", "policies", "root"))
    management = r.string(b.get("management_account"), where + "/management_account")
    policies: dict[str, Policy] = {}
    for pname, doc in r.mapping(b.get("policies"), where + "/policies").items():
        pw = where + "/policies" + pointer(pname)
        kind = PolicyType.RCP if _looks_like_rcp(doc) else PolicyType.SCP
        parsed = r.policy(doc, pw, kind)
        if parsed is not None:
            policies[pname] = parsed
    r.note_invalid("organization", b.get("policies"), policies)
    root = _unit(r, "Root", b.get("root"), where + "/root", management, 0, [0])
    if management is None or not _account_id_ok(r, management, where + "/management_account"):
        return None
    return Organization(management, root, policies)


def _looks_like_rcp(doc: Any) -> bool:
    """RCPs name a Principal; SCPs cannot. Policies are listed together, so the shape decides
    which rules to check them against."""
    if not isinstance(doc, Mapping):
        return False
    statements = doc.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    return isinstance(statements, list) and any(isinstance(s, Mapping) and "Principal" in s for s in statements)


def _unit(
    r: _Reader, name: str, body: Any, where: str, management: str | None, depth: int, counter: list[int]
) -> OrganizationalUnit:
    b = r.mapping(body, where, ("scps", "rcps", "accounts", "units"))
    counter[0] += 1
    unit_id = "r-root" if depth == 0 else f"ou-root-{counter[0]:08d}"
    unit = OrganizationalUnit(
        name,
        id=unit_id,
        scps=r.strings(b.get("scps"), where + "/scps") if "scps" in b else [FULL_AWS_ACCESS_NAME],
        rcps=r.strings(b.get("rcps"), where + "/rcps"),
    )
    accounts = b.get("accounts")
    if isinstance(accounts, list):
        for i, item in enumerate(accounts):
            account_id = r.string(item, f"{where}/accounts/{i}")
            if account_id is not None and _account_id_ok(r, account_id, f"{where}/accounts/{i}"):
                unit.accounts[account_id] = ([FULL_AWS_ACCESS_NAME], [])
    elif isinstance(accounts, Mapping):
        for account_id, attached in accounts.items():
            aw = f"{where}/accounts" + pointer(str(account_id))
            if not _account_id_ok(r, str(account_id), aw):
                continue
            a = r.mapping(attached, aw, ("scps", "rcps"))
            scps = r.strings(a.get("scps"), aw + "/scps") if "scps" in a else [FULL_AWS_ACCESS_NAME]
            unit.accounts[str(account_id)] = (scps, r.strings(a.get("rcps"), aw + "/rcps"))
    elif accounts is not None:
        r.fail(where + "/accounts", "must be a list of account ids or a mapping of account id to attached policies")
    for child, child_body in r.mapping(b.get("units"), where + "/units").items():
        unit.units[child] = _unit(
            r, child, child_body, where + "/units" + pointer(child), management, depth + 1, counter
        )
    return unit


def _org_accounts(unit: OrganizationalUnit) -> list[str]:
    out = list(unit.accounts)
    for child in unit.units.values():
        out.extend(_org_accounts(child))
    return out


ACL_PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")
ACL_GROUPS = {
    "AllUsers": "http://acs.amazonaws.com/groups/global/AllUsers",
    "AuthenticatedUsers": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "LogDelivery": "http://acs.amazonaws.com/groups/s3/LogDelivery",
}


def _acl(r: _Reader, value: Any, where: str) -> list[AclEntry]:
    """``acl: [{account: ID | canonical_user: ID | group: AllUsers, permission: WRITE}]``."""
    if value is None:
        return []
    if not isinstance(value, list):
        r.fail(where, "must be a list of grants")
        return []
    out = []
    for i, item in enumerate(value):
        gw = f"{where}/{i}"
        g = r.mapping(item, gw, ("account", "canonical_user", "group", "permission"))
        permission = r.string(g.get("permission"), gw + "/permission")
        if permission is not None and permission not in ACL_PERMISSIONS:
            r.fail(gw + "/permission", f"permission must be one of {', '.join(ACL_PERMISSIONS)}")
            continue
        named = [k for k in ("account", "canonical_user", "group") if k in g]
        if len(named) != 1:
            r.fail(gw, "a grant names exactly one of account, canonical_user or group")
            continue
        text = r.string(g[named[0]], f"{gw}/{named[0]}")
        if text is None or permission is None:
            continue
        if named[0] == "account":
            if _account_id_ok(r, text, gw + "/account"):
                out.append(AclEntry(canonical_user_id(text), permission))
        elif named[0] == "group":
            if text not in ACL_GROUPS:
                r.fail(gw + "/group", f"group must be one of {', '.join(ACL_GROUPS)}")
            else:
                out.append(AclEntry(ACL_GROUPS[text], permission, group=True))
        else:
            out.append(AclEntry(text, permission))
    return out


def _resource(r: _Reader, item: Any, where: str) -> ResourceEntry | None:
    b = r.mapping(item, where, ("arn", "account", "policy", "tags", "acl"))
    arn = r.string(b.get("arn"), where + "/arn")
    if arn is None:
        return None
    if not arn.startswith("arn:") or arn.count(":") < 5:
        r.fail(where + "/arn", f"{arn!r} is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)")
        return None
    account = r.string(b.get("account"), where + "/account", required=False)
    if account is not None and not _account_id_ok(r, account, where + "/account"):
        account = None
    policy_type = PolicyType.TRUST if ":role/" in arn else PolicyType.RESOURCE
    policy = r.policy(b["policy"], where + "/policy", policy_type) if b.get("policy") is not None else None
    acl = _acl(r, b.get("acl"), where + "/acl")
    if acl and not arn.startswith("arn:aws:s3:::"):
        r.fail(where + "/acl", "ACLs exist only on S3 buckets and objects")
    return ResourceEntry(arn, account, policy, r.tags(b.get("tags"), where + "/tags"), acl)


_REQUEST_KEYS = ("name", "principal", "session", "action", "resource", "context", "expect")
_PLAIN_KEYS = frozenset(_REQUEST_KEYS) - {"session"}


def _request(r: _Reader, item: Any, where: str) -> RequestSpec | None:
    spec = _plain_request(item, where, r)
    return spec if spec is not None else _read_request(r, item, where)


def _read_request(r: _Reader, item: Any, where: str) -> RequestSpec | None:
    """Any request, every problem of it recorded in ``r``."""
    if not isinstance(item, Mapping):
        r.fail(where, f"a request must be a mapping with principal, action and resource, not {_kind(item)}")
        return None
    b = r.mapping(item, where, _REQUEST_KEYS)
    federated = None
    if isinstance(b.get("principal"), Mapping):
        federated = _federated(r, b["principal"], where + "/principal")
        principal = federated.provider if federated is not None else None
    else:
        principal = r.string(b.get("principal"), where + "/principal")
    action = r.string(b.get("action"), where + "/action")
    resource = r.string(b.get("resource"), where + "/resource")
    if resource is not None and not _resource_ok(resource):
        r.fail(
            where + "/resource",
            f'{resource!r} is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE) or "*"',
        )
    name = r.string(b.get("name"), where + "/name", required=False)
    if action is not None and action.count(":") != 1:
        r.fail(where + "/action", f"action {action!r} must look like 'service:Action'")
    expect = r.string(b.get("expect"), where + "/expect", required=False)
    if expect is not None and expect not in EXPECTATIONS:
        r.fail(where + "/expect", f"expect must be one of {', '.join(EXPECTATIONS)}, not {expect!r}")
    context: dict[str, Any] = {}
    for key, value in r.mapping(b.get("context"), where + "/context").items():
        named = ":" in key
        if not named:
            r.fail(where + "/context" + pointer(key), f"context key {key!r} must look like 'service:name'")
        values = value if isinstance(value, list) else [value]
        for v in values:
            if not isinstance(v, (str, int, float, bool)):
                r.fail(
                    where + "/context" + pointer(key),
                    f"context values must be strings, numbers or booleans, not {_kind(v)}",
                )
                break
        else:
            problem = _context_value_problem(key, value)
            if problem is not None:
                r.fail(where + "/context" + pointer(key), problem)
            elif named:
                context[key] = value
    session = None
    if b.get("session") is not None:
        sw = where + "/session"
        s = r.mapping(
            b["session"], sw, ("role", "user", "name", "policy", "policy_arns", "tags", "federated", "claims")
        )
        if s.get("user") is not None and s.get("role") is not None:
            r.fail(sw + "/user", "a session has a role (a role session) or a user (GetFederationToken), not both")
        user = r.string(s.get("user"), sw + "/user", required=False)
        role = r.string(s.get("role"), sw + "/role", required=user is None)
        if user is not None and s.get("federated") is not None:
            r.fail(sw + "/federated", "a federated user's session (user) has no identity provider")
        policy = r.policy(s["policy"], sw + "/policy", PolicyType.SESSION) if s.get("policy") is not None else None
        if role is not None or user is not None:
            session = SessionSpec(
                role if user is None else None,
                r.string(s.get("name"), sw + "/name", required=False) or "session",
                policy,
                r.strings(s.get("policy_arns"), sw + "/policy_arns"),
                r.tags(s.get("tags"), sw + "/tags"),
                _federated(r, s, sw) if s.get("federated") is not None and user is None else None,
                user,
            )
        if s.get("claims") is not None and s.get("federated") is None:
            r.fail(sw + "/claims", "claims need federated: the provider that issued them")
    if principal is None or action is None or resource is None:
        return None
    if federated is not None:
        # The login's keys first, the request's own override them (compared as written, then
        # lower-cased: the order the engine has always merged them in).
        kept, trust_only = federation_keys(federated.provider, federated.claims)
        context = {**kept, **trust_only, **context}
    return RequestSpec(
        name=name or f"{principal} {action} {resource}",
        principal=principal,
        action=action,
        resource=resource,
        location=where,
        session=session,
        context=normalise_context(context),
        expect=expect,
        federated=federated,
    )


def _resource_ok(resource: str) -> bool:
    return resource == "*" or (resource.startswith("arn:") and resource.count(":") >= 5)


def _plain_request(item: Any, where: str, r: _Reader) -> RequestSpec | None:
    """``item`` as :func:`_request` reads it, for a request of the common shape that passes
    every check (no session, a principal ARN, strings where strings go, context values that
    are scalars or lists of them, each of its key's type); ``None`` for anything else, which
    :func:`_request` reads and reports field by field. A file of many requests is mostly read
    here, so this does in one pass, without the reader's bookkeeping, what the checks below
    would find."""
    if type(item) is not dict or not item.keys() <= _PLAIN_KEYS:
        return None
    principal = item.get("principal")
    action = item.get("action")
    resource = item.get("resource")
    if type(principal) is not str or type(action) is not str or type(resource) is not str:
        return None
    if action.count(":") != 1 or not _resource_ok(resource):
        return None
    name = item.get("name")
    expect = item.get("expect")
    if name is not None and type(name) is not str:
        return None
    if expect is not None and (type(expect) is not str or expect not in _EXPECTED):
        return None
    raw = item.get("context")
    context = _plain_context(raw, r) if raw is not None else {}
    if context is None:
        return None
    principal = r.shared.setdefault(principal, principal)
    action = r.shared.setdefault(action, action)
    # By position: keywords cost a third of the whole call.
    return RequestSpec(
        name or f"{principal} {action} {resource}", principal, action, resource, where, None, context, expect
    )


_EXPECTED = frozenset(EXPECTATIONS)
_SCALARS = frozenset({str, bool, int, float})


def _plain_context(raw: Any, r: _Reader) -> dict[str, tuple[str, ...]] | None:
    """A request's ``context`` normalised (:func:`~localiam.engine.normalise_context`), when
    every key and value passes the reader's checks; ``None`` otherwise."""
    if type(raw) is not dict:
        return None
    values = r.values
    out: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        known = _CONTEXT_KEYS.get(key)
        if known is None:
            if type(key) is not str or ":" not in key:
                return None
            if len(_CONTEXT_KEYS) >= 4096:
                _CONTEXT_KEYS.clear()
            known = _CONTEXT_KEYS[key] = (key.lower(), _value_check(key))
        kind = type(value)
        if kind is str:
            texts: tuple[str, ...] | None = values.get(value)
            if texts is None:
                texts = values[value] = (value,)
        elif kind is list and all(type(v) in _SCALARS for v in value):
            texts = tuple(_text(v) for v in value)
        elif kind in _SCALARS:
            texts = (_text(value),)
        else:
            return None
        check = known[1]
        if kind is list:
            if _value_problem(key, texts, True) is not None:
                return None
        elif check is not _ANY_VALUE:
            accepted = r.accepted.get(key)
            if accepted is None:
                accepted = r.accepted[key] = set()
            text = texts[0]
            if text not in accepted:
                # A plain IPv4 address needs no parser (ipaddress costs 4 µs an address).
                plain_address = check is _ADDRESS and _IPV4.fullmatch(text) is not None
                if not plain_address and _value_problem(key, texts, False) is not None:
                    return None
                accepted.add(text)
        out[known[0]] = texts
    return out


_ANY_VALUE, _ADDRESS, _CHECKED = "any", "address", "checked"

_CONTEXT_KEYS: dict[str, tuple[str, str]] = {}
"""Context keys seen in requests → their lower-cased name (one string for every request that
names the key, not one each) and :func:`_value_check`."""

_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
"""A dotted IPv4 address, as ``ipaddress`` reads one (ASCII digits, no leading zeros)."""


def _value_check(key: str) -> str:
    """How one value of ``key`` is checked: ``_ANY_VALUE`` when no value can be of the wrong
    type (:func:`_value_problem`: not every type the key may have is one the reader checks),
    ``_ADDRESS`` when it holds an IP address (a plain IPv4 address needs no parser),
    ``_CHECKED`` otherwise."""
    types = condition_key_types(key)
    bases = {kind.removeprefix("ArrayOf") for kind in types}
    if not bases or not bases <= _TYPE_WORDS.keys():
        return _ANY_VALUE
    return _ADDRESS if bases == {"IPAddress"} else _CHECKED


def _text(value: str | bool | int | float) -> str:
    """A context value as AWS compares it (:func:`~localiam.engine.normalise_context`)."""
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _federated(r: _Reader, body: Mapping[str, Any], where: str) -> FederatedSpec | None:
    """``{federated: PROVIDER, claims: {...}}`` (the session form also has ``role`` ...)."""
    b = body if "role" in body else r.mapping(body, where, ("federated", "claims"))
    provider = r.string(b.get("federated"), where + "/federated")
    claims: dict[str, str | list[str]] = {}
    for key, value in r.mapping(b.get("claims"), where + "/claims").items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (str, int, float, bool)) for v in values):
            r.fail(where + "/claims" + pointer(key), "claim values must be strings, numbers, booleans or lists of them")
            continue
        texts = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
        claims[key] = texts if isinstance(value, list) else texts[0]
    return FederatedSpec(provider, claims) if provider is not None else None


def _context_value_problem(key: str, value: Any) -> str | None:
    texts = tuple(_text(v) for v in _listed(value))
    problem = _value_problem(key, texts, isinstance(value, list))
    if problem is None or problem[0]:
        return problem[1] if problem else None
    return f"{key} holds {problem[1]}; {json.dumps(value)} is not one"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@functools.lru_cache(maxsize=8192)
def _value_problem(key: str, texts: tuple[str, ...], listed: bool) -> tuple[bool, str] | None:
    """Why ``texts`` (a list of them when ``listed``) cannot be what AWS puts in the request
    context for ``key``: ``(True, message)``, or ``(False, what the key holds)`` when the values
    are not of its type; ``None`` when they can.

    Keys of a known type (``reference_policies_condition-keys``; service keys from the Service
    Authorization Reference) must hold values of that type: ``aws:SourceIp`` an IP address,
    ``aws:MultiFactorAuthPresent`` true or false, ``aws:CurrentTime`` a date, and a single-valued
    key one value. The value is read the way the condition operator of that type reads it.
    """
    types = condition_key_types(key)
    if not types:
        return None
    if listed and is_multivalued_key(key) is False and len(texts) != 1:
        return True, f"{key} is a single-valued key: give one value, not a list of {len(texts)}"
    bases: dict[str, None] = {}
    for kind in types:
        base = kind.removeprefix("ArrayOf")
        if base not in _TYPE_WORDS:
            return None  # strings and ARNs take any text
        bases[base] = None
    for base in bases:
        if values_read_as(base, texts):  # as the type's operator (Bool, DateEquals ...) reads them
            return None
    return False, " or ".join(_TYPE_WORDS[base] for base in bases)


_TYPE_WORDS = {
    "Bool": "true or false",
    "Date": "a date (ISO 8601 or epoch seconds)",
    "Numeric": "a number",
    "IPAddress": "an IP address",
}


def _check_references(r: _Reader, world: World, aws_managed: Mapping[str, Policy]) -> None:
    """Every named managed policy, group and SCP/RCP must exist."""

    def managed(account: Account, ref: str, where: str) -> None:
        if ref.startswith(AWS_MANAGED_PREFIX):
            if ref not in aws_managed and not r.is_invalid("aws", ref):
                r.fail(
                    where,
                    f"AWS managed policy {ref} is not bundled with localiam; define its document under "
                    "aws_managed_policies",
                )
        elif ref.startswith("arn:"):
            parts = ref.split(":", 5)
            owner = world.accounts.get(parts[4]) if len(parts) == 6 else None
            name = parts[5].rsplit("/", 1)[-1] if len(parts) == 6 else ""
            if (owner is None or name not in owner.policies) and not r.is_invalid(parts[4] if owner else "", name):
                r.fail(where, f"no customer managed policy {ref}")
        elif ref not in account.policies and not r.is_invalid(account.id, ref):
            r.fail(where, f"account {account.id} has no customer managed policy named {ref!r}")

    for account in world.accounts.values():
        base = "/accounts" + pointer(account.id)
        for gname, group in account.groups.items():
            for i, ref in enumerate(group.policies):
                managed(account, ref, f"{base}/groups{pointer(gname)}/policies/{i}")
        for uname, user in account.users.items():
            uw = f"{base}/users{pointer(uname)}"
            for i, ref in enumerate(user.policies):
                managed(account, ref, f"{uw}/policies/{i}")
            for i, gname in enumerate(user.groups):
                if gname not in account.groups:
                    r.fail(f"{uw}/groups/{i}", f"account {account.id} has no group {gname!r}")
            if user.boundary:
                managed(account, user.boundary, f"{uw}/boundary")
        for rname, role in account.roles.items():
            rw = f"{base}/roles{pointer(rname)}"
            for i, ref in enumerate(role.policies):
                managed(account, ref, f"{rw}/policies/{i}")
            if role.boundary:
                managed(account, role.boundary, f"{rw}/boundary")

    org = world.organization
    if org is not None:
        known = (
            set(org.policies)
            | {FULL_AWS_ACCESS_NAME, RCP_FULL_AWS_ACCESS_NAME}
            | r.invalid_policies.get("organization", set())
        )

        def check_unit(unit: OrganizationalUnit, where: str) -> None:
            for kind in ("scps", "rcps"):
                for i, ref in enumerate(getattr(unit, kind)):
                    if ref not in known:
                        r.fail(f"{where}/{kind}/{i}", f"the organization has no policy named {ref!r}")
            for account_id, (scps, rcps) in unit.accounts.items():
                for kind, refs in (("scps", scps), ("rcps", rcps)):
                    for i, ref in enumerate(refs):
                        if ref not in known:
                            r.fail(
                                f"{where}/accounts/{account_id}/{kind}/{i}",
                                f"the organization has no policy named {ref!r}",
                            )
            for child_name, child in unit.units.items():
                check_unit(child, where + "/units" + pointer(child_name))

        check_unit(org.root, "/organization/root")


BUILTIN_ORGANIZATION_POLICIES: Mapping[str, dict[str, Any]] = {
    FULL_AWS_ACCESS_NAME: FULL_AWS_ACCESS,
    RCP_FULL_AWS_ACCESS_NAME: RCP_FULL_AWS_ACCESS,
}
