"""``localiam idp oidc token``: the token alone on stdout, signed with the key the data dir
keeps for the issuer (so the command, ``localiam.testing.oidc_token`` and a running server
agree), verified here with PyJWT, a library we did not write."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import jwt as pyjwt
from click.testing import CliRunner

from localiam.cli import main
from localiam.services.idp.oidc import jwks, signing_key
from localiam.state.store import Store, sqlite_url
from localiam.testing import oidc_token


def _public_key(data: Path, issuer: str) -> object:
    store = Store(sqlite_url(data))
    try:
        document = jwks(signing_key(store, issuer))
    finally:
        store.close()
    return pyjwt.PyJWKSet.from_dict(document).keys[0].key


def test_the_token_verifies_with_the_issuers_key_and_carries_the_claims(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = CliRunner().invoke(
        main,
        [
            "idp", "oidc", "token", "--data-dir", str(data),
            "--issuer", "https://accounts.google.com", "--sub", "alice", "--aud", "app-1", "--aud", "app-2",
            "--claim", "email=alice@example.com", "--claim", 'amr=["authenticated","mfa"]', "--claim", "level=3",
            "--expires-in", "600",
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n"  # the token alone: a shell can capture it
    claims = pyjwt.decode(
        token,
        _public_key(data, "accounts.google.com"),  # type: ignore[arg-type]
        algorithms=["RS256"],
        audience="app-2",
        issuer="https://accounts.google.com",
    )
    assert claims["sub"] == "alice"
    assert claims["aud"] == ["app-1", "app-2"]
    assert (claims["email"], claims["amr"], claims["level"]) == ("alice@example.com", ["authenticated", "mfa"], 3)
    assert 590 <= claims["exp"] - time.time() <= 600
    # The Python helper on the same data dir signs with the same key.
    again = oidc_token(data, issuer="accounts.google.com", subject="bob", audience="app-1")
    assert pyjwt.decode(again, _public_key(data, "https://accounts.google.com"), algorithms=["RS256"], audience="app-1")  # type: ignore[arg-type]


def test_a_claim_without_a_name_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["idp", "oidc", "token", "--data-dir", str(tmp_path), "--issuer", "x.example", "--sub", "a", "--aud", "b",
         "--claim", "=nothing"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--claim" in result.output and "NAME=VALUE" in result.output


def test_the_command_runs_as_a_program_with_the_data_dir_from_the_environment(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("localiam")), "idp", "oidc", "token",
         "--issuer", "https://login.example.com", "--sub", "carol", "--aud", "corp"],
        capture_output=True, text=True, timeout=60, check=False,
        env={"LOCALIAM_DATA_DIR": str(data), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    claims = pyjwt.decode(token, _public_key(data, "login.example.com"), algorithms=["RS256"], audience="corp")  # type: ignore[arg-type]
    assert claims["iss"] == "https://login.example.com"
    assert claims["sub"] == "carol"
