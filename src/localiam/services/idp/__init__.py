"""localiam's test identity providers: an OpenID Connect issuer (:mod:`.oidc`) and a SAML IdP
(:mod:`.saml`) that sign with keys kept in the store, so every federation flow runs offline
with real signatures. They stand in for the named issuer (Google, a corporate IdP) only inside
localiam: the keys are localiam's own, and a token or assertion they make is accepted nowhere
else.
"""
