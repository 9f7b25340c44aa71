"""Loading scenario files (``localiam.state.scenario``, format in ``docs/scenarios.md``) and resolving
their requests (``localiam.state.resolve``): what a valid file builds, and that every kind of bad
input is one :class:`ScenarioError` (or :class:`ResolveError`) naming the file and a JSON-pointer
location, never another exception."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localiam.engine import Outcome, authorize
from localiam.state.resolve import ResolveError, Resolver
from localiam.state.scenario import ScenarioError, build_scenario, load_scenario

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))

READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sts:AssumeRole"}],
}
DENY_DELETE = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}
WORLD: dict[str, Any] = {
    "organization": {
        "management_account": "111111111111",
        "policies": {"DenyDelete": DENY_DELETE},
        "root": {
            "accounts": ["111111111111"],
            "units": {"Workloads": {"scps": ["FullAWSAccess", "DenyDelete"], "accounts": ["222222222222"]}},
        },
    },
    "accounts": {
        "111111111111": {
            "policies": {"Read": READ},
            "groups": {"devs": {"policies": ["Read"], "inline": {"Extra": READ}}},
            "users": {"alice": {"path": "/team/", "groups": ["devs"], "boundary": "Read", "tags": {"team": "blue"}}},
            "roles": {"Reader": {"trust": TRUST, "policies": ["arn:aws:iam::111111111111:policy/Read"], "tags": {}}},
        }
    },
    "resources": [
        {
            "arn": "arn:aws:s3:::bucket",
            "account": "111111111111",
            "acl": [{"account": "222222222222", "permission": "WRITE"}],
        },
        {"arn": "arn:aws:s3:::bucket/*", "account": "111111111111", "tags": {"class": "public"}},
    ],
    "requests": [
        {
            "name": "alice reads",
            "principal": "arn:aws:iam::111111111111:user/team/alice",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/key",
            "expect": "allow",
        },
        {
            "name": "through the role",
            "principal": "arn:aws:iam::111111111111:user/team/alice",
            "session": {"role": "arn:aws:iam::111111111111:role/Reader", "name": "s1", "tags": {"project": "x"}},
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/key",
            "context": {"aws:SourceIp": "192.0.2.1"},
            "expect": "allow",
        },
    ],
}


def problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as caught:
        build_scenario(document, "world.yaml")
    assert caught.value.file == "world.yaml"
    assert caught.value.problems, "a ScenarioError always names at least one problem"
    return caught.value.problems


def with_changes(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(WORLD)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node: Any = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return document


# --- what a valid scenario builds --------------------------------------------------------------


def test_a_valid_scenario_builds_its_world() -> None:
    scenario = build_scenario(copy.deepcopy(WORLD), "world.yaml")
    world = scenario.world
    account = world.accounts["111111111111"]
    alice = account.users["alice"]
    assert (alice.path, alice.groups, alice.boundary, alice.tags) == ("/team/", ["devs"], "Read", {"team": "blue"})
    assert account.user_arn(alice) == "arn:aws:iam::111111111111:user/team/alice"
    assert set(account.groups["devs"].inline) == {"Extra"}
    assert account.roles["Reader"].trust is not None
    # Accounts named only by the organization exist, without identities.
    assert set(world.accounts) == {"111111111111", "222222222222"}
    org = world.organization
    assert org is not None and org.management_account == "111111111111"
    # An OU or account with no "scps" gets FullAWSAccess, as AWS attaches it by default.
    assert org.root.scps == ["FullAWSAccess"]
    assert org.root.units["Workloads"].accounts["222222222222"] == (["FullAWSAccess"], [])
    assert [r.arn for r in world.resources] == ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]
    assert world.resource_entry("arn:aws:s3:::bucket/key") is world.resources[1]
    assert len(world.resources[0].acl) == 1 and world.resources[0].acl[0].permission == "WRITE"
    first, second = scenario.requests
    assert (first.location, second.location) == ("/requests/0", "/requests/1")
    assert second.session is not None and second.session.tags == {"project": "x"}


def test_the_requests_of_a_valid_scenario_are_decided() -> None:
    scenario = build_scenario(copy.deepcopy(WORLD), "world.yaml")
    resolver = Resolver.for_scenario(scenario)
    for spec in scenario.requests:
        resolved = resolver.resolve(spec)
        assert authorize(resolved.inputs, resolved.request).outcome is Outcome.ALLOW


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_loads_and_resolves(example: Path) -> None:
    scenario = load_scenario(example)
    assert scenario.file == str(example) and scenario.requests
    resolver = Resolver.for_scenario(scenario)
    for spec in scenario.requests:
        resolver.resolve(spec)


def test_json_scenarios_load(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    path.write_text(json.dumps(WORLD))
    assert len(load_scenario(path).requests) == 2


# --- problems, each located ---------------------------------------------------------------------


def test_unknown_keys_at_every_level() -> None:
    document = with_changes(
        extra=1,
        organization__root__units__Workloads__ou=1,
        accounts__111111111111__users__alice__colour="blue",
        resources__0__owner="me",
        requests__0__principals=[],
    )
    assert sorted(where for where, _ in problems(document)) == [
        "/accounts/111111111111/users/alice/colour",
        "/extra",
        "/organization/root/units/Workloads/ou",
        "/requests/0/principals",
        "/resources/0/owner",
    ]


def test_keys_with_a_slash_are_escaped_in_locations() -> None:
    document = with_changes(accounts__111111111111__users={"a/b": {"groups": ["x~y"]}})
    assert problems(document) == [
        ("/accounts/111111111111/users/a~1b/groups/0", "account 111111111111 has no group 'x~y'")
    ]


def test_an_invalid_policy_is_located_inside_the_policy_and_not_reported_as_dangling() -> None:
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}
    document = with_changes(accounts__111111111111__policies={"Read": bad})
    # The group, the user's boundary and the role all reference "Read": none is reported again.
    assert problems(document) == [
        ("/accounts/111111111111/policies/Read/Statement/0", "MISSING_ACTION: Policy statement must contain actions.")
    ]


def test_a_policy_with_a_syntax_error_still_has_its_type_rules_checked() -> None:
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Permit", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}],
    }
    document = with_changes(accounts__111111111111__policies={"Read": bad})
    assert problems(document) == [
        ("/accounts/111111111111/policies/Read/Statement/0/Effect", "INVALID_EFFECT: Invalid effect: Permit"),
        (
            "/accounts/111111111111/policies/Read/Statement/0/Principal",
            "PRINCIPAL_NOT_ALLOWED: Policy document should not specify a principal.",
        ),
    ]


def test_an_invalid_organization_policy_is_not_reported_as_dangling() -> None:
    bad_scp = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket"}]}
    document = with_changes(organization__policies={"DenyDelete": bad_scp})
    assert problems(document) == [
        (
            "/organization/policies/DenyDelete/Statement/0",
            "MISSING_RESOURCE: The provided policy document does not meet the requirements of the specified "
            "policy type.",
        )
    ]


def test_a_trust_policy_is_checked_as_a_trust_policy() -> None:
    document = with_changes(accounts__111111111111__roles__Reader={"trust": READ})
    assert problems(document) == [
        (
            "/accounts/111111111111/roles/Reader/trust/Statement/0",
            "MISSING_PRINCIPAL: Missing required field Principal",
        ),
        (
            "/accounts/111111111111/roles/Reader/trust/Statement/0/Resource",
            "RESOURCE_NOT_ALLOWED: Has prohibited field Resource",
        ),
        (
            "/accounts/111111111111/roles/Reader/trust/Statement/0/Action",
            "TRUST_ACTION_NOT_ASSUME: AssumeRole policy may only specify STS AssumeRole actions.",
        ),
    ]


def test_a_session_policy_is_checked_as_a_session_policy() -> None:
    session = {"role": "arn:aws:iam::111111111111:role/Reader", "policy": TRUST}
    document = with_changes(requests__1__session=session)
    assert [where for where, _ in problems(document)] == [
        "/requests/1/session/policy/Statement/0/Principal",
        "/requests/1/session/policy/Statement/0",
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"accounts__111111111111__users__alice__groups": ["ops"]},
            ("/accounts/111111111111/users/alice/groups/0", "group 'ops'"),
        ),
        (
            {"accounts__111111111111__groups__devs__policies": ["Nope"]},
            ("/accounts/111111111111/groups/devs/policies/0", "'Nope'"),
        ),
        (
            {"accounts__111111111111__roles__Reader__policies": ["arn:aws:iam::111111111111:policy/Nope"]},
            (
                "/accounts/111111111111/roles/Reader/policies/0",
                "no customer managed policy arn:aws:iam::111111111111:policy/Nope",
            ),
        ),
        (
            {"organization__root__units__Workloads__scps": ["Nope"]},
            ("/organization/root/units/Workloads/scps/0", "'Nope'"),
        ),
    ],
)
def test_dangling_references(changes: dict[str, Any], expected: tuple[str, str]) -> None:
    ((where, message),) = problems(with_changes(**changes))
    assert where == expected[0] and expected[1] in message


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"organization__management_account": "1111"}, "/organization/management_account"),
        ({"organization__root__accounts": ["22"]}, "/organization/root/accounts/0"),
        ({"resources__0__account": "abc"}, "/resources/0/account"),
        ({"resources__0__acl": [{"account": "12", "permission": "READ"}]}, "/resources/0/acl/0/account"),
    ],
)
def test_bad_account_ids(changes: dict[str, Any], where: str) -> None:
    assert where in [w for w, _ in problems(with_changes(**changes))]


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        (
            {"requests__0__expect": "allowed"},
            "/requests/0/expect",
            "expect must be one of allow, deny, explicit-deny, implicit-deny",
        ),
        ({"requests__0__resource": "bucket"}, "/requests/0/resource", "'bucket' is not an ARN"),
        ({"requests__0__principal": None}, "/requests/0/principal", "is required"),
        ({"requests__0__name": ["a"]}, "/requests/0/name", "must be a string, not a list"),
        ({"requests__0__context": {"aws:SourceIp": "x"}}, "/requests/0/context/aws:SourceIp", "holds an IP address"),
        ({"requests__0__context": ["aws:SourceIp"]}, "/requests/0/context", "must be a mapping, not a list"),
        ({"resources__0__arn": "bucket"}, "/resources/0/arn", "is not an ARN"),
        (
            {"resources__0__acl": [{"account": "222222222222", "permission": "ALL"}]},
            "/resources/0/acl/0/permission",
            "permission",
        ),
        (
            {"accounts__111111111111__users__alice__path": "team"},
            "/accounts/111111111111/users/alice/path",
            "must begin and end",
        ),
        (
            {"accounts__111111111111__roles__Reader__service_linked": "yes"},
            "/accounts/111111111111/roles/Reader/service_linked",
            "true or false",
        ),
    ],
)
def test_values_of_the_wrong_shape(changes: dict[str, Any], where: str, message: str) -> None:
    found = problems(with_changes(**changes))
    assert any(w == where and message in m for w, m in found), found


def test_the_error_prints_one_line_per_problem() -> None:
    error = ScenarioError("w.yaml", [("", "first"), ("/requests/0", "second")])
    assert str(error) == "w.yaml: /: first\nw.yaml: /requests/0: second"


# --- file-level problems ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.yaml", "requests: [\n", "invalid YAML at line 2 column 1"),
        ("bad.json", '{"requests": ', "invalid JSON at line 1 column 14"),
        ("empty.yaml", "", "the scenario is empty"),
        ("latin1.yaml", b"requests: []\n# caf\xe9\n", "the file is not UTF-8 text"),
        ("deep.yaml", "requests: " + "[" * 20_000 + "]" * 20_000, "the document is nested too deeply to read"),
        ("deep.json", '{"requests": ' + "[" * 20_000 + "]" * 20_000 + "}", "the document is nested too deeply to read"),
    ],
)
def test_file_level_problems(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.file == str(path)
    ((where, text),) = caught.value.problems
    assert where == "" and text.startswith(message)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "nope.yaml")
    assert caught.value.problems == [("", "cannot read the file: No such file or directory")]


def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path)
    ((where, text),) = caught.value.problems
    assert where == "" and text.startswith("cannot read the file: ")


# --- resolving requests -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_changes", "field", "message"),
    [
        ({"principal": "arn:aws:iam::111111111111:user/bob"}, "principal", "has no user"),
        (
            {"principal": "arn:aws:iam::333333333333:user/bob"},
            "principal",
            "account 333333333333 is not in the scenario",
        ),
        ({"principal": "arn:aws:iam:bob"}, "principal", "is not a valid ARN"),
        ({"principal": "arn:aws:iam::111111111111:role/Nope"}, "principal", "has no role named 'Nope'"),
        ({"session": {"role": "arn:aws:iam::111111111111:role/Nope"}}, "session/role", "has no role named 'Nope'"),
        ({"session": {"role": "arn:aws:iam::111111111111:user/alice"}}, "session/role", "is not a role ARN"),
        (
            {"session": {"role": "arn:aws:iam::111111111111:role/Reader", "policy_arns": ["Read", "Nope"]}},
            "session/policy_arns/1",
            "has no customer managed policy named 'Nope'",
        ),
    ],
)
def test_resolve_errors_name_the_request_field(request_changes: dict[str, Any], field: str, message: str) -> None:
    document = copy.deepcopy(WORLD)
    document["requests"] = [{**document["requests"][0], **request_changes}]
    scenario = build_scenario(document, "world.yaml")
    with pytest.raises(ResolveError) as caught:
        Resolver.for_scenario(scenario).resolve(scenario.requests[0])
    assert caught.value.field == field
    assert message in str(caught.value)


# --- property: any document loads or fails with located problems, never otherwise --------------

_words = st.sampled_from(
    [
        "111111111111",
        "1111",
        "alice",
        "devs",
        "Read",
        "FullAWSAccess",
        "arn:aws:iam::111111111111:user/alice",
        "arn:aws:iam::111111111111:role/Reader",
        "arn:aws:s3:::bucket/key",
        "s3:GetObject",
        "allow",
        "aws:SourceIp",
        "READ",
        "*",
    ]
) | st.text(max_size=5)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _words
_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_words, inner, max_size=3), max_leaves=10
)
_KEYS = ("organization", "accounts", "resources", "requests", "aws_managed_policies")


def _load_or_fail_with_located_problems(document: Any) -> None:
    try:
        scenario = build_scenario(document, "fuzz.yaml")
    except ScenarioError as error:
        assert error.problems
        assert all(where == "" or where.startswith("/") for where, _ in error.problems)
        return
    resolver = Resolver.for_scenario(scenario)
    for spec in scenario.requests:
        with contextlib.suppress(ResolveError):
            resolver.resolve(spec)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(_KEYS), _values) | _values)
def test_arbitrary_documents_load_or_fail_with_located_problems(document: Any) -> None:
    _load_or_fail_with_located_problems(document)


_FIELDS = st.sampled_from(["principal", "action", "resource", "context", "session"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(WORLD["requests"]) - 1), _FIELDS, _values)
def test_mutating_a_valid_request_never_crashes(index: int, field: str, value: Any) -> None:
    document = copy.deepcopy(WORLD)
    document["requests"][index][field] = value
    _load_or_fail_with_located_problems(document)


# --- federated principals -----------------------------------------------------------------------

GOOGLE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"accounts.google.com:aud": "app", "accounts.google.com:oaud": "x"}},
        }
    ],
}


def test_a_federated_principal_is_decided_by_the_trust_policy_with_its_claims_as_keys() -> None:
    document = with_changes(accounts__111111111111__roles__Web={"trust": GOOGLE_TRUST})
    document["requests"] = [
        {
            "principal": {"federated": "accounts.google.com", "claims": {"sub": "alice", "azp": "app", "aud": "x"}},
            "action": "sts:AssumeRoleWithWebIdentity",
            "resource": "arn:aws:iam::111111111111:role/Web",
        },
        {
            "principal": {"federated": "accounts.google.com", "claims": {"sub": "alice", "aud": "app"}},
            "action": "sts:AssumeRoleWithWebIdentity",
            "resource": "arn:aws:iam::111111111111:role/Web",
        },
    ]
    scenario = build_scenario(document, "world.yaml")
    resolver = Resolver.for_scenario(scenario)
    with_azp, without = (resolver.resolve(spec) for spec in scenario.requests)
    # Google: azp is the aud key, aud the oaud key (reference_policies_iam-condition-keys).
    assert with_azp.request.context["accounts.google.com:aud"] == ("app",)
    assert with_azp.request.principal.context["aws:federatedprovider"] == ("accounts.google.com",)
    assert authorize(with_azp.inputs, with_azp.request).outcome is Outcome.ALLOW
    decision = authorize(without.inputs, without.request)
    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert decision.message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def test_a_federated_role_session_keeps_the_session_keys_only() -> None:
    document = with_changes(accounts__111111111111__roles__Web={"trust": GOOGLE_TRUST})
    document["requests"] = [
        {
            "principal": "arn:aws:sts::111111111111:assumed-role/Web/alice",
            "session": {
                "role": "arn:aws:iam::111111111111:role/Web",
                "name": "alice",
                "federated": "accounts.google.com",
                "claims": {"sub": "alice", "email": "alice@example.com", "amr": ["a", "b"]},
            },
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/x",
        }
    ]
    scenario = build_scenario(document, "world.yaml")
    resolved = Resolver.for_scenario(scenario).resolve(scenario.requests[0])
    principal = resolved.request.principal
    assert principal.context["accounts.google.com:sub"] == ("alice",)
    assert principal.context["accounts.google.com:amr"] == ("a", "b")
    assert principal.context["aws:federatedprovider"] == ("accounts.google.com",)
    assert "accounts.google.com:email" not in principal.context  # the trust policy's only


@pytest.mark.parametrize(
    ("principal", "session", "where"),
    [
        ({"federated": "accounts.google.com", "issuer": "x"}, None, "/requests/0/principal/issuer"),
        ({"claims": {"sub": "a"}}, None, "/requests/0/principal/federated"),
        (
            {"federated": "accounts.google.com", "claims": {"sub": {"nested": 1}}},
            None,
            "/requests/0/principal/claims/sub",
        ),
        (
            "arn:aws:sts::111111111111:assumed-role/Reader/s",
            {"role": "arn:aws:iam::111111111111:role/Reader", "claims": {"sub": "a"}},
            "/requests/0/session/claims",
        ),
    ],
)
def test_bad_federated_principals_are_located(principal: Any, session: Any, where: str) -> None:
    document = copy.deepcopy(WORLD)
    document["requests"] = [{"principal": principal, "action": "s3:GetObject", "resource": "*"}]
    if session is not None:
        document["requests"][0]["session"] = session
    assert where in [w for w, _ in problems(document)]


def test_a_broker_session_is_the_intersection_of_the_user_and_the_session_policy() -> None:
    document = copy.deepcopy(WORLD)
    put = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}
    both = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    federated = "arn:aws:sts::111111111111:federated-user/carol"
    broker = "arn:aws:iam::111111111111:user/team/alice"  # alice may s3:GetObject (group devs)
    document["requests"] = [
        {"principal": federated, "session": {"user": broker, "policy": both}, "action": a, "resource": "*"}
        for a in ("s3:GetObject", "s3:PutObject")
    ] + [
        {"principal": federated, "session": {"user": broker, "policy": put}, "action": "s3:GetObject", "resource": "*"}
    ]
    scenario = build_scenario(document, "world.yaml")
    resolver = Resolver.for_scenario(scenario)
    outcomes = [authorize(r.inputs, r.request).outcome for r in map(resolver.resolve, scenario.requests)]
    assert outcomes == [Outcome.ALLOW, Outcome.IMPLICIT_DENY, Outcome.IMPLICIT_DENY]


@pytest.mark.parametrize(
    ("session", "principal", "where"),
    [
        (
            {"user": "arn:aws:iam::111111111111:user/team/alice", "role": "arn:aws:iam::111111111111:role/Reader"},
            "arn:aws:sts::111111111111:federated-user/carol",
            "/requests/0/session/user",
        ),
        (
            {"user": "arn:aws:iam::111111111111:user/team/alice", "federated": "accounts.google.com"},
            "arn:aws:sts::111111111111:federated-user/carol",
            "/requests/0/session/federated",
        ),
    ],
)
def test_bad_broker_sessions_are_located(session: Any, principal: str, where: str) -> None:
    document = copy.deepcopy(WORLD)
    document["requests"] = [{"principal": principal, "session": session, "action": "s3:GetObject", "resource": "*"}]
    assert where in [w for w, _ in problems(document)]


def test_a_broker_session_needs_a_federated_user_principal_of_the_users_account() -> None:
    document = copy.deepcopy(WORLD)
    document["requests"] = [
        {
            "principal": "arn:aws:iam::111111111111:user/team/alice",
            "session": {"user": "arn:aws:iam::111111111111:user/team/alice"},
            "action": "s3:GetObject",
            "resource": "*",
        }
    ]
    scenario = build_scenario(document, "world.yaml")
    with pytest.raises(ResolveError) as caught:
        Resolver.for_scenario(scenario).resolve(scenario.requests[0])
    assert caught.value.field == "principal"
    assert "federated-user" in str(caught.value)


_CONTEXT_KEYS = st.sampled_from(
    [
        "aws:SourceIp",
        "AWS:SourceIP",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:MultiFactorAuthPresent",
        "aws:TagKeys",
        "aws:PrincipalTag/team",
        "s3:max-keys",
        "myservice:custom",
        "SourceIp",
    ]
)
_CONTEXT_VALUES = st.sampled_from(
    [
        *("192.0.2.1", "10.0.0.0/8", "01.2.3.4", "256.1.1.1", "::1", "1.2.3", "1.2.3.4 "),
        *("2026-01-01T00:00:00Z", "1767225600", "yesterday", "true", "", True, False, 1, 0, 1.5, None),
    ]
)
"""Each of them right for some of the keys and wrong for others."""
_REQUEST_ITEMS = st.fixed_dictionaries(
    {
        # Valid values more often than not, so that both readings see many whole requests.
        "principal": st.sampled_from(["arn:aws:iam::111111111111:user/team/alice"] * 4 + ["", 7]),
        "action": st.sampled_from(["s3:GetObject"] * 4 + ["s3GetObject", "a:b:c", 3]),
        "resource": st.sampled_from(["*", "arn:aws:s3:::bucket/key", "bucket", "arn:aws:s3:::x"]),
    },
    optional={
        "name": st.sampled_from(["a name", "", 5, None]),
        "expect": st.sampled_from(["allow", "deny", "explicit-deny", "implicit-deny", "maybe", ["allow"], None]),
        "context": st.none()
        | st.lists(_CONTEXT_KEYS, max_size=1)
        | st.dictionaries(
            _CONTEXT_KEYS, _CONTEXT_VALUES | st.lists(_CONTEXT_VALUES, max_size=3) | st.just({"a": 1}), max_size=4
        ),
        "colour": st.sampled_from(["blue", None]),
    },
)


@settings(max_examples=500, deadline=None)
@given(_REQUEST_ITEMS)
def test_the_fast_reading_of_a_request_is_the_full_reading(item: dict[str, Any]) -> None:
    """A request of the common shape is read in one pass (``_plain_request``); whatever it
    accepts, the full reader accepts without a problem and reads the same."""
    from localiam.state.scenario import _plain_request, _read_request, _Reader

    fast = _plain_request(item, "/requests/0", _Reader())
    reader = _Reader()
    full = _read_request(reader, item, "/requests/0")
    if fast is not None:
        assert not reader.problems
        assert fast == full


def test_a_plain_request_is_read_in_one_pass() -> None:
    from localiam.state.scenario import _plain_request, _Reader

    item = {
        "name": "r0",
        "principal": "arn:aws:iam::111111111111:user/u",
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::b/k",
        "context": {"aws:SourceIp": "192.0.2.1", "aws:SecureTransport": False, "aws:TagKeys": ["a", "b"]},
        "expect": "deny",
    }
    spec = _plain_request(item, "/requests/0", _Reader())
    assert spec is not None
    assert spec.context == {
        "aws:sourceip": ("192.0.2.1",),
        "aws:securetransport": ("false",),
        "aws:tagkeys": ("a", "b"),
    }


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.text(alphabet="0123456789٣", min_size=0, max_size=4) | st.sampled_from(["0", "00", "255", "256"]),
        min_size=1,
        max_size=5,
    ).map(".".join)
)
def test_a_plain_ipv4_address_is_one_the_condition_reads(text: str) -> None:
    """The reader takes a dotted IPv4 address without its parser only when the parser reads it."""
    from localiam.policy.conditions import _parse_network
    from localiam.state.scenario import _IPV4

    if _IPV4.fullmatch(text) is not None:
        assert _parse_network(text) is not None


def test_a_value_accepted_for_a_key_is_accepted_as_its_text() -> None:
    """``1`` and ``True`` are equal in Python; for ``s3:max-keys`` one is a number and the other
    is not, and the reader, which remembers the values it accepted, tells them apart."""
    from localiam.state.scenario import _plain_request, _Reader

    reader = _Reader()

    def item(value: Any) -> dict[str, Any]:
        return {
            "principal": "arn:aws:iam::111111111111:user/u",
            "action": "s3:ListBucket",
            "resource": "arn:aws:s3:::b",
            "context": {"s3:max-keys": value},
        }

    assert _plain_request(item(1), "/requests/0", reader) is not None
    assert _plain_request(item(True), "/requests/1", reader) is None
    assert _plain_request(item("1"), "/requests/2", reader) is not None
