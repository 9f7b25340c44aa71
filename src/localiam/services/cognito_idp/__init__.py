"""Amazon Cognito user pools (``cognito-idp``): a directory of app users that signs them in and
issues JWTs. Built so far: pools and app clients with their tags (:mod:`.pools`), users as
administrators manage them (:mod:`.users`), groups (:mod:`.groups`), sign-up (:mod:`.signup`), sign-in and what an
access token authorizes (:mod:`.auth`), the server
side of SRP sign-in (:mod:`.srp`), and the pool's tokens and keys (:mod:`.tokens`)."""

from localiam.services.cognito_idp import auth, groups, pools, signup, users
from localiam.services.cognito_idp._service import SERVICE

__all__ = ["SERVICE", "auth", "groups", "pools", "signup", "users"]
