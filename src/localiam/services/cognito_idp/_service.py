"""The ``cognito-idp`` registry and what its operations share: ids that look like AWS's, the user
pool ARN of the Service Authorization Reference (``list_amazoncognitouserpools``:
``arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID``), errors, timestamps, tags and paging.

Errors are Cognito's modelled exceptions (``ResourceNotFoundException`` "User pool ID does not
exist.", ``InvalidParameterException`` ...), HTTP 400 unless AWS says otherwise.
"""

from __future__ import annotations

import datetime as _dt
import json
import secrets
import string
from collections.abc import Callable, Mapping
from typing import Any

from localiam.errors import AwsError
from localiam.services.base import OperationContext, Params, ResourcePolicy, Service
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row
from localiam.state.store import Tx

SERVICE = Service("cognito-idp", access_denied_code="AccessDeniedException")

TAG_RESOURCE = "cognito-userpool"
_ID_ALPHABET = string.ascii_letters + string.digits
_CLIENT_ALPHABET = string.ascii_lowercase + string.digits


def error(code: str, message: str, status: int = 400) -> AwsError:
    return AwsError(message, code=code, status=status)


def invalid_parameter(message: str) -> AwsError:
    return error("InvalidParameterException", message)


def not_found(message: str) -> AwsError:
    return error("ResourceNotFoundException", message, 400)


def timestamp(epoch: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(epoch, _dt.UTC)


def new_pool_id(region: str) -> str:
    """``us-east-1_AbC123xyZ``: the region, ``_``, nine letters and digits."""
    return f"{region}_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(9))


def new_client_id() -> str:
    """26 lower-case letters and digits, as AWS's app client ids."""
    return "".join(secrets.choice(_CLIENT_ALPHABET) for _ in range(26))


def new_client_secret() -> str:
    return "".join(secrets.choice(_CLIENT_ALPHABET) for _ in range(51))


def pool_arn(region: str, account: str, pool_id: str) -> str:
    return f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}"


def pool_id_param(params: Params) -> str:
    value = params.get("UserPoolId")
    if not isinstance(value, str) or not value:
        raise invalid_parameter(
            "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: "
            "Member must not be null"
        )
    return value


def region_of_pool(pool_id: str) -> str:
    return pool_id.split("_", 1)[0] if "_" in pool_id else "us-east-1"


def find_pool(ctx: OperationContext, pool_id: str) -> Row:
    """The caller's pool, or ``ResourceNotFoundException`` (another account's pool does not
    exist for the caller, as on AWS)."""
    row = iam_store.one(ctx.tx, schema.cognito_user_pools, id=pool_id)
    if row is None or row["account_id"] != ctx.account_id:
        raise not_found(f"User pool {pool_id} does not exist.")
    return row


def find_pool_row(ctx: OperationContext, pool_id: str) -> Row:
    """A pool by id, whoever calls (the unsigned operations name it through an app client)."""
    row = iam_store.one(ctx.tx, schema.cognito_user_pools, id=pool_id)
    if row is None:
        raise not_found(f"User pool {pool_id} does not exist.")
    return row


def config_of(row: Row) -> dict[str, Any]:
    return dict(json.loads(str(row["config"])))


def pool_resource(ctx: OperationContext, params: Params) -> str:
    """The user pool ARN the operation acts on (its account is the caller's)."""
    pool_id = pool_id_param(params)
    return pool_arn(region_of_pool(pool_id), ctx.account_id, pool_id)


def pool_tags(ctx: OperationContext, params: Params) -> ResourcePolicy:
    """The pool's tags, for ``aws:ResourceTag/${TagKey}``; user pools have no resource policy."""
    pool_id = params.get("UserPoolId")
    tags: dict[str, str] = {}
    if isinstance(pool_id, str):
        tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, pool_id))
    return ResourcePolicy(None, None, tags=tags)


def request_tags(member: str) -> Callable[[OperationContext, Params], Mapping[str, str | list[str]]]:
    """``aws:RequestTag/*`` and ``aws:TagKeys`` of a map of tags in ``member``."""

    def keys(_ctx: OperationContext, params: Params) -> Mapping[str, str | list[str]]:
        tags = params.get(member) or {}
        out: dict[str, str | list[str]] = {f"aws:RequestTag/{k}": str(v) for k, v in tags.items()}
        if tags:
            out["aws:TagKeys"] = list(tags)
        return out

    return keys


def page(
    items: list[Any], params: Params, *, limit_member: str = "MaxResults", maximum: int = 60
) -> tuple[list[Any], str | None]:
    """One page of ``items`` (in a stable order) and the next token, if any."""
    limit = params.get(limit_member)
    if limit is None:
        limit = maximum
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise invalid_parameter(
            f"1 validation error detected: Value '{limit}' at '{limit_member[0].lower() + limit_member[1:]}' "
            f"failed to satisfy constraint: Member must have value less than or equal to {maximum}"
        )
    token = params.get("NextToken") or params.get("PaginationToken")
    start = 0
    if token is not None:
        try:
            start = int(str(token))
        except ValueError:
            raise invalid_parameter("Invalid pagination token.") from None
    chunk = items[start : start + limit]
    following = str(start + limit) if start + limit < len(items) else None
    return chunk, following


# --------------------------------------------------------------------------- sign-in names
SIGN_IN_COLUMNS = {"username": "username_lower", "email": "email_lower", "phone_number": "phone_lower"}


def user_named(tx: Tx, pool_id: str, name: str, kinds: list[str]) -> Row | None:
    """The user whose username is ``name``; else the first (by creation) whose username or
    attribute of ``kinds`` is ``name`` in any case."""
    exact = iam_store.one(tx, schema.cognito_users, pool_id=pool_id, username=name)
    if exact is not None:
        return exact
    lowered = name.lower()
    for kind in kinds:
        column = SIGN_IN_COLUMNS.get(kind)
        if column is None:
            continue
        found = iam_store.rows(
            tx, schema.cognito_users, order_by=("created_at", "username"), pool_id=pool_id, **{column: lowered}
        )
        if found:
            return found[0]
    return None


def sign_in_columns(username: str, attributes: dict[str, Any]) -> dict[str, str | None]:
    """The indexed sign-in names of a user with these attributes (kept with every change)."""
    email, phone = attributes.get("email"), attributes.get("phone_number")
    return {
        "username_lower": username.lower(),
        "email_lower": str(email).lower() if email else None,
        "phone_lower": str(phone).lower() if phone else None,
    }
