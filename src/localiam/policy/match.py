"""Does a statement apply to a request? Element by element, with the reasons kept.

This is matching only; combining the results of many statements and policies into AWS's
decision is the engine's job (the split Cedar makes between evaluating and authorizing).

- Action: case-insensitive wildcards (``reference_policies_elements_action``); NotAction
  applies to every action not listed (``reference_policies_elements_notaction``).
- Resource: case-sensitive wildcards within the colon-separated segments of the ARN, a ``*``
  that ends a segment running past colons (``reference_policies_elements_resource``; see
  :func:`localiam.policy.wildcard.compile_resource_tokens`), policy variables substituted
  (``reference_policies_variables``); NotResource applies to every resource not listed. An
  entry holding a variable with no value "will not match any resource" (``reference_policies_variables``,
  "Policy variables with no value"), in Resource and NotResource alike. A statement without
  either (a trust policy) matches any resource.
- Principal (``reference_policies_elements_principal``): ``*`` matches everyone, anonymous
  callers included; an account (id or ``:root`` ARN) matches every principal of that account;
  a role ARN matches the role's sessions; a session ARN matches only that session.
- NotPrincipal (``reference_policies_elements_notprincipal``): AWS "might validate the
  account first, then the role, and then the assumed-role user", so a principal escapes the
  Deny only when every one of its identities (session, role or user, and account) is listed.
  And "The NotPrincipal element with a Deny effect will always deny any IAM principal that has
  a permissions boundary policy attached, regardless of the values specified in the
  NotPrincipal element" (``access_policies_boundaries``, same words on the NotPrincipal page):
  :attr:`PrincipalFacts.permissions_boundary`.
- Condition: every operator must hold (AND); see :mod:`localiam.policy.conditions`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from localiam.policy.conditions import ConditionOutcome
from localiam.policy.model import ActionBlock, Principals, ResourceBlock, Statement
from localiam.policy.wildcard import QMARK, STAR, Context, Template, compile_glob

_EMPTY_CONTEXT: Context = MappingProxyType({})

# Kinds of identity a principal carries; the engine's same-account rules depend on which one a
# resource policy named (``access_policies_boundaries``, "resource-based policies").
SESSION = "session"
ROLE = "role"
USER = "user"
FEDERATED_USER = "federated-user"
ACCOUNT = "account"
WILDCARD = "wildcard"
SERVICE = "service"
FEDERATED = "federated"
CANONICAL_USER = "canonical-user"


@dataclass(frozen=True, slots=True)
class PrincipalFacts:
    """The caller as ``Principal`` blocks see it.

    ``identities`` lists ``(arn, kind)`` from the most specific to the account, e.g. for a
    role session: ``(session ARN, "session"), (role ARN, "role"), (account root ARN,
    "account")``; for an IAM user: the user ARN then the account.
    """

    identities: tuple[tuple[str, str], ...] = ()
    service: str | None = None
    federated: str | None = None
    canonical_user: str | None = None
    anonymous: bool = False
    permissions_boundary: bool = False
    """The IAM user or role behind the caller has a permissions boundary (set by the engine,
    which knows the request's policies)."""


class RequestFacts(NamedTuple):
    """What the policy layer needs to know about a request. (A named tuple: the engine builds
    one per decision, and a tuple is the cheapest immutable record Python makes.)"""

    action: str
    resource: str
    context: Context = _EMPTY_CONTEXT
    principal: PrincipalFacts | None = None


@dataclass(slots=True)
class StatementMatch:
    """Element by element, whether a statement applies, and why. (Read-only by convention;
    not frozen because explain mode builds dozens per decision.)"""

    statement: Statement
    action: bool
    resource: bool | None
    principal: bool | None
    principal_kind: str | None
    conditions: tuple[ConditionOutcome, ...]
    """``resource`` and ``principal`` are ``None`` when not evaluated: a statement whose Action
    element does not match the request is not looked at further."""

    @property
    def applies(self) -> bool:
        return bool(self.action and self.resource and self.principal and all(c.result for c in self.conditions))

    @property
    def missing_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.conditions if c.missing)


def action_matches(statement: Statement, action: str) -> bool:
    return actions_cover(statement.actions, action)


def actions_cover(block: ActionBlock, action: str) -> bool:
    """Whether an Action block names ``action`` (a NotAction block: does not name it)."""
    hit = any(compile_glob(p, True)(action) for p in block.patterns)
    return hit != block.negated


def resource_matches(block: ResourceBlock | None, resource: str, context: Context) -> bool:
    if block is None:
        return True
    if block.negated:
        for template in block.templates:
            matcher = template.resource_matcher(context)
            if matcher is not None and matcher(resource):
                return False
        return True
    for template in block.templates:
        matcher = template.resource_matcher(context)
        if matcher is not None and matcher(resource):
            return True
    return False


def principal_match_kind(principals: Principals, who: PrincipalFacts | None) -> str | None:
    """The kind of identity by which ``principals`` names the caller, or ``None``."""
    if who is None:
        return None
    if principals.wildcard:
        return WILDCARD
    if principals.aws and who.identities:
        listed = principals.aws_arns
        for arn, kind in who.identities:
            if arn in listed:
                return kind
    if who.service is not None and who.service in principals.service:
        return SERVICE
    if who.federated is not None and who.federated in principals.federated:
        return FEDERATED
    if who.canonical_user is not None and who.canonical_user in principals.canonical_user:
        return CANONICAL_USER
    return None


def not_principal_applies(principals: Principals, who: PrincipalFacts | None) -> bool:
    """Whether a ``NotPrincipal`` Deny reaches the caller: unless every identity of the
    caller is listed, it does; it always reaches an IAM principal with a permissions boundary."""
    if who is None or who.permissions_boundary:
        return True
    if principals.wildcard:
        return False
    if who.identities:
        listed = principals.aws_arns
        return not all(arn in listed for arn, _ in who.identities)
    if who.service is not None:
        return who.service not in principals.service
    if who.federated is not None:
        return who.federated not in principals.federated
    if who.canonical_user is not None:
        return who.canonical_user not in principals.canonical_user
    return True


PrincipalKindOf = Callable[[PrincipalFacts | None], str | None]


def compile_principal(principals: Principals) -> PrincipalKindOf:
    """:func:`principal_match_kind` for one ``Principal`` block, its lists made sets once (the
    engine asks it for every resource-policy statement it evaluates)."""
    if principals.wildcard:
        return lambda who: None if who is None else WILDCARD
    listed = frozenset(principals.aws_arns)
    services = frozenset(principals.service)
    federated = frozenset(principals.federated)
    canonical = frozenset(principals.canonical_user)

    def kind_of(who: PrincipalFacts | None) -> str | None:
        if who is None:
            return None
        if listed:
            for arn, kind in who.identities:
                if arn in listed:
                    return kind
        if who.service is not None and who.service in services:
            return SERVICE
        if who.federated is not None and who.federated in federated:
            return FEDERATED
        if who.canonical_user is not None and who.canonical_user in canonical:
            return CANONICAL_USER
        return None

    return kind_of


def _principal(statement: Statement, who: PrincipalFacts | None) -> tuple[bool, str | None]:
    if statement.principal is not None:
        kind = principal_match_kind(statement.principal, who)
        return kind is not None, kind
    if statement.not_principal is not None:
        return not_principal_applies(statement.not_principal, who), None
    return True, None


def applies(statement: Statement, request: RequestFacts) -> bool:
    """The fast path: whether ``statement`` applies, with no explanation built."""
    return action_matches(statement, request.action) and applies_besides_action(statement, request)


def applies_besides_action(statement: Statement, request: RequestFacts) -> bool:
    """Resource, principal and conditions only: for callers that already know the Action
    element matched (the engine indexes statements by action)."""
    if not resource_matches(statement.resources, request.resource, request.context):
        return False
    if (statement.principal is not None or statement.not_principal is not None) and not _principal(
        statement, request.principal
    )[0]:
        return False
    for condition in statement.conditions:
        compiled = condition.compiled
        if compiled is None or not compiled.evaluate(request.context):
            return False
    return True


def action_mismatch(statement: Statement) -> StatementMatch:
    """The explanation of a statement whose Action element does not match: nothing else is
    evaluated."""
    return StatementMatch(statement, False, None, None, None, ())


def action_resource_match(statement: Statement, resource: bool) -> StatementMatch:
    """The explanation of a statement with no Condition, Principal or NotPrincipal element
    whose Action element matches: only its Resource element (``resource``) decides."""
    return StatementMatch(statement, True, resource, True, None, ())


def match(
    statement: Statement, request: RequestFacts, *, action: bool | None = None, resource: bool | None = None
) -> StatementMatch:
    """Every element's outcome (conditions are all evaluated, not short-circuited, so an
    explanation can show each key and whether it was missing). ``action`` and ``resource``
    pass in results the caller already knows."""
    principal_ok, kind = _principal(statement, request.principal)
    conditions = statement.conditions
    context = request.context
    outcomes = tuple([c.compiled.explain(context) for c in conditions if c.compiled is not None]) if conditions else ()
    if resource is None:
        resource = resource_matches(statement.resources, request.resource, request.context)
    return StatementMatch(
        statement=statement,
        action=action_matches(statement, request.action) if action is None else action,
        resource=resource,
        principal=principal_ok,
        principal_kind=kind,
        conditions=outcomes,
    )


StatementCheck = Callable[[RequestFacts], bool]


def compile_statement(statement: Statement) -> StatementCheck:
    """:func:`applies_besides_action` specialised for one statement, for the engine's hot path:
    a ``Resource: "*"`` entry, fixed resource ARNs and absent elements cost nothing at request
    time. Same answers as :func:`applies_besides_action` (a property test holds them together)."""
    resource = compile_resource(statement.resources)
    compiled = [c.compiled for c in statement.conditions]
    if any(c is None for c in compiled):
        return _never
    conditions = tuple(c.fast for c in compiled if c is not None)
    if statement.principal is not None or statement.not_principal is not None:
        return _full_check(statement, resource, conditions)
    if not conditions:
        if resource is None:
            return _always
        return _resource_only(statement.resources, resource)
    if len(conditions) == 1:
        only_condition = conditions[0]
        if resource is None:
            return lambda request: only_condition(request.context)
        fused = _plain_resource_and(statement.resources, only_condition)
        if fused is not None:
            return fused
    return _full_check(None, resource, conditions)


def _plain_patterns(block: ResourceBlock | None) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """A Resource block of fixed ARNs and ``prefix*`` patterns alone (``*`` is the prefix
    ""), as a set and a tuple for one ``in`` and one ``startswith``; ``None`` for any other
    block."""
    if block is None or block.negated or any(t.has_variables for t in block.templates):
        return None
    literals, prefixes, others = _split_patterns(block)
    return None if others else (literals, prefixes)


def _plain_resource_and(block: ResourceBlock | None, condition: Callable[[Context], bool]) -> StatementCheck | None:
    """The most common conditional statement, a Resource block of fixed ARNs and ``prefix*``
    patterns and one condition, checked in one call; ``None`` for any other block."""
    plain = _plain_patterns(block)
    if plain is None:
        return None
    literals, prefixes = plain
    if not prefixes:
        return lambda request: request.resource in literals and condition(request.context)
    if not literals:
        return lambda request: request.resource.startswith(prefixes) and condition(request.context)
    return lambda request: (
        ((r := request.resource) in literals or r.startswith(prefixes)) and condition(request.context)
    )


def _full_check(
    statement: Statement | None,
    resource: Callable[[str, Context], bool] | None,
    conditions: tuple[Callable[[Context], bool], ...],
) -> StatementCheck:
    if statement is None and resource is not None and len(conditions) == 1:
        # The most common conditional statement: one resource check, one condition.
        only = conditions[0]
        return lambda request: resource(request.resource, (context := request.context)) and only(context)

    principal = statement.principal if statement is not None else None
    kind_of = compile_principal(principal) if principal is not None else None
    not_principal = statement.not_principal if statement is not None else None
    plain = _plain_patterns(statement.resources) if statement is not None else None
    if plain is not None and not_principal is None:
        return _plain_principal_check(plain, principal, kind_of, conditions)

    def check(request: RequestFacts) -> bool:
        if resource is not None and not resource(request.resource, request.context):
            return False
        if kind_of is not None and kind_of(request.principal) is None:
            return False
        if not_principal is not None and not not_principal_applies(not_principal, request.principal):
            return False
        context = request.context
        for evaluate in conditions:  # noqa: SIM110 (hot path: a loop beats all() with a generator)
            if not evaluate(context):
                return False
        return True

    return check


def _plain_principal_check(
    plain: tuple[frozenset[str], tuple[str, ...]],
    principal: Principals | None,
    kind_of: PrincipalKindOf | None,
    conditions: tuple[Callable[[Context], bool], ...],
) -> StatementCheck:
    """A resource-based policy's usual statement (a Principal element, fixed ARNs and
    ``prefix*`` patterns, conditions) with its resource test inline and, for ``"*"``, its
    principal test too (anyone but a request without a principal): fewer calls per request."""
    literals, prefixes = plain
    anyone = principal is not None and principal.wildcard

    def check(request: RequestFacts) -> bool:
        resource = request.resource
        if resource not in literals and not resource.startswith(prefixes):
            return False
        who = request.principal
        if anyone:
            if who is None:
                return False
        elif kind_of is not None and kind_of(who) is None:
            return False
        context = request.context
        for evaluate in conditions:  # noqa: SIM110 (hot path: a loop beats all() with a generator)
            if not evaluate(context):
                return False
        return True

    return check


def _resource_only(block: ResourceBlock | None, resource: Callable[[str, Context], bool]) -> StatementCheck:
    """A statement with nothing but a Resource element to check: one call per request for the
    common shapes (fixed ARNs, ``prefix*`` patterns, one other wildcard pattern)."""
    if block is None or block.negated or any(t.has_variables for t in block.templates):
        return lambda request: resource(request.resource, request.context)
    literals, prefixes, others = _split_patterns(block)
    if not others:
        if not prefixes:
            return lambda request: request.resource in literals
        if not literals:
            return lambda request: request.resource.startswith(prefixes)
        # The common pair: "arn:aws:s3:::bucket" and "arn:aws:s3:::bucket/*".
        return lambda request: (r := request.resource) in literals or r.startswith(prefixes)
    elif not literals and not prefixes:
        wild = _wildcard_matcher(others)
        if wild is not None:
            return lambda request: wild(request.resource)
    return lambda request: resource(request.resource, request.context)


def _split_patterns(block: ResourceBlock) -> tuple[frozenset[str], tuple[str, ...], list[Template]]:
    """A Resource block's entries as fixed ARNs, ``prefix*`` patterns and the rest. A ``*``
    that ends the pattern ends its segment too, so it may run past colons
    (``reference_policies_elements_resource``): ``prefix*`` is exactly "starts with prefix"."""
    literals: set[str] = set()
    prefixes: list[str] = []
    others: list[Template] = []
    for template in block.templates:
        tokens = template.tokens
        wild = [i for i, t in enumerate(tokens) if t is STAR or t is QMARK]
        if not wild:
            literals.add("".join(t for t in tokens if isinstance(t, str)))
        elif wild == [len(tokens) - 1] and tokens[-1] is STAR:
            prefixes.append("".join(t for t in tokens[:-1] if isinstance(t, str)))
        else:
            others.append(template)
    return frozenset(literals), tuple(prefixes), others


def _always(request: RequestFacts) -> bool:
    return True


ALWAYS = _always
"""The check of a statement that applies to every request its Action matches."""


def _never(request: RequestFacts) -> bool:
    return False


NEVER = _never
"""The check of a statement that applies to no request (a condition that cannot be met)."""


def compile_resource(block: ResourceBlock | None) -> Callable[[str, Context], bool] | None:
    """``None`` when every resource matches; otherwise a check of (resource, context)."""
    if block is None:
        return None
    if any(t.has_variables for t in block.templates):
        if len(block.templates) == 1 and not block.negated:
            only = block.templates[0]

            def one_template(resource: str, context: Context) -> bool:
                matcher = only.resource_matcher(context)
                return matcher is not None and bool(matcher(resource))

            return one_template
        return lambda resource, context: resource_matches(block, resource, context)
    if not block.negated and "*" in block.patterns:
        return None
    literals, prefixes, others = _split_patterns(block)
    if others and not literals and not prefixes and not block.negated:
        # The common wildcard entry, checked without a call of its own.
        parts = _wildcard_parts(others)
        if parts is not None and len(parts[2]) == 1:
            starts, inner, (one,) = parts
            if inner:
                return lambda resource, context: (
                    resource.startswith(starts) and inner in resource and (True if one(resource) else False)  # noqa: SIM210
                )
            return lambda resource, context: resource.startswith(starts) and (True if one(resource) else False)  # noqa: SIM210
    wild = _wildcard_matcher(others) if others else None
    if block.negated:
        if wild is None:
            return lambda resource, context: not (resource in literals or resource.startswith(prefixes))
        return lambda resource, context: not (resource in literals or resource.startswith(prefixes) or wild(resource))
    if wild is None:
        if not prefixes:
            return lambda resource, context: resource in literals
        return lambda resource, context: resource in literals or resource.startswith(prefixes)
    if not literals and not prefixes:
        return lambda resource, context: wild(resource)
    return lambda resource, context: resource in literals or resource.startswith(prefixes) or wild(resource)


def _wildcard_parts(
    templates: Sequence[Template],
) -> tuple[tuple[str, ...], str, tuple[Callable[[str], object], ...]] | None:
    """What :func:`_wildcard_matcher` checks: the literal prefixes, a lone pattern's longest
    literal run ("" for several) and the merged matchers; ``None`` when no template can match
    anything."""
    matchers = _merge_regexes(tuple(m for t in templates for m in [t.resource_matcher({})] if m is not None))
    if not matchers:
        return None
    hints = [t.literal_hints() for t in templates]
    return tuple(dict.fromkeys(prefix for prefix, _ in hints)), hints[0][1] if len(hints) == 1 else "", matchers


def _wildcard_matcher(templates: Sequence[Template]) -> Callable[[str], bool] | None:
    """One check that a resource ARN matches at least one of ``templates`` (patterns without
    variables, with wildcards): their regular expressions, merged, behind the cheap test of
    :meth:`Template.literal_hints` (a value that does not start with any pattern's literal
    prefix, or lacks a lone pattern's longest literal run, cannot match: most resources a
    statement does not name are turned away by one ``startswith``). ``None`` when no template
    can match anything."""
    parts = _wildcard_parts(templates)
    if parts is None:
        return None
    starts, inner, matchers = parts
    if len(matchers) == 1:
        one = matchers[0]
        if inner:
            return lambda resource: resource.startswith(starts) and inner in resource and bool(one(resource))
        return lambda resource: resource.startswith(starts) and bool(one(resource))
    return lambda resource: resource.startswith(starts) and any(m(resource) for m in matchers)


def _merge_regexes(matchers: tuple[Callable[[str], object], ...]) -> tuple[Callable[[str], object], ...]:
    """Several ``re.Pattern.fullmatch`` matchers with the same flags become one alternation
    (a full match of ``(?:A)|(?:B)`` is a full match of A or of B; each alternative keeps its
    atomic groups, so nothing can backtrack catastrophically)."""
    patterns = [getattr(m, "__self__") for m in matchers if isinstance(getattr(m, "__self__", None), re.Pattern)]  # noqa: B009
    if len(patterns) < 2 or len({p.flags for p in patterns}) != 1:
        return matchers
    others = tuple(m for m in matchers if not isinstance(getattr(m, "__self__", None), re.Pattern))
    merged = re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags).fullmatch
    return (merged, *others)


def statement_shape(statement: Statement, variables: bool) -> object:
    """What decides whether ``statement`` applies once its Action matched: two statements of
    the same shape apply to exactly the same requests. ``variables``: whether its policy
    substitutes policy variables (Version 2012-10-17): the same text means something else
    without them (``${aws:username}`` and ``${*}`` are then plain characters)."""
    return (
        variables,
        statement.resources,
        statement.principal,
        statement.not_principal,
        tuple((c.operator, c.key.lower(), c.values) for c in statement.conditions),
    )


def resource_key(resource: str) -> str:
    """What the engine indexes a policy's statements by: a resource ARN up to its first ``/``
    (for S3, the bucket: ``arn:aws:s3:::bucket`` for the bucket and each of its objects)."""
    return resource.partition("/")[0]


def resource_keys(statement: Statement) -> frozenset[str] | None:
    """The :func:`resource_key` of every resource ``statement``'s Resource element can match,
    or ``None`` when it can match resources of any key (no Resource element, NotResource, or an
    entry without a ``/`` before its first wildcard or variable). A resource an entry matches
    starts with the entry's text before its first wildcard or variable (resources are matched
    case-sensitively, character by character), so when that text holds a ``/`` it has the key
    of every resource the entry matches; an entry without wildcard or variable matches only
    itself."""
    block = statement.resources
    if block is None or block.negated:
        return None
    keys: set[str] = set()
    for template in block.templates:
        literal: list[str] = []
        for token in template.tokens:
            if not isinstance(token, str):
                break
            literal.append(token)
        else:
            keys.add(resource_key("".join(literal)))
            continue
        prefix = "".join(literal)
        if "/" not in prefix:
            return None
        keys.add(resource_key(prefix))
    return frozenset(keys)
