"""``localiam idp saml metadata|assertion``: the document alone on stdout, the key shared through
the data dir (so the two commands, the Python helpers and a running server agree)."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from lxml import etree  # type: ignore[import-untyped]
from signxml.verifier import XMLVerifier

from localiam.cli import main
from localiam.services.saml_metadata import parse_metadata
from localiam.testing import saml_assertion, saml_metadata

NS = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion"}
ROLE = "arn:aws:iam::111122223333:role/Dev"
PROVIDER = "arn:aws:iam::111122223333:saml-provider/corp"


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, ["idp", "saml", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _attributes(document: bytes) -> dict[str, list[str]]:
    root = etree.fromstring(document)
    return {
        a.get("Name"): [v.text for v in a.findall("saml:AttributeValue", NS)]
        for a in root.iterfind(".//saml:Attribute", NS)
    }


def test_metadata_and_assertion_agree(tmp_path: Path):
    data = str(tmp_path / "data")
    document = _run("metadata", "--name", "corp", "--data-dir", data)
    parsed = parse_metadata(document)
    assert parsed.entity_id == "https://localiam.test/idp/saml/corp"
    assert document == _run("metadata", "--name", "corp", "--data-dir", data)  # the same key
    encoded = _run(
        "assertion",
        "--name",
        "corp",
        "--data-dir",
        data,
        "--role",
        f"{ROLE},{PROVIDER}",
        "--subject",
        "alice",
        "--attribute",
        "PrincipalTag:Dept=eng",
        "--attribute",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1=staff",
        "--attribute",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1=member",
        "--session-duration",
        "1800",
    )
    assert encoded.endswith("\n") and "\n" not in encoded.strip()
    xml = base64.b64decode(encoded)
    XMLVerifier().verify(xml, x509_cert=parsed.certificates[0])
    aws = "https://aws.amazon.com/SAML/Attributes/"
    assert _attributes(xml) == {
        aws + "Role": [f"{ROLE},{PROVIDER}"],
        aws + "RoleSessionName": ["alice"],
        aws + "SessionDuration": ["1800"],
        aws + "PrincipalTag:Dept": ["eng"],
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["staff", "member"],
    }
    # the Python helper on the same data dir signs with the same key
    assert saml_metadata(tmp_path / "data", name="corp") == document
    other = base64.b64decode(saml_assertion(tmp_path / "data", role=ROLE, subject="bob"))
    XMLVerifier().verify(other, x509_cert=parsed.certificates[0])
    assert _attributes(other)[aws + "Role"] == [f"{ROLE},{PROVIDER}"]  # paired with provider "corp"


def test_bad_attribute_is_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(
        main,
        [
            *("idp", "saml", "assertion", "--name", "corp", "--data-dir", str(tmp_path)),
            *("--role", ROLE, "--subject", "a", "--attribute", "novalue"),
        ],
    )
    assert result.exit_code == 2 and "is not NAME=VALUE" in result.output


def test_real_process_prints_only_the_metadata(tmp_path: Path):
    exe = Path(sys.executable).with_name("localiam")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-c", "from localiam.cli import main; main()"]
    env = {"LOCALIAM_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [*cli, "idp", "saml", "metadata", "--name", "corp"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<?xml") and done.stdout.rstrip().endswith("</md:EntityDescriptor>")
    assert parse_metadata(done.stdout).entity_id == "https://localiam.test/idp/saml/corp"
    assert saml_metadata(tmp_path / "data") == done.stdout
