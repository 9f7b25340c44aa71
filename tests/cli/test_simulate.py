"""``localiam simulate``: every example passes in both output formats; the JSON shape of
``docs/scenarios.md``; exit 0 when every expectation holds, 1 when one fails, 2 on invalid input with
the file and the JSON-pointer location of each problem on stderr, and never a traceback."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from localiam.cli import main

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))
DECISIONS = {"Allow", "ExplicitDeny", "ImplicitDeny"}

READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
ALICE = "arn:aws:iam::111111111111:user/alice"
BASE: dict[str, Any] = {
    "accounts": {
        "111111111111": {
            "policies": {"Read": READ},
            "groups": {"devs": {"policies": ["Read"]}},
            "users": {"alice": {"groups": ["devs"]}, "bob": {}},
        }
    },
    "requests": [
        {
            "name": "alice reads",
            "principal": ALICE,
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/key",
            "expect": "allow",
        },
        {
            "name": "bob does not",
            "principal": "arn:aws:iam::111111111111:user/bob",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/key",
            "expect": "implicit-deny",
        },
    ],
}


def scenario(tmp_path: Path, document: Any, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False))
    return path


def changed(**edits: Any) -> dict[str, Any]:
    """``BASE`` with ``edits``: keys are ``/``-separated paths (list indexes as numbers)."""
    document = copy.deepcopy(BASE)
    for path, value in edits.items():
        *parents, last = path.split("__")
        node: Any = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return document


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, ["simulate", *map(str, args)])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def run_json(*args: str | Path) -> tuple[Result, dict[str, Any]]:
    result = run(*args, "--output", "json")
    return result, json.loads(result.stdout)


# --- the examples ------------------------------------------------------------------------------


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_passes_as_text(example: Path) -> None:
    result = run(example)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(" passed, 0 failed")
    assert "FAIL" not in result.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_passes_as_json(example: Path) -> None:
    result, payload = run_json(example)
    assert result.exit_code == 0, result.output
    assert payload["failed"] == 0
    assert payload["passed"] == len(payload["results"]) > 0
    assert all(r["passed"] for r in payload["results"])


def test_all_examples_together() -> None:
    result, payload = run_json(*EXAMPLES)
    assert result.exit_code == 0
    assert {r["file"] for r in payload["results"]} == {str(p) for p in EXAMPLES}


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_passes_with_explain(example: Path) -> None:
    assert run(example, "--explain").exit_code == 0
    result, payload = run_json(example, "--explain")
    assert result.exit_code == 0
    assert all("evaluations" in r["explanation"] for r in payload["results"])


# --- the JSON shape ----------------------------------------------------------------------------


@pytest.mark.parametrize("explain", [False, True], ids=["plain", "explain"])
def test_the_streamed_json_is_json_dumps_of_the_results(tmp_path: Path, explain: bool) -> None:
    """The document is written result by result from pieces formatted once; it is the text
    ``json.dumps(..., indent=2)`` writes of every result's ``as_dict``, byte for byte (requests
    without ``expect``, names and ARNs out of ASCII, several files)."""
    from localiam.cli.simulate import run_file

    odd = changed(
        requests__0__name='café ☕ "quoted"',
        requests__1__expect=None,
        requests__1__resource="arn:aws:s3:::bucket/ünïcode key",
    )
    files = [*EXAMPLES, scenario(tmp_path, odd)]
    flags = ["--explain"] if explain else []
    result = run(*files, *flags, "--output", "json")
    results = [r for path in files for r in run_file(path, explain)]
    passed = sum(r.passed for r in results)
    document = {
        "results": [r.as_dict(explain) for r in results],
        "passed": passed,
        "failed": len(results) - passed,
    }
    assert result.stdout == json.dumps(document, indent=2) + "\n"


def test_json_shape_of_scenarios_md(tmp_path: Path) -> None:
    result, payload = run_json(scenario(tmp_path, BASE))
    assert result.exit_code == 0
    assert set(payload) == {"results", "passed", "failed"}
    assert (payload["passed"], payload["failed"]) == (2, 0)
    for entry in payload["results"]:
        assert {"name", "decision", "expected", "passed", "message", "explanation"} <= set(entry)
        assert entry["decision"] in DECISIONS
        assert {"determining_statements", "denied_by", "policy_types"} <= set(entry["explanation"])
    allowed, denied = payload["results"]
    assert (allowed["name"], allowed["decision"], allowed["expected"], allowed["passed"]) == (
        "alice reads",
        "Allow",
        "allow",
        True,
    )
    assert allowed["message"] == ""
    (determining,) = allowed["explanation"]["determining_statements"]
    assert determining == {
        "policy_type": "identity",
        "policy": "arn:aws:iam::111111111111:policy/Read",
        "sid": None,
        "index": 0,
    }
    assert allowed["explanation"]["denied_by"] is None
    assert denied["decision"] == "ImplicitDeny" and denied["expected"] == "implicit-deny"
    assert denied["message"].startswith("User: arn:aws:iam::111111111111:user/bob is not authorized to perform")
    assert denied["explanation"]["denied_by"] == "identity"
    assert denied["explanation"]["determining_statements"] == []


def test_a_request_without_expect_is_reported_and_not_counted_as_failed(tmp_path: Path) -> None:
    document = copy.deepcopy(BASE)
    del document["requests"][1]["expect"]
    result, payload = run_json(scenario(tmp_path, document))
    assert result.exit_code == 0
    assert payload["results"][1]["expected"] is None and payload["results"][1]["passed"] is True


def test_an_unnamed_request_is_named_after_what_it_asks(tmp_path: Path) -> None:
    document = copy.deepcopy(BASE)
    del document["requests"][0]["name"]
    _, payload = run_json(scenario(tmp_path, document))
    assert payload["results"][0]["name"] == f"{ALICE} s3:GetObject arn:aws:s3:::bucket/key"


def test_a_json_scenario_file_works_too(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(BASE))
    assert run(path).exit_code == 0


# --- expectations ------------------------------------------------------------------------------


@pytest.mark.parametrize("expect", ["deny", "explicit-deny", "implicit-deny"])
def test_a_failed_expectation_exits_1(tmp_path: Path, expect: str) -> None:
    path = scenario(tmp_path, changed(requests__0__expect=expect))
    result, payload = run_json(path)
    assert result.exit_code == 1
    assert (payload["passed"], payload["failed"]) == (1, 1)
    assert payload["results"][0]["passed"] is False and payload["results"][0]["expected"] == expect
    text = run(path)
    assert text.exit_code == 1
    assert "FAIL alice reads" in text.stdout and text.stdout.rstrip().endswith("1 passed, 1 failed")


@pytest.mark.parametrize(("expect", "holds"), [("allow", False), ("deny", True), ("implicit-deny", True)])
def test_deny_matches_either_kind_of_deny(tmp_path: Path, expect: str, holds: bool) -> None:
    path = scenario(tmp_path, changed(requests__1__expect=expect))
    assert run(path).exit_code == (0 if holds else 1)


# --- invalid input: exit 2, file and location, no traceback ------------------------------------


def invalid(tmp_path: Path, document: Any, name: str = "scenario.yaml") -> tuple[Path, list[str]]:
    """Run an invalid scenario; return its path and the problem lines of stderr."""
    path = document if isinstance(document, Path) else scenario(tmp_path, document, name)
    for output in ("text", "json"):
        result = run(path, "--output", output)
        assert result.exit_code == 2, result.output
        lines = result.stderr.splitlines()
        assert lines[0] == "error: invalid scenario"
        assert all(line.startswith(f"{path}: ") for line in lines[1:]), lines
        assert len(lines) > 1
    return path, lines[1:]


def test_unknown_key_names_its_path(tmp_path: Path) -> None:
    document = changed(accounts__111111111111__users__alice={"groups": ["devs"], "group": ["devs"]})
    path, lines = invalid(tmp_path, document)
    assert lines == [
        f"{path}: /accounts/111111111111/users/alice/group: unknown key 'group' "
        "(expected one of: path, groups, policies, inline, boundary, tags)"
    ]


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, changed(request=[]))
    assert lines[0].startswith(f"{path}: /request: unknown key 'request'")


def test_an_invalid_policy_is_located_inside_the_policy(tmp_path: Path) -> None:
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}
    path, lines = invalid(tmp_path, changed(accounts__111111111111__policies={"Read": bad}))
    # Only the policy's own problem: the group's reference to it is not reported again as dangling.
    assert lines == [
        f"{path}: /accounts/111111111111/policies/Read/Statement/0/Action: ACTION_WITHOUT_VENDOR: "
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    ]


def test_a_policy_that_breaks_its_types_rules_is_located_too(tmp_path: Path) -> None:
    with_principal = {"Version": "2012-10-17", "Statement": [{**READ["Statement"][0], "Principal": "*"}]}
    path, lines = invalid(tmp_path, changed(accounts__111111111111__policies={"Read": with_principal}))
    assert lines == [
        f"{path}: /accounts/111111111111/policies/Read/Statement/0/Principal: PRINCIPAL_NOT_ALLOWED: "
        "Policy document should not specify a principal."
    ]


def test_an_inline_policy_given_as_bad_json_text(tmp_path: Path) -> None:
    document = changed(accounts__111111111111__users__bob={"inline": {"Own": '{"Version": "2012-10-17",'}})
    path, lines = invalid(tmp_path, document)
    assert lines == [
        f"{path}: /accounts/111111111111/users/bob/inline/Own: policy is not valid JSON at line 1 column 26: "
        "Expecting property name enclosed in double quotes"
    ]


def test_a_dangling_group_reference(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, changed(accounts__111111111111__users__alice={"groups": ["ops"]}))
    assert lines == [f"{path}: /accounts/111111111111/users/alice/groups/0: account 111111111111 has no group 'ops'"]


def test_a_dangling_policy_reference(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, changed(accounts__111111111111__groups={"devs": {"policies": ["Reed"]}}))
    assert lines == [
        f"{path}: /accounts/111111111111/groups/devs/policies/0: "
        "account 111111111111 has no customer managed policy named 'Reed'"
    ]


def test_a_dangling_boundary_and_aws_managed_reference(tmp_path: Path) -> None:
    users = {"alice": {"groups": ["devs"], "boundary": "Nope", "policies": ["arn:aws:iam::aws:policy/NoSuchPolicy"]}}
    path, lines = invalid(tmp_path, changed(accounts__111111111111__users=users))
    assert (
        f"{path}: /accounts/111111111111/users/alice/boundary: "
        "account 111111111111 has no customer managed policy named 'Nope'" in lines
    )
    assert any(
        line.startswith(f"{path}: /accounts/111111111111/users/alice/policies/0: AWS managed policy") for line in lines
    )


def test_a_dangling_scp_reference(tmp_path: Path) -> None:
    document = changed(organization={"management_account": "111111111111", "root": {"scps": ["FullAWSAccess", "Nope"]}})
    path, lines = invalid(tmp_path, document)
    assert lines == [f"{path}: /organization/root/scps/1: the organization has no policy named 'Nope'"]


def test_a_bad_account_id(tmp_path: Path) -> None:
    document = copy.deepcopy(BASE)
    document["accounts"]["11111111111"] = {}
    path, lines = invalid(tmp_path, document)
    assert lines == [f"{path}: /accounts/11111111111: account id '11111111111' must be 12 digits (quote it in YAML)"]


def test_an_account_id_yaml_reads_as_octal_is_caught(tmp_path: Path) -> None:
    # Unquoted, 012345670123 is an octal integer to YAML 1.1: the id changes and is caught.
    text = "accounts:\n  012345670123: {}\nrequests: []\n"
    _, lines = invalid(tmp_path, text)
    assert len(lines) == 1 and "must be 12 digits (quote it in YAML)" in lines[0]


def test_an_unknown_principal(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, changed(requests__0__principal="arn:aws:iam::111111111111:user/carol"))
    assert lines == [
        f"{path}: /requests/0/principal: account 111111111111 has no user arn:aws:iam::111111111111:user/carol"
    ]


def test_a_principal_in_an_account_the_scenario_lacks(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, changed(requests__0__principal="arn:aws:iam::999999999999:user/alice"))
    assert lines == [
        f"{path}: /requests/0/principal: arn:aws:iam::999999999999:user/alice: "
        "account 999999999999 is not in the scenario"
    ]


def test_an_unknown_session_role(tmp_path: Path) -> None:
    document = changed(requests__0__session={"role": "arn:aws:iam::111111111111:role/Nope", "name": "s"})
    path, lines = invalid(tmp_path, document)
    assert lines == [f"{path}: /requests/0/session/role: account 111111111111 has no role named 'Nope'"]


@pytest.mark.parametrize(
    ("principal", "message"),
    [
        ("arn:aws:iam:user/alice", "'arn:aws:iam:user/alice' is not a valid ARN"),
        ("arn:aws:iam::1111:user/alice", "'arn:aws:iam::1111:user/alice' has no 12-digit account id"),
        ("alice", "'alice' is not a principal ARN, 'anonymous' or a service principal"),
    ],
)
def test_a_malformed_principal_arn(tmp_path: Path, principal: str, message: str) -> None:
    path, lines = invalid(tmp_path, changed(requests__0__principal=principal))
    assert lines == [f"{path}: /requests/0/principal: {message}"]


def test_a_malformed_resource_arn(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, changed(requests__0__resource="bucket/key"))
    assert lines == [
        f"{path}: /requests/0/resource: 'bucket/key' is not an ARN "
        '(arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE) or "*"'
    ]


def test_a_malformed_resource_entry_arn(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, changed(resources=[{"arn": "s3://bucket"}]))
    assert lines == [
        f"{path}: /resources/0/arn: 's3://bucket' is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)"
    ]


def test_a_malformed_action(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, changed(requests__0__action="GetObject"))
    assert lines == [f"{path}: /requests/0/action: action 'GetObject' must look like 'service:Action'"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("aws:SourceIp", {"cidr": "10.0.0.0/8"}, "context values must be strings, numbers or booleans, not a mapping"),
        ("aws:SourceIp", "not-an-ip", 'aws:SourceIp holds an IP address; "not-an-ip" is not one'),
        (
            "aws:SourceIp",
            ["192.0.2.1", "192.0.2.2"],
            "aws:SourceIp is a single-valued key: give one value, not a list of 2",
        ),
        ("aws:MultiFactorAuthPresent", "maybe", 'aws:MultiFactorAuthPresent holds true or false; "maybe" is not one'),
        (
            "aws:CurrentTime",
            "yesterday",
            'aws:CurrentTime holds a date (ISO 8601 or epoch seconds); "yesterday" is not one',
        ),
        ("s3:max-keys", "ten", 's3:max-keys holds a number; "ten" is not one'),
        ("SourceIp", "192.0.2.1", "context key 'SourceIp' must look like 'service:name'"),
    ],
)
def test_a_context_value_of_the_wrong_type(tmp_path: Path, key: str, value: Any, message: str) -> None:
    path, lines = invalid(tmp_path, changed(requests__0__context={key: value}))
    assert lines == [f"{path}: /requests/0/context/{key}: {message}"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("aws:SourceIp", "192.0.2.1"),
        ("aws:MultiFactorAuthPresent", True),
        ("aws:CurrentTime", "2026-01-01T00:00:00Z"),
        ("aws:EpochTime", 1767225600),
        ("aws:TagKeys", ["team", "project"]),
        ("aws:PrincipalTag/team", "blue"),
        ("myservice:custom", ["any", "values"]),
    ],
)
def test_context_values_of_the_right_type_are_accepted(tmp_path: Path, key: str, value: Any) -> None:
    assert run(scenario(tmp_path, changed(requests__0__context={key: value}))).exit_code == 0


def test_an_unquoted_yaml_date_is_explained(tmp_path: Path) -> None:
    text = yaml.safe_dump(changed(requests__0__context={"aws:CurrentTime": "DATE"})).replace("DATE", "2026-01-01")
    path, lines = invalid(tmp_path, text)
    assert lines == [
        f"{path}: /requests/0/context/aws:CurrentTime: context values must be strings, numbers or booleans, "
        "not a YAML date (quote it to pass it as text)"
    ]


def test_a_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, "requests:\n  - name: [unclosed\n")
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: /: invalid YAML at line 3 column 1: ")


def test_a_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, '{"requests": [\n', name="scenario.json")
    assert lines == [f"{path}: /: invalid JSON at line 2 column 1: Expecting value"]


def test_a_missing_file(tmp_path: Path) -> None:
    path, lines = invalid(tmp_path, tmp_path / "missing.yaml")
    assert lines == [f"{path}: /: cannot read the file: No such file or directory"]


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"requests: []\naccounts: {'111111111111': {name: caf\xe9}}\n")
    _, lines = invalid(tmp_path, path)
    assert lines == [f"{path}: /: the file is not UTF-8 text"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "/: the scenario is empty; it needs at least 'requests', the requests to decide"),
        ("- a\n- b\n", "/: must be a mapping, not a list"),
        ("accounts: {}\n", "/requests: is required: a list of requests to decide"),
        ("requests: 5\n", "/requests: must be a list"),
        ("requests: []\nresources: true\n", "/resources: must be a list of resources, not a boolean"),
        ("requests: [5]\n", "/requests/0: a request must be a mapping with principal, action and resource, not int"),
    ],
)
def test_documents_of_the_wrong_shape(tmp_path: Path, text: str, message: str) -> None:
    path, lines = invalid(tmp_path, text)
    assert lines == [f"{path}: {message}"]


def test_every_problem_of_a_file_is_reported_together(tmp_path: Path) -> None:
    document = changed(
        accounts__111111111111__users__alice={"groups": ["ops"], "colour": "blue"},
        requests__0__expect="allowed",
        requests__1__action="GetObject",
    )
    _, lines = invalid(tmp_path, document)
    wheres = [line.split(": ")[1] for line in lines]
    assert sorted(wheres) == sorted(
        [
            "/accounts/111111111111/users/alice/colour",
            "/requests/0/expect",
            "/requests/1/action",
            "/accounts/111111111111/users/alice/groups/0",
        ]
    )


def test_an_invalid_file_does_not_hide_the_results_of_the_others(tmp_path: Path) -> None:
    good = scenario(tmp_path, BASE, "good.yaml")
    bad = scenario(tmp_path, changed(requests__0__action="GetObject"), "bad.yaml")
    result, payload = run_json(good, bad)
    assert result.exit_code == 2
    assert payload["passed"] == 2 and {r["file"] for r in payload["results"]} == {str(good)}
    assert f"{bad}: /requests/0/action" in result.stderr


def test_an_invalid_file_wins_over_a_failed_expectation(tmp_path: Path) -> None:
    failing = scenario(tmp_path, changed(requests__0__expect="deny"), "failing.yaml")
    result = run(failing, tmp_path / "missing.yaml")
    assert result.exit_code == 2


def test_no_file_is_a_usage_error() -> None:
    assert run().exit_code == 2


# --- --explain: each policy named as the user knows it, each statement by the elements it has ---

GATE = "arn:aws:iam::111111111111:role/Gate"
EXPLAINED: dict[str, Any] = {
    "accounts": {
        "111111111111": {
            "policies": {"Read": READ},
            "groups": {"devs": {"inline": {"GroupRead": READ}}},
            "users": {"alice": {"policies": ["Read"], "groups": ["devs"]}, "bob": {}},
            "roles": {
                "Gate": {
                    "trust": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Sid": "Bob", "Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"}
                        ],
                    },
                    "inline": {"RoleRead": READ},
                }
            },
        }
    },
    "resources": [
        {
            "arn": "arn:aws:s3:::shared-bucket/*",
            "account": "111111111111",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Alice",
                        "Effect": "Allow",
                        "Principal": {"AWS": ALICE},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::shared-bucket/*",
                    }
                ],
            },
        }
    ],
    "requests": [
        {
            "name": "identity",
            "principal": ALICE,
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::other-bucket/key",
            "expect": "allow",
        },
        {
            "name": "bucket",
            "principal": "arn:aws:iam::111111111111:user/bob",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::shared-bucket/report.csv",
            "expect": "implicit-deny",
        },
        {"name": "trust", "principal": ALICE, "action": "sts:AssumeRole", "resource": GATE, "expect": "allow"},
        {
            "name": "role",
            "principal": GATE,
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::other-bucket/key",
            "expect": "allow",
        },
    ],
}


def explained_text(tmp_path: Path) -> dict[str, list[str]]:
    """The ``--explain`` text tree of each request, by request name, one entry a line."""
    result = run(scenario(tmp_path, EXPLAINED), "--explain")
    assert result.exit_code == 0, result.output
    trees: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in result.output.splitlines():
        if line.startswith("PASS "):
            lines = trees.setdefault(line.split()[1].rstrip(":"), [])
        lines.append(line.lstrip("│├└─ "))
    return trees


def explained_json(tmp_path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Explain mode's JSON evaluations of each request, by request name, then by label."""
    result, payload = run_json(scenario(tmp_path, EXPLAINED), "--explain")
    assert result.exit_code == 0, result.output
    return {r["name"]: {e["label"]: e for e in r["explanation"]["evaluations"]} for r in payload["results"]}


def test_explain_shows_no_principal_for_identity_statements(tmp_path: Path) -> None:
    tree = explained_text(tmp_path)["identity"]
    read = "managed policy arn:aws:iam::111111111111:policy/Read"
    group = "inline policy GroupRead of group devs"
    assert read in tree and group in tree
    assert tree[tree.index(read) + 1 : tree.index(read) + 3] == ["Allow #0: applies", "Action ✓  Resource ✓"]
    assert not any("rincipal" in line for line in tree[tree.index("determining statements") :])
    assert f"{read} (statement #0)" in tree

    evaluations = explained_json(tmp_path)["identity"]
    assert set(evaluations) == {read, group}
    evaluation = evaluations[read]
    assert (evaluation["policy_type"], evaluation["policy"]) == ("identity", "arn:aws:iam::111111111111:policy/Read")
    (statement,) = evaluation["statements"]
    assert statement["elements"] == ["Action", "Resource"]
    assert statement["applies"] is True


def test_explain_names_an_inline_policy_of_a_role(tmp_path: Path) -> None:
    assert "inline policy RoleRead of role Gate" in explained_json(tmp_path)["role"]


def test_explain_names_a_bucket_policy_by_its_bucket(tmp_path: Path) -> None:
    tree = explained_text(tmp_path)["bucket"]
    label = "bucket policy of shared-bucket"
    assert label in tree
    assert tree[tree.index(label) + 1 : tree.index(label) + 3] == [
        "Allow Alice: does not apply",
        "Principal ✗  Action ✓  Resource ✓",
    ]
    assert not any("arn:aws:s3:::shared-bucket/*" in line for line in tree if "policy" in line)

    evaluation = explained_json(tmp_path)["bucket"][label]
    assert (evaluation["policy_type"], evaluation["policy"]) == ("resource", "arn:aws:s3:::shared-bucket/*")
    (statement,) = evaluation["statements"]
    assert statement["elements"] == ["Principal", "Action", "Resource"]
    assert (statement["principal"], statement["action"], statement["resource"]) == (False, True, True)


def test_explain_names_a_trust_policy_by_its_role(tmp_path: Path) -> None:
    tree = explained_text(tmp_path)["trust"]
    label = "trust policy of Gate"
    assert label in tree
    # In the role's own account, a trust policy that names the user allows by itself.
    assert tree[tree.index(label) + 1 : tree.index(label) + 3] == ["Allow Bob: applies", "Principal ✓  Action ✓"]

    evaluation = explained_json(tmp_path)["trust"][label]
    assert (evaluation["policy_type"], evaluation["policy"]) == ("trust", f"{GATE} trust policy")
    (statement,) = evaluation["statements"]
    assert statement["elements"] == ["Principal", "Action"]


def test_explain_marks_elements_it_did_not_check(tmp_path: Path) -> None:
    # alice's identity policies allow s3:GetObject only: for sts:AssumeRole their Action
    # element does not match, and nothing else of the statement is looked at.
    tree = explained_text(tmp_path)["trust"]
    read = "managed policy arn:aws:iam::111111111111:policy/Read"
    assert tree[tree.index(read) + 1 : tree.index(read) + 3] == [
        "Allow #0: does not apply",
        "Action ✗  Resource not checked",
    ]
