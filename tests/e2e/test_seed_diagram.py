"""The seed's *Cognito with API Gateway* diagram end to end (``examples/cognito-apigateway``):
users A (Google token via the identity pool), B (user pool sign-in via the identity pool) and C
(user pool JWT) each read and write only their own item through API Gateway, Lambda and DynamoDB;
an unsigned call to ``/google`` gets 403, ``/cup`` without or with a tampered token 401, a role
without ``execute-api:Invoke`` on ``/cip`` 403, a resource policy denying the account wins, and a
missing Lambda permission gives 500. The script checks every answer; this test runs it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from localiam.testing import LocaliamServer, oidc_token

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "cognito-apigateway" / "seed.py"


def test_the_seed_diagram_runs_as_on_aws(localiam_server: LocaliamServer) -> None:
    spec = importlib.util.spec_from_file_location("seed_example", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines: list[str] = []

    def google(subject: str, audience: str) -> str:
        return oidc_token(localiam_server, issuer="https://accounts.google.com", subject=subject, audience=audience)

    failures = module.run(
        localiam_server.endpoint,
        localiam_server.root.access_key_id,
        localiam_server.root.secret_access_key,
        google,
        out=lines.append,
    )
    assert failures == [], "\n".join(lines)
    assert len(lines) == 12
