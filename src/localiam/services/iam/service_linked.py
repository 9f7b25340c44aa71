"""Service-linked roles: ``CreateServiceLinkedRole``, ``DeleteServiceLinkedRole`` and
``GetServiceLinkedRoleDeletionStatus`` (IAM API Reference; IAM User Guide
``using-service-linked-roles`` and ``reference_aws-services-that-work-with-iam``).

A service-linked role has the name AWS gives it for its service and lives under the path
``/aws-service-role/SERVICE/`` (``arn:aws:iam::ACCOUNT:role/aws-service-role/
autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling``); its trust policy lets that service
principal assume it. Only the services that take a ``CustomSuffix`` accept one (the name is then
``NAME_SUFFIX``); others answer "Custom suffix is not allowed for es.amazonaws.com". A second
role of the same name answers "Service role name AWSServiceRoleForECS has been taken in this
account, please try a different suffix." (both ``InvalidInput``, AWS's observed wording).
Nobody but the service may change the role (``UnmodifiableEntity``: "Cannot perform the
operation on the protected role 'NAME' - this role is only modifiable by AWS"; ``roles.py``).

Deletion is immediate here (no AWS resource uses the role), so the task reports
``SUCCEEDED`` at once; its id has AWS's form ``task/aws-service-role/SERVICE/NAME/UUID``
(``API_DeleteServiceLinkedRole``).

A service not in :data:`ROLE_NAMES` but named ``*.amazonaws.com`` gets
``AWSServiceRoleFor`` + its first label capitalised: AWS's own table is per service and
longer than this one.
"""

from __future__ import annotations

import json
import uuid

from localiam.errors import client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import (
    DESCRIPTION,
    SERVICE,
    Rule,
    invalid_input,
    new_id,
    no_such_entity,
    validate,
)
from localiam.services.iam.entities import get, role_shape
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

ROLE_NAMES: dict[str, tuple[str, bool]] = {
    "autoscaling.amazonaws.com": ("AWSServiceRoleForAutoScaling", True),
    "elasticloadbalancing.amazonaws.com": ("AWSServiceRoleForElasticLoadBalancing", False),
    "ecs.amazonaws.com": ("AWSServiceRoleForECS", False),
    "eks.amazonaws.com": ("AWSServiceRoleForAmazonEKS", False),
    "eks-nodegroup.amazonaws.com": ("AWSServiceRoleForAmazonEKSNodegroup", False),
    "eks-fargate.amazonaws.com": ("AWSServiceRoleForAmazonEKSForFargate", False),
    "rds.amazonaws.com": ("AWSServiceRoleForRDS", False),
    "spot.amazonaws.com": ("AWSServiceRoleForEC2Spot", False),
    "spotfleet.amazonaws.com": ("AWSServiceRoleForEC2SpotFleet", False),
    "organizations.amazonaws.com": ("AWSServiceRoleForOrganizations", False),
    "elasticache.amazonaws.com": ("AWSServiceRoleForElastiCache", False),
    "es.amazonaws.com": ("AWSServiceRoleForAmazonElasticsearchService", False),
    "opensearchservice.amazonaws.com": ("AWSServiceRoleForAmazonOpenSearchService", False),
    "replicator.lambda.amazonaws.com": ("AWSServiceRoleForLambdaReplicator", False),
    "config.amazonaws.com": ("AWSServiceRoleForConfig", False),
    "guardduty.amazonaws.com": ("AWSServiceRoleForAmazonGuardDuty", False),
    "securityhub.amazonaws.com": ("AWSServiceRoleForSecurityHub", False),
    "support.amazonaws.com": ("AWSServiceRoleForSupport", False),
    "trustedadvisor.amazonaws.com": ("AWSServiceRoleForTrustedAdvisor", False),
    "cloudtrail.amazonaws.com": ("AWSServiceRoleForCloudTrail", False),
    "sso.amazonaws.com": ("AWSServiceRoleForSSO", False),
    "access-analyzer.amazonaws.com": ("AWSServiceRoleForAccessAnalyzer", False),
    "elasticbeanstalk.amazonaws.com": ("AWSServiceRoleForElasticBeanstalk", True),
    "ssm.amazonaws.com": ("AWSServiceRoleForAmazonSSM", False),
    "ops.apigateway.amazonaws.com": ("AWSServiceRoleForAPIGateway", False),
    "kafka.amazonaws.com": ("AWSServiceRoleForKafka", False),
    "redshift.amazonaws.com": ("AWSServiceRoleForRedshift", False),
    "batch.amazonaws.com": ("AWSServiceRoleForBatch", False),
    "backup.amazonaws.com": ("AWSServiceRoleForBackup", False),
    "mq.amazonaws.com": ("AWSServiceRoleForAmazonMQ", False),
    "elasticfilesystem.amazonaws.com": ("AWSServiceRoleForAmazonElasticFileSystem", False),
    "dax.amazonaws.com": ("AWSServiceRoleForDAX", False),
    "replication.dynamodb.amazonaws.com": ("AWSServiceRoleForDynamoDBReplication", False),
    "transitgateway.amazonaws.com": ("AWSServiceRoleForVPCTransitGateway", False),
    "globalaccelerator.amazonaws.com": ("AWSServiceRoleForGlobalAccelerator", False),
    "fsx.amazonaws.com": ("AWSServiceRoleForAmazonFSx", False),
    "inspector2.amazonaws.com": ("AWSServiceRoleForAmazonInspector2", False),
    "ecs.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_ECSService", False),
    "dynamodb.application-autoscaling.amazonaws.com": (
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
        False,
    ),
    "ec2.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest", False),
    "rds.application-autoscaling.amazonaws.com": ("AWSServiceRoleForApplicationAutoScaling_RDSCluster", False),
    "lambda.application-autoscaling.amazonaws.com": (
        "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency",
        False,
    ),
    "custom-resource.application-autoscaling.amazonaws.com": (
        "AWSServiceRoleForApplicationAutoScaling_CustomResource",
        True,
    ),
}
"""Service principal → (role name, whether ``CustomSuffix`` is accepted), from each service's
"Using service-linked roles" page."""

SERVICE_RULE = Rule("AWSServiceName", True, None, 1, None)
SUFFIX_RULE = Rule("CustomSuffix", False, None, 1, 64)
DELETION_KIND = "slr-deletion"


def role_name_for(service: str, suffix: str | None) -> str:
    known = ROLE_NAMES.get(service)
    if known is None:
        if not service.endswith(".amazonaws.com") or not service[: -len(".amazonaws.com")]:
            raise invalid_input(f"Unknown service name {service}.")
        first = service.split(".")[0]
        known = ("AWSServiceRoleFor" + "".join(p[:1].upper() + p[1:] for p in first.split("-")), True)
    name, takes_suffix = known
    if suffix:
        if not takes_suffix:
            raise invalid_input(f"Custom suffix is not allowed for {service}")
        name = f"{name}_{suffix}"
    return name


def service_linked_arn(ctx: OperationContext, params: Params) -> str:
    """The ARN of the role that would be created: what ``iam:CreateServiceLinkedRole`` is
    authorized on (``iam:AWSServiceName`` is the request's service)."""
    service = str(params.get("AWSServiceName") or "")
    name = ROLE_NAMES.get(service, ("*", True))[0]
    return f"arn:aws:iam::{ctx.account_id}:role/aws-service-role/{service}/{name}"


def _service_key(_ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    service = params.get("AWSServiceName")
    return {"iam:AWSServiceName": str(service)} if service else {}


def unmodifiable(row: Row) -> None:
    """Refuse a change to a service-linked role as IAM does."""
    if row.get("service_linked"):
        raise client_error(
            "UnmodifiableEntity",
            f"Cannot perform the operation on the protected role '{row['name']}' - this role is only modifiable by AWS",
            400,
        )


@SERVICE.operation(
    "CreateServiceLinkedRole",
    action="iam:CreateServiceLinkedRole",
    resource=service_linked_arn,
    condition_keys=_service_key,
    writes=True,
)
def create_service_linked_role(ctx: OperationContext, params: Params) -> Result:
    validate(params, SERVICE_RULE, Rule("Description", False, DESCRIPTION, None, 1000), SUFFIX_RULE)
    service = str(params["AWSServiceName"])
    name = role_name_for(service, params.get("CustomSuffix"))
    if iam_store.one(ctx.tx, schema.roles, account_id=ctx.account_id, name_key=name.lower()) is not None:
        raise invalid_input(f"Service role name {name} has been taken in this account, please try a different suffix.")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    iam_store.add(
        ctx.tx,
        schema.roles,
        account_id=ctx.account_id,
        name_key=name.lower(),
        name=name,
        role_id=new_id("AROA"),
        path=f"/aws-service-role/{service}/",
        trust_policy=json.dumps(trust),
        description=params.get("Description"),
        max_session_duration=3600,
        boundary_arn=None,
        service_linked=True,
        created_at=ctx.now,
    )
    ctx.tx.touch(ctx.account_id)
    shape = role_shape(ctx, get(ctx, "role", name), details=True)
    shape.pop("RoleLastUsed", None)
    return {"Role": shape}


def _role_arn(ctx: OperationContext, params: Params) -> str:
    validate(params, Rule("RoleName", True, None, 1, 64))
    row = iam_store.one(ctx.tx, schema.roles, account_id=ctx.account_id, name_key=str(params["RoleName"]).lower())
    path = row["path"] if row else "/"
    return f"arn:aws:iam::{ctx.account_id}:role{path}{params['RoleName']}"


@SERVICE.operation("DeleteServiceLinkedRole", action="iam:DeleteServiceLinkedRole", resource=_role_arn, writes=True)
def delete_service_linked_role(ctx: OperationContext, params: Params) -> Result:
    row = get(ctx, "role", str(params["RoleName"]))
    if not row["service_linked"]:
        raise invalid_input(f"Role {row['name']} is not a service-linked role.")
    where = {"account_id": ctx.account_id}
    owned = {**where, "principal_type": "role", "principal_key": row["name_key"]}
    iam_store.remove(ctx.tx, schema.inline_policies, **owned)
    iam_store.remove(ctx.tx, schema.attachments, **owned)
    iam_store.remove(ctx.tx, schema.instance_profile_roles, **where, role_key=row["name_key"])
    iam_store.drop_tags(ctx.tx, ctx.account_id, "role", row["name_key"])
    iam_store.remove(ctx.tx, schema.sessions, **where, role_id=row["role_id"])
    iam_store.remove(ctx.tx, schema.roles, **where, name_key=row["name_key"])
    service = str(row["path"]).strip("/").split("/", 1)[-1]
    task = f"task/aws-service-role/{service}/{row['name']}/{uuid.uuid4()}"
    iam_store.add(
        ctx.tx,
        schema.iam_jobs,
        job_id=task,
        account_id=ctx.account_id,
        kind=DELETION_KIND,
        subject=row["name"],
        detail=None,
        created_at=ctx.now,
    )
    ctx.tx.touch(ctx.account_id)
    return {"DeletionTaskId": task}


def _task_resource(ctx: OperationContext, params: Params) -> str:
    """The deleted role's ARN, read from the task id (``task/aws-service-role/SERVICE/NAME/UUID``)."""
    parts = str(params.get("DeletionTaskId") or "").split("/")
    if len(parts) == 5 and parts[0] == "task":
        return f"arn:aws:iam::{ctx.account_id}:role/{parts[1]}/{parts[2]}/{parts[3]}"
    return f"arn:aws:iam::{ctx.account_id}:role/*"


@SERVICE.operation(
    "GetServiceLinkedRoleDeletionStatus", action="iam:GetServiceLinkedRoleDeletionStatus", resource=_task_resource
)
def get_service_linked_role_deletion_status(ctx: OperationContext, params: Params) -> Result:
    validate(params, Rule("DeletionTaskId", True, None, 1, 1000))
    task = str(params["DeletionTaskId"])
    job = iam_store.one(ctx.tx, schema.iam_jobs, job_id=task, account_id=ctx.account_id, kind=DELETION_KIND)
    if job is None:
        raise no_such_entity(f"Deletion task {task} cannot be found.")
    return {"Status": "SUCCEEDED"}
