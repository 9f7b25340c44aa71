"""A seeded generator of scenario files for ``localiam simulate`` at scale (issue 17).

    .venv/bin/python bench/scenario_workload.py OUT.json                   # the issue's workload
    .venv/bin/python bench/scenario_workload.py OUT.json --requests 1000
    .venv/bin/python bench/scenario_workload.py OUT.json --users 10000 --buckets 1000 --requests 100000

The default world is the one issue 17 describes: an organization of 3 member accounts (two in a
workload OU, one in a platform OU; SCPs at every level from ``workload.py``), 60 users in 5
groups per account, every group with 3 customer managed policies of 20 statements (so a user in
1-2 groups has 3-6 identity policies), a permissions boundary on a quarter of the users, and 20
buckets spread over the accounts, each with a bucket policy (organization reads with
``aws:PrincipalOrgID``, writes by named users, a TLS deny, a delete deny, partner reads from
an address range). Requests are random user x bucket x S3 action, on the bucket or one of its
objects, with ``aws:SourceIp``, ``aws:CurrentTime`` (pinned), now and then a region outside the
allowed ones or a request without TLS, and ``s3:prefix`` for ``ListBucket``.

Everything comes from one ``random.Random(seed)``, and the world is drawn before the requests,
so the first N requests of a file with more are the N requests of a smaller one (the marginal
cost of a request is the difference of two runs). :func:`simulations` turns the same world and
requests into ``@cloud-copilot/iam-simulate`` ``Simulation`` objects from the generator's own
data (every context key spelled out, since iam-simulate derives none).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEED = 20261205
VERSION = "2012-10-17"
MANAGEMENT = "999999999999"
CURRENT_TIME = "2026-03-15T12:00:00Z"
EPOCH_TIME = "1773576000"
GOOD_REGIONS = ("us-east-1", "eu-west-1")
TEAMS = ("red", "blue", "green")
ROLES = ("dev", "analyst", "admin")
STATEMENTS_PER_POLICY = 20
GROUPS_PER_ACCOUNT = 5
POLICIES_PER_GROUP = 3
PREFIXES = ("reports", "public", "exports", "raw", "home", "teams")
S3_ACTIONS = (
    ("s3:GetObject", "object", 30),
    ("s3:PutObject", "object", 15),
    ("s3:DeleteObject", "object", 8),
    ("s3:GetObjectTagging", "object", 7),
    ("s3:ListBucket", "bucket", 20),
    ("s3:GetBucketPolicy", "bucket", 5),
    ("s3:PutBucketPolicy", "bucket", 3),
    ("s3:GetBucketLocation", "bucket", 5),
    ("s3:DeleteBucket", "bucket", 2),
    ("s3:PutObjectAcl", "object", 5),
)
OTHER_SERVICES = (
    ("dynamodb", ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"), "table/orders"),
    ("sqs", ("sqs:SendMessage", "sqs:ReceiveMessage"), "jobs"),
    ("lambda", ("lambda:InvokeFunction", "lambda:GetFunction"), "function:api-handler"),
)


@dataclass
class GenUser:
    account: str
    name: str
    groups: list[str]
    policies: list[str]  # the managed policies of its groups, in the order AWS meets them
    tags: dict[str, str]
    boundary: bool

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:user/{self.name}"


@dataclass
class GenRequest:
    user: GenUser
    action: str
    bucket: str
    resource: str
    context: dict[str, Any]


@dataclass
class Generated:
    seed: int
    accounts: list[str]
    ous: dict[str, str]  # account -> OU name
    policies: dict[str, dict[str, dict[str, Any]]]  # account -> name -> document
    groups: dict[str, dict[str, list[str]]]  # account -> group -> policy names
    users: list[GenUser]
    buckets: dict[str, str]  # bucket -> owning account
    bucket_policies: dict[str, dict[str, Any]]
    scps: dict[str, dict[str, Any]]
    requests: list[GenRequest] = field(default_factory=list)


def account_ids(n: int) -> list[str]:
    return [f"{(i + 1) * 111111111111:012d}" if i < 8 else f"1{i:011d}" for i in range(n)]


def _bucket_names(accounts: list[str], n: int) -> dict[str, str]:
    return {f"bkt-{i:04d}-{accounts[i % len(accounts)][-4:]}": accounts[i % len(accounts)] for i in range(n)}


def _identity_statement(rng: random.Random, account: str, own: list[str], every: list[str], i: int) -> dict[str, Any]:
    """One statement of a customer managed identity policy: S3 allows scoped to buckets and
    prefixes, some with conditions and policy variables, a few guard-rail denies, and
    statements for other services (which the action index passes over for S3 requests)."""
    kind = rng.choices(range(13), weights=(10, 5, 8, 6, 6, 4, 3, 3, 3, 4, 4, 4, 10))[0]
    sid = f"S{i:02d}k{kind}"
    b = rng.choice(own if rng.random() < 0.7 else every)
    if kind == 0:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": rng.choice([["s3:GetObject", "s3:GetObjectTagging"], "s3:Get*", ["s3:GetObject*"]]),
            "Resource": [f"arn:aws:s3:::{b}/{rng.choice(PREFIXES[:4])}/*"],
        }
    if kind == 1:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": f"arn:aws:s3:::{b}/home/${{aws:username}}/*",
        }
    if kind == 2:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{b}",
            "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "public/*", "reports/*"]}},
        }
    if kind == 3:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": f"arn:aws:s3:::{b}/teams/${{aws:PrincipalTag/team}}/*",
        }
    if kind == 4:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"],
            "Condition": {
                "DateGreaterThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"},
                "DateLessThan": {"aws:CurrentTime": rng.choice(["2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"])},
            },
        }
    if kind == 5:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl"],
            "Resource": f"arn:aws:s3:::{b}/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/role": ["dev", "admin"]}},
        }
    if kind == 6:
        return {
            "Sid": sid,
            "Effect": "Deny",
            "NotAction": ["s3:Get*", "s3:List*"],
            "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"],
        }
    if kind == 7:
        return {
            "Sid": sid,
            "Effect": "Deny",
            "Action": rng.choice(["s3:*", ["s3:*", "sqs:*"]]),
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    if kind == 8:
        return {
            "Sid": sid,
            "Effect": "Deny",
            "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteObject"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalTag/role": "admin"}},
        }
    if kind == 9:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["s3:List*", "s3:GetBucketLocation", "s3:GetBucketPolicy"],
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        }
    if kind == 10:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "s3:Delete*"],
            "Resource": f"arn:aws:s3:::{b}/public/*",
        }
    if kind == 11:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{b}/exports/*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}},
        }
    service, actions, resource = OTHER_SERVICES[rng.randrange(len(OTHER_SERVICES))]
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": rng.sample(list(actions), rng.randint(1, len(actions))),
        "Resource": f"arn:aws:{service}:*:{account}:{resource}*",
    }


def _boundary(account: str) -> dict[str, Any]:
    return {
        "Version": VERSION,
        "Statement": [
            {"Sid": "S3Read", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"},
            {"Sid": "S3Write", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::*/teams/*"},
            {"Sid": "Other", "Effect": "Allow", "Action": ["dynamodb:*", "sqs:*", "lambda:*"], "Resource": "*"},
            {
                "Sid": "NoPolicyReads",
                "Effect": "Deny",
                "Action": "s3:GetBucketPolicy",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account}},
            },
        ],
    }


def _bucket_policy(
    rng: random.Random, bucket: str, owner: str, accounts: list[str], users: list[GenUser]
) -> dict[str, Any]:
    others = [a for a in accounts if a != owner] or [owner]
    arn = f"arn:aws:s3:::{bucket}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OrgRead",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in rng.sample(others, min(2, len(others)))]},
            "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetObjectTagging"],
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "ORG_ID"}},
        },
        {
            "Sid": "NamedWriters",
            "Effect": "Allow",
            "Principal": {"AWS": sorted({u.arn for u in rng.sample(users, min(6, len(users)))})},
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": f"{arn}/{rng.choice(('teams', 'raw', 'exports'))}/*",
        },
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    if rng.random() < 0.5:
        statements.append(
            {
                "Sid": "NoDeletes",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                "Resource": f"{arn}/*",
            }
        )
    if rng.random() < 0.5:
        statements.append(
            {
                "Sid": "PartnerReports",
                "Effect": "Allow",
                "Principal": {"AWS": rng.choice(others)},
                "Action": "s3:GetObject",
                "Resource": f"{arn}/reports/*",
                "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "198.51.100.0/24"]}},
            }
        )
    return {"Version": VERSION, "Statement": statements}


def _scps() -> dict[str, dict[str, Any]]:
    return {
        "DenyOutsideRegions": {
            "Version": VERSION,
            "Statement": [
                {
                    "Sid": "DenyOutsideRegions",
                    "Effect": "Deny",
                    "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*"],
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": list(GOOD_REGIONS)}},
                }
            ],
        },
        "WorkloadGuardrails": {
            "Version": VERSION,
            "Statement": [
                {
                    "Sid": "NoBucketPolicyChanges",
                    "Effect": "Deny",
                    "Action": ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:DeleteBucket"],
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalTag/role": "admin"}},
                }
            ],
        },
        "PlatformGuardrails": {
            "Version": VERSION,
            "Statement": [{"Sid": "NoAcls", "Effect": "Deny", "Action": "s3:PutObjectAcl", "Resource": "*"}],
        },
    }


def generate(
    seed: int = SEED,
    *,
    accounts: int = 3,
    users: int = 60,
    buckets: int = 20,
    requests: int = 5000,
    policies_per_account: int = 12,
) -> Generated:
    """The world, then ``requests`` requests, from one ``random.Random(seed)``."""
    rng = random.Random(seed)
    ids = account_ids(accounts)
    ous = {a: ("Workloads" if i % 3 != 2 else "Platform") for i, a in enumerate(ids)}
    bucket_owner = _bucket_names(ids, buckets)
    by_account: dict[str, list[str]] = {a: [b for b, o in bucket_owner.items() if o == a] for a in ids}
    every = list(bucket_owner)
    policies: dict[str, dict[str, dict[str, Any]]] = {}
    groups: dict[str, dict[str, list[str]]] = {}
    for a in ids:
        own = by_account[a] or every
        policies[a] = {
            f"policy{p:02d}": {
                "Version": VERSION,
                "Statement": [_identity_statement(rng, a, own, every, i) for i in range(STATEMENTS_PER_POLICY)],
            }
            for p in range(policies_per_account)
        }
        policies[a]["Boundary"] = _boundary(a)
        pool = [n for n in policies[a] if n != "Boundary"]
        groups[a] = {f"group{g}": rng.sample(pool, POLICIES_PER_GROUP) for g in range(GROUPS_PER_ACCOUNT)}
    gen_users: list[GenUser] = []
    for u in range(users):
        a = ids[u % len(ids)]
        member_of = rng.sample(sorted(groups[a]), rng.randint(1, 2))
        names: list[str] = []
        for g in member_of:
            names.extend(p for p in groups[a][g] if p not in names)
        gen_users.append(
            GenUser(
                account=a,
                name=f"user{u:05d}",
                groups=member_of,
                policies=names,
                tags={"team": rng.choice(TEAMS), "role": rng.choices(ROLES, weights=(6, 3, 1))[0]},
                boundary=rng.random() < 0.25,
            )
        )
    bucket_policies = {b: _bucket_policy(rng, b, o, ids, gen_users) for b, o in bucket_owner.items()}
    world = Generated(seed, ids, ous, policies, groups, gen_users, bucket_owner, bucket_policies, _scps())
    add_requests(world, rng, requests)
    return world


def add_requests(world: Generated, rng: random.Random, n: int) -> None:
    actions = [a for a, _, _ in S3_ACTIONS]
    weights = [w for _, _, w in S3_ACTIONS]
    kinds = {a: k for a, k, _ in S3_ACTIONS}
    every = list(world.buckets)
    for _ in range(n):
        user = world.users[rng.randrange(len(world.users))]
        b = every[rng.randrange(len(every))]
        action = rng.choices(actions, weights)[0]
        if kinds[action] == "bucket":
            resource = f"arn:aws:s3:::{b}"
        else:
            key = rng.choice(
                [
                    f"home/{user.name}/notes.txt",
                    f"home/user{rng.randrange(len(world.users)):05d}/notes.txt",
                    f"reports/2026/{rng.randrange(1, 13):02d}/summary.csv",
                    "public/index.html",
                    f"teams/{rng.choice(TEAMS)}/plan.md",
                    f"raw/{rng.randrange(1000)}.json",
                    f"exports/{rng.randrange(100)}.parquet",
                ]
            )
            resource = f"arn:aws:s3:::{b}/{key}"
        context: dict[str, Any] = {
            "aws:SourceIp": rng.choice(
                [
                    f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                    f"192.0.2.{rng.randrange(1, 255)}",
                    f"198.51.100.{rng.randrange(1, 255)}",
                    f"203.0.113.{rng.randrange(1, 255)}",
                ]
            ),
            "aws:CurrentTime": CURRENT_TIME,
            "aws:EpochTime": EPOCH_TIME,
            "aws:RequestedRegion": "ap-southeast-2" if rng.random() < 0.05 else rng.choice(GOOD_REGIONS),
        }
        if rng.random() < 0.05:
            context["aws:SecureTransport"] = "false"
        if action == "s3:ListBucket":
            context["s3:prefix"] = rng.choice([f"home/{user.name}/", "public/", "reports/2026/", "raw/", ""])
        world.requests.append(GenRequest(user, action, b, resource, context))


def _org_id(world: Generated) -> str:
    # The scenario format derives the organization id from the management account
    # (state/world.py); the bucket policies' aws:PrincipalOrgID must name it.
    import hashlib

    return "o-" + hashlib.sha256(MANAGEMENT.encode()).hexdigest()[:10]


def scenario(world: Generated) -> dict[str, Any]:
    """The scenario file (``docs/scenarios.md``) for ``world``."""
    org_id = _org_id(world)
    workloads = [a for a in world.accounts if world.ous[a] == "Workloads"]
    platform = [a for a in world.accounts if world.ous[a] == "Platform"]
    accounts: dict[str, Any] = {}
    for a in world.accounts:
        accounts[a] = {
            "policies": world.policies[a],
            "groups": {g: {"policies": p} for g, p in world.groups[a].items()},
            "users": {},
        }
    for u in world.users:
        body: dict[str, Any] = {"groups": u.groups, "tags": u.tags}
        if u.boundary:
            body["boundary"] = "Boundary"
        accounts[u.account]["users"][u.name] = body
    resources = []
    for b, owner in world.buckets.items():
        doc = json.loads(json.dumps(world.bucket_policies[b]).replace('"ORG_ID"', json.dumps(org_id)))
        resources.append({"arn": f"arn:aws:s3:::{b}", "account": owner, "policy": doc})
        resources.append({"arn": f"arn:aws:s3:::{b}/*", "account": owner, "policy": doc})
    return {
        "organization": {
            "management_account": MANAGEMENT,
            "policies": world.scps,
            "root": {
                "scps": ["FullAWSAccess", "DenyOutsideRegions"],
                "accounts": [MANAGEMENT],
                "units": {
                    "Workloads": {"scps": ["FullAWSAccess", "WorkloadGuardrails"], "accounts": workloads},
                    "Platform": {"scps": ["FullAWSAccess", "PlatformGuardrails"], "accounts": platform},
                },
            },
        },
        "accounts": accounts,
        "resources": resources,
        "requests": [
            {
                "name": f"r{i}",
                "principal": r.user.arn,
                "action": r.action,
                "resource": r.resource,
                "context": r.context,
            }
            for i, r in enumerate(world.requests)
        ],
    }


def simulations(world: Generated, org_paths: dict[str, str]) -> list[dict[str, Any]]:
    """iam-simulate ``Simulation`` objects for the requests of ``world``, from the generator's
    data. ``org_paths``: each account's ``aws:PrincipalOrgPaths`` value (the OU ids are the
    scenario loader's)."""
    org_id = _org_id(world)
    scp_levels: dict[str, list[list[str]]] = {
        a: [
            ["FullAWSAccess", "DenyOutsideRegions"],
            ["FullAWSAccess", "WorkloadGuardrails" if world.ous[a] == "Workloads" else "PlatformGuardrails"],
            ["FullAWSAccess"],
        ]
        for a in world.accounts
    }
    scp_docs = {
        **world.scps,
        "FullAWSAccess": {"Version": VERSION, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    }
    out = []
    for r in world.requests:
        u = r.user
        owner = world.buckets[r.bucket]
        context: dict[str, Any] = {
            "aws:PrincipalArn": u.arn,
            "aws:PrincipalAccount": u.account,
            "aws:PrincipalType": "User",
            "aws:PrincipalIsAWSService": "false",
            "aws:username": u.name,
            "aws:PrincipalOrgID": org_id,
            "aws:PrincipalOrgPaths": [org_paths[u.account]],
            "aws:SecureTransport": "true",
            "aws:ResourceAccount": owner,
            "aws:ResourceOrgID": org_id,
            "aws:ResourceOrgPaths": [org_paths[owner]],
        }
        for key, value in u.tags.items():
            context[f"aws:PrincipalTag/{key}"] = value
        context.update(r.context)
        sim: dict[str, Any] = {
            "request": {
                "principal": u.arn,
                "action": r.action,
                "resource": {"resource": r.resource, "accountId": owner},
                "contextVariables": context,
            },
            "identityPolicies": [{"name": p, "policy": world.policies[u.account][p]} for p in u.policies],
            "serviceControlPolicies": [
                {"orgIdentifier": f"level-{i}", "policies": [{"name": n, "policy": scp_docs[n]} for n in level]}
                for i, level in enumerate(scp_levels[u.account])
            ],
            "resourceControlPolicies": [],
            "resourcePolicy": json.loads(
                json.dumps(world.bucket_policies[r.bucket]).replace('"ORG_ID"', json.dumps(org_id))
            ),
        }
        if u.boundary:
            sim["permissionBoundaryPolicies"] = [{"name": "Boundary", "policy": world.policies[u.account]["Boundary"]}]
        out.append(sim)
    return out


def write_scenario(world: Generated, path: Path) -> None:
    """The scenario as JSON (compact: large worlds make large files)."""
    path.write_text(json.dumps(scenario(world), separators=(",", ":")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--buckets", type=int, default=20)
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args(argv)
    world = generate(args.seed, accounts=args.accounts, users=args.users, buckets=args.buckets, requests=args.requests)
    write_scenario(world, args.out)
    print(f"{args.out}: {len(world.users)} users, {len(world.buckets)} buckets, {len(world.requests)} requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
