"""The policy simulator: ``SimulatePrincipalPolicy``, ``SimulateCustomPolicy``,
``GetContextKeysForPrincipalPolicy`` and ``GetContextKeysForCustomPolicy``, answered by the
same engine that authorizes every request (``localiam.engine.authorize`` in explain mode).

IAM API Reference ``API_SimulatePrincipalPolicy``, ``API_EvaluationResult``,
``API_Statement``; IAM User Guide ``access_policies_testing-policies``. Input policies are
named ``PolicyInputList.N`` / ``PermissionsBoundaryPolicyInputList.N`` / ``ResourcePolicy``
as AWS names them in ``MatchedStatements``; an entity's own policies by their policy name,
typed ``user``/``group``/``role`` (inline) or ``aws-managed``/``user-managed``. With explicit
``ResourceArns`` the missing context keys go under ``ResourceSpecificResults`` ("If you
include a list of resources, then any missing context values are instead included under the
ResourceSpecificResults section").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from localiam.engine import (
    CompiledPolicy,
    Decision,
    Outcome,
    PolicyInputs,
    Principal,
    PrincipalKind,
    Request,
    ResourceFacts,
    normalise_context,
    principal_from_arn,
    session_principal,
)
from localiam.engine import authorize as decide
from localiam.engine.decision import Verdict
from localiam.policy.model import Policy, PolicyType
from localiam.policy.validate import validate_policy
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import SERVICE, Rule, invalid_input, paginate, validate
from localiam.services.iam.entities import arn_of, get
from localiam.services.iam.managed import default_document, find_policy
from localiam.services.iam.positions import statement_positions
from localiam.state import iam_store, schema
from localiam.state.authz import SCP_TYPE

_DECISIONS = {Outcome.ALLOW: "allowed", Outcome.EXPLICIT_DENY: "explicitDeny", Outcome.IMPLICIT_DENY: "implicitDeny"}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}):(user|group|role)(/(?:.*/)?)([^/]+)")


@dataclass(frozen=True, slots=True)
class Source:
    """One policy fed to the simulator, and how ``MatchedStatements`` names it."""

    policy_id: str
    source_type: str | None
    document: str
    compiled: CompiledPolicy


class Sources:
    def __init__(self, ctx: OperationContext) -> None:
        self.ctx = ctx
        self.by_name: dict[str, Source] = {}

    def add(self, policy_id: str, source_type: str | None, document: str, policy_type: PolicyType) -> CompiledPolicy:
        name = f"simulate:{len(self.by_name)}:{policy_id}"
        compiled = self.ctx.authz.policies.get(name, document, policy_type)
        if compiled is None:
            raise invalid_input(f"Policy {policy_id} is not a valid policy document.")
        self.by_name[name] = Source(policy_id, source_type, document, compiled)
        return compiled

    def inputs(self, params: Params, param: str, policy_type: PolicyType) -> list[CompiledPolicy]:
        out = []
        for i, document in enumerate(params.get(param) or [], 1):
            result = validate_policy(str(document), policy_type, with_lint=False)
            if result.errors:
                raise invalid_input(result.errors[0].message)
            out.append(self.add(f"{param}.{i}", None, str(document), policy_type))
        return out

    def matched(self, decision: Decision) -> list[Result]:
        out = []
        for ref in decision.determining:
            source = self.by_name.get(ref.policy)
            if source is None:
                continue
            entry: Result = {"SourcePolicyId": source.policy_id}
            if source.source_type:
                entry["SourcePolicyType"] = source.source_type
            found = statement_positions(source.document, ref.index)
            if found is not None:
                entry["StartPosition"], entry["EndPosition"] = found
            out.append(entry)
        return out


def _managed(sources: Sources, arn: str, policy_type: PolicyType = PolicyType.IDENTITY) -> CompiledPolicy | None:
    row = find_policy(sources.ctx, arn)
    if row is None:
        return None
    kind = "aws-managed" if row["aws_managed"] else "user-managed"
    return sources.add(row["name"], kind, default_document(sources.ctx, row), policy_type)


def _entity_policies(sources: Sources, kind: str, key: str) -> list[CompiledPolicy]:
    ctx = sources.ctx
    owned = {"account_id": ctx.account_id, "principal_type": kind, "principal_key": key}
    out = []
    for row in iam_store.rows(ctx.tx, schema.attachments, order_by=("attached_at", "policy_arn"), **owned):
        compiled = _managed(sources, row["policy_arn"])
        if compiled is not None:
            out.append(compiled)
    for row in iam_store.rows(ctx.tx, schema.inline_policies, order_by=("name_key",), **owned):
        out.append(sources.add(row["name"], kind, row["document"], PolicyType.IDENTITY))
    return out


def _source_entity(ctx: OperationContext, arn: str) -> tuple[str, dict[str, object]]:
    found = _ARN.fullmatch(arn)
    if found is None or found.group(1) != ctx.account_id:
        raise invalid_input(f"Invalid ARN: {arn}")
    return found.group(2), get(ctx, found.group(2), found.group(4))


def _principal_side(sources: Sources, params: Params) -> tuple[Principal, list[CompiledPolicy], CompiledPolicy | None]:
    """The simulated caller, its identity policies and its permissions boundary."""
    ctx = sources.ctx
    kind, row = _source_entity(ctx, str(params["PolicySourceArn"]))
    key = str(row["name_key"])
    identity = _entity_policies(sources, kind, key)
    if kind == "user":
        memberships = iam_store.rows(ctx.tx, schema.group_members, account_id=ctx.account_id, user_key=key)
        for m in sorted(memberships, key=lambda m: str(m["group_key"])):
            identity += _entity_policies(sources, "group", m["group_key"])
    boundary = None
    if row.get("boundary_arn"):
        boundary = _managed(sources, str(row["boundary_arn"]), PolicyType.BOUNDARY)
    tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, kind, key)) if kind != "group" else {}
    arn = arn_of(ctx.account_id, kind, row)
    if kind == "user":
        principal = principal_from_arn(arn, tags=tags, user_id=str(row["user_id"]))
    elif kind == "role":
        principal = session_principal(arn, str(row["name"]), tags=tags, role_id=str(row["role_id"]))
    else:
        principal = Principal(PrincipalKind.USER, arn, ctx.account_id)
    return principal, identity, boundary


def _context(params: Params) -> dict[str, tuple[str, ...]]:
    entries: dict[str, str | list[str]] = {}
    for entry in params.get("ContextEntries") or []:
        name = str(entry.get("ContextKeyName") or "")
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        kind = str(entry.get("ContextKeyType") or "string")
        entries[name] = values if kind.endswith("List") or len(values) != 1 else values[0]
    try:
        return normalise_context(entries)
    except ValueError as exc:
        raise invalid_input(str(exc)) from exc


def _account_of(arn: str, fallback: str) -> str:
    parts = arn.split(":", 5)
    if len(parts) == 6 and len(parts[4]) == 12 and parts[4].isdigit():
        return parts[4]
    return fallback


def _simulate(
    ctx: OperationContext,
    params: Params,
    sources: Sources,
    principal: Principal,
    identity: list[CompiledPolicy],
    boundary: CompiledPolicy | None,
) -> Result:
    validate(params, Rule("ActionNames", True))
    rules = [
        (f"actionNames.{i}.member", a, Rule("A", True, None, 3, 128)) for i, a in enumerate(params["ActionNames"], 1)
    ]
    validate(params, Rule("ResourceOwner", False, None, 1, 2048), Rule("CallerArn", False, None, 1, 2048), extra=rules)
    if params.get("PermissionsBoundaryPolicyInputList"):
        boundary = sources.inputs(params, "PermissionsBoundaryPolicyInputList", PolicyType.BOUNDARY)[0]
    resource_policy = None
    if params.get("ResourcePolicy"):
        # ``API_SimulatePrincipalPolicy``: "CallerArn is required if you include a ResourcePolicy
        # and the PolicySourceArn is not the ARN for an IAM user."
        if not params.get("CallerArn") and (principal.kind is not PrincipalKind.USER or principal.name is None):
            raise invalid_input(
                "CallerArn is required when you include a ResourcePolicy and the caller is not an IAM user."
            )
        result = validate_policy(str(params["ResourcePolicy"]), PolicyType.RESOURCE, with_lint=False)
        if result.errors:
            raise invalid_input(result.errors[0].message)
        resource_policy = sources.add("ResourcePolicy", "resource", str(params["ResourcePolicy"]), PolicyType.RESOURCE)
    if params.get("CallerArn"):
        try:
            principal = principal_from_arn(str(params["CallerArn"]))
        except ValueError as exc:
            raise invalid_input(f"Invalid CallerArn: {params['CallerArn']}") from exc
    principal = ctx.authz.with_org(ctx.tx, principal)
    owner = _account_of(str(params.get("ResourceOwner") or ""), principal.account or ctx.account_id)
    context = _context(params)
    scps = ctx.authz.org_chain(ctx.tx, principal.account, SCP_TYPE)
    explicit = bool(params.get("ResourceArns"))
    results = []
    for action in params["ActionNames"]:
        for resource in params.get("ResourceArns") or ["*"]:
            account = _account_of(str(resource), owner)
            inputs = PolicyInputs(identity=tuple(identity), boundary=boundary, scps=scps, resource=resource_policy)
            facts = ResourceFacts(account, *ctx.authz.org_of(ctx.tx, account))
            request = Request(principal, str(action), str(resource), facts, context, ctx.region)
            decision = decide(inputs, request, explain=True)
            results.append(_result(sources, decision, str(action), str(resource), boundary, scps is not None, explicit))
    page, more = paginate(results, params)
    return {"EvaluationResults": page, **more}


def _result(
    sources: Sources,
    decision: Decision,
    action: str,
    resource: str,
    boundary: CompiledPolicy | None,
    org: bool,
    explicit: bool,
) -> Result:
    verdict = _DECISIONS[decision.outcome]
    matched = sources.matched(decision)
    missing = list(dict.fromkeys(decision.missing_context_keys))
    out: Result = {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": verdict,
        "MatchedStatements": matched,
    }
    out["MissingContextValues"] = [] if explicit else missing
    if org:
        out["OrganizationsDecisionDetail"] = {
            "AllowedByOrganizations": decision.verdicts.get(PolicyType.SCP) is not Verdict.NO_MATCH
            and decision.denied_by is not PolicyType.SCP
        }
    if boundary is not None:
        detail = {"AllowedByPermissionsBoundary": decision.verdicts.get(PolicyType.BOUNDARY) is Verdict.ALLOW}
        out["PermissionsBoundaryDecisionDetail"] = detail
    if explicit:
        specific: Result = {
            "EvalResourceName": resource,
            "EvalResourceDecision": verdict,
            "MatchedStatements": matched,
            "MissingContextValues": missing,
        }
        if boundary is not None:
            specific["PermissionsBoundaryDecisionDetail"] = out["PermissionsBoundaryDecisionDetail"]
        out["ResourceSpecificResults"] = [specific]
    return out


SOURCE_RULE = Rule("PolicySourceArn", True, None, 20, 2048)


def _source_arn(ctx: OperationContext, params: Params) -> str:
    """The simulated user, group or role; anything else is refused before authorization."""
    validate(params, SOURCE_RULE)
    arn = str(params["PolicySourceArn"])
    if _ARN.fullmatch(arn) is None:
        raise invalid_input(f"Invalid ARN: {arn}")
    return arn


@SERVICE.operation(
    "SimulatePrincipalPolicy",
    action="iam:SimulatePrincipalPolicy",
    resource=_source_arn,
)
def simulate_principal_policy(ctx: OperationContext, params: Params) -> Result:
    validate(params, SOURCE_RULE)
    sources = Sources(ctx)
    principal, identity, boundary = _principal_side(sources, params)
    identity += sources.inputs(params, "PolicyInputList", PolicyType.IDENTITY)
    return _simulate(ctx, params, sources, principal, identity, boundary)


@SERVICE.operation("SimulateCustomPolicy", action="iam:SimulateCustomPolicy", resource=lambda ctx, p: "*")
def simulate_custom_policy(ctx: OperationContext, params: Params) -> Result:
    """Without ``CallerArn`` the caller is a user of the calling account with no name."""
    validate(params, Rule("PolicyInputList", True))
    sources = Sources(ctx)
    identity = sources.inputs(params, "PolicyInputList", PolicyType.IDENTITY)
    principal = Principal(PrincipalKind.USER, f"arn:aws:iam::{ctx.account_id}:user/", ctx.account_id)
    return _simulate(ctx, params, sources, principal, identity, None)


# --------------------------------------------------------------------------- context keys
def _keys_of(policy: Policy, found: dict[str, str]) -> None:
    """Policy variables and condition keys in document order; the first spelling is kept and
    names are unique case-insensitively (condition key names are case-insensitive)."""

    def variables(text: str) -> None:
        for variable in _VARIABLE.findall(text):
            name = variable.split(",", 1)[0].strip()
            if ":" in name:
                found.setdefault(name.lower(), name)

    for statement in policy.statements:
        for pattern in statement.resources.patterns if statement.resources else ():
            variables(pattern)
        for condition in statement.conditions:
            found.setdefault(condition.key.lower(), condition.key)
            for value in condition.values:
                variables(value)


def _context_keys(sources: Sources) -> Result:
    found: dict[str, str] = {}
    for source in sources.by_name.values():
        _keys_of(source.compiled.policy, found)
    return {"ContextKeyNames": list(found.values())}


@SERVICE.operation(
    "GetContextKeysForCustomPolicy", action="iam:GetContextKeysForCustomPolicy", resource=lambda ctx, p: "*"
)
def get_context_keys_for_custom_policy(ctx: OperationContext, params: Params) -> Result:
    validate(params, Rule("PolicyInputList", True))
    sources = Sources(ctx)
    sources.inputs(params, "PolicyInputList", PolicyType.IDENTITY)
    return _context_keys(sources)


@SERVICE.operation(
    "GetContextKeysForPrincipalPolicy",
    action="iam:GetContextKeysForPrincipalPolicy",
    resource=_source_arn,
)
def get_context_keys_for_principal_policy(ctx: OperationContext, params: Params) -> Result:
    validate(params, SOURCE_RULE)
    sources = Sources(ctx)
    _principal_side(sources, params)
    sources.inputs(params, "PolicyInputList", PolicyType.IDENTITY)
    return _context_keys(sources)
