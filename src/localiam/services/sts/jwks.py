"""The signing keys of OpenID Connect issuers that localiam fetches: issuers on loopback (a
Keycloak or Dex the user runs next to localiam, or a test's own small server).

AWS reads ``ISSUER/.well-known/openid-configuration``, follows its ``jwks_uri`` and keeps the
keys for a while (``id_roles_providers_create_oidc``, "Obtain the thumbprint ..."; keys are
fetched from the JWKS endpoint). localiam does the same for ``http://`` and ``https://``
issuers whose host is ``127.0.0.1``, ``localhost`` or ``[::1]``, and reaches nothing else:
other issuers verify only with the test issuer's keys (:mod:`localiam.services.idp.oidc`).

Keys are cached per issuer for :data:`TTL` seconds; a token whose ``kid`` is not among them
refetches once (an issuer that rotated its keys), at most every :data:`REFRESH_INTERVAL`
seconds, so a stream of tokens with unknown key ids does not become a stream of fetches.
Fetching happens before the request's transaction opens (:func:`prefetch`), so a slow issuer
never holds the store's write lock.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from localiam.errors import AwsError, client_error

TTL = 600.0
REFRESH_INTERVAL = 5.0
TIMEOUT = 5.0
MAX_DOCUMENT = 256 * 1024

KEY_NOT_RETRIEVED = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)
"""AWS's ``InvalidIdentityToken`` text when the issuer's keys cannot be had (two spaces
after the comma, as AWS prints it)."""
UNREACHABLE = (
    "The request could not be fulfilled because the identity provider (IDP) that was asked to "
    "verify the incoming identity token could not be reached. This is often a transient error "
    "caused by network conditions. Retry the request a limited number of times and wait between "
    "retries. If the error persists, contact your identity provider."
)
"""``IDPCommunicationError`` (``API_AssumeRoleWithWebIdentity``, Errors)."""


def loopback(url: str) -> bool:
    """Whether ``url`` is ``http(s)://`` on a loopback host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.hostname is None:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def communication_error(detail: str = "") -> AwsError:
    return client_error("IDPCommunicationError", UNREACHABLE + (f" ({detail})" if detail else ""))


def key_not_retrieved() -> AwsError:
    return client_error("InvalidIdentityToken", KEY_NOT_RETRIEVED)


@dataclass(frozen=True, slots=True)
class _Entry:
    fetched_at: float
    keys: KeySet | None
    kids: frozenset[str]
    error: AwsError | None


def _get_json(url: str) -> Any:
    if not loopback(url):
        raise key_not_retrieved()
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "localiam"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            body = response.read(MAX_DOCUMENT + 1)
    except urllib.error.HTTPError as exc:
        raise key_not_retrieved() from exc
    except (OSError, ValueError) as exc:
        raise communication_error() from exc
    if len(body) > MAX_DOCUMENT:
        raise key_not_retrieved()
    try:
        return json.loads(body)
    except ValueError as exc:
        raise key_not_retrieved() from exc


def _fetch(issuer: str) -> KeySet:
    config = _get_json(f"{issuer}/.well-known/openid-configuration")
    if not isinstance(config, dict) or not isinstance(config.get("jwks_uri"), str):
        raise key_not_retrieved()
    document = _get_json(config["jwks_uri"])
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise key_not_retrieved()
    usable = [k for k in document["keys"] if isinstance(k, dict) and k.get("use", "sig") == "sig"]
    try:
        return KeySet.import_key_set({"keys": usable})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise key_not_retrieved() from exc


class JwksCache:
    """Fetched key sets per issuer URL; thread-safe."""

    def __init__(self, *, clock: Any = time.monotonic) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def ensure(self, issuer: str, kid: str | None) -> None:
        """Fetch ``issuer``'s keys unless fresh ones are cached that hold ``kid``."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(issuer)
        if entry is not None and now - entry.fetched_at < TTL:
            if entry.error is None and (kid is None or kid in entry.kids):
                return
            if now - entry.fetched_at < REFRESH_INTERVAL:
                return
        try:
            keys = _fetch(issuer)
            kids = frozenset(str(k.kid) for k in keys.keys if k.kid)
            fresh = _Entry(now, keys, kids, None)
        except AwsError as exc:
            fresh = _Entry(now, None, frozenset(), exc)
        with self._lock:
            self._entries[issuer] = fresh

    def keys(self, issuer: str) -> KeySet:
        """The cached keys of ``issuer``; raises what fetching them raised."""
        with self._lock:
            entry = self._entries.get(issuer)
        if entry is None:
            raise key_not_retrieved()
        if entry.error is not None:
            raise entry.error
        assert entry.keys is not None
        return entry.keys

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


CACHE = JwksCache()
