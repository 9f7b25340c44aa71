"""What every IAM operation shares: the service registry, AWS's errors and their wording,
request validation in AWS's ``ValidationError`` format, unique ids, ARNs, times, pagination
and the URL-encoding IAM applies to policy documents in its responses.

Sources: IAM API Reference (``API_CreateUser`` ... list each parameter's pattern, length and
range; ``CommonErrors``), IAM User Guide ``reference_identifiers`` (unique ids: "AIDA" users,
"AGPA" groups, "AROA" roles, "ANPA" managed policies) and ``reference_iam-quotas``.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from localiam.errors import AwsError, client_error
from localiam.policy.findings import Finding
from localiam.policy.model import PolicyType
from localiam.policy.types import size_exceeded_message, size_limit
from localiam.policy.validate import validate_policy
from localiam.services.base import OperationContext, Params, Result, Service
from localiam.state import iam_store

SERVICE = Service("iam")

T = TypeVar("T")


# --------------------------------------------------------------------------- errors
def no_such_entity(message: str) -> AwsError:
    return client_error("NoSuchEntity", message, 404)


def already_exists(message: str) -> AwsError:
    return client_error("EntityAlreadyExists", message, 409)


def delete_conflict(message: str) -> AwsError:
    return client_error("DeleteConflict", message, 409)


def limit_exceeded(message: str) -> AwsError:
    return client_error("LimitExceeded", message, 409)


def invalid_input(message: str) -> AwsError:
    return client_error("InvalidInput", message, 400)


SYNTAX_ERRORS = "Syntax errors in policy."
_IAM_WORDING = {
    "MISSING_STATEMENT": SYNTAX_ERRORS,
    "MISSING_EFFECT": SYNTAX_ERRORS,
    "INVALID_EFFECT": SYNTAX_ERRORS,
    "INVALID_VERSION": "The policy failed legacy parsing",
}
"""IAM's words where the policy parser speaks S3's (``Invalid effect: X``, ``Missing required
field Effect`` are S3 bucket-policy answers; IAM answers "Syntax errors in policy." for the
same documents) or adds detail IAM does not give ("Syntax errors in policy." and "The policy
failed legacy parsing" are IAM's whole messages: ``API_CreatePolicy`` errors,
``MalformedPolicyDocument``)."""


def iam_wording(finding: Finding) -> str:
    if finding.code in _IAM_WORDING:
        return _IAM_WORDING[finding.code]
    if finding.message.startswith(SYNTAX_ERRORS):
        return SYNTAX_ERRORS
    return finding.message


def malformed(errors: Sequence[Finding]) -> AwsError:
    """``MalformedPolicyDocument`` with the first error in IAM's wording."""
    message = iam_wording(errors[0]) if errors else SYNTAX_ERRORS
    return client_error("MalformedPolicyDocument", message, 400)


def checked_document(
    params: Params, param: str, policy_type: PolicyType, inline_for: str | None = None, owner: str = ""
) -> str:
    """The policy document in ``param``, validated as IAM validates it on write. A document
    over its size limit is ``LimitExceeded`` (409) in AWS's words: "Cannot exceed quota for
    PolicySize: 6144", "Cannot exceed quota for ACLSizePerRole: 2048", "Maximum policy size of
    2048 bytes exceeded for user NAME"; any other problem is ``MalformedPolicyDocument``."""
    document = str(params[param])
    result = validate_policy(document, policy_type, inline_for=inline_for, with_lint=False)
    if any(f.code == "POLICY_TOO_LARGE" for f in result.errors):
        limit = size_limit(policy_type, inline_for) or 0
        message = size_exceeded_message(policy_type, limit, inline_for)
        raise limit_exceeded(f"{message} {owner}" if inline_for else message)
    if result.errors:
        raise malformed(result.errors)
    return document


# --------------------------------------------------------------------------- validation
def _tag_chars(value: str) -> bool:
    """``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]``: letters, separators, numbers and ``_.:/=+-@``."""
    return all(c in "_.:/=+-@" or unicodedata.category(c)[0] in "LZN" for c in value)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A parameter pattern as the API Reference prints it, and how to check it."""

    text: str
    check: Callable[[str], bool]

    @classmethod
    def regex(cls, text: str, python: str) -> Pattern:
        compiled = re.compile(python, re.ASCII | re.DOTALL)
        return cls(text, lambda v: compiled.fullmatch(v) is not None)


NAME = Pattern.regex(r"[\w+=,.@-]+", r"[\w+=,.@-]+")
PATH = Pattern.regex(r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", r"(/)|(/[\x21-\x7E]+/)")
PATH_PREFIX = Pattern.regex(r"\u002F[\u0021-\u007F]*", r"/[\x21-\x7F]*")
POLICY_PATH = Pattern.regex(r"((/[A-Za-z0-9\.,\+@=_-]+)*)/", r"((/[A-Za-z0-9\.,\+@=_-]+)*)/")
DOCUMENT = Pattern.regex(r"[\u0009\u000A\u000D\u0020-\u00FF]+", r"[\t\n\r\x20-\xFF]+")
DESCRIPTION = Pattern.regex(r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*", r"[\t\n\r\x20-\x7E\xA1-\xFF]*")
VERSION_ID = Pattern.regex(r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?", r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?")
KEY_ID = Pattern.regex(r"[\w]+", r"[\w]+")
SAML_NAME = Pattern.regex(r"[\w._-]+", r"[\w._-]+")
TAG_KEY = Pattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", lambda v: bool(v) and _tag_chars(v))
TAG_VALUE = Pattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", _tag_chars)


@dataclass(frozen=True, slots=True)
class Rule:
    """The constraints of one request parameter (botocore's model carries the same)."""

    param: str
    required: bool = False
    pattern: Pattern | None = None
    min_len: int | None = None
    max_len: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    enum: tuple[str, ...] = ()
    sensitive: bool = False
    """A secret (an MFA code): its value is never repeated in the error, which then reads
    "Value at 'authenticationCode1' failed to satisfy constraint", the form AWS gives sensitive
    members (as Cognito answers for a password)."""


def name_rule(param: str, max_len: int = 64, *, required: bool = True) -> Rule:
    return Rule(param, required, NAME, 1, max_len)


def document_rule(param: str, *, required: bool = True) -> Rule:
    return Rule(param, required, DOCUMENT, 1, 131072)


ARN_RULE = Rule("PolicyArn", True, None, 20, 2048)
MARKER_RULE = Rule("Marker", False, None, 1, 320)
MAX_ITEMS_RULE = Rule("MaxItems", False, min_value=1, max_value=1000)


def _member(param: str) -> str:
    """How AWS names a parameter in a validation message: ``UserName`` → ``userName``."""
    return param[:1].lower() + param[1:]


def _problems(at: str, value: Any, rule: Rule) -> list[str]:
    shown = "Value" if rule.sensitive else f"Value {_show(value)}"
    head = f"{shown} at '{at}' failed to satisfy constraint: Member must"
    if value is None:
        return [f"Value null at '{at}' failed to satisfy constraint: Member must not be null"] if rule.required else []
    out: list[str] = []
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return out
    if isinstance(value, int):
        if rule.min_value is not None and value < rule.min_value:
            out.append(f"{head} have value greater than or equal to {rule.min_value}")
        if rule.max_value is not None and value > rule.max_value:
            out.append(f"{head} have value less than or equal to {rule.max_value}")
        return out
    if rule.min_len is not None and len(value) < rule.min_len:
        out.append(f"{head} have length greater than or equal to {rule.min_len}")
    if rule.max_len is not None and len(value) > rule.max_len:
        out.append(f"{head} have length less than or equal to {rule.max_len}")
    if rule.pattern is not None and not rule.pattern.check(value):
        out.append(f"{head} satisfy regular expression pattern: {rule.pattern.text}")
    if rule.enum and value not in rule.enum:
        out.append(f"{head} satisfy enum value set: [{', '.join(rule.enum)}]")
    return out


def _show(value: Any) -> str:
    return f"'{value}'"


def validate(params: Params, *rules: Rule, extra: Sequence[tuple[str, Any, Rule]] = ()) -> None:
    """Raise AWS's ``ValidationError`` listing every constraint the request breaks:
    ``1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: [\\w+=,.@-]+``."""
    problems: list[str] = []
    for rule in rules:
        problems += _problems(_member(rule.param), params.get(rule.param), rule)
    for at, value, rule in extra:
        problems += _problems(at, value, rule)
    if problems:
        n = len(problems)
        head = f"{n} validation error{'s' if n > 1 else ''} detected: "
        raise client_error("ValidationError", head + "; ".join(problems), 400)


# --------------------------------------------------------------------------- ids, ARNs, times
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def new_id(prefix: str) -> str:
    """A unique id as IAM issues them: a four-letter prefix and 17 characters."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def iam_arn(account_id: str, kind: str, path: str, name: str) -> str:
    """``arn:aws:iam::ACCOUNT:user/PATH/NAME`` (``reference_identifiers``)."""
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


def listing_resource(kind: str) -> Callable[[Any, Params], str]:
    """The resource a ``List<Kind>s`` request is authorized on, as IAM prints it in a denial:
    the ARN of the listed path, ``arn:aws:iam::ACCOUNT:user/`` for ``ListUsers`` (``role/``,
    ``group/``; the ``PathPrefix`` when one is passed, e.g. ``role/aws-service-role/...``).
    Observed AWS answers: "... is not authorized to perform: iam:ListUsers on resource:
    arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers
    action" (likewise ``iam:ListRoles`` on ``...:role/``, ``iam:ListGroups`` on ``...:group/``).
    A statement allows the listing when its ``Resource`` covers that ARN: ``*``, or a path, as
    in ``reference_policies_examples_iam_policy-sim-path-console`` (``iam:ListUsers`` on
    ``arn:aws:iam::*:user/Department/Development/*`` with that ``PathPrefix``)."""

    def resource(ctx: Any, params: Params) -> str:
        prefix = params.get("PathPrefix")
        path = prefix if isinstance(prefix, str) and prefix.startswith("/") else "/"
        return f"arn:aws:iam::{ctx.account_id}:{kind}{path}"

    return resource


def policy_listing_resource(_ctx: Any, params: Params) -> str:
    """``ListPolicies`` is authorized on no ARN: IAM prints the resource as ``policy path /``
    ("... is not authorized to perform: iam:ListPolicies on resource: policy path / because no
    identity-based policy allows the iam:ListPolicies action"), so only ``"Resource": "*"``
    allows it."""
    prefix = params.get("PathPrefix")
    return f"policy path {prefix if isinstance(prefix, str) and prefix.startswith('/') else '/'}"


def timestamp(epoch: float) -> dt.datetime:
    """IAM reports times in whole seconds, UTC."""
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC)


def encode_document(document: str) -> str:
    """IAM returns policy documents URL-encoded (RFC 3986); SDKs decode them
    (``API_GetRolePolicy``: "The policy document returned in this structure is URL-encoded
    compliant with RFC 3986")."""
    return urllib.parse.quote(document, safe="")


def bool_param(params: Params, name: str, default: bool = False) -> bool:
    value = params.get(name, default)
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


# --------------------------------------------------------------------------- pagination
def paginate(items: Sequence[T], params: Params, key: Callable[[T], str] | None = None) -> tuple[list[T], Result]:
    """One page of ``items`` (already in the order IAM lists them) and the page's
    ``IsTruncated``/``Marker`` fields. ``MaxItems`` defaults to 100
    (``API_ListUsers``). The marker names the first item of the next page by its ``key``,
    or by position when no key is given."""
    validate(params, MARKER_RULE, MAX_ITEMS_RULE)
    limit = int(params.get("MaxItems") or 100)
    start = 0
    marker = params.get("Marker")
    if marker:
        decoded = _decode_marker(marker)
        if key is None:
            if not decoded.isdigit():
                raise invalid_input("Invalid Marker.")
            start = int(decoded)
        else:
            start = next((i for i, item in enumerate(items) if key(item) >= decoded), len(items))
    page = list(items[start : start + limit])
    following = start + limit
    if following < len(items):
        next_key = key(items[following]) if key is not None else str(following)
        return page, {"IsTruncated": True, "Marker": _encode_marker(next_key)}
    return page, {"IsTruncated": False}


def _encode_marker(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def _decode_marker(marker: str) -> str:
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_input("Invalid Marker.") from exc


def with_path_prefix(rows: Sequence[Mapping[str, Any]], params: Params) -> list[Mapping[str, Any]]:
    """``PathPrefix`` filtering (``API_ListUsers``: "/division_abc/subdivision_xyz/ gets all
    users whose path starts with /division_abc/subdivision_xyz/"); defaults to ``/``."""
    prefix = params.get("PathPrefix") or "/"
    return [row for row in rows if str(row["path"]).startswith(prefix)]


def list_by_path(ctx: OperationContext, params: Params, table: Any) -> tuple[list[dict[str, Any]], Result]:
    """ListUsers, ListRoles and ListGroups: the account's entities under ``PathPrefix``, in
    name order, one page at a time (the page's rows and its ``IsTruncated``/``Marker``)."""
    validate(params, Rule("PathPrefix", False, None, 1, 512))
    rows = with_path_prefix(iam_store.rows(ctx.tx, table, order_by=("name_key",), account_id=ctx.account_id), params)
    page, more = paginate(rows, params, key=lambda r: str(r["name_key"]))
    return [dict(r) for r in page], more
