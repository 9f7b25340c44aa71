"""A realistic, seeded IAM workload shared by ``bench/policy.py`` and ``bench/engine.py``.

An organization of 3 member accounts (root -> 2 OUs -> accounts, SCPs at every level), 20
users per account in 1-3 groups each, every group with 5 customer-managed policies of 20
statements (s3/dynamodb/sqs/lambda/ec2; wildcards, NotAction, conditions on aws:SourceIp,
aws:PrincipalTag, s3:prefix, aws:CurrentTime, aws:SecureTransport, policy variables),
permissions boundaries on about a third of the users, and resource policies on some buckets,
queues and functions. Requests are about half same-account and half cross-account.

Everything is generated from one ``random.Random(seed)``, so a seed names one workload. The
same requests are produced in two shapes: localiam engine inputs (policies parsed and compiled
once, as a server would cache them) and iam-simulate ``Simulation`` objects (policy JSON, with
every context key spelled out because iam-simulate derives none).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from localiam.engine import (
    CompiledPolicy,
    OrganizationPolicies,
    PolicyInputs,
    Principal,
    Request,
    ResourceFacts,
    compile_policy,
    normalise_context,
    principal_from_arn,
)
from localiam.policy import PolicyType, parse_policy

SEED = 20240611
VERSION = "2012-10-17"

ORG_ID = "o-a1b2c3d4e5"
ROOT_ID = "r-a1b2"
ACCOUNTS = {
    "111111111111": ("prod", "ou-a1b2-workload"),
    "222222222222": ("dev", "ou-a1b2-workload"),
    "333333333333": ("shared", "ou-a1b2-platform"),
}
USERS_PER_ACCOUNT = 20
GROUPS_PER_ACCOUNT = 6
POLICIES_PER_ACCOUNT = 15
POLICIES_PER_GROUP = 5
STATEMENTS_PER_POLICY = 20

TEAMS = ("red", "blue", "green")
ROLES = ("dev", "analyst", "admin")
GOOD_REGIONS = ("us-east-1", "eu-west-1")
CURRENT_TIME = "2026-03-15T12:00:00Z"
EPOCH_TIME = "1773576000"

BUCKET_KINDS = ("data", "logs", "shared", "public", "sensitive")
TABLES = ("orders", "customers", "sessions", "inventory")
QUEUES = ("jobs", "events", "dlq")
FUNCTIONS = ("api-handler", "etl-worker", "report-gen")
INSTANCES = ("i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002", "i-0a1b2c3d4e5f60003")

ACTIONS = {
    "s3": (
        ("s3:GetObject", "object"),
        ("s3:PutObject", "object"),
        ("s3:DeleteObject", "object"),
        ("s3:GetObjectTagging", "object"),
        ("s3:ListBucket", "bucket"),
        ("s3:GetBucketPolicy", "bucket"),
    ),
    "dynamodb": (
        ("dynamodb:GetItem", "table"),
        ("dynamodb:PutItem", "table"),
        ("dynamodb:Query", "table"),
        ("dynamodb:DeleteItem", "table"),
        ("dynamodb:DescribeTable", "table"),
    ),
    "sqs": (
        ("sqs:SendMessage", "queue"),
        ("sqs:ReceiveMessage", "queue"),
        ("sqs:DeleteMessage", "queue"),
        ("sqs:GetQueueAttributes", "queue"),
    ),
    "lambda": (
        ("lambda:InvokeFunction", "function"),
        ("lambda:GetFunction", "function"),
        ("lambda:UpdateFunctionCode", "function"),
    ),
    "ec2": (
        ("ec2:StartInstances", "instance"),
        ("ec2:StopInstances", "instance"),
        ("ec2:TerminateInstances", "instance"),
        ("ec2:RebootInstances", "instance"),
    ),
}
SERVICE_WEIGHTS = (("s3", 40), ("dynamodb", 20), ("sqs", 15), ("lambda", 15), ("ec2", 10))


def bucket(account: str, kind: str) -> str:
    return f"{ACCOUNTS[account][0]}-{kind}"


def org_path(account: str) -> str:
    return f"{ORG_ID}/{ROOT_ID}/{ACCOUNTS[account][1]}/"


# --------------------------------------------------------------------------- policy documents


def _one(rng: random.Random, items: tuple[str, ...] | list[str]) -> str:
    return items[rng.randrange(len(items))]


def identity_statement(rng: random.Random, account: str, i: int) -> dict[str, Any]:
    """One statement of a customer-managed identity policy; the mix of kinds below is what
    organizations actually write (most allows scoped to resources, some with conditions, a few
    guard-rail denies)."""
    acct_name = ACCOUNTS[account][0]
    kind = rng.choices(
        range(14),
        weights=(10, 6, 8, 8, 7, 7, 6, 5, 4, 4, 3, 3, 4, 3),
    )[0]
    sid = f"S{i:02d}k{kind}"
    if kind == 0:  # read objects in one of our buckets, under a prefix
        b = bucket(account, _one(rng, BUCKET_KINDS[:4]))
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": rng.choice([["s3:GetObject", "s3:GetObjectTagging"], "s3:Get*", ["s3:GetObject*"]]),
            "Resource": [f"arn:aws:s3:::{b}/{_one(rng, ('reports', 'public', 'exports', 'raw'))}/*"],
        }
    if kind == 1:  # a home directory via a policy variable
        b = bucket(account, "data")
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": f"arn:aws:s3:::{b}/home/${{aws:username}}/*",
        }
    if kind == 2:  # list a bucket, restricted by prefix
        b = bucket(account, _one(rng, BUCKET_KINDS))
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{b}",
            "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "public/*", "reports/*"]}},
        }
    if kind == 3:  # team-scoped DynamoDB access
        table = _one(rng, TABLES)
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": rng.choice(
                [["dynamodb:GetItem", "dynamodb:Query"], ["dynamodb:Get*", "dynamodb:Query", "dynamodb:PutItem"]]
            ),
            "Resource": f"arn:aws:dynamodb:*:{account}:table/{table}*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": _one(rng, TEAMS)}},
        }
    if kind == 4:  # SQS on any account's queue of that name (cross-account producers)
        queue = _one(rng, QUEUES)
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": rng.choice([["sqs:SendMessage"], ["sqs:ReceiveMessage", "sqs:DeleteMessage"], "sqs:*"]),
            "Resource": f"arn:aws:sqs:*:*:{queue}",
        }
    if kind == 5:  # Lambda from the office network only
        fn = _one(rng, FUNCTIONS)
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": rng.choice(["lambda:InvokeFunction", ["lambda:InvokeFunction", "lambda:Get*"]]),
            "Resource": f"arn:aws:lambda:*:*:function:{fn}*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}},
        }
    if kind == 6:  # EC2 start/stop for developers
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances"],
            "Resource": f"arn:aws:ec2:*:{account}:instance/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/role": ["dev", "admin"]}},
        }
    if kind == 7:  # temporary access window
        b = bucket(_one(rng, list(ACCOUNTS)), "shared")
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
    if kind == 8:  # guard rail: the sensitive bucket is read-only
        return {
            "Sid": sid,
            "Effect": "Deny",
            "NotAction": ["s3:Get*", "s3:List*"],
            "Resource": [f"arn:aws:s3:::{acct_name}-sensitive", f"arn:aws:s3:::{acct_name}-sensitive/*"],
        }
    if kind == 9:  # guard rail: TLS only
        return {
            "Sid": sid,
            "Effect": "Deny",
            "Action": rng.choice(["s3:*", ["s3:*", "sqs:*"]]),
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    if kind == 10:  # guard rail: only admins terminate or delete
        return {
            "Sid": sid,
            "Effect": "Deny",
            "Action": ["ec2:TerminateInstances", "dynamodb:DeleteItem", "lambda:UpdateFunctionCode"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalTag/role": "admin"}},
        }
    if kind == 11:  # broad read-only, off-network denied
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["s3:List*", "dynamodb:Describe*", "sqs:GetQueueAttributes", "lambda:GetFunction"],
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        }
    if kind == 12:  # NotAction allow (everything but IAM/Organizations) on one service prefix
        return {
            "Sid": sid,
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*", "s3:Delete*"],
            "Resource": rng.choice(
                [
                    f"arn:aws:s3:::{bucket(account, 'public')}/*",
                    f"arn:aws:dynamodb:us-east-1:{account}:table/sessions",
                    f"arn:aws:sqs:us-east-1:{account}:dlq",
                ]
            ),
        }
    # kind 13: team-tagged object prefix via a principal-tag variable
    b = bucket(account, _one(rng, ("data", "shared")))
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": f"arn:aws:s3:::{b}/teams/${{aws:PrincipalTag/team}}/*",
    }


def identity_policy(rng: random.Random, account: str) -> dict[str, Any]:
    return {
        "Version": VERSION,
        "Statement": [identity_statement(rng, account, i) for i in range(STATEMENTS_PER_POLICY)],
    }


def boundary_policy(account: str) -> dict[str, Any]:
    return {
        "Version": VERSION,
        "Statement": [
            {"Sid": "S3", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:PutObject"], "Resource": "*"},
            {
                "Sid": "Ddb",
                "Effect": "Allow",
                "Action": ["dynamodb:Get*", "dynamodb:Query", "dynamodb:Describe*"],
                "Resource": "*",
            },
            {"Sid": "Sqs", "Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
            {"Sid": "Lambda", "Effect": "Allow", "Action": ["lambda:InvokeFunction", "lambda:Get*"], "Resource": "*"},
            {
                "Sid": "Ec2OwnAccount",
                "Effect": "Allow",
                "Action": "ec2:*",
                "Resource": f"arn:aws:ec2:*:{account}:*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
            },
            {
                "Sid": "NoSensitive",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{ACCOUNTS[account][0]}-sensitive/*"],
            },
        ],
    }


FULL_AWS_ACCESS = {"Version": VERSION, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def scp_documents() -> dict[str, dict[str, Any]]:
    return {
        "FullAWSAccess": FULL_AWS_ACCESS,
        "DenyOutsideRegions": {
            "Version": VERSION,
            "Statement": [
                {
                    "Sid": "DenyOutsideRegions",
                    "Effect": "Deny",
                    "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*"],
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
                },
                {
                    "Sid": "OnlyAdminsTerminate",
                    "Effect": "Deny",
                    "Action": "ec2:TerminateInstances",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalTag/role": "admin"}},
                },
            ],
        },
        "PlatformGuardrails": {
            "Version": VERSION,
            "Statement": [
                {"Sid": "NoEc2", "Effect": "Deny", "Action": "ec2:*", "Resource": "*"},
            ],
        },
        "ProdNoCodeChanges": {
            "Version": VERSION,
            "Statement": [
                {
                    "Sid": "NoCodeChanges",
                    "Effect": "Deny",
                    "Action": ["lambda:UpdateFunctionCode", "lambda:DeleteFunction"],
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalTag/role": "admin"}},
                }
            ],
        },
    }


def scp_chain(account: str) -> list[list[str]]:
    """The SCP names attached at each level, root -> OU -> account."""
    ou = ACCOUNTS[account][1]
    root = ["FullAWSAccess", "DenyOutsideRegions"]
    ou_level = ["FullAWSAccess", "WorkloadGuardrails" if ou.endswith("workload") else "PlatformGuardrails"]
    acct = ["FullAWSAccess"] + (["ProdNoCodeChanges"] if ACCOUNTS[account][0] == "prod" else [])
    return [root, ou_level, acct]


def resource_policies() -> dict[str, dict[str, Any]]:
    """Resource-based policies by resource ARN: bucket policies on the shared, logs and data
    buckets, queue policies on the events queues, function policies on the api handlers."""
    out: dict[str, dict[str, Any]] = {}
    accounts = list(ACCOUNTS)
    for account in accounts:
        others = [a for a in accounts if a != account]
        name = ACCOUNTS[account][0]
        shared = bucket(account, "shared")
        out[f"arn:aws:s3:::{shared}"] = {
            "Version": VERSION,
            "Statement": [
                {
                    "Sid": "OrgRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in others]},
                    "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetObjectTagging"],
                    "Resource": [f"arn:aws:s3:::{shared}", f"arn:aws:s3:::{shared}/*"],
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
                },
                {
                    "Sid": "TeamWrite",
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": [
                            f"arn:aws:iam::{a}:user/{ACCOUNTS[a][0]}-user{j:02d}"
                            for a in others
                            for j in range(0, USERS_PER_ACCOUNT, 3)
                        ]
                    },
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{shared}/teams/*",
                },
                {
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{shared}", f"arn:aws:s3:::{shared}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
        logs = bucket(account, "logs")
        out[f"arn:aws:s3:::{logs}"] = {
            "Version": VERSION,
            "Statement": [
                {
                    "Sid": "CentralRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": others[0]},
                    "Action": ["s3:Get*", "s3:List*"],
                    "Resource": [f"arn:aws:s3:::{logs}", f"arn:aws:s3:::{logs}/*"],
                },
                {
                    "Sid": "NoDeletes",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                    "Resource": f"arn:aws:s3:::{logs}/*",
                },
            ],
        }
        data = bucket(account, "data")
        out[f"arn:aws:s3:::{data}"] = {
            "Version": VERSION,
            "Statement": [
                {
                    "Sid": "PartnerReports",
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in others]},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{data}/reports/*",
                    "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "198.51.100.0/24"]}},
                },
                {
                    "Sid": "OwnUsersHome",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:user/{name}-user00"},
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": f"arn:aws:s3:::{data}/home/*",
                },
            ],
        }
        for region in GOOD_REGIONS:
            out[f"arn:aws:sqs:{region}:{account}:events"] = {
                "Version": VERSION,
                "Statement": [
                    {
                        "Sid": "OrgProducers",
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "sqs:SendMessage",
                        "Resource": f"arn:aws:sqs:{region}:{account}:events",
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
                    }
                ],
            }
            out[f"arn:aws:lambda:{region}:{account}:function:api-handler"] = {
                "Version": VERSION,
                "Statement": [
                    {
                        "Sid": "PartnerInvoke",
                        "Effect": "Allow",
                        "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in others]},
                        "Action": "lambda:InvokeFunction",
                        "Resource": f"arn:aws:lambda:{region}:{account}:function:api-handler",
                    }
                ],
            }
    return out


# --------------------------------------------------------------------------- the world


@dataclass
class User:
    account: str
    name: str
    arn: str
    tags: dict[str, str]
    groups: list[str]
    policy_names: list[str]  # managed policy names of its groups, in order, de-duplicated
    boundary: bool
    principal: Principal | None = None
    identity: tuple[CompiledPolicy, ...] = ()


@dataclass
class Case:
    """One request in both shapes."""

    user: User
    action: str
    resource: str
    resource_account: str
    region: str
    secure_transport: bool
    extra: dict[str, Any]  # caller-supplied context keys (as a client would send them)
    same_account: bool
    inputs: PolicyInputs | None = None
    request: Request | None = None


@dataclass
class World:
    seed: int
    documents: dict[str, dict[str, Any]]  # "ACCOUNT/NAME" -> identity policy document
    boundaries: dict[str, dict[str, Any]]  # account -> boundary document
    scps: dict[str, dict[str, Any]]
    resource_docs: dict[str, dict[str, Any]]
    users: list[User]
    cases: list[Case] = field(default_factory=list)
    compiled: dict[str, CompiledPolicy] = field(default_factory=dict)
    org: dict[str, OrganizationPolicies] = field(default_factory=dict)

    def statement_count(self) -> int:
        return sum(len(d["Statement"]) for d in self.documents.values())


def _parse(doc: dict[str, Any]) -> Any:
    result = parse_policy(doc)
    if result.value is None:
        raise ValueError(f"bench policy does not parse: {[str(f) for f in result.errors]}")
    return result.value


def build_world(seed: int = SEED) -> World:
    rng = random.Random(seed)
    documents: dict[str, dict[str, Any]] = {}
    users: list[User] = []
    for account, (acct_name, _ou) in ACCOUNTS.items():
        pool = [f"{acct_name}-policy{p:02d}" for p in range(POLICIES_PER_ACCOUNT)]
        for name in pool:
            documents[f"{account}/{name}"] = identity_policy(rng, account)
        groups = {f"{acct_name}-group{g}": rng.sample(pool, POLICIES_PER_GROUP) for g in range(GROUPS_PER_ACCOUNT)}
        group_names = list(groups)
        for u in range(USERS_PER_ACCOUNT):
            name = f"{acct_name}-user{u:02d}"
            member_of = rng.sample(group_names, rng.randint(1, 3))
            policy_names: list[str] = []
            for g in member_of:
                for p in groups[g]:
                    if p not in policy_names:
                        policy_names.append(p)
            users.append(
                User(
                    account=account,
                    name=name,
                    arn=f"arn:aws:iam::{account}:user/{name}",
                    tags={"team": _one(rng, TEAMS), "role": rng.choices(ROLES, weights=(6, 3, 1))[0]},
                    groups=member_of,
                    policy_names=policy_names,
                    boundary=rng.random() < 0.35,
                )
            )
    world = World(
        seed=seed,
        documents=documents,
        boundaries={a: boundary_policy(a) for a in ACCOUNTS},
        scps=scp_documents(),
        resource_docs=resource_policies(),
        users=users,
    )
    return world


def compile_world(world: World) -> None:
    """Parse and compile every policy once, and build each user's principal (a server caches
    both)."""
    for key, doc in world.documents.items():
        account, name = key.split("/", 1)
        world.compiled[key] = compile_policy(f"arn:aws:iam::{account}:policy/{name}", _parse(doc), PolicyType.IDENTITY)
    for account, doc in world.boundaries.items():
        world.compiled[f"boundary/{account}"] = compile_policy(
            f"arn:aws:iam::{account}:policy/boundary", _parse(doc), PolicyType.BOUNDARY
        )
    scps = {name: compile_policy(name, _parse(doc), PolicyType.SCP) for name, doc in world.scps.items()}
    for account in ACCOUNTS:
        levels = tuple(tuple(scps[n] for n in level) for level in scp_chain(account))
        world.org[account] = OrganizationPolicies(levels, organization_id=ORG_ID, paths=(org_path(account),))
    for arn, doc in world.resource_docs.items():
        world.compiled[f"resource/{arn}"] = compile_policy(arn, _parse(doc), PolicyType.RESOURCE)
    for user in world.users:
        principal = principal_from_arn(user.arn, tags=user.tags, user_id=f"AIDA{user.account}{user.name.upper()}"[:21])
        user.principal = replace(principal, organization_id=ORG_ID, organization_paths=(org_path(user.account),))
        user.identity = tuple(world.compiled[f"{user.account}/{p}"] for p in user.policy_names)


# --------------------------------------------------------------------------- requests


def _resource(rng: random.Random, user: User, account: str, kind: str, region: str, cross: bool) -> str:
    name = ACCOUNTS[account][0]
    if kind in ("object", "bucket"):
        # Cross-account requests mostly go to buckets that have a bucket policy.
        b = bucket(account, rng.choice(("shared", "shared", "logs", "data", "public") if cross else BUCKET_KINDS))
        if kind == "bucket":
            return f"arn:aws:s3:::{b}"
        key = rng.choice(
            [
                f"home/{user.name}/notes.txt",
                f"home/{name}-user{rng.randrange(USERS_PER_ACCOUNT):02d}/notes.txt",
                f"reports/2026/{rng.randrange(1, 13):02d}/summary.csv",
                "public/index.html",
                f"teams/{_one(rng, TEAMS)}/plan.md",
                f"raw/{rng.randrange(1000)}.json",
                f"exports/{rng.randrange(100)}.parquet",
            ]
        )
        return f"arn:aws:s3:::{b}/{key}"
    if kind == "table":
        return f"arn:aws:dynamodb:{region}:{account}:table/{_one(rng, TABLES)}"
    if kind == "queue":
        return f"arn:aws:sqs:{region}:{account}:{rng.choice(('events', 'events') if cross else QUEUES)}"
    if kind == "function":
        fn = rng.choice(("api-handler", "api-handler", "etl-worker") if cross else FUNCTIONS)
        return f"arn:aws:lambda:{region}:{account}:function:{fn}"
    return f"arn:aws:ec2:{region}:{account}:instance/{_one(rng, INSTANCES)}"


def build_cases(world: World, n: int, seed: int | None = None) -> list[Case]:
    rng = random.Random((seed if seed is not None else world.seed) + 1)
    services = [s for s, _ in SERVICE_WEIGHTS]
    weights = [w for _, w in SERVICE_WEIGHTS]
    cases: list[Case] = []
    for _ in range(n):
        user = world.users[rng.randrange(len(world.users))]
        cross = rng.random() < 0.5
        target = rng.choice([a for a in ACCOUNTS if a != user.account]) if cross else user.account
        service = rng.choices(services, weights)[0]
        action, kind = _one(rng, ACTIONS[service])
        region = "ap-southeast-2" if rng.random() < 0.05 else rng.choice(GOOD_REGIONS)
        resource = _resource(rng, user, target, kind, region, cross)
        extra: dict[str, Any] = {
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
        }
        if action == "s3:ListBucket":
            extra["s3:prefix"] = rng.choice([f"home/{user.name}/", "public/", "reports/2026/", "raw/", ""])
        cases.append(
            Case(
                user=user,
                action=action,
                resource=resource,
                resource_account=target,
                region=region,
                secure_transport=rng.random() >= 0.05,
                extra=extra,
                same_account=not cross,
            )
        )
    world.cases = cases
    return cases


def engine_inputs(world: World, case: Case) -> tuple[PolicyInputs, Request]:
    """The engine's inputs for one case, from the compiled (cached) policies."""
    user = case.user
    assert user.principal is not None
    bucket_arn = case.resource.split("/", 1)[0] if case.resource.startswith("arn:aws:s3:::") else case.resource
    resource_policy = world.compiled.get(f"resource/{bucket_arn}")
    inputs = PolicyInputs(
        identity=user.identity,
        boundary=world.compiled[f"boundary/{user.account}"] if user.boundary else None,
        scps=world.org[user.account],
        resource=resource_policy,
    )
    request = Request(
        principal=user.principal,
        action=case.action,
        resource=case.resource,
        resource_facts=ResourceFacts(case.resource_account, ORG_ID, (org_path(case.resource_account),)),
        context=normalise_context(case.extra),
        region=case.region,
        secure_transport=case.secure_transport,
    )
    return inputs, request


def prepare_engine(world: World) -> None:
    for case in world.cases:
        case.inputs, case.request = engine_inputs(world, case)


def simulation(world: World, case: Case) -> dict[str, Any]:
    """iam-simulate's ``Simulation`` for one case. It derives no context keys, so every key
    our engine derives (principal, organization, time, transport, region, resource account)
    is passed explicitly."""
    user = case.user
    context: dict[str, Any] = {
        "aws:PrincipalArn": user.arn,
        "aws:PrincipalAccount": user.account,
        "aws:PrincipalType": "User",
        "aws:PrincipalIsAWSService": "false",
        "aws:username": user.name,
        "aws:userid": f"AIDA{user.account}{user.name.upper()}"[:21],
        "aws:PrincipalOrgID": ORG_ID,
        "aws:PrincipalOrgPaths": [org_path(user.account)],
        "aws:SecureTransport": "true" if case.secure_transport else "false",
        "aws:RequestedRegion": case.region,
        "aws:ResourceAccount": case.resource_account,
        "aws:ResourceOrgID": ORG_ID,
        "aws:ResourceOrgPaths": [org_path(case.resource_account)],
    }
    for key, value in user.tags.items():
        context[f"aws:PrincipalTag/{key}"] = value
    context.update(case.extra)
    bucket_arn = case.resource.split("/", 1)[0] if case.resource.startswith("arn:aws:s3:::") else case.resource
    sim: dict[str, Any] = {
        "request": {
            "principal": user.arn,
            "action": case.action,
            "resource": {"resource": case.resource, "accountId": case.resource_account},
            "contextVariables": context,
        },
        "identityPolicies": [{"name": p, "policy": world.documents[f"{user.account}/{p}"]} for p in user.policy_names],
        "serviceControlPolicies": [
            {"orgIdentifier": f"level-{i}", "policies": [{"name": n, "policy": world.scps[n]} for n in level]}
            for i, level in enumerate(scp_chain(user.account))
        ],
        "resourceControlPolicies": [],
    }
    if user.boundary:
        sim["permissionBoundaryPolicies"] = [{"name": "boundary", "policy": world.boundaries[user.account]}]
    if bucket_arn in world.resource_docs:
        sim["resourcePolicy"] = world.resource_docs[bucket_arn]
    return sim
