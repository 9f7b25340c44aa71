"""``GetCallerIdentity`` and ``GetAccessKeyInfo``.

``GetCallerIdentity`` (``API_GetCallerIdentity``): "No permissions are required to perform this
operation. If an administrator attaches a policy to your identity that explicitly denies
access to the sts:GetCallerIdentity action, you can still perform this operation." It answers
``UserId``, ``Account`` and ``Arn`` as ``id_users`` and ``reference_policies_variables`` ("Values
for principal keys") show them: the account id and ``arn:aws:iam::ACCOUNT:root`` for the root
user; the user's unique id (``AIDA...``) and ARN for an IAM user; ``ROLE-ID:SESSION-NAME`` and
``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`` for a role session;
``ACCOUNT:NAME`` and ``arn:aws:sts::ACCOUNT:federated-user/NAME`` for a federated user.
Credentials from ``GetSessionToken`` answer as the user (or root) that requested them.

``GetAccessKeyInfo`` (``API_GetAccessKeyInfo``): the account an access key id belongs to,
decoded from the id itself (``localiam.state.access_keys``), for any key, whether or not it
exists; it needs ``sts:GetAccessKeyInfo``.
"""

from __future__ import annotations

from localiam.errors import ValidationError
from localiam.services.base import OperationContext, Params, Result
from localiam.services.sts._service import SERVICE, constraint_error, signed_caller
from localiam.state.access_keys import account_id_from_access_key


@SERVICE.operation("GetCallerIdentity", action=None)
def get_caller_identity(ctx: OperationContext, params: Params) -> Result:
    principal = signed_caller(ctx).principal
    return {
        "UserId": principal.user_id or ctx.account_id,
        "Account": ctx.account_id,
        "Arn": principal.arn,
    }


@SERVICE.operation("GetAccessKeyInfo", action="sts:GetAccessKeyInfo", resource=lambda ctx, params: "*")
def get_access_key_info(ctx: OperationContext, params: Params) -> Result:
    key_id = params.get("AccessKeyId")
    if not isinstance(key_id, str) or not 16 <= len(key_id) <= 128:
        raise constraint_error(key_id, "accessKeyId", "Member must have length greater than or equal to 16")
    account = account_id_from_access_key(key_id)
    if account is None:
        raise ValidationError(f"The access key ID {key_id} does not encode an account id.")
    return {"Account": account}
