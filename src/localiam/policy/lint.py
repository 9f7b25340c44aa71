"""Lint: warnings about a policy that parses but will not do what its author meant.

AWS accepts all of these documents; the statements just never match, or match more than
intended. Each finding is a WARNING with a stable code and a JSON-pointer location:

``UNKNOWN_SERVICE``, ``UNKNOWN_ACTION``, ``ACTION_WILDCARD_MATCHES_NOTHING``
    An ``Action``/``NotAction`` entry names no action of the Service Authorization Reference
    (``reference_policies_actions-resources-contextkeys``).
``RESOURCE_TYPE_MISMATCH``
    No action of the statement takes a resource of the kind a ``Resource`` entry names
    (``s3:GetObject`` on ``arn:aws:s3:::bucket``, ``s3:ListBucket`` on ``bucket/*``). Said only
    when every action is known, none is a service wildcard, and each of them positively
    rejects the entry; an action that takes only ``"*"`` (no resource types) makes it unknown.
``UNKNOWN_GLOBAL_CONDITION_KEY``, ``CONDITION_KEY_NOT_SUPPORTED``
    An ``aws:`` key that ``reference_policies_condition-keys`` does not list; a service key the
    service does not define, or that none of the statement's actions supports. Global and
    cross-service keys are always supported; keys of federation providers (``saml:``,
    ``accounts.google.com:``) are not checked.
``OPERATOR_TYPE_MISMATCH``
    The operator's family does not fit the key's type (``reference_policies_elements_condition_operators``;
    IAM Access Analyzer's "Type mismatch" general warning). String operators are fine on ARN
    keys (the condition-keys page: AWS "recommends" ARN operators for ARNs, so both work).
``SET_OPERATOR_ON_SINGLE_VALUED_KEY``, ``MULTIVALUED_KEY_WITHOUT_SET_OPERATOR``
    ``reference_policies_condition-single-vs-multi-valued-context-keys``: "Do not use a
    condition set operator with a single-valued context key" and "Multivalued context keys
    require a condition set operator". ``Null`` is exempt from the second.
``VARIABLES_IN_2008_VERSION``
    ``${...}`` in a Resource or condition value of a policy whose Version is 2008-10-17 or
    absent is literal text (``reference_policies_variables``).
``FEDERATED_TRUST_WITHOUT_AUDIENCE``
    Role trust policies only: web identity federation without a condition on the provider's
    audience (:mod:`localiam.policy.lint_trust`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from localiam.policy import catalog
from localiam.policy.conditions import OPERATORS
from localiam.policy.findings import Collector, Finding, pointer
from localiam.policy.lint_trust import lint_trust
from localiam.policy.model import (
    VERSION_2012,
    ActionBlock,
    Condition,
    PartialPolicy,
    PartialStatement,
    Policy,
    PolicyType,
)

_VARIABLE = re.compile(r"\$\{[^}]*\}")

_FAMILY_PREFIXES = (("String", "String"), ("Arn", "ARN"), ("Numeric", "Numeric"), ("Date", "Date"), ("Bool", "Bool"))


def _family(base: str) -> str | None:
    """The key type family an operator compares: ``StringLike`` → ``String``. ``None`` for
    ``Null`` (any key), ``BinaryEquals`` (no key in the catalog is typed binary) and names that
    are not operators, so those are never reported."""
    if base not in OPERATORS:
        return None
    if base in ("IpAddress", "NotIpAddress"):
        return "IPAddress"
    return next((family for prefix, family in _FAMILY_PREFIXES if base.startswith(prefix)), None)


_FITS: dict[str, frozenset[str]] = {
    "String": frozenset({"String", "ARN"}),
    "ARN": frozenset({"ARN"}),
    "Numeric": frozenset({"Numeric"}),
    "Date": frozenset({"Date"}),
    "Bool": frozenset({"Bool"}),
    "IPAddress": frozenset({"IPAddress"}),
}
"""Operator family → the key types it may compare."""

_SUGGEST: dict[str, str] = {
    "String": "a String operator such as StringEquals or StringLike",
    "ARN": "an ARN operator such as ArnEquals or ArnLike",
    "Numeric": "a Numeric operator such as NumericLessThan",
    "Date": "a Date operator such as DateGreaterThan",
    "Bool": "the Bool operator",
    "IPAddress": "IpAddress or NotIpAddress",
}


def lint(policy: Policy | PartialPolicy, policy_type: PolicyType) -> list[Finding]:
    """Every lint warning for ``policy``: the rules that hold for every kind of policy, in
    document order, then those of its type (a role trust policy's, :func:`lint_trust`). The
    type's own required and forbidden elements are checked by :mod:`localiam.policy.types`.

    ``policy`` may be what the parser read of a document with errors
    (:func:`localiam.policy.parse.read_policy`): each statement is linted on the elements the
    parser could read, and entries it reported as malformed are skipped.
    """
    read = PartialPolicy.of(policy)
    collector = Collector()
    for statement in read.statements:
        _lint_statement(read, statement, collector)
    if policy_type is PolicyType.TRUST:
        collector.extend(lint_trust(read))
    return collector.findings


def _statement_at(statement: PartialStatement) -> str:
    return statement.location or pointer("Statement", statement.index)


def _lint_statement(policy: PartialPolicy, statement: PartialStatement, c: Collector) -> None:
    at = _statement_at(statement)
    actions = _check_actions(statement.actions, at, c) if statement.actions is not None else None
    concrete = None if statement.actions is None or statement.actions.negated else actions
    _check_resources(policy, statement, at, concrete, c)
    for condition in statement.conditions:
        _check_condition_key(condition, concrete, c)
        _check_operator_type(condition, c)
        _check_set_operator(condition, c)
    if policy.version != VERSION_2012:
        _check_variables(policy, statement, at, c)


# ---- actions --------------------------------------------------------------------------------


def _check_actions(block: ActionBlock, at: str, c: Collector) -> list[tuple[str, str]] | None:
    """Report unknown entries; return every concrete ``(prefix, Name)`` the entries cover,
    or ``None`` when some entry cannot be resolved (``*``, a service wildcard, an unknown, an
    entry the parser reported as malformed)."""
    out: list[tuple[str, str]] = []
    resolved = True
    for i, pattern in enumerate(block.patterns):
        where = block.location(at, i)
        service, colon, name = pattern.partition(":")
        if not (service and colon and name) or ":" in name or catalog.has_service_wildcard(pattern):
            resolved = False
            continue
        if not catalog.service_exists(service):
            hint = _did_you_mean(service.lower(), catalog.service_prefixes())
            c.warning(
                "UNKNOWN_SERVICE",
                where,
                f'"{pattern}": "{service}" is not an AWS service prefix{hint}. '
                "Fix the prefix; as written the entry matches no request.",
            )
            resolved = False
            continue
        expanded = catalog.expand_action_pattern(pattern)
        if not expanded:
            resolved = False
            names = [a.split(":", 1)[1] for a in catalog.actions_of(service)]
            if "*" in name or "?" in name:
                c.warning(
                    "ACTION_WILDCARD_MATCHES_NOTHING",
                    where,
                    f'"{pattern}" matches no {service.lower()} action. Check the spelling of the '
                    "pattern; as written it grants or denies nothing.",
                )
            else:
                hint = _did_you_mean(name, names)
                c.warning(
                    "UNKNOWN_ACTION",
                    where,
                    f'"{pattern}" is not an action of {service.lower()}{hint}. '
                    "Fix the action name; as written the entry matches no request.",
                )
            continue
        for full in expanded:
            prefix, _, action = full.partition(":")
            out.append((prefix, action))
    return out if resolved else None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.75)
    return f' (did you mean "{by_lower[close[0]]}"?)' if close else ""


# ---- resources ------------------------------------------------------------------------------


def _check_resources(
    policy: PartialPolicy, statement: PartialStatement, at: str, actions: list[tuple[str, str]] | None, c: Collector
) -> None:
    block = statement.resources
    if not actions or block is None or block.negated:
        return
    for j, pattern in enumerate(block.patterns):
        if not pattern.startswith("arn:"):
            continue
        if not policy.variables_enabled and _VARIABLE.search(pattern):
            continue  # literal "${...}" text: VARIABLES_IN_2008_VERSION says what is wrong
        if _some_action_may_take(actions, pattern, policy.variables_enabled):
            continue
        names = sorted({f"{p}:{n}" for p, n in actions})
        formats = sorted({f for p, n in actions for f in _formats(p, n)})
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        kinds = "; ".join(formats[:3]) + (f" and {len(formats) - 3} more types" if len(formats) > 3 else "")
        c.warning(
            "RESOURCE_TYPE_MISMATCH",
            block.location(at, j),
            f'No action of this statement ({shown}) takes a resource like "{pattern}"; they take '
            f"{kinds}. Name a resource of one of those types, or move the actions that need "
            "this resource to their own statement.",
        )


def _some_action_may_take(actions: list[tuple[str, str]], pattern: str, variables: bool) -> bool:
    for prefix, name in actions:
        if catalog.action_accepts_resource(prefix, name, pattern, variables=variables) is not False:
            return True
    return False


def _formats(prefix: str, name: str) -> list[str]:
    """ARN formats as the Service Authorization Reference writes them (readable placeholders)."""
    action = catalog.action_info(prefix, name)
    if action is None:
        return []
    types = (catalog.resource_type(prefix, rt) for rt, _ in action.resource_types)
    return [t.arn for t in types if t is not None]


# ---- conditions -----------------------------------------------------------------------------


def _check_condition_key(condition: Condition, actions: list[tuple[str, str]] | None, c: Collector) -> None:
    key = condition.key
    if catalog.global_condition_key(key) is not None:
        return
    prefix = key.split(":", 1)[0]
    if prefix.lower() == "aws":
        hint = _did_you_mean(key, (k.name for k in catalog.GLOBAL_CONDITION_KEYS if "$" not in k.name))
        c.warning(
            "UNKNOWN_GLOBAL_CONDITION_KEY",
            condition.location,
            f'"{key}" is not an AWS global condition key{hint}. A key that is never in the request '
            "context makes the condition false (true for negated operators); fix the key name.",
        )
        return
    if not catalog.service_exists(prefix):
        return  # federation keys (saml:, accounts.google.com:, OIDC providers) are not catalogued
    if actions and any(catalog.action_supports_condition_key(p, n, key) for p, n in actions):
        return
    if catalog.condition_key_type(key) is None:
        c.warning(
            "CONDITION_KEY_NOT_SUPPORTED",
            condition.location,
            f'"{key}" is not a condition key of {prefix.lower()}. Check the spelling against the '
            "service's condition-key table; as written the key is never in the request context.",
        )
        return
    if actions:
        names = sorted({f"{p}:{n}" for p, n in actions})
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        c.warning(
            "CONDITION_KEY_NOT_SUPPORTED",
            condition.location,
            f'None of the actions of this statement ({shown}) supports "{key}", so it is never '
            "in their request context. Use a key these actions support, or move the condition "
            "to a statement with actions that do.",
        )


def _check_operator_type(condition: Condition, c: Collector) -> None:
    family = _family(condition.base)
    types = catalog.condition_key_types(condition.key)
    if family is None or not types:
        return
    base_types = {t.removeprefix("ArrayOf") for t in types}
    if base_types & _FITS[family]:
        return
    key_type = types[0].removeprefix("ArrayOf")
    c.warning(
        "OPERATOR_TYPE_MISMATCH",
        condition.location,
        f'{condition.base} compares {family} values, but "{condition.key}" has type {types[0]}. '
        f"Use {_SUGGEST.get(key_type, 'an operator of the key type')} instead.",
    )


def _check_set_operator(condition: Condition, c: Collector) -> None:
    multivalued = catalog.is_multivalued_key(condition.key)
    if condition.qualifier and multivalued is False:
        c.warning(
            "SET_OPERATOR_ON_SINGLE_VALUED_KEY",
            condition.location,
            f'"{condition.key}" is single-valued, and {condition.qualifier} on a single-valued key '
            f"can be overly permissive (ForAllValues is true when the key is absent). Remove "
            f'"{condition.qualifier}:" from "{condition.operator}".',
        )
    elif not condition.qualifier and multivalued is True and condition.base != "Null":
        c.warning(
            "MULTIVALUED_KEY_WITHOUT_SET_OPERATOR",
            condition.location,
            f'"{condition.key}" is multivalued; compare it with ForAnyValue:{condition.base} (any '
            f"value matches) or ForAllValues:{condition.base} (every value matches) instead of "
            f'"{condition.operator}".',
        )


# ---- policy variables -----------------------------------------------------------------------


def _check_variables(policy: PartialPolicy, statement: PartialStatement, at: str, c: Collector) -> None:
    version = policy.version or "absent, which means 2008-10-17"
    fix = 'Set "Version": "2012-10-17" to use policy variables.'
    block = statement.resources
    if block is not None:
        for j, pattern in enumerate(block.patterns):
            found = _VARIABLE.search(pattern)
            if found:
                c.warning(
                    "VARIABLES_IN_2008_VERSION",
                    block.location(at, j),
                    f'The policy Version is {version}, so "{found.group(0)}" in "{pattern}" is literal '
                    f"text, not a policy variable. {fix}",
                )
    for condition in statement.conditions:
        found = next((m for m in map(_VARIABLE.search, condition.values) if m), None)
        if found:
            c.warning(
                "VARIABLES_IN_2008_VERSION",
                condition.location,
                f'The policy Version is {version}, so "{found.group(0)}" in the value of '
                f'"{condition.key}" is literal text, not a policy variable. {fix}',
            )
