"""The machine-checkable half of ``known_disagreements.json``: one :class:`Rule` per entry id.

A rule has two parts:

- ``applies(spec)``: the feature the entry is about is present in the case (structural only,
  it never looks at either engine's answer);
- ``adjust(case)``: the runner's CASE JSON rewritten so that iam-simulate's own logic gives
  AWS's documented answer for that feature (for instance: the root user gets the identity-side
  allow that "full access" means; a pattern is replaced by the verdict of AWS's wildcard rule).

:func:`harness.classify` explains a disagreement by a rule only when the rule applies *and*
iam-simulate, run on the adjusted case, then agrees with localiam. Every adjustment preserves
AWS's semantics, so it cannot hide an unrelated localiam bug: that bug would still disagree.
The adjustments are written independently of localiam's engine (small regular expressions
and string edits here, not calls into ``localiam``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import generate

Json = dict[str, Any]
FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
NO_MATCH = "arn:aws:nomatch:::adjusted-away"
# RCPs "apply to resources for a subset of AWS services" (orgs_manage_policies_rcps, "List of
# AWS services that support RCPs"): the services of that list this generator uses.
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager", "dynamodb"})


@dataclass(frozen=True)
class Rule:
    applies: Callable[[Json], bool]
    adjust: Callable[[Json], Json]


# --------------------------------------------------------------------------- walking cases


def statements(document: Json | None) -> list[Json]:
    if not document:
        return []
    stmts = document.get("Statement", [])
    return stmts if isinstance(stmts, list) else [stmts]


def documents(case: Json) -> Iterator[Json]:
    """Every policy document of a spec or a runner case."""
    for p in case.get("identity_policies") or []:
        yield p["document"]
    if case.get("permissions_boundary"):
        yield case["permissions_boundary"]["document"]
    if case.get("session_policy"):
        yield case["session_policy"]
    if case.get("resource_policy"):
        yield case["resource_policy"]
    for which in ("scps", "rcps"):
        block = case.get(which)
        levels = block["levels"] if isinstance(block, dict) else block or []
        for level in levels:
            for p in level:
                yield p["document"]


def _listed(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def arns(element: Any) -> list[str]:
    """The AWS principals a Principal/NotPrincipal element names, account ids as root ARNs."""
    if element == "*":
        return ["*"]
    values = _listed(element.get("AWS", [])) if isinstance(element, dict) else []
    return [f"arn:aws:iam::{v}:root" if len(v) == 12 and v.isdigit() else v for v in values]


def caller_identities(principal: Any) -> list[str]:
    """Session/user ARN, the role ARN of a session, and the account root, from the caller's ARN."""
    if not isinstance(principal, str) or not principal.startswith("arn:"):
        return [str(principal)]
    account = principal.split(":")[4]
    ids = [principal]
    if ":assumed-role/" in principal:
        ids.append(f"arn:aws:iam::{account}:role/{principal.split('/')[1]}")
    if not principal.endswith(":root"):
        ids.append(f"arn:aws:iam::{account}:root")
    return ids


def _same_account(spec: Json) -> bool:
    return bool(spec["principal"]["account"]) and spec["principal"]["account"] == spec["resource"]["account"]


# --------------------------------------------------------------------------- root user


def _root_applies(spec: Json) -> bool:
    return bool(spec["principal"]["kind"] == "root")


def _root_adjust(case: Json) -> Json:
    case["identity_policies"] = [{"name": "root-user-full-access", "document": FULL_ACCESS}]
    return case


# --------------------------------------------------------------------------- session ARN grants


def _session_grant_applies(spec: Json) -> bool:
    p = spec["principal"]
    if p["kind"] not in ("session", "federated") or not spec["session_policy"] or not _same_account(spec):
        return False
    return any(
        s.get("Effect") == "Allow" and p["arn"] in arns(s.get("Principal", {}))
        for s in statements(spec["resource_policy"])
    )


def _session_grant_adjust(case: Json) -> Json:
    """The resource policy's grants to the session ARN, copied (without Principal) into the
    session policy: the session policy then no longer limits exactly those grants."""
    session = case["principal"]
    granted = []
    for s in statements(case["resource_policy"]):
        if s.get("Effect") == "Allow" and session in arns(s.get("Principal", {})):
            copied = {k: v for k, v in s.items() if k not in ("Principal", "Sid")}
            if "Resource" not in copied and "NotResource" not in copied:
                copied["Resource"] = "*"  # a trust policy statement
            granted.append(copied)
    if case["session_policy"]:
        case["session_policy"] = {
            "Version": "2012-10-17",
            "Statement": [*statements(case["session_policy"]), *granted],
        }
    return case


# --------------------------------------------------------------------------- Principal "*"


def _wildcard_principal_applies(spec: Json) -> bool:
    p = spec["principal"]
    limited = spec["session_policy"] or spec["permissions_boundary"]
    if p["kind"] not in ("session", "federated", "user") or not limited or not _same_account(spec):
        return False
    return any(
        s.get("Effect") == "Allow" and arns(s.get("Principal", {})) == ["*"]
        for s in statements(spec["resource_policy"])
    )


def _wildcard_principal_adjust(case: Json) -> Json:
    """``"*"`` read as naming the caller itself (its user or session ARN)."""
    for s in statements(case["resource_policy"]):
        if s.get("Effect") == "Allow" and arns(s.get("Principal", {})) == ["*"]:
            s["Principal"] = {"AWS": case["principal"]}
    return _session_grant_adjust(case)


# --------------------------------------------------------------------------- NotPrincipal


def _not_principal_denies(spec: Json) -> list[Json]:
    return [s for s in statements(spec["resource_policy"]) if s.get("Effect") == "Deny" and "NotPrincipal" in s]


def _not_principal_partial_applies(spec: Json) -> bool:
    ids = caller_identities(spec["principal"]["arn"])
    for s in _not_principal_denies(spec):
        listed = arns(s["NotPrincipal"])
        if any(i in listed for i in ids) and not all(i in listed for i in ids):
            return True
    return False


def _not_principal_adjust(case: Json) -> Json:
    """NotPrincipal as AWS documents it, rewritten as the plain Deny it is for this caller:
    the caller escapes only when each of its identities is listed, and never when it has a
    permissions boundary."""
    ids = caller_identities(case["principal"])
    bounded = case["permissions_boundary"] is not None
    out = []
    for s in statements(case["resource_policy"]):
        if s.get("Effect") == "Deny" and "NotPrincipal" in s:
            reaches = bounded or not all(i in arns(s["NotPrincipal"]) for i in ids)
            s = {k: v for k, v in s.items() if k != "NotPrincipal"}
            s["Principal"] = "*" if reaches else {"AWS": "arn:aws:iam::000000000000:root"}
        out.append(s)
    case["resource_policy"] = {**case["resource_policy"], "Statement": out}
    return case


# --------------------------------------------------------------------------- Resource patterns


def aws_resource_regex(pattern: str) -> re.Pattern[str]:
    """``reference_policies_elements_resource``: wildcards "within the individual segments of
    an ARN (the parts separated by colons)"; "If the * wildcard is the last character of a
    resource ARN segment, it can expand to match beyond the colon boundaries"."""
    out = []
    for i, ch in enumerate(pattern):
        if ch == "?":
            out.append("[^:]")
        elif ch == "*":
            ends_segment = i + 1 == len(pattern) or pattern[i + 1] == ":"
            out.append(".*" if ends_segment else "[^:]*")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def _patterns(stmt: Json) -> list[tuple[str, list[str]]]:
    return [(e, _listed(stmt[e])) for e in ("Resource", "NotResource") if e in stmt]


def _trivial(pattern: str) -> bool:
    """Wildcards iam-simulate and AWS read alike: none, ``*`` alone, a final ``/*``."""
    if "*" not in pattern and "?" not in pattern:
        return True
    return pattern == "*" or (pattern.endswith("/*") and not any(c in pattern[:-2] for c in "*?"))


def _resource_wildcards_applies(spec: Json) -> bool:
    return any(
        "${" not in p and not _trivial(p)
        for doc in documents(spec)
        for s in statements(doc)
        for _, ps in _patterns(s)
        for p in ps
    )


def _resource_wildcards_adjust(case: Json) -> Json:
    """Each wildcard pattern (without variables) replaced by AWS's verdict on the request's
    resource: the resource ARN itself when the pattern covers it, an ARN that matches
    nothing otherwise."""
    resource = case["resource"]["arn"]
    for doc in documents(case):
        for s in statements(doc):
            for element, ps in _patterns(s):
                s[element] = [
                    p
                    if "${" in p or _trivial(p)
                    else (resource if aws_resource_regex(p).fullmatch(resource) else NO_MATCH)
                    for p in ps
                ]
    return case


# --------------------------------------------------------------------------- policy variables

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$")


def _lookup(context: Json, key: str) -> str | None:
    for k, v in context.items():
        if k.lower() == key.lower():
            return v if isinstance(v, str) else (v[0] if isinstance(v, list) and len(v) == 1 else None)
    return None


def _resolve(body: str, context: Json) -> str | None:
    """The value of ``${body}``: ``None`` when it has none (AWS: "effectively null")."""
    if body in ("*", "?", "$"):
        return None  # escapes: leave the pattern alone
    m = _DEFAULT.match(body)
    if m:
        value = _lookup(context, m.group(1))
        return value if value is not None else m.group(2)
    return _lookup(context, body.strip())


def _unresolved(pattern: str, context: Json) -> bool:
    return any(_resolve(m.group(1), context) is None for m in _VARIABLE.finditer(pattern))


def _not_resource_null_applies(spec: Json) -> bool:
    context = generate.runner_case(spec)["context"]  # the context the runner gets
    return any(
        _unresolved(p, context)
        for doc in documents(spec)
        for s in statements(doc)
        for p in _listed(s.get("NotResource", []))
    )


def _not_resource_null_adjust(case: Json) -> Json:
    """A NotResource entry with a variable that has no value "will not match any resource"."""
    for doc in documents(case):
        for s in statements(doc):
            if "NotResource" in s:
                s["NotResource"] = [
                    NO_MATCH if _unresolved(p, case["context"]) else p for p in _listed(s["NotResource"])
                ]
    return case


_SUBSTITUTING = re.compile(r"^(ForAllValues:|ForAnyValue:)?(String|Arn)")
NULL_VALUE = "localiam-adjusted-null-value"


def _null_conditions(case: Json) -> Iterator[tuple[Json, str, list[str]]]:
    """(condition block, key, values) of String and ARN conditions, the operators that
    substitute variables."""
    for doc in documents(case):
        for s in statements(doc):
            for op, block in s.get("Condition", {}).items():
                if _SUBSTITUTING.match(op):
                    for key, values in block.items():
                        yield block, key, _listed(values)


def _condition_null_applies(spec: Json) -> bool:
    context = generate.runner_case(spec)["context"]
    return any(_unresolved(v, context) for _, _, values in _null_conditions(spec) for v in values)


def _condition_null_adjust(case: Json) -> Json:
    """A condition value whose variable has no value is "effectively null" (it equals and is
    like nothing): replaced by a literal no request carries."""
    for block, key, values in _null_conditions(case):
        block[key] = [NULL_VALUE if _unresolved(v, case["context"]) else v for v in values]
    return case


def _resource_variable_applies(spec: Json) -> bool:
    return any("${" in p for doc in documents(spec) for s in statements(doc) for _, ps in _patterns(s) for p in ps)


def _resource_variable_adjust(case: Json) -> Json:
    """Variables in Resource/NotResource substituted from the request context (those without
    a value are left alone: see not-resource-variable-with-no-value)."""
    for doc in documents(case):
        for s in statements(doc):
            for element, ps in _patterns(s):
                s[element] = [_substitute(p, case["context"]) for p in ps]
    return case


def _substitute(pattern: str, context: Json) -> str:
    def value(m: re.Match[str]) -> str:
        v = _resolve(m.group(1), context)
        if v is None or any(c in v for c in "*?$"):
            raise _Keep
        return v

    try:
        return _VARIABLE.sub(value, pattern)
    except _Keep:
        return pattern


class _Keep(Exception):
    pass


# --------------------------------------------------------------------------- dates

_DATE_OPERATORS = re.compile(r"^(ForAllValues:|ForAnyValue:)?Date")
_NUMERIC_OPERATORS = re.compile(r"^(ForAllValues:|ForAnyValue:)?Numeric")


def _epoch_applies(spec: Json) -> bool:
    for doc in documents(spec):
        for s in statements(doc):
            for op, block in s.get("Condition", {}).items():
                if not _DATE_OPERATORS.match(op):
                    continue
                for key, values in block.items():
                    if key.lower() == "aws:epochtime" or any(v.isdigit() for v in _listed(values)):
                        return True
    return False


def _millis(value: str) -> str:
    return str(Decimal(value) * 1000).split(".")[0] if value.replace(".", "", 1).isdigit() else value


def _epoch_adjust(case: Json) -> Json:
    """Epoch seconds as the milliseconds iam-simulate reads them: every epoch number in a Date
    condition, every Numeric value compared with aws:EpochTime and the aws:EpochTime context
    value, multiplied by 1000 (the order of every comparison is unchanged)."""
    for k in list(case["context"]):
        if k.lower() == "aws:epochtime":
            case["context"][k] = _millis(case["context"][k])
    for doc in documents(case):
        for s in statements(doc):
            for op, block in s.get("Condition", {}).items():
                date = bool(_DATE_OPERATORS.match(op))
                numeric = bool(_NUMERIC_OPERATORS.match(op))
                for key, values in block.items():
                    if date or (numeric and key.lower() == "aws:epochtime"):
                        block[key] = [_millis(v) for v in _listed(values)]
    return case


# --------------------------------------------------------------------------- RCPs, IP


def _rcp_service_applies(spec: Json) -> bool:
    rcps = spec["rcps"]
    return bool(rcps) and not rcps["management"] and spec["action"].split(":")[0].lower() not in RCP_SERVICES


def _rcp_service_adjust(case: Json) -> Json:
    case["rcps"] = None
    return case


def _ip_zero_applies(spec: Json) -> bool:
    return any(
        "0.0.0.0/0" in _listed(values)
        for doc in documents(spec)
        for s in statements(doc)
        for op, block in s.get("Condition", {}).items()
        if "IpAddress" in op
        for values in block.values()
    )


def _ip_zero_adjust(case: Json) -> Json:
    """``0.0.0.0/0`` written as the two halves of the IPv4 space it is."""
    for doc in documents(case):
        for s in statements(doc):
            for op, block in s.get("Condition", {}).items():
                if "IpAddress" in op:
                    for key, values in block.items():
                        new: list[str] = []
                        for v in _listed(values):
                            new += ["0.0.0.0/1", "128.0.0.0/1"] if v == "0.0.0.0/0" else [v]
                        block[key] = new
    return case


def _ip_conditions(case: Json) -> Iterator[tuple[Json, str, list[str]]]:
    for doc in documents(case):
        for s in statements(doc):
            for op, block in s.get("Condition", {}).items():
                if "IpAddress" in op:
                    for key, values in block.items():
                        yield block, key, _listed(values)


def _ip_bare_applies(spec: Json) -> bool:
    return any("/" not in v for _, _, values in _ip_conditions(spec) for v in values)


def _ip_bare_adjust(case: Json) -> Json:
    """A bare address written with the prefix IAM gives it: /32 (IPv4) or /128 (IPv6)."""
    for block, key, values in _ip_conditions(case):
        block[key] = [v if "/" in v else v + ("/128" if ":" in v else "/32") for v in values]
    return case


_ARN_OPERATORS = re.compile(r"^(ForAllValues:|ForAnyValue:)?Arn")


def _arn_conditions(case: Json) -> Iterator[tuple[Json, str, list[str]]]:
    for doc in documents(case):
        for s in statements(doc):
            for op, block in s.get("Condition", {}).items():
                if _ARN_OPERATORS.match(op):
                    for key, values in block.items():
                        yield block, key, _listed(values)


def _arn_variable_applies(spec: Json) -> bool:
    return any("${" in v for _, _, values in _arn_conditions(spec) for v in values)


def _arn_variable_adjust(case: Json) -> Json:
    """Variables in ARN condition values substituted from the request context."""
    for block, key, values in _arn_conditions(case):
        block[key] = [_substitute(v, case["context"]) for v in values]
    return case


def _empty_set_applies(spec: Json) -> bool:
    return any(v == [] for v in generate.runner_case(spec)["context"].values())


def _empty_set_adjust(case: Json) -> Json:
    """A multivalued key with no values is left out of the request, as a null key."""
    case["context"] = {k: v for k, v in case["context"].items() if v != []}
    return case


RULES: dict[str, Rule] = {
    "root-user-full-access": Rule(_root_applies, _root_adjust),
    "session-arn-grant-not-limited-by-session-policy": Rule(_session_grant_applies, _session_grant_adjust),
    "wildcard-principal-grant-not-limited": Rule(_wildcard_principal_applies, _wildcard_principal_adjust),
    "not-principal-must-list-every-identity": Rule(_not_principal_partial_applies, _not_principal_adjust),
    "resource-arn-wildcards": Rule(_resource_wildcards_applies, _resource_wildcards_adjust),
    "resource-variables-substituted": Rule(_resource_variable_applies, _resource_variable_adjust),
    "not-resource-variable-with-no-value": Rule(_not_resource_null_applies, _not_resource_null_adjust),
    "condition-variable-with-no-value": Rule(_condition_null_applies, _condition_null_adjust),
    "arn-condition-variables-substituted": Rule(_arn_variable_applies, _arn_variable_adjust),
    "date-epoch-is-seconds": Rule(_epoch_applies, _epoch_adjust),
    "rcps-only-for-supported-services": Rule(_rcp_service_applies, _rcp_service_adjust),
    "ip-address-zero-prefix": Rule(_ip_zero_applies, _ip_zero_adjust),
    "ip-address-default-prefix": Rule(_ip_bare_applies, _ip_bare_adjust),
    "empty-multivalued-key-is-null": Rule(_empty_set_applies, _empty_set_adjust),
}


def adjusted(case: Json, rule_ids: tuple[str, ...]) -> Json:
    out = copy.deepcopy(case)
    for rule_id in rule_ids:
        out = RULES[rule_id].adjust(out)
    return out
