"""S3 Control: the account-level Block Public Access settings (``configuring-block-public-access-account``).

The setting belongs to the account named by ``x-amz-account-id``; the caller must be of that
account and allowed ``s3:GetAccountPublicAccessBlock`` / ``s3:PutAccountPublicAccessBlock``
(resource ``*``)."""

from __future__ import annotations

from localiam.errors import AccessDenied
from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.s3._service import CONTROL
from localiam.services.s3.common import error
from localiam.services.s3.public import PublicAccessBlock
from localiam.state import s3_store


def _authorize(ctx: OperationContext, op: Operation, params: Params) -> None:
    if ctx.caller is None or params.get("AccountId") != ctx.caller.principal.account:
        raise AccessDenied("Access Denied")
    assert op.action is not None
    ctx.authorize(op.action, "*")


@CONTROL.operation("GetPublicAccessBlock", action="s3:GetAccountPublicAccessBlock", authorizer=_authorize, signed=False)
def get_account_block(ctx: OperationContext, params: Params) -> Result:
    found = s3_store.account_public_access_block(ctx.tx, str(params["AccountId"]))
    if found is None:
        raise error(
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
            404,
            AccountId=str(params["AccountId"]),
        )
    return {"PublicAccessBlockConfiguration": PublicAccessBlock.from_json(found).to_params()}


@CONTROL.operation(
    "PutPublicAccessBlock", action="s3:PutAccountPublicAccessBlock", authorizer=_authorize, writes=True, signed=False
)
def put_account_block(ctx: OperationContext, params: Params) -> Result:
    config = params.get("PublicAccessBlockConfiguration")
    if config is None:
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    block = PublicAccessBlock.from_params(config)
    s3_store.put_account_public_access_block(ctx.tx, str(params["AccountId"]), block.to_json())
    return {}


@CONTROL.operation(
    "DeletePublicAccessBlock", action="s3:PutAccountPublicAccessBlock", authorizer=_authorize, writes=True, signed=False
)
def delete_account_block(ctx: OperationContext, params: Params) -> Result:
    s3_store.put_account_public_access_block(ctx.tx, str(params["AccountId"]), None)
    return {}
