"""Parse a policy document into the typed model, collecting every problem.

The grammar is ``reference_policies_grammar``; element rules come from the element pages
(``reference_policies_elements_*``). Messages use IAM's own ``MalformedPolicyDocument``
wording where IAM has one ("Policy statement must contain actions.", "Statement IDs (SID) in
a single policy must be unique.", "Invalid Condition type : StringEqualz" ...). Arbitrary JSON
never raises: it yields findings.

Observed AWS wording (``MalformedPolicyDocument`` / S3 ``MalformedPolicy`` texts as IAM and S3
return them): "Policy statement must contain actions.", "Actions/Conditions must be prefaced by a
vendor, e.g., iam, sdb, ec2, etc.", "Actions/Condition can contain only one colon.", "Resource X
must be in ARN format or \"*\".", "Invalid principal in policy: \"AWS\":\"X\"", "Statement IDs
(SID) in a single policy must be unique.", "The policy failed legacy parsing" (a Version IAM does not
know), "Syntax errors in policy."; S3's bucket-policy texts "Invalid effect: X", "Invalid Condition
type : X" and "Missing required field Statement|Effect|Principal". AWS does not repeat the offending
value in the vendor and colon messages, so neither does this module: the location points at it.

A problem never stops the reading: every statement that is a JSON object is read element by
element into a :class:`~localiam.policy.model.PartialStatement` (:func:`read_policy`), so a bad
Effect does not hide a bad Condition, and the type rules and the lint still see the elements
that could be read. :func:`parse_policy` returns a :class:`Policy` only when nothing has an error.

Rules that depend on the kind of policy (identity, resource, trust, SCP ...) are applied by
:mod:`localiam.policy.types`; this module checks only what every policy must satisfy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from localiam.policy.conditions import compile_condition, split_operator
from localiam.policy.findings import Collector, Result, Severity, pointer
from localiam.policy.model import (
    VERSION_2008,
    VERSION_2012,
    ActionBlock,
    Condition,
    Effect,
    PartialPolicy,
    PartialStatement,
    Policy,
    Principals,
    ResourceBlock,
    Statement,
)
from localiam.policy.wildcard import Template

TOP_LEVEL_FIELDS = ("Version", "Id", "Statement")
STATEMENT_FIELDS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
PRINCIPAL_TYPES = {"AWS": "aws", "Service": "service", "Federated": "federated", "CanonicalUser": "canonical_user"}

VENDOR_MESSAGE = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
"""IAM's exact ``MalformedPolicyDocument`` text for an action or condition key without a service
prefix; like AWS, the message does not repeat the value (the finding's location points at it)."""


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def load_document(source: str | bytes | Mapping[str, Any], collector: Collector) -> Any:
    """Decode JSON text (or take an already decoded mapping). ``None`` on failure."""
    if isinstance(source, Mapping):
        return source
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            collector.error("INVALID_JSON", "", f"Syntax errors in policy. The document is not UTF-8 ({exc.reason}).")
            return None
    try:
        return json.loads(source, object_pairs_hook=_reject_duplicates)
    except _DuplicateKey as exc:
        collector.error("DUPLICATE_KEY", "", f"Syntax errors in policy. Duplicate key {exc.key!r}.")
    except json.JSONDecodeError as exc:
        collector.error(
            "INVALID_JSON", "", f"Syntax errors in policy. {exc.msg} at line {exc.lineno} column {exc.colno}."
        )
    except RecursionError:
        collector.error("INVALID_JSON", "", "Syntax errors in policy. The document is nested too deeply.")
    return None


def read_policy(source: str | bytes | Mapping[str, Any]) -> Result[PartialPolicy]:
    """Read ``source`` as far as it can be read: every statement that is a JSON object, with
    every element that could be read, and every finding of the parser.

    Unlike :func:`parse_policy`, the value is there even when the document has errors (it is
    ``None`` only when the document is not JSON or not an object), so that the type rules and
    the lint can still check what was read (:func:`localiam.policy.validate.validate_policy`).
    """
    collector = Collector()
    document = load_document(source, collector)
    if document is None and collector.findings:
        return Result(None, tuple(collector.findings))
    partial = _parse_document(document, collector)
    return Result(partial, tuple(collector.findings))


def parse_policy(source: str | bytes | Mapping[str, Any]) -> Result[Policy]:
    """Parse ``source`` (JSON text or a decoded mapping) into a :class:`Policy`.

    The result's ``value`` is ``None`` when the document has an error; ``findings`` holds every
    problem found, not just the first.
    """
    return complete(read_policy(source))


def complete(read: Result[PartialPolicy]) -> Result[Policy]:
    """The :class:`Policy` of a reading without errors; ``None`` as the value otherwise."""
    if read.value is None or read.errors:
        return Result(None, read.findings)
    return Result(read.value.complete(), read.findings)


def _parse_document(document: Any, c: Collector) -> PartialPolicy | None:
    if not isinstance(document, Mapping):
        c.error("NOT_AN_OBJECT", "", "Syntax errors in policy. A policy document must be a JSON object.")
        return None
    for key in document:
        if key not in TOP_LEVEL_FIELDS:
            c.error("UNKNOWN_FIELD", pointer(key), f"Unknown field {key}")

    version = document.get("Version")
    if "Version" not in document:
        c.warning(
            "MISSING_VERSION",
            "",
            "The policy has no Version, so AWS reads it as 2008-10-17, where policy variables are literal text. "
            'Add "Version": "2012-10-17".',
        )
    elif version not in (VERSION_2012, VERSION_2008):
        c.error(
            "INVALID_VERSION",
            "/Version",
            f"The policy failed legacy parsing: Version {json.dumps(version)} is not 2012-10-17 or 2008-10-17.",
        )
        version = None

    policy_id = document.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        c.error("INVALID_ID", "/Id", "Syntax errors in policy. Id must be a string.")
        policy_id = None

    variables = version == VERSION_2012
    raw = document.get("Statement")
    statements: list[PartialStatement] = []
    if "Statement" not in document:
        c.error("MISSING_STATEMENT", "", "Missing required field Statement")
    elif isinstance(raw, Mapping):
        stmt = _parse_statement(raw, 0, "/Statement", variables, c)
        if stmt is not None:
            statements.append(stmt)
    elif isinstance(raw, list):
        if not raw:
            c.error("EMPTY_STATEMENT", "/Statement", "Syntax errors in policy. Statement must not be empty.")
        for i, item in enumerate(raw):
            stmt = _parse_statement(item, i, pointer("Statement", i), variables, c)
            if stmt is not None:
                statements.append(stmt)
    else:
        c.error("INVALID_STATEMENT", "/Statement", "Syntax errors in policy. Statement must be an object or an array.")

    seen: dict[str, int] = {}
    for stmt in statements:
        if stmt.sid:
            if stmt.sid in seen:
                c.error(
                    "DUPLICATE_SID", f"{stmt.location}/Sid", "Statement IDs (SID) in a single policy must be unique."
                )
            seen[stmt.sid] = stmt.index
    return PartialPolicy(version if isinstance(version, str) else None, policy_id, tuple(statements))


def _strings(value: Any, where: str, element: str, c: Collector) -> tuple[str, ...] | None:
    """A string or a non-empty array of strings, as Action/Resource/principal values are."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        if not value:
            c.error("EMPTY_VALUE", where, f"Syntax errors in policy. {element} must not be an empty array.")
            return None
        bad = False
        for i, item in enumerate(value):
            if not isinstance(item, str):
                c.error(
                    "INVALID_VALUE_TYPE", f"{where}/{i}", f"Syntax errors in policy. {element} values must be strings."
                )
                bad = True
        return None if bad else tuple(value)
    c.error("INVALID_VALUE_TYPE", where, f"Syntax errors in policy. {element} must be a string or an array of strings.")
    return None


def _parse_statement(raw: Any, index: int, where: str, variables: bool, c: Collector) -> PartialStatement | None:
    """Every element of the statement that can be read, each checked on its own: a problem in
    one element never hides the problems of the others."""
    if not isinstance(raw, Mapping):
        c.error("INVALID_STATEMENT", where, "Syntax errors in policy. Each statement must be a JSON object.")
        return None
    errors_before = len(c.findings)
    for key in raw:
        if key not in STATEMENT_FIELDS:
            c.error("UNKNOWN_FIELD", f"{where}/{_esc(key)}", f"Unknown field {key}")

    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        c.error("INVALID_SID", f"{where}/Sid", "Syntax errors in policy. Sid must be a string.")
        sid = None

    effect: Effect | None = None
    if "Effect" not in raw:
        c.error("MISSING_EFFECT", where, "Missing required field Effect")
    else:
        try:
            effect = Effect(raw["Effect"])
        except (ValueError, TypeError):
            shown = raw["Effect"] if isinstance(raw["Effect"], str) else json.dumps(raw["Effect"])[:200]
            c.error("INVALID_EFFECT", f"{where}/Effect", f"Invalid effect: {shown}")

    actions = _parse_actions(raw, where, c)
    resources = _parse_resources(raw, where, variables, c)

    principal = not_principal = None
    if "Principal" in raw and "NotPrincipal" in raw:
        c.error(
            "PRINCIPAL_AND_NOT_PRINCIPAL",
            where,
            "Syntax errors in policy. A statement cannot have both Principal and NotPrincipal.",
        )
    if "Principal" in raw:
        principal = _parse_principals(raw["Principal"], f"{where}/Principal", c)
    if "NotPrincipal" in raw:
        not_principal = _parse_principals(raw["NotPrincipal"], f"{where}/NotPrincipal", c)
        if effect is Effect.ALLOW:
            c.error(
                "NOT_PRINCIPAL_WITH_ALLOW",
                f"{where}/NotPrincipal",
                'NotPrincipal must be used with "Effect": "Deny"; using it with "Effect": "Allow" is not supported.',
            )

    conditions = (
        _parse_conditions(raw.get("Condition"), f"{where}/Condition", variables, c) if "Condition" in raw else ()
    )

    statement = None
    if not any(f.severity is Severity.ERROR for f in c.findings[errors_before:]):
        assert effect is not None and actions is not None
        uses_variables = variables and (
            (resources is not None and any(t.has_variables for t in resources.templates))
            or any("${" in v for cond in conditions for v in cond.values)
        )
        statement = Statement(
            index=index,
            sid=sid,
            effect=effect,
            actions=actions,
            resources=resources,
            principal=principal,
            not_principal=not_principal,
            conditions=conditions,
            uses_variables=uses_variables,
            location=where,
        )
    return PartialStatement(
        index=index,
        location=where,
        elements=frozenset(key for key in raw if key in STATEMENT_FIELDS),
        sid=sid,
        effect=effect,
        actions=actions,
        resources=resources,
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
        statement=statement,
    )


def _esc(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _parse_actions(raw: Mapping[str, Any], where: str, c: Collector) -> ActionBlock | None:
    """The Action or NotAction block. When a statement has both, the conflict is reported and
    the entries of each are still checked, but neither is returned."""
    written = [element for element in ("Action", "NotAction") if element in raw]
    if not written:
        c.error("MISSING_ACTION", where, "Policy statement must contain actions.")
        return None
    if len(written) == 2:
        c.error(
            "ACTION_AND_NOT_ACTION",
            where,
            "Syntax errors in policy. A statement cannot have both Action and NotAction.",
        )
    blocks = [_action_block(raw[element], element, where, c) for element in written]
    return blocks[0] if len(blocks) == 1 else None


def _action_block(value: Any, element: str, where: str, c: Collector) -> ActionBlock | None:
    """The entries of ``element``, every malformed one reported. The block keeps them all (so
    that locations keep their indexes); a statement with a malformed entry never reaches the
    engine, and the lint skips entries that are not ``service:name``."""
    values = _strings(value, f"{where}/{element}", element, c)
    if values is None:
        return None
    for i, action in enumerate(values):
        at = f"{where}/{element}" if isinstance(value, str) else f"{where}/{element}/{i}"
        if action == "*":
            continue
        colons = action.count(":")
        if colons == 0:
            c.error("ACTION_WITHOUT_VENDOR", at, VENDOR_MESSAGE)
        elif colons > 1:
            c.error("ACTION_TOO_MANY_COLONS", at, "Actions/Condition can contain only one colon.")
        elif not action.split(":", 1)[0] or not action.split(":", 1)[1]:
            c.error(
                "INVALID_ACTION",
                at,
                f"Syntax errors in policy. Action {action!r} needs a service prefix and an action name.",
            )
    return ActionBlock(values, element == "NotAction", single=isinstance(value, str))


def _parse_resources(raw: Mapping[str, Any], where: str, variables: bool, c: Collector) -> ResourceBlock | None:
    """The Resource or NotResource block (``None`` when the statement has neither). When a
    statement has both, the conflict is reported and the entries of each are still checked,
    but neither is returned."""
    written = [element for element in ("Resource", "NotResource") if element in raw]
    if len(written) == 2:
        c.error(
            "RESOURCE_AND_NOT_RESOURCE",
            where,
            "Syntax errors in policy. A statement cannot have both Resource and NotResource.",
        )
    blocks = [_resource_block(raw[element], element, where, variables, c) for element in written]
    return blocks[0] if len(blocks) == 1 else None


def _resource_block(value: Any, element: str, where: str, variables: bool, c: Collector) -> ResourceBlock | None:
    """The entries of ``element``, every malformed one reported. With a malformed entry the
    block keeps the entries for the lint but compiles no matcher: the statement has an error
    and never reaches the engine."""
    values = _strings(value, f"{where}/{element}", element, c)
    if values is None:
        return None
    ok = True
    for i, entry in enumerate(values):
        at = f"{where}/{element}" if isinstance(value, str) else f"{where}/{element}/{i}"
        if not _resource_shape_ok(entry):
            c.error("INVALID_RESOURCE", at, f'Resource {entry} must be in ARN format or "*".')
            ok = False
    templates = tuple(Template(v, variables=variables) for v in values) if ok else ()
    return ResourceBlock(values, element == "NotResource", templates, single=isinstance(value, str))


def _resource_shape_ok(value: str) -> bool:
    """``*``, a wildcard-only pattern, or something that starts like an ARN."""
    if not value:
        return False
    if set(value) <= {"*", "?"}:
        return True
    return value.startswith("arn:") or value.startswith("${")


def _parse_principals(value: Any, where: str, c: Collector) -> Principals | None:
    if value == "*":
        return Principals(wildcard=True)
    if not isinstance(value, Mapping):
        c.error("INVALID_PRINCIPAL", where, f"Invalid principal in policy: {json.dumps(value)[:200]}")
        return None
    if not value:
        c.error("INVALID_PRINCIPAL", where, "Invalid principal in policy: the principal block is empty.")
        return None
    fields: dict[str, tuple[str, ...]] = {}
    wildcard = False
    ok = True
    for kind, raw_values in value.items():
        at = f"{where}/{_esc(kind)}"
        attr = PRINCIPAL_TYPES.get(kind)
        if attr is None:
            c.error("INVALID_PRINCIPAL", at, f'Invalid principal in policy: unknown principal type "{kind}".')
            ok = False
            continue
        values = _strings(raw_values, at, f"Principal {kind}", c)
        if values is None:
            ok = False
            continue
        for i, v in enumerate(values):
            vat = at if isinstance(raw_values, str) else f"{at}/{i}"
            if not _principal_value_ok(kind, v):
                c.error("INVALID_PRINCIPAL", vat, f'Invalid principal in policy: "{kind}":"{v}"')
                ok = False
        if kind == "AWS" and "*" in values:
            wildcard = True
            values = tuple(v for v in values if v != "*")
        fields[attr] = values
    if not ok:
        return None
    return Principals(wildcard=wildcard, **fields)


def _principal_value_ok(kind: str, value: str) -> bool:
    """``reference_policies_elements_principal``: AWS principals are ``*``, a 12-digit account
    id, or an IAM/STS ARN; wildcards inside a principal ARN are not allowed."""
    if not value:
        return False
    if kind == "AWS":
        if value == "*" or (len(value) == 12 and value.isdigit()):
            return True
        parts = value.split(":", 5)
        return (
            len(parts) == 6
            and parts[0] == "arn"
            and parts[2] in ("iam", "sts")
            and "*" not in value
            and "?" not in value
        )
    if kind in ("Service", "CanonicalUser"):
        return value == "*" or "*" not in value
    return True


def _condition_values(value: Any, at: str, c: Collector) -> tuple[tuple[str, ...], bool] | None:
    """Condition values: a scalar or an array of scalars; JSON numbers and booleans become the
    strings AWS compares (``true`` → ``"true"``). Returns the values and whether they were an array."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for i, item in enumerate(items):
        where = f"{at}/{i}" if isinstance(value, list) else at
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (int, float)):
            out.append(json.dumps(item))
        elif isinstance(item, str):
            out.append(item)
        else:
            c.error(
                "INVALID_CONDITION_VALUE",
                where,
                "Syntax errors in policy. Condition values must be strings, numbers or booleans.",
            )
            return None
    return tuple(out), isinstance(value, list)


def _parse_conditions(raw: Any, where: str, variables: bool, c: Collector) -> tuple[Condition, ...]:
    if not isinstance(raw, Mapping):
        c.error("INVALID_CONDITION", where, "Syntax errors in policy. Condition must be an object.")
        return ()
    out: list[Condition] = []
    for operator, block in raw.items():
        op_at = f"{where}/{_esc(operator)}"
        if not isinstance(block, Mapping):
            c.error(
                "INVALID_CONDITION",
                op_at,
                f"Syntax errors in policy. Condition {operator} must map condition keys to values.",
            )
            continue
        if not block:
            c.error(
                "INVALID_CONDITION", op_at, f"Syntax errors in policy. Condition {operator} names no condition key."
            )
            continue
        for key, raw_values in block.items():
            key_at = f"{op_at}/{_esc(key)}"
            if ":" not in key:
                c.error("CONDITION_KEY_WITHOUT_VENDOR", key_at, VENDOR_MESSAGE)
                continue
            parsed = _condition_values(raw_values, key_at, c)
            if parsed is None:
                continue
            values, _ = parsed
            compiled = compile_condition(operator, key, values, key_at, variables=variables, collector=c)
            split = split_operator(operator)
            if compiled is None or split is None:
                continue
            qualifier, base, if_exists = split
            out.append(
                Condition(
                    operator=operator,
                    base=base,
                    qualifier=qualifier,
                    if_exists=if_exists,
                    key=key,
                    values=values,
                    location=key_at,
                    compiled=compiled,
                )
            )
    return tuple(out)
