"""A seeded generator of small AWS worlds and requests for the differential test.

Every case lies in the feature overlap of localiam and ``@cloud-copilot/iam-simulate``
(``README.md`` in this directory lists iam-simulate's limits): concrete resource ARNs with
exactly one resource type, actions that iam-data knows, context keys that are valid for the
action, string values only, and every global key that localiam derives passed explicitly to
the runner, so both engines look at the same request context.

A case is a plain JSON-able ``dict`` (its *spec*); :func:`engine_inputs` turns it into
localiam's ``PolicyInputs`` and ``Request``, :func:`runner_case` into the runner's CASE JSON.
Both are pure functions of the spec, so a failing case can be replayed from its JSON alone.

What a world holds: 1-3 accounts, maybe an organization (root, an OU or two, the account;
sometimes the management account), IAM users in groups (with paths and tags), roles with
sessions (tags, session policies), root users, federated users, anonymous callers and service
principals. Policies come from a vocabulary of real actions and ARNs in s3, dynamodb, sqs, kms,
lambda, iam and sts: Allow/Deny, Action/NotAction, Resource/NotResource, wildcards, every
condition operator family with ``IfExists`` and the set qualifiers, policy variables with
defaults, permissions boundaries, session policies, SCP and RCP levels, and resource policies
(including role trust policies and KMS key policies) that name users, roles, sessions,
accounts, services or ``*``, in the same account and across accounts.

Deliberately left out (outside the overlap, or undecided by AWS's documentation):
- a multivalued key under an operator without ``ForAllValues:``/``ForAnyValue:``
  (``reference_policies_condition-single-vs-multi-valued-context-keys``: "Multivalued context
  keys require a condition set operator"; what AWS does without one is not documented);
- roles with a path (iam-simulate rebuilds the role ARN from the session ARN, which drops it);
- ``aws:ResourceTag`` (iam-simulate drops it for S3 and does not know resource tags);
- wildcard resource ARNs and actions that take no resource (iam-simulate answers them per
  pattern), ACLs, VPC endpoint policies, service-linked roles.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from dataclasses import replace
from typing import Any

from localiam.engine import (
    ANONYMOUS,
    OrganizationPolicies,
    PolicyInputs,
    Principal,
    Request,
    ResourceFacts,
    compile_policy,
    normalise_context,
    principal_from_arn,
    session_principal,
)
from localiam.engine.compiled import CompiledPolicy
from localiam.engine.context import build_context
from localiam.policy import PolicyType, parse_policy

Json = dict[str, Any]

V = "2012-10-17"
ACCOUNTS = ("111111111111", "222222222222", "333333333333")
OUTSIDE_ACCOUNT = "444444444444"
MANAGEMENT_ELSEWHERE = "999999999999"
ORG_ID = "o-a1b2c3d4e5"
ORG_ROOT = "r-ab12"
OUS = ("ou-ab12-11111111", "ou-ab12-22222222")
REGIONS = ("us-east-1", "us-east-1", "eu-west-1")
USERS = ("alice", "bob", "carol")
ROLES = ("app", "deploy", "Admin")
SESSIONS = ("alice", "ci-job", "s-1")
GROUPS = ("developers", "auditors")
SERVICE_PRINCIPALS = ("lambda.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com")
TAG_VALUES = {"team": ("red", "blue"), "project": ("apollo", "zeus", "a*b"), "Cost-Center": ("12", "7")}

FULL_AWS_ACCESS: Json = {"Version": V, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL_AWS_ACCESS: Json = {
    "Version": V,
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}

# Multivalued keys (``ArrayOf...`` in the Service Authorization Reference, "multivalued" on the
# global-keys page); every other key used here is single-valued.
MULTIVALUED = frozenset(
    {
        "aws:tagkeys",
        "aws:principalorgpaths",
        "aws:resourceorgpaths",
        "aws:calledvia",
        "dynamodb:leadingkeys",
        "kms:encryptioncontextkeys",
    }
)
STRING, ARN, NUMERIC, DATE, BOOL, IP, BINARY = "String", "Arn", "Numeric", "Date", "Bool", "Ip", "Binary"
BINARY_VALUES = ("aGVsbG8=", "d29ybGQ=", "AAEC")  # base64 of b"hello", b"world", b"\x00\x01\x02"
KEY_FAMILY = {
    "aws:principalarn": ARN,
    "aws:sourcearn": ARN,
    "aws:multifactorauthage": NUMERIC,
    "s3:max-keys": NUMERIC,
    "aws:currenttime": DATE,
    "aws:tokenissuetime": DATE,
    "aws:epochtime": DATE,
    "aws:securetransport": BOOL,
    "aws:multifactorauthpresent": BOOL,
    "aws:principalisawsservice": BOOL,
    "aws:viaawsservice": BOOL,
    "aws:sourceip": IP,
    # No global key is binary; a request tag carrying base64 text stands in for one so that
    # BinaryEquals is exercised (both engines compare the decoded bytes / the text).
    "aws:requesttag/bin": BINARY,
}
# Keys a condition may name although the request lacks them (the missing-key rules).
SOMETIMES_MISSING = (
    "aws:username",
    "aws:PrincipalTag/project",
    "aws:SourceVpc",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:TokenIssueTime",
    "aws:TagKeys",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:SourceIp",
    "aws:RequestTag/env",
    "s3:prefix",
    "aws:SourceArn",
    "aws:RequestTag/bin",
)


# --------------------------------------------------------------------------- resources


def _bucket(account: str, n: int) -> str:
    return f"{('data', 'logs')[n]}-{account[:3]}"


def _target(rng: random.Random, service: str, account: str, region: str) -> tuple[str, str, Json]:
    """An action of ``service`` and a concrete ARN of the one resource type it takes there;
    plus facts the policy generators use (``kind``, sibling resources)."""
    if service == "s3":
        bucket = _bucket(account, rng.randrange(2))
        if rng.random() < 0.3:
            action = rng.choice(("s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketTagging"))
            return action, f"arn:aws:s3:::{bucket}", {"kind": "bucket", "bucket": bucket}
        key = rng.choice(("reports/2024/q1.csv", "home/alice/notes.txt", "home/bob/x.txt", "public/index.html"))
        action = rng.choice(("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging"))
        return action, f"arn:aws:s3:::{bucket}/{key}", {"kind": "object", "bucket": bucket, "key": key}
    if service == "dynamodb":
        table = rng.choice(("Orders", "Users"))
        action = rng.choice(("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"))
        return action, f"arn:aws:dynamodb:{region}:{account}:table/{table}", {"kind": "table"}
    if service == "sqs":
        queue = rng.choice(("jobs", "jobs-dlq", "events.fifo", "alice-queue", "bob-queue"))
        action = rng.choice(("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"))
        return action, f"arn:aws:sqs:{region}:{account}:{queue}", {"kind": "queue"}
    if service == "kms":
        key = rng.choice(("1234abcd-12ab-34cd-56ef-1234567890ab", "0987dcba-09fe-87dc-65ba-ab0987654321"))
        action = rng.choice(("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"))
        return action, f"arn:aws:kms:{region}:{account}:key/{key}", {"kind": "key"}
    if service == "lambda":
        fn = rng.choice(("resize", "thumbnail", "api-handler"))
        action = rng.choice(("lambda:InvokeFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration"))
        return action, f"arn:aws:lambda:{region}:{account}:function:{fn}", {"kind": "function"}
    if service == "iam":
        if rng.random() < 0.5:
            name = rng.choice(USERS)
            path = rng.choice(("", "dev/"))
            action = rng.choice(("iam:GetUser", "iam:ListAccessKeys", "iam:CreateAccessKey"))
            return action, f"arn:aws:iam::{account}:user/{path}{name}", {"kind": "user"}
        role = rng.choice(ROLES)
        action = rng.choice(("iam:GetRole", "iam:ListAttachedRolePolicies", "iam:PassRole"))
        return action, f"arn:aws:iam::{account}:role/{role}", {"kind": "role"}
    assert service == "sts"
    role = rng.choice(ROLES)
    action = rng.choice(("sts:AssumeRole", "sts:AssumeRole", "sts:TagSession"))
    return action, f"arn:aws:iam::{account}:role/{role}", {"kind": "trust"}


RESOURCE_POLICY_SERVICES = frozenset({"s3", "dynamodb", "sqs", "kms", "lambda", "sts"})
MUST_ALLOW_SERVICES = frozenset({"kms", "sts"})  # key policies and trust policies
SERVICE_WEIGHTS = {"s3": 5, "dynamodb": 2, "sqs": 2, "kms": 2, "lambda": 2, "iam": 1, "sts": 2}


def _other_actions(service: str) -> tuple[str, ...]:
    return {
        "s3": ("s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteBucket", "s3:GetObjectAcl"),
        "dynamodb": ("dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:PutItem"),
        "sqs": ("sqs:SendMessage", "sqs:PurgeQueue", "sqs:ReceiveMessage"),
        "kms": ("kms:Decrypt", "kms:Encrypt", "kms:ScheduleKeyDeletion"),
        "lambda": ("lambda:InvokeFunction", "lambda:UpdateFunctionCode", "lambda:GetFunction"),
        "iam": ("iam:GetUser", "iam:DeleteUser", "iam:GetRole", "iam:PassRole"),
        "sts": ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"),
    }[service]


# --------------------------------------------------------------------------- case


class _Gen:
    """Builds one case from one ``random.Random``."""

    def __init__(self, rng: random.Random, case_id: str) -> None:
        self.rng = rng
        self.id = case_id

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: Any) -> Any:
        return self.rng.choice(tuple(items))

    # ----------------------------------------------------------------- world
    def build(self) -> Json:
        rng = self.rng
        accounts = ACCOUNTS[: rng.choice((1, 2, 2, 3))]
        org: Json | None = None
        if self.chance(0.6):
            members = [a for a in accounts if a == accounts[0] or self.chance(0.8)]
            management = accounts[0] if self.chance(0.2) else MANAGEMENT_ELSEWHERE
            paths = {}
            for a in members:
                ous = list(OUS[: rng.choice((0, 1, 1, 2))])
                paths[a] = ous
            org = {"management": management, "ous": paths}
        self.accounts = accounts
        self.org = org

        service = rng.choices(list(SERVICE_WEIGHTS), weights=list(SERVICE_WEIGHTS.values()))[0]
        kind = rng.choices(
            ["user", "session", "root", "federated", "anonymous", "service"],
            weights=[40, 32, 9, 4, 7, 8]
            if service in RESOURCE_POLICY_SERVICES - {"sts", "kms"}
            else [45, 37, 9, 4, 0, 5],
        )[0]
        if service == "sts" and kind == "root":
            kind = "user"  # the root user cannot call AssumeRole (id_root-user)
        if service == "iam" and kind == "service":
            kind = "session"
        principal_account = self.pick(accounts)
        resource_account = principal_account if self.chance(0.6) or len(accounts) == 1 else self.pick(accounts)
        if kind in ("anonymous", "service") and self.chance(0.5):
            resource_account = self.pick(accounts)
        region = self.pick(REGIONS)
        action, resource, target = _target(rng, service, resource_account, region)
        self.service, self.action, self.resource, self.target = service, action, resource, target
        self.region = region if service not in ("s3", "iam", "sts") else "us-east-1"
        self.principal = self._principal(kind, principal_account)
        self.resource_account = resource_account
        self.context = self._context()
        spec: Json = {
            "id": self.id,
            "principal": self.principal,
            "action": self.action,
            "resource": {
                "arn": resource,
                "account": resource_account,
                "region": self.region,
                "org": self._org_of(resource_account),
            },
            "context": self.context,
        }
        self.full = full_context(spec)
        spec.update(self._policies(kind))
        return spec

    def _org_of(self, account: str) -> Json | None:
        if self.org is None or account not in self.org["ous"]:
            return None
        path = "/".join([ORG_ID, ORG_ROOT, *self.org["ous"][account]]) + "/"
        return {"id": ORG_ID, "path": path, "management": account == self.org["management"]}

    def _tags(self) -> dict[str, str]:
        return {k: self.pick(vs) for k, vs in TAG_VALUES.items() if self.chance(0.5)}

    def _principal(self, kind: str, account: str) -> Json:
        p: Json = {"kind": kind, "account": account, "org": self._org_of(account)}
        if kind == "user":
            name = self.pick(USERS)
            path = "dev/" if self.chance(0.2) else ""
            p.update(
                arn=f"arn:aws:iam::{account}:user/{path}{name}",
                name=name,
                tags=self._tags(),
                user_id=f"AIDA{account}{name.upper()}"[:21],
                groups=[g for g in GROUPS if self.chance(0.4)],
            )
        elif kind == "session":
            role = self.pick(ROLES)
            p.update(
                role_arn=f"arn:aws:iam::{account}:role/{role}",
                session_name=self.pick(SESSIONS),
                tags=self._tags(),
                role_id=f"AROA{account}{role.upper()}"[:21],
            )
            p["arn"] = f"arn:aws:sts::{account}:assumed-role/{role}/{p['session_name']}"
        elif kind == "root":
            p["arn"] = f"arn:aws:iam::{account}:root"
        elif kind == "federated":
            p["arn"] = f"arn:aws:sts::{account}:federated-user/{self.pick(USERS)}"
        elif kind == "anonymous":
            p.update(arn="anonymous", account=None, org=None)
        else:
            p.update(arn=self.pick(SERVICE_PRINCIPALS), account=None, org=None)
        return p

    # ----------------------------------------------------------------- context
    def _context(self) -> Json:
        """Caller-supplied keys (they also override derived ones). Time is fixed per case so
        that both engines see the same ``aws:CurrentTime``."""
        rng = self.rng
        moment = dt.datetime(2023, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
        self.now = moment
        ctx: Json = {
            "aws:CurrentTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(moment.timestamp())),
        }
        kind = self.principal["kind"]
        if self.chance(0.75):
            ctx["aws:SourceIp"] = self.pick(("203.0.113.9", "198.51.100.20", "10.1.2.3", "2001:db8::5", "192.0.2.200"))
        if self.chance(0.15):
            ctx["aws:SecureTransport"] = "false"
        if kind in ("user", "session", "federated") and self.chance(0.35):
            present = self.chance(0.6)
            ctx["aws:MultiFactorAuthPresent"] = "true" if present else "false"
            if present:
                ctx["aws:MultiFactorAuthAge"] = str(self.pick((30, 600, 3600, 86400)))
        if kind in ("session", "federated") and self.chance(0.6):
            issued = moment - dt.timedelta(seconds=rng.randrange(60, 7200))
            ctx["aws:TokenIssueTime"] = issued.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.chance(0.25):
            ctx["aws:TagKeys"] = rng.sample(["env", "team", "owner", "cost"], rng.choice((0, 1, 1, 2, 3)))
            for k in ctx["aws:TagKeys"]:
                if k == "env":
                    ctx["aws:RequestTag/env"] = self.pick(("prod", "dev"))
        if self.chance(0.12):
            ctx["aws:RequestTag/bin"] = self.pick(BINARY_VALUES)
        if self.chance(0.1):
            ctx["aws:CalledVia"] = rng.sample(
                ["cloudformation.amazonaws.com", "athena.amazonaws.com"], rng.choice((1, 2))
            )
        if self.chance(0.2):
            ctx["aws:SourceVpc"] = self.pick(("vpc-1111", "vpc-2222"))
        if kind == "service" and self.chance(0.7):
            source = self.pick(self.accounts)
            ctx["aws:SourceAccount"] = source
            ctx["aws:SourceArn"] = f"arn:aws:s3:::{_bucket(source, 0)}"
        if self.chance(0.1):
            ctx["aws:ViaAWSService"] = "false"
        if self.action == "s3:ListBucket":
            if self.chance(0.7):
                ctx["s3:prefix"] = self.pick(("home/alice/", "home/bob/", "reports/", "", "public/"))
            if self.chance(0.4):
                ctx["s3:max-keys"] = str(self.pick((10, 100, 1000)))
            if self.chance(0.3):
                ctx["s3:delimiter"] = "/"
        if self.service == "dynamodb" and self.chance(0.5):
            ctx["dynamodb:LeadingKeys"] = rng.sample(["alice", "bob", "AIDA1"], rng.choice((1, 1, 2)))
        if self.service == "kms" and self.action != "kms:DescribeKey" and self.chance(0.4):
            ctx["kms:EncryptionContextKeys"] = rng.sample(["Department", "Project"], rng.choice((1, 2)))
        if self.service == "kms" and self.principal["account"] and self.chance(0.5):
            ctx["kms:CallerAccount"] = self.principal["account"]
        return ctx

    # ----------------------------------------------------------------- policies
    def _policies(self, kind: str) -> Json:
        out: Json = {
            "identity_policies": [],
            "permissions_boundary": None,
            "session_policy": None,
            "scps": None,
            "rcps": None,
            "resource_policy": None,
            "resource_must_allow": self.service in MUST_ALLOW_SERVICES,
        }
        if kind == "user":
            out["identity_policies"] = [
                {"name": f"user-{i}", "document": self.policy("identity")} for i in range(self.pick((0, 1, 1, 2)))
            ]
            for g in self.principal["groups"]:
                out["identity_policies"] += [
                    {"name": f"{g}-{i}", "document": self.policy("identity")} for i in range(self.pick((1, 1, 2)))
                ]
        elif kind in ("session", "federated"):
            out["identity_policies"] = [
                {"name": f"role-{i}", "document": self.policy("identity")} for i in range(self.pick((0, 1, 1, 2, 3)))
            ]
        if kind in ("user", "session") and self.chance(0.25):
            out["permissions_boundary"] = {"name": "boundary", "document": self.policy("boundary")}
        if kind == "federated" or (kind == "session" and self.chance(0.35)):
            out["session_policy"] = self.policy("session")
        porg = self.principal["org"]
        if porg is not None and kind in ("user", "session", "root", "federated"):
            out["scps"] = {"management": porg["management"], "levels": self._org_levels("scp", porg["path"])}
        rorg = self._org_of(self.resource_account)
        if rorg is not None and self.chance(0.7):
            out["rcps"] = {"management": rorg["management"], "levels": self._org_levels("rcp", rorg["path"])}
        if self.service in MUST_ALLOW_SERVICES or (self.service in RESOURCE_POLICY_SERVICES and self.chance(0.6)):
            out["resource_policy"] = self.policy("trust" if self.target["kind"] == "trust" else "resource")
        return out

    def _org_levels(self, which: str, path: str) -> list[list[Json]]:
        levels = []
        for i in range(path.count("/")):  # the root, each OU, the account
            level: list[Json] = []
            if which == "scp":
                if self.chance(0.95):
                    level.append({"name": "FullAWSAccess", "document": FULL_AWS_ACCESS})
                if self.chance(0.25) or not level:
                    level.append({"name": f"scp-{i}", "document": self.policy("scp")})
            else:
                level.append({"name": "RCPFullAWSAccess", "document": RCP_FULL_AWS_ACCESS})
                if self.chance(0.3):
                    level.append({"name": f"rcp-{i}", "document": self.policy("rcp")})
            levels.append(level)
        return levels

    def policy(self, kind: str) -> Json:
        n = self.pick((1, 1, 2, 2, 3)) if kind not in ("rcp",) else self.pick((1, 1, 2))
        return {"Version": V, "Statement": [self.statement(kind, i) for i in range(n)]}

    def statement(self, kind: str, index: int) -> Json:
        if kind == "rcp":
            deny = True
        elif kind == "scp":
            deny = self.chance(0.55)
        elif kind in ("resource", "trust"):
            deny = self.chance(0.2)
        else:
            deny = self.chance(0.22)
        stmt: Json = {"Effect": "Deny" if deny else "Allow"}
        if self.chance(0.3):
            stmt["Sid"] = f"S{index}{self.pick(('', 'Allow', 'x'))}"
        if kind in ("resource", "trust"):
            if deny and kind == "resource" and self.chance(0.25):
                stmt["NotPrincipal"] = self.principal_element(not_principal=True)
            else:
                stmt["Principal"] = self.principal_element()
        elif kind == "rcp":
            stmt["Principal"] = "*"
        stmt.update(self.action_element(kind))
        if kind != "trust":
            stmt.update(self.resource_element(kind))
        conditions = self.conditions(kind)
        if conditions:
            stmt["Condition"] = conditions
        return stmt

    # ----------------------------------------------------------------- elements
    def action_element(self, kind: str) -> Json:
        a = self.action
        service, name = a.split(":")
        others = [x for x in _other_actions(service) if x.lower() != a.lower()]
        if kind == "rcp":
            choices = [a, f"{service}:*", f"{service}:{name[:3]}*", self.pick(others)]
            return {"Action": self.pick(choices)}
        if kind == "trust":
            return {"Action": self.pick((a, "sts:*", ["sts:AssumeRole", "sts:TagSession"], "sts:Assume*"))}
        relevant = [
            a,
            a,
            f"{service}:*",
            "*",
            f"{service}:{name[:3]}*",
            f"{service.upper()}:{name.lower()}",
            f"{service}:*{name[-4:]}",
            f"{service}:{name[0]}?{name[2:]}",
        ]
        if self.chance(0.12):
            # NotAction: listing something else applies, listing this action does not.
            listed = self.pick(others) if self.chance(0.6) else self.pick((a, f"{service}:*"))
            return {"NotAction": [listed] if self.chance(0.5) else listed}
        if self.chance(0.75):
            value: Any = self.pick(relevant)
        else:
            value = self.pick(others)
        if self.chance(0.25):
            value = [value, self.pick(others)]
        return {"Action": value}

    def resource_element(self, kind: str) -> Json:
        r = self.resource
        account, region = self.resource_account, self.region
        relevant = [r, r, "*", self._prefix_wildcard(r), self._qmark(r), self._variable_resource()]
        if self.target["kind"] == "object":
            b = self.target["bucket"]
            relevant += [
                f"arn:aws:s3:::{b}/*",
                f"arn:aws:s3:::{b}/home/${{aws:username}}/*",
                f"arn:aws:s3:::*/{self.target['key']}",
            ]
        if self.target["kind"] in ("table", "queue", "key", "function"):
            relevant += [r.replace(f":{region}:", ":*:"), r.replace(f":{account}:", ":*:")]
        others = self._other_resources()
        if self.chance(0.1) and kind != "rcp":
            listed = self.pick(others) if self.chance(0.6) else self.pick(relevant)
            return {"NotResource": listed}
        value: Any = self.pick(relevant) if self.chance(0.8) else self.pick(others)
        if self.chance(0.2):
            value = [value, self.pick(others)]
        return {"Resource": value}

    def _prefix_wildcard(self, r: str) -> str:
        cut = self.rng.randrange(len("arn:aws:"), len(r))
        return r[:cut] + "*"

    def _qmark(self, r: str) -> str:
        i = self.rng.randrange(len(r) - 6, len(r))
        return r[:i] + "?" + r[i + 1 :]

    def _variable_resource(self) -> str:
        r = self.resource
        k = self.target["kind"]
        if k == "object":
            return f"arn:aws:s3:::{self.target['bucket']}/home/${{aws:username}}/*"
        if k == "table":
            return r.rsplit("/", 1)[0] + "/${aws:PrincipalTag/team, 'Orders'}"
        if k == "user":
            return r.rsplit("/", 1)[0] + "/${aws:username}"
        # "You can use a policy variable in the Resource element, but only in the resource
        # portion of the ARN" (reference_policies_variables): never before the fifth colon.
        if k in ("role", "trust"):
            return r.rsplit("/", 1)[0] + "/${aws:PrincipalTag/team, '" + r.rsplit("/", 1)[1] + "'}"
        if k == "function":
            return r.rsplit(":", 1)[0] + ":${aws:PrincipalTag/project}*"
        if k == "queue":
            # The shape of the page's own example: arn:aws:sqs:us-east-2:*:${aws:username}-queue
            return r.rsplit(":", 2)[0] + ":*:${aws:username}" + self.pick(("-queue", "*", "-dlq"))
        if k == "bucket":
            return "arn:aws:s3:::${aws:PrincipalTag/team}-*"
        return r

    def _other_resources(self) -> list[str]:
        r = self.resource
        other_account = self.pick([a for a in (*self.accounts, OUTSIDE_ACCOUNT) if a != self.resource_account])
        out = [r.replace(self.resource_account, other_account) if self.resource_account in r else r + "-old"]
        k = self.target["kind"]
        if k == "object":
            out += [f"arn:aws:s3:::{self.target['bucket']}", f"arn:aws:s3:::{self.target['bucket']}/private/*"]
        elif k == "bucket":
            out += [f"arn:aws:s3:::{self.target['bucket']}/*", "arn:aws:s3:::other-bucket"]
        else:
            out += [r[:-1] + ("x" if r[-1] != "x" else "y")]
        return out

    def principal_element(self, not_principal: bool = False) -> Any:
        p = self.principal
        acct = p["account"] or self.resource_account
        ra = self.resource_account
        options: list[Any] = []
        if p["kind"] == "user":
            options += [p["arn"], p["arn"], f"arn:aws:iam::{acct}:user/{'bob' if 'alice' in p['arn'] else 'alice'}"]
        elif p["kind"] == "session":
            options += [p["arn"], p["role_arn"], p["role_arn"], f"arn:aws:iam::{acct}:role/other"]
            if not_principal:
                options += [[p["arn"], p["role_arn"]], [p["arn"], p["role_arn"], f"arn:aws:iam::{acct}:root"]]
        elif p["kind"] in ("root", "federated"):
            options += [p["arn"], p["arn"]]
        elif p["kind"] == "service":
            return {"Service": self.pick([p["arn"], p["arn"], "sns.amazonaws.com"])} if not self.chance(0.2) else "*"
        elif p["kind"] == "anonymous":
            return self.pick(("*", "*", {"AWS": "*"}, {"AWS": f"arn:aws:iam::{ra}:root"}))
        options += [
            acct,
            f"arn:aws:iam::{acct}:root",
            f"arn:aws:iam::{ra}:root",
            f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root",
        ]
        if not not_principal:
            options += ["*", {"AWS": "*"}]
        if p["kind"] == "user" and not_principal:
            options += [[p["arn"], f"arn:aws:iam::{acct}:root"]]
        chosen = self.pick(options)
        if isinstance(chosen, str) and chosen != "*" and self.chance(0.2):
            chosen = [chosen, self.pick([*options[:1], f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"])]
        if chosen == "*" or isinstance(chosen, dict):
            return chosen
        if self.target["kind"] == "trust" and self.chance(0.2) and p["kind"] != "session":
            return {"AWS": chosen, "Service": "lambda.amazonaws.com"}
        return {"AWS": chosen}

    # ----------------------------------------------------------------- conditions
    def conditions(self, kind: str) -> Json:
        p = {"rcp": 0.7, "scp": 0.45}.get(kind, 0.35)
        if not self.chance(p):
            return {}
        block: Json = {}
        for _ in range(self.pick((1, 1, 1, 2))):
            operator, key, values = self.condition(kind)
            entry = block.setdefault(operator, {})
            if key in entry:
                continue
            entry[key] = values[0] if len(values) == 1 and self.chance(0.6) else values
        return block

    def condition(self, kind: str) -> tuple[str, str, list[str]]:
        if kind == "rcp" and self.chance(0.5):
            return self.pick(
                (
                    ("StringNotEqualsIfExists", "aws:PrincipalOrgID", [ORG_ID]),
                    ("StringNotEquals", "aws:PrincipalAccount", list(self.accounts[:2])),
                    ("BoolIfExists", "aws:SecureTransport", ["false"]),
                    ("StringNotEqualsIfExists", "aws:ResourceAccount", ["${aws:PrincipalAccount}"]),
                    ("Bool", "aws:PrincipalIsAWSService", ["false"]),
                )
            )
        present = [k for k in self.full if k not in ("aws:principalisawsservice",) or self.chance(0.1)]
        if self.chance(0.75) and present:
            key = self.pick(present)
            values = self.full[key]
        else:
            key = self.pick(SOMETIMES_MISSING).lower()
            values = self.full.get(key, ())
        family = KEY_FAMILY.get(key, STRING)
        if key == "aws:epochtime" and self.chance(0.5):
            family = NUMERIC
        if key in ("aws:principalarn", "aws:sourcearn") and self.chance(0.3):
            family = STRING
        spelled = self._spell(key)
        if self.chance(0.08):
            return "Null", spelled, [self.pick(("true", "false"))]
        operator, policy_values = {
            STRING: self._string,
            ARN: self._arn,
            NUMERIC: self._numeric,
            DATE: self._date,
            BOOL: self._bool,
            IP: self._ip,
            BINARY: self._binary,
        }[family](key, values)
        if key in MULTIVALUED:
            operator = self.pick(("ForAllValues:", "ForAnyValue:", "ForAnyValue:")) + operator
        elif self.chance(0.04):
            operator = "ForAnyValue:" + operator
        if self.chance(0.2):
            operator += "IfExists"
        return operator, spelled, policy_values

    def _spell(self, key: str) -> str:
        """Condition keys are case-insensitive; write them as AWS's docs do, sometimes not."""
        canonical = {
            "aws:username": "aws:username",
            "aws:userid": "aws:userid",
            "aws:principalarn": "aws:PrincipalArn",
            "aws:principalaccount": "aws:PrincipalAccount",
            "aws:resourceaccount": "aws:ResourceAccount",
            "aws:principaltype": "aws:PrincipalType",
            "aws:principalorgid": "aws:PrincipalOrgID",
            "aws:principalorgpaths": "aws:PrincipalOrgPaths",
            "aws:resourceorgid": "aws:ResourceOrgID",
            "aws:resourceorgpaths": "aws:ResourceOrgPaths",
            "aws:sourceip": "aws:SourceIp",
            "aws:currenttime": "aws:CurrentTime",
            "aws:epochtime": "aws:EpochTime",
            "aws:tokenissuetime": "aws:TokenIssueTime",
            "aws:securetransport": "aws:SecureTransport",
            "aws:multifactorauthpresent": "aws:MultiFactorAuthPresent",
            "aws:multifactorauthage": "aws:MultiFactorAuthAge",
            "aws:requestedregion": "aws:RequestedRegion",
            "aws:tagkeys": "aws:TagKeys",
            "aws:calledvia": "aws:CalledVia",
        }
        name = canonical.get(key)
        if name is None:
            if key.startswith("aws:principaltag/"):
                name = "aws:PrincipalTag/" + key.split("/", 1)[1]
            elif key.startswith("aws:requesttag/"):
                name = "aws:RequestTag/" + key.split("/", 1)[1]
            else:
                name = key
        return name.upper() if self.chance(0.03) else name

    def _string(self, key: str, values: tuple[str, ...]) -> tuple[str, list[str]]:
        v = self.pick(values) if values else self.pick(("alice", "red", "prod", "x"))
        other = self.pick(("bob", "blue", "dev", "zzz", v + "x", v[:-1] if v else "a"))
        op = self.pick(
            (
                "StringEquals",
                "StringEquals",
                "StringNotEquals",
                "StringEqualsIgnoreCase",
                "StringNotEqualsIgnoreCase",
                "StringLike",
                "StringLike",
                "StringNotLike",
            )
        )
        if "Like" in op:
            candidates = [v[: len(v) // 2] + "*", "*" + v[len(v) // 2 :], "*", other + "*"]
            if v:
                i = self.rng.randrange(len(v))
                candidates.append(v[:i] + "?" + v[i + 1 :])
            candidates += self._variable_values(key)
            chosen = [self.pick(candidates)]
        elif "IgnoreCase" in op:
            chosen = [self.pick((v.swapcase(), v.upper(), other))]
        else:
            chosen = [self.pick([v, v, other, v.upper(), *self._variable_values(key)])]
        if self.chance(0.3):
            chosen.append(other)
        return op, chosen

    def _variable_values(self, key: str) -> list[str]:
        """Values that hold policy variables (String and ARN operators substitute them)."""
        if key == "s3:prefix":
            return ["home/${aws:username}/*", "home/${aws:username}/", "${aws:PrincipalTag/team, 'public'}/*"]
        if key.startswith("aws:principaltag/") or key.startswith("aws:requesttag/"):
            return ["${aws:PrincipalTag/team}", "${aws:PrincipalTag/project, 'apollo'}"]
        if key == "aws:resourceaccount":
            return ["${aws:PrincipalAccount}"]
        if key in ("aws:username", "dynamodb:leadingkeys"):
            return ["${aws:username}", "${aws:userid}"]
        if key == "aws:principalarn":
            return ["arn:aws:iam::${aws:ResourceAccount}:*"]
        return ["${aws:username, 'nobody'}"]

    def _arn(self, key: str, values: tuple[str, ...]) -> tuple[str, list[str]]:
        v = self.pick(values) if values else f"arn:aws:iam::{ACCOUNTS[0]}:user/alice"
        parts = v.split(":", 5)
        acct = parts[4] if len(parts) == 6 else ACCOUNTS[0]
        candidates = [
            v,
            ":".join([*parts[:4], "*", parts[5]]) if len(parts) == 6 else v,
            f"arn:aws:iam::{acct}:*",
            f"arn:aws:iam::{acct}:role/*",
            "arn:aws:iam::*:user/*",
            f"arn:aws:*:*:{acct}:*",
            f"arn:aws:iam::{OUTSIDE_ACCOUNT}:*",
            "arn:aws:iam::${aws:PrincipalAccount}:*",
            "arn:aws:iam::${aws:ResourceAccount}:role/*",
            f"arn:aws:s3:::{_bucket(acct, 0)}",
        ]
        op = self.pick(("ArnEquals", "ArnLike", "ArnLike", "ArnNotEquals", "ArnNotLike"))
        return op, [self.pick(candidates)]

    def _numeric(self, key: str, values: tuple[str, ...]) -> tuple[str, list[str]]:
        v = int(self.pick(values)) if values else 100
        op = "Numeric" + self.pick(
            ("Equals", "NotEquals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals")
        )
        bound = v + self.pick((0, 0, 1, -1, 1000, -1000, 3600))
        text = str(bound)
        if self.chance(0.1):
            text += ".0"
        return op, [text]

    def _date(self, key: str, values: tuple[str, ...]) -> tuple[str, list[str]]:
        op = "Date" + self.pick(
            ("Equals", "NotEquals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals")
        )
        base = self.now
        if values and key != "aws:epochtime":
            base = dt.datetime.strptime(values[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        moment = base + dt.timedelta(seconds=self.pick((0, 0, 1, -1, 86400, -86400, 40 * 86400, -400 * 86400)))
        style = self.pick(("iso", "iso", "epoch", "day", "offset", "millis"))
        if style == "iso":
            text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif style == "epoch":
            text = str(int(moment.timestamp()))
        elif style == "day":
            text = moment.strftime("%Y-%m-%d")
        elif style == "offset":
            text = (moment.astimezone(dt.timezone(dt.timedelta(hours=2)))).strftime("%Y-%m-%dT%H:%M:%S+02:00")
        else:
            text = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return op, [text]

    def _bool(self, key: str, values: tuple[str, ...]) -> tuple[str, list[str]]:
        return "Bool", [self.pick(("true", "false"))]

    def _binary(self, key: str, values: tuple[str, ...]) -> tuple[str, list[str]]:
        return "BinaryEquals", [self.pick(BINARY_VALUES)]

    def _ip(self, key: str, values: tuple[str, ...]) -> tuple[str, list[str]]:
        op = self.pick(("IpAddress", "IpAddress", "NotIpAddress"))
        nets = [
            "203.0.113.0/24",
            "198.51.100.20/32",
            "198.51.100.20",
            "10.0.0.0/8",
            "2001:db8::/32",
            "0.0.0.0/0",
            "192.0.2.128/25",
        ]
        chosen = [self.pick(nets)]
        if self.chance(0.3):
            chosen.append(self.pick(nets))
        return op, chosen


def generate(seed: int, count: int) -> list[Json]:
    """``count`` cases; case ``i`` depends only on ``(seed, i)``."""
    return [generate_one(seed, i) for i in range(count)]


def generate_one(seed: int, index: int) -> Json:
    return _Gen(random.Random(f"localiam-differential/{seed}/{index}"), f"{seed}-{index}").build()


# --------------------------------------------------------------------------- localiam inputs


def principal_of(spec: Json) -> Principal:
    p = spec["principal"]
    kind = p["kind"]
    if kind == "anonymous":
        return ANONYMOUS
    if kind == "service":
        return principal_from_arn(p["arn"])
    if kind == "session":
        principal = session_principal(p["role_arn"], p["session_name"], tags=p["tags"], role_id=p["role_id"])
    elif kind == "user":
        principal = principal_from_arn(p["arn"], tags=p["tags"], user_id=p["user_id"])
    else:
        principal = principal_from_arn(p["arn"])
    org = p.get("org")
    if org is not None:
        principal = replace(principal, organization_id=org["id"], organization_paths=(org["path"],))
    return principal


def resource_facts_of(spec: Json) -> ResourceFacts:
    r = spec["resource"]
    org = r.get("org")
    if org is None:
        return ResourceFacts(r["account"])
    return ResourceFacts(r["account"], org["id"], (org["path"],))


def full_context(spec: Json) -> dict[str, tuple[str, ...]]:
    """The request context localiam evaluates: derived keys plus the case's own."""
    return build_context(
        principal_of(spec).context,
        resource_facts_of(spec),
        normalise_context(spec["context"]),
        region=spec["resource"]["region"],
    )


def _compile(name: str, document: Json, policy_type: PolicyType) -> CompiledPolicy:
    result = parse_policy(document)
    errors = [f for f in result.findings if f.severity.value == "error"]
    if result.value is None or errors:
        raise ValueError(f"generated an invalid {policy_type.value} policy {name}: {errors}")
    return compile_policy(name, result.value, policy_type)


def _org(block: Json | None, policy_type: PolicyType) -> OrganizationPolicies | None:
    if block is None:
        return None
    levels = tuple(tuple(_compile(p["name"], p["document"], policy_type) for p in level) for level in block["levels"])
    return OrganizationPolicies(levels, management_account=block["management"])


def engine_inputs(spec: Json) -> tuple[PolicyInputs, Request]:
    """localiam's inputs for ``spec``, built directly with :mod:`localiam.engine`."""
    resource_type = PolicyType.TRUST if spec["resource"]["arn"].startswith("arn:aws:iam:") else PolicyType.RESOURCE
    boundary = spec["permissions_boundary"]
    inputs = PolicyInputs(
        identity=tuple(_compile(p["name"], p["document"], PolicyType.IDENTITY) for p in spec["identity_policies"]),
        boundary=_compile(boundary["name"], boundary["document"], PolicyType.BOUNDARY) if boundary else None,
        session=(_compile("session", spec["session_policy"], PolicyType.SESSION),) if spec["session_policy"] else (),
        scps=_org(spec["scps"], PolicyType.SCP),
        rcps=_org(spec["rcps"], PolicyType.RCP),
        resource=_compile("resource", spec["resource_policy"], resource_type) if spec["resource_policy"] else None,
        resource_must_allow=spec["resource_must_allow"],
    )
    request = Request(
        principal=principal_of(spec),
        action=spec["action"],
        resource=spec["resource"]["arn"],
        resource_facts=resource_facts_of(spec),
        context=normalise_context(spec["context"]),
        region=spec["resource"]["region"],
    )
    return inputs, request


# --------------------------------------------------------------------------- runner case


# How AWS spells the keys localiam derives (our context stores names lower-cased).
DERIVED_SPELLING = {
    name.lower(): name
    for name in (
        "aws:PrincipalType",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalServiceName",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:username",
        "aws:userid",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:SecureTransport",
        "aws:RequestedRegion",
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
    )
}


def _runner_context(spec: Json, context: dict[str, tuple[str, ...]]) -> Json:
    """Every key spelled as AWS spells it (iam-simulate looks policy variables up by their exact
    spelling), a list for multivalued keys and a string otherwise."""
    spelling = dict(DERIVED_SPELLING)
    for tag in spec["principal"].get("tags", {}):
        spelling[f"aws:principaltag/{tag.lower()}"] = f"aws:PrincipalTag/{tag}"
    spelling.update({k.lower(): k for k in spec["context"]})
    return {spelling.get(k, k): list(v) if k in MULTIVALUED else (v[0] if v else None) for k, v in context.items()}


def runner_case(spec: Json) -> Json:
    """The runner's CASE JSON for ``spec``: the same policies and the same (full) context.

    Whether SCPs and RCPs apply is decided here, as AWS decides it (iam-simulate applies what
    it is given): never in the management account (``orgs_manage_policies_scps``,
    ``orgs_manage_policies_rcps``), SCPs never for service principals or anonymous callers.
    RCPFullAWSAccess is passed as is; the runner drops it (iam-simulate adds its own).
    """
    p = spec["principal"]
    principal: Any = {"type": "Anonymous"} if p["kind"] == "anonymous" else p["arn"]
    scps = spec["scps"]
    rcps = spec["rcps"]
    return {
        "id": spec["id"],
        "principal": principal,
        "action": spec["action"],
        "resource": {"arn": spec["resource"]["arn"], "account": spec["resource"]["account"]},
        "context": _runner_context(spec, full_context(spec)),
        "identity_policies": copy.deepcopy(spec["identity_policies"]),
        "permissions_boundary": copy.deepcopy(spec["permissions_boundary"]),
        "session_policy": copy.deepcopy(spec["session_policy"]),
        "scps": copy.deepcopy(scps["levels"]) if scps and not scps["management"] else None,
        "rcps": copy.deepcopy(rcps["levels"]) if rcps and not rcps["management"] else None,
        "resource_policy": copy.deepcopy(spec["resource_policy"]),
    }
