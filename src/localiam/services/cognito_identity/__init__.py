"""Amazon Cognito identity pools (``cognito-identity``): sign-in tokens, or nothing at all for
guests, in; temporary credentials of an IAM role out. Pools, their roles, role mappings and
principal tag maps (:mod:`.pools`), identities and linked logins (:mod:`.identities`), the
verification of each login (:mod:`.logins`), the pool's own OpenID tokens (:mod:`.tokens`) and
credentials through the enhanced and basic flows (:mod:`.credentials`)."""

from localiam.services.cognito_identity import credentials, identities, pools, tokens
from localiam.services.cognito_identity._service import SERVICE

__all__ = ["SERVICE", "credentials", "identities", "pools", "tokens"]
