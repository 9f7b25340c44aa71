"""Fetching a loopback OIDC issuer's keys (``localiam.services.sts.jwks``): discovery document,
then ``jwks_uri``; cached; a token naming an unknown key id refetches once, not on every
request; only loopback hosts are contacted (``id_roles_providers_create_oidc``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from localiam.errors import AwsError
from localiam.services.sts import jwks


class Issuer:
    def __init__(self) -> None:
        self.kids = ["k1"]
        self.paths: list[str] = []
        self.broken = False
        self.jwks_uri: str | None = None
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.paths.append(self.path)
                if self.path == "/.well-known/openid-configuration":
                    body: Any = {"issuer": issuer.url, "jwks_uri": issuer.jwks_uri or f"{issuer.url}/keys"}
                elif self.path == "/keys" and not issuer.broken:
                    key = ec.generate_private_key(ec.SECP256R1()).public_key()
                    jwk = json.loads(ECAlgorithm.to_jwk(key))
                    body = {"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "ES256"} for kid in issuer.kids]}
                else:
                    self.send_error(500)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    server = Issuer()
    yield server
    server.httpd.shutdown()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/realms/x", True),
        ("https://localhost/x", True),
        ("http://[::1]:9000", True),
        ("http://127.8.9.10", True),
        ("https://accounts.google.com", False),
        ("http://10.0.0.1", False),
        ("ftp://127.0.0.1", False),
        ("http://localhost.example.com", False),
    ],
)
def test_only_loopback_issuers_are_fetched(url: str, expected: bool) -> None:
    assert jwks.loopback(url) is expected


def test_keys_are_fetched_once_and_cached(issuer: Issuer) -> None:
    clock = Clock()
    cache = jwks.JwksCache(clock=clock)
    cache.ensure(issuer.url, "k1")
    assert issuer.paths == ["/.well-known/openid-configuration", "/keys"]
    assert [k.kid for k in cache.keys(issuer.url).keys] == ["k1"]
    clock.now += 60
    cache.ensure(issuer.url, "k1")
    assert len(issuer.paths) == 2
    clock.now += jwks.TTL
    cache.ensure(issuer.url, "k1")
    assert len(issuer.paths) == 4  # stale after the TTL


def test_an_unknown_key_id_refetches_at_most_every_refresh_interval(issuer: Issuer) -> None:
    clock = Clock()
    cache = jwks.JwksCache(clock=clock)
    cache.ensure(issuer.url, "k1")
    issuer.kids = ["k2"]  # the issuer rotated its key
    cache.ensure(issuer.url, "k2")
    assert len(issuer.paths) == 2  # too soon after the last fetch
    clock.now += jwks.REFRESH_INTERVAL
    cache.ensure(issuer.url, "k2")
    assert len(issuer.paths) == 4
    assert [k.kid for k in cache.keys(issuer.url).keys] == ["k2"]
    cache.ensure(issuer.url, "k3")  # still unknown: no fetch storm
    assert len(issuer.paths) == 4


def test_a_broken_jwks_is_an_invalid_token_and_an_unreachable_issuer_a_communication_error(issuer: Issuer) -> None:
    cache = jwks.JwksCache(clock=Clock())
    issuer.broken = True
    cache.ensure(issuer.url, "k1")
    with pytest.raises(AwsError) as broken:
        cache.keys(issuer.url)
    assert broken.value.code == "InvalidIdentityToken"
    assert broken.value.message == jwks.KEY_NOT_RETRIEVED
    issuer.httpd.shutdown()
    issuer.httpd.server_close()
    gone = jwks.JwksCache(clock=Clock())
    gone.ensure(issuer.url, "k1")
    with pytest.raises(AwsError) as unreachable:
        gone.keys(issuer.url)
    assert unreachable.value.code == "IDPCommunicationError"


def test_nothing_off_loopback_is_ever_fetched(issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real = jwks.urllib.request.OpenerDirector.open

    def spy(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(request.full_url)
        return real(self, request, *args, **kwargs)

    monkeypatch.setattr(jwks.urllib.request.OpenerDirector, "open", spy)
    with pytest.raises(AwsError) as refused:
        jwks._fetch("https://accounts.google.com")
    assert refused.value.code == "InvalidIdentityToken"
    assert opened == []
    issuer.jwks_uri = "https://keys.example.com/keys"  # a loopback issuer pointing elsewhere
    with pytest.raises(AwsError):
        jwks._fetch(issuer.url)
    assert opened == [f"{issuer.url}/.well-known/openid-configuration"]
