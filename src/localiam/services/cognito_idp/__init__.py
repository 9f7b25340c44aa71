"""Amazon Cognito user pools (``cognito-idp``): a directory of app users that signs them in and
issues JWTs. Built so far: the server side of SRP sign-in (:mod:`.srp`) and the pool's tokens and
keys (:mod:`.tokens`)."""
