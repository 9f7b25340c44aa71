"""The ``cognito-identity`` registry and what its operations share: identity pool and identity
ids (``REGION:GUID``), the identity pool ARN of the Service Authorization Reference
(``list_amazoncognitoidentity``: ``arn:aws:cognito-identity:REGION:ACCOUNT:identitypool/ID``),
the stored pool, errors and paging.

Errors are Cognito Identity's modelled exceptions, HTTP 400: ``ResourceNotFoundException``
("IdentityPool 'ID' not found."), ``InvalidParameterException``, ``NotAuthorizedException``,
``ResourceConflictException``, ``InvalidIdentityPoolConfigurationException``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import uuid
from typing import Any

from localiam.errors import AwsError
from localiam.services.base import OperationContext, Params, ResourcePolicy, Service
from localiam.services.cognito_idp._service import page as user_pool_page
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

SERVICE = Service("cognito-identity", access_denied_code="AccessDeniedException")

TAG_RESOURCE = "cognito-identitypool"
ISSUER = "https://cognito-identity.amazonaws.com"
PRINCIPAL = "cognito-identity.amazonaws.com"
"""What a trust policy's ``Federated`` names, and the prefix of the condition keys."""
_ID = re.compile(r"[\w-]+:[0-9a-f-]+")
CONFIGURATION_ERROR = "Invalid identity pool configuration. Check assigned IAM roles for this pool."


def error(code: str, message: str) -> AwsError:
    return AwsError(message, code=code, status=400)


def invalid_parameter(message: str) -> AwsError:
    return error("InvalidParameterException", message)


def not_authorized(message: str) -> AwsError:
    return error("NotAuthorizedException", message)


def configuration_error() -> AwsError:
    return error("InvalidIdentityPoolConfigurationException", CONFIGURATION_ERROR)


def new_id(region: str) -> str:
    """``us-east-1:0f8e...``: the region and a GUID, as AWS's pool and identity ids."""
    return f"{region}:{uuid.uuid4()}"


def region_of(identifier: str) -> str:
    return identifier.split(":", 1)[0] if ":" in identifier else "us-east-1"


def pool_arn(region: str, account: str, pool_id: str) -> str:
    return f"arn:aws:cognito-identity:{region}:{account}:identitypool/{pool_id}"


def id_param(params: Params, member: str) -> str:
    value = params.get(member)
    field = member[0].lower() + member[1:]
    if not isinstance(value, str) or not value:
        raise invalid_parameter(
            f"1 validation error detected: Value null at '{field}' failed to satisfy constraint: "
            "Member must not be null"
        )
    if not _ID.fullmatch(value):
        raise invalid_parameter(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+"
        )
    return value


def pool_not_found(pool_id: str) -> AwsError:
    return error("ResourceNotFoundException", f"IdentityPool '{pool_id}' not found.")


def find_pool(ctx: OperationContext, pool_id: str) -> Row:
    """The caller's identity pool (another account's does not exist for the caller)."""
    row = iam_store.one(ctx.tx, schema.cognito_identity_pools, id=pool_id)
    if row is None or row["account_id"] != ctx.account_id:
        raise pool_not_found(pool_id)
    return row


def pool_row(ctx: OperationContext, pool_id: str) -> Row:
    """A pool by id, whoever calls (the unsigned operations name it)."""
    row = iam_store.one(ctx.tx, schema.cognito_identity_pools, id=pool_id)
    if row is None:
        raise pool_not_found(pool_id)
    return row


def identity_row(ctx: OperationContext, identity_id: str) -> Row:
    row = iam_store.one(ctx.tx, schema.cognito_identities, id=identity_id)
    if row is None:
        raise error("ResourceNotFoundException", f"Identity '{identity_id}' not found.")
    return row


def config_of(row: Row) -> dict[str, Any]:
    return dict(json.loads(str(row["config"])))


def roles_of(row: Row) -> dict[str, Any]:
    return dict(json.loads(str(row["roles"])))


def pool_resource(ctx: OperationContext, params: Params) -> str:
    pool_id = id_param(params, "IdentityPoolId")
    return pool_arn(region_of(pool_id), ctx.account_id, pool_id)


def pool_tags(ctx: OperationContext, params: Params) -> ResourcePolicy:
    """The pool's tags, for ``aws:ResourceTag/${TagKey}``; identity pools have no resource policy."""
    pool_id = params.get("IdentityPoolId")
    tags: dict[str, str] = {}
    if isinstance(pool_id, str):
        tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, pool_id))
    return ResourcePolicy(None, None, tags=tags)


def page(items: list[Any], params: Params, *, maximum: int = 60) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the next token: as user pools page (``MaxResults`` 1-60,
    a ``NextToken``), except that the list operations of identity pools require ``MaxResults``."""
    if params.get("MaxResults") is None:
        raise invalid_parameter(
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: "
            "Member must not be null"
        )
    return user_pool_page(items, params, maximum=maximum)


def timestamp(epoch: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(epoch, _dt.UTC)
