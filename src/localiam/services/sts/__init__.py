"""AWS Security Token Service: temporary credentials and who is calling.

Operations (STS API Reference): ``AssumeRole`` (:mod:`.assume_role`), ``AssumeRoot``
(:mod:`.assume_root`), ``GetSessionToken`` and ``GetFederationToken`` (:mod:`.federation`), ``GetScopedCredentials``
(:mod:`.scoped`),
``AssumeRoleWithWebIdentity`` (:mod:`.web_identity`), ``GetWebIdentityToken``
(:mod:`.web_identity_token`), ``AssumeRoleWithSAML`` (:mod:`.saml`), ``GetCallerIdentity`` and
``GetAccessKeyInfo`` (:mod:`.identity`), ``DecodeAuthorizationMessage``
(:mod:`.authorization_message`). Each module registers its operations on :data:`SERVICE`
with the IAM action, resource and condition keys
they are authorized with.
"""

from localiam.services.sts import (
    assume_role,
    assume_root,
    authorization_message,
    federation,
    identity,
    saml,
    scoped,
    web_identity,
    web_identity_token,
)
from localiam.services.sts._service import SERVICE
from localiam.services.sts.authorization_message import encode_authorization_message

__all__ = [
    "SERVICE",
    "assume_role",
    "assume_root",
    "authorization_message",
    "encode_authorization_message",
    "federation",
    "identity",
    "saml",
    "scoped",
    "web_identity",
    "web_identity_token",
]
