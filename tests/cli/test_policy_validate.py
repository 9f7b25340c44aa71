"""``localiam policy validate``: text and JSON output, exit codes (0 when no file has an error,
warnings allowed; 1 when any file has one; 2 for a usage error), unreadable files and invalid
JSON named as such, ``--type`` and ``--inline-for``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from localiam.cli import main

CLEAN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
# A misspelt action: valid for AWS, so only a lint warning.
WARNS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]}
# An identity policy naming a principal and no resource: two errors, and a missing Version warning.
FAILS = {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2))
    return path


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, ["policy", "validate", *map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def as_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = run(*args, "--output", "json")
    return result.exit_code, json.loads(result.output)


def test_a_clean_policy_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, "clean.json", CLEAN)
    result = run(path)
    assert result.exit_code == 0
    assert result.output.strip() == f"{path}: ok"


def test_only_warnings_still_exit_0(tmp_path: Path) -> None:
    path = write(tmp_path, "warns.json", WARNS)
    result = run(path)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"{path}: ok (1 warning)"
    assert "warning" in lines[1] and "UNKNOWN_ACTION" in lines[1] and "/Statement/0/Action" in lines[1]


def test_errors_exit_1_and_each_is_listed_with_code_and_location(tmp_path: Path) -> None:
    path = write(tmp_path, "fails.json", FAILS)
    result = run(path)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"{path}: INVALID (2 errors, 1 warning)"
    assert "PRINCIPAL_NOT_ALLOWED" in result.output and "/Statement/Principal" in result.output
    assert "Policy document should not specify a principal." in result.output
    assert "MISSING_RESOURCE" in result.output and "Policy statement must contain resources." in result.output
    assert "MISSING_VERSION" in result.output


def test_json_output_shape(tmp_path: Path) -> None:
    clean, fails = write(tmp_path, "clean.json", CLEAN), write(tmp_path, "fails.json", FAILS)
    code, report = as_json(clean, fails)
    assert code == 1
    assert report["valid"] is False
    assert [(f["file"], f["valid"]) for f in report["files"]] == [(str(clean), True), (str(fails), False)]
    assert report["files"][0]["findings"] == []
    findings = report["files"][1]["findings"]
    assert {"code", "severity", "location", "message"} == set(findings[0])
    assert {(f["code"], f["severity"], f["location"]) for f in findings} == {
        ("MISSING_VERSION", "warning", ""),
        ("PRINCIPAL_NOT_ALLOWED", "error", "/Statement/Principal"),
        ("MISSING_RESOURCE", "error", "/Statement"),
    }


def test_json_output_of_warnings_only_is_valid(tmp_path: Path) -> None:
    code, report = as_json(write(tmp_path, "warns.json", WARNS))
    assert code == 0 and report["valid"] is True
    assert [f["severity"] for f in report["files"][0]["findings"]] == ["warning"]


def test_one_failing_file_fails_the_run_and_the_others_are_still_reported(tmp_path: Path) -> None:
    code, report = as_json(
        write(tmp_path, "a.json", CLEAN), write(tmp_path, "b.json", FAILS), write(tmp_path, "c.json", WARNS)
    )
    assert code == 1
    assert [f["valid"] for f in report["files"]] == [True, False, True]


def test_a_missing_file_is_named_as_unreadable(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    result = run(missing)
    assert result.exit_code == 1
    assert "UNREADABLE_FILE" in result.output
    assert f"cannot read {missing}: No such file or directory" in result.output
    code, report = as_json(missing)
    assert code == 1
    assert report["files"][0]["findings"][0]["code"] == "UNREADABLE_FILE"


def test_a_file_that_cannot_be_read_is_named_as_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "locked.json", CLEAN)
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = run(path)
    assert result.exit_code == 1
    assert f"cannot read {path}: Permission denied" in result.output


def test_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.exit_code == 2
    assert "is a directory" in result.output


def test_invalid_json_is_named_as_such(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.json", '{"Version": "2012-10-17", "Statement": [')
    result = run(path)
    assert result.exit_code == 1
    assert "INVALID_JSON" in result.output
    assert "Syntax errors in policy. Expecting value at line 1 column 41." in result.output


def test_a_file_that_is_not_utf8_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"Version": "2012-10-17", "Id": "caf\xe9"}')
    result = run(path)
    assert result.exit_code == 1
    assert "INVALID_JSON" in result.output and "not UTF-8" in result.output


def test_type_selects_the_rules(tmp_path: Path) -> None:
    path = write(tmp_path, "trust.json", TRUST)
    assert run(path, "--type", "trust").exit_code == 0
    as_identity = run(path)  # identity is the default
    assert as_identity.exit_code == 1 and "PRINCIPAL_NOT_ALLOWED" in as_identity.output
    as_resource = run(path, "--type", "resource")
    assert as_resource.exit_code == 1 and "MISSING_RESOURCE" in as_resource.output
    as_scp = run(path, "--type", "scp")
    assert as_scp.exit_code == 1
    assert "The provided policy document does not meet the requirements of the specified policy type." in as_scp.output


def test_an_identity_policy_with_a_resource_is_rejected_as_trust(tmp_path: Path) -> None:
    result = run(write(tmp_path, "clean.json", CLEAN), "--type", "trust")
    assert result.exit_code == 1
    assert "Has prohibited field Resource" in result.output and "Missing required field Principal" in result.output


def test_an_unknown_type_is_a_usage_error(tmp_path: Path) -> None:
    result = run(write(tmp_path, "clean.json", CLEAN), "--type", "bucket")
    assert result.exit_code == 2
    assert "Invalid value for '--type'" in result.output


def _identity_of_size(size: int) -> str:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ""}]}
    base = len(json.dumps(document, separators=(",", ":")))
    document["Statement"][0]["Resource"] = "arn:aws:s3:::b/" + "a" * (size - base - len("arn:aws:s3:::b/"))
    text = json.dumps(document, indent=4)
    assert len(json.dumps(document, separators=(",", ":"))) == size
    return text


@pytest.mark.parametrize(("entity", "limit"), [("user", 2048), ("group", 5120), ("role", 10240)])
def test_inline_for_applies_the_entitys_inline_limit(tmp_path: Path, entity: str, limit: int) -> None:
    at_limit = write(tmp_path, "at.json", _identity_of_size(limit))
    over = write(tmp_path, "over.json", _identity_of_size(limit + 1))
    assert run(at_limit, "--inline-for", entity).exit_code == 0
    code, report = as_json(over, "--inline-for", entity)
    assert code == 1
    (finding,) = [f for f in report["files"][0]["findings"] if f["severity"] == "error"]
    assert finding["code"] == "POLICY_TOO_LARGE"
    assert finding["message"].startswith(f"Maximum policy size of {limit} bytes exceeded for {entity}")


def test_without_inline_for_the_managed_limit_applies(tmp_path: Path) -> None:
    # 3,000 characters: over a user's inline limit, under the managed policy limit of 6,144.
    path = write(tmp_path, "mid.json", _identity_of_size(3000))
    assert run(path).exit_code == 0
    assert run(path, "--inline-for", "user").exit_code == 1
    over = write(tmp_path, "big.json", _identity_of_size(6145))
    result = run(over)
    assert result.exit_code == 1 and "Cannot exceed quota for PolicySize: 6144" in result.output


def test_an_unknown_inline_entity_is_a_usage_error(tmp_path: Path) -> None:
    assert run(write(tmp_path, "clean.json", CLEAN), "--inline-for", "bucket").exit_code == 2


def test_no_file_is_a_usage_error() -> None:
    assert run().exit_code == 2


GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
WEB_IDENTITY_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {
            "Effect": "Allow",
            "Principal": {"Federated": GITHUB},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"}},
        },
    ],
}


def test_web_identity_trust_without_an_audience_condition_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "trust.json", WEB_IDENTITY_TRUST)
    result = run(path, "--type", "trust")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"{path}: ok (1 warning)"
    assert lines[1].split()[:3] == ["warning", "FEDERATED_TRUST_WITHOUT_AUDIENCE", "/Statement/1"]
    assert '"token.actions.githubusercontent.com:aud"' in lines[1]
    code, report = as_json(path, "--type", "trust")
    assert code == 0 and report["valid"] is True
    [finding] = report["files"][0]["findings"]
    assert finding["code"] == "FEDERATED_TRUST_WITHOUT_AUDIENCE"
    assert (finding["severity"], finding["location"]) == ("warning", "/Statement/1")


def test_web_identity_trust_with_an_audience_condition_is_clean(tmp_path: Path) -> None:
    document = json.loads(json.dumps(WEB_IDENTITY_TRUST))
    document["Statement"][1]["Condition"]["StringEquals"] = {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
    }
    path = write(tmp_path, "trust.json", document)
    result = run(path, "--type", "trust")
    assert (result.exit_code, result.output.strip()) == (0, f"{path}: ok")


# A user's policy with six problems, which used to be reported three at a time: a Principal in an
# identity policy, a duplicate Sid, a misspelt action, an invalid Effect, an unknown condition
# operator, and Resource with NotResource in one statement.
SIX_PROBLEMS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject",
            "Resource": "*",
        },
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
        {"Sid": "Typo", "Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"},
        {"Sid": "Permit", "Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"},
        {
            "Sid": "Operator",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"StringEqualz": {"aws:username": "alice"}},
        },
        {
            "Sid": "Both",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "NotResource": "arn:aws:s3:::b/*",
        },
    ],
}
SIX_FINDINGS = [
    ("error", "INVALID_EFFECT", "/Statement/3/Effect", "Invalid effect: Permit"),
    (
        "error",
        "UNKNOWN_CONDITION_OPERATOR",
        "/Statement/4/Condition/StringEqualz/aws:username",
        "Invalid Condition type : StringEqualz",
    ),
    (
        "error",
        "RESOURCE_AND_NOT_RESOURCE",
        "/Statement/5",
        "Syntax errors in policy. A statement cannot have both Resource and NotResource.",
    ),
    ("error", "DUPLICATE_SID", "/Statement/1/Sid", "Statement IDs (SID) in a single policy must be unique."),
    ("error", "PRINCIPAL_NOT_ALLOWED", "/Statement/0/Principal", "Policy document should not specify a principal."),
    ("warning", "UNKNOWN_ACTION", "/Statement/2/Action", '"s3:GetObjekt" is not an action of s3'),
]


def test_every_problem_of_a_policy_is_reported_in_one_run(tmp_path: Path) -> None:
    path = write(tmp_path, "six.json", SIX_PROBLEMS)
    result = run(path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{path}: INVALID (5 errors, 1 warning)"
    assert len(lines) == 7
    for line, (severity, code, location, message) in zip(lines[1:], SIX_FINDINGS, strict=True):
        assert line.split()[:3] == [severity, code, location]
        assert message in line

    code, report = as_json(path)
    assert code == 1 and report["valid"] is False
    findings = report["files"][0]["findings"]
    assert [(f["severity"], f["code"], f["location"]) for f in findings] == [f[:3] for f in SIX_FINDINGS]
