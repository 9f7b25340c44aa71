"""Last accessed information: ``GenerateServiceLastAccessedDetails``,
``GetServiceLastAccessedDetails``, ``GetServiceLastAccessedDetailsWithEntities``,
``ListPoliciesGrantingServiceAccess``, ``GenerateOrganizationsAccessReport`` and
``GetOrganizationsAccessReport`` (IAM API Reference; IAM User Guide
``access_policies_last-accessed``).

A report lists the services the entity's policies allow (:mod:`.granting`), each with when an
entity last authenticated to it: the requests localiam allowed for the user, the role (its
sessions'), a group's members or a policy's entities (:mod:`localiam.state.activity`; the
server's notes are written to the store when a report is generated). A service nobody used
reads as AWS answers it: ``TotalAuthenticatedEntities`` 0 and no ``LastAuthenticated``.
Jobs complete at once (``JobStatus``
``COMPLETED``); their ids are kept with the entity and granularity and the report is computed
from the entity's policies when it is read. The organizations report counts the services that
the named SCP (or, without one, ``FullAWSAccess``) allows as accessible, none accessed.
"""

from __future__ import annotations

import json
import uuid

from localiam.policy import catalog
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import (
    SERVICE,
    Rule,
    invalid_input,
    no_such_entity,
    paginate,
    timestamp,
    validate,
)
from localiam.services.iam.granting import TABLES, Entity, entity, entity_info, granting, services_granted
from localiam.services.iam.root_access import management_organization
from localiam.state import iam_store, schema
from localiam.state.activity import Access, accesses
from localiam.state.iam_store import Row

SERVICE_JOB = "service-last-accessed"
ORGANIZATIONS_JOB = "organizations-access"
ARN_RULE = Rule("Arn", True, None, 20, 2048)
JOB_RULE = Rule("JobId", True, None, 36, 36)


def _anywhere(_ctx: OperationContext, _params: Params) -> str:
    return "*"


def _entity_arn(_ctx: OperationContext, params: Params) -> str:
    return str(params.get("Arn") or "*")


def _job(ctx: OperationContext, params: Params, kind: str) -> Row:
    validate(params, JOB_RULE)
    row = iam_store.one(ctx.tx, schema.iam_jobs, job_id=str(params["JobId"]), account_id=ctx.account_id, kind=kind)
    if row is None:
        raise no_such_entity(f"The job with id {params['JobId']} cannot be found.")
    return row


def _new_job(ctx: OperationContext, kind: str, subject: str, detail: dict[str, object]) -> str:
    job_id = str(uuid.uuid4())
    iam_store.add(
        ctx.tx,
        schema.iam_jobs,
        job_id=job_id,
        account_id=ctx.account_id,
        kind=kind,
        subject=subject,
        detail=json.dumps(detail),
        created_at=ctx.now,
    )
    return job_id


@SERVICE.operation(
    "GenerateServiceLastAccessedDetails",
    action="iam:GenerateServiceLastAccessedDetails",
    resource=_entity_arn,
    writes=True,
)
def generate_service_last_accessed_details(ctx: OperationContext, params: Params) -> Result:
    validate(params, ARN_RULE, Rule("Granularity", enum=("SERVICE_LEVEL", "ACTION_LEVEL")))
    subject = entity(ctx, str(params["Arn"]))
    granularity = str(params.get("Granularity") or "SERVICE_LEVEL")
    ctx.authz.activity.write(ctx.tx, ctx.account_id)
    return {"JobId": _new_job(ctx, SERVICE_JOB, subject.arn, {"granularity": granularity})}


def _times(job: Row) -> Result:
    return {"JobCreationDate": timestamp(job["created_at"]), "JobCompletionDate": timestamp(job["created_at"])}


@SERVICE.operation("GetServiceLastAccessedDetails", action="iam:GetServiceLastAccessedDetails", resource=_anywhere)
def get_service_last_accessed_details(ctx: OperationContext, params: Params) -> Result:
    job = _job(ctx, params, SERVICE_JOB)
    granularity = json.loads(job["detail"] or "{}").get("granularity", "SERVICE_LEVEL")
    subject = entity(ctx, job["subject"])
    services = list(granting(ctx, subject))
    used = accesses(ctx.tx, ctx.account_id, [arn for _kind, arn, _row in _entities(ctx, subject)])
    page, more = paginate(services, params)
    shaped = []
    for prefix in page:
        mine = [a for a in used if a.action.split(":", 1)[0] == prefix]
        item: Result = {
            "ServiceName": catalog.service_name(prefix),
            "ServiceNamespace": prefix,
            "TotalAuthenticatedEntities": len({a.entity_arn for a in mine}),
        }
        if mine:
            last = max(mine, key=lambda a: a.at)
            item.update(
                LastAuthenticated=timestamp(last.at),
                LastAuthenticatedEntity=last.entity_arn,
                LastAuthenticatedRegion=last.region,
            )
        if granularity == "ACTION_LEVEL":
            latest: dict[str, Access] = {}
            for a in mine:
                name = a.action.split(":", 1)[1]
                if name not in latest or latest[name].at < a.at:
                    latest[name] = a
            item["TrackedActionsLastAccessed"] = [
                {
                    "ActionName": name,
                    "LastAccessedEntity": a.entity_arn,
                    "LastAccessedTime": timestamp(a.at),
                    "LastAccessedRegion": a.region,
                }
                for name, a in sorted(latest.items())
            ]
        shaped.append(item)
    return {
        "JobStatus": "COMPLETED",
        "JobType": granularity,
        "JobCreationDate": timestamp(job["created_at"]),
        "ServicesLastAccessed": shaped,
        "JobCompletionDate": timestamp(job["created_at"]),
        **more,
    }


@SERVICE.operation(
    "GetServiceLastAccessedDetailsWithEntities",
    action="iam:GetServiceLastAccessedDetailsWithEntities",
    resource=_anywhere,
)
def get_service_last_accessed_details_with_entities(ctx: OperationContext, params: Params) -> Result:
    """The entities that could have used the service: a user or role itself, a group's
    members, or the users, groups and roles a policy is attached to."""
    job = _job(ctx, params, SERVICE_JOB)
    validate(params, Rule("ServiceNamespace", True, None, 1, 64))
    subject = entity(ctx, job["subject"])
    namespace = str(params["ServiceNamespace"]).lower()
    entities: list[tuple[str, Row]] = []
    if namespace in granting(ctx, subject):
        if subject.kind in ("user", "role"):
            entities = [(subject.kind, subject.row)]
        elif subject.kind == "group":
            keys = [
                m["user_key"]
                for m in iam_store.rows(
                    ctx.tx, schema.group_members, account_id=ctx.account_id, group_key=subject.row["name_key"]
                )
            ]
            entities = [("user", r) for r in _rows(ctx, "user", keys)]
        else:
            attached = iam_store.rows(ctx.tx, schema.attachments, account_id=ctx.account_id, policy_arn=subject.arn)
            for kind in ("user", "group", "role"):
                keys = [a["principal_key"] for a in attached if a["principal_type"] == kind]
                entities += [(kind, r) for r in _rows(ctx, kind, keys)]
    page, more = paginate(entities, params)
    details = []
    for kind, row in page:
        info = entity_info(ctx, kind, row)
        detail: Result = {"EntityInfo": info}
        arns = [arn for _k, arn, _r in _entities(ctx, entity(ctx, info["Arn"]))] if kind == "group" else [info["Arn"]]
        used = [a for a in accesses(ctx.tx, ctx.account_id, arns) if a.action.split(":", 1)[0] == namespace]
        if used:
            detail["LastAuthenticated"] = timestamp(max(a.at for a in used))
        details.append(detail)
    return {
        "JobStatus": "COMPLETED",
        **_times(job),
        "EntityDetailsList": details,
        **more,
    }


def _entities(ctx: OperationContext, subject: Entity) -> list[tuple[str, str, Row]]:
    """(kind, ARN, row) of the users and roles whose use counts for ``subject``: itself, a
    group's members, or the users and roles a policy is attached to and the members of the
    groups it is attached to."""
    if subject.kind in ("user", "role"):
        return [(subject.kind, subject.arn, subject.row)]

    def members(group_key: str) -> list[tuple[str, str, Row]]:
        keys = [
            m["user_key"]
            for m in iam_store.rows(ctx.tx, schema.group_members, account_id=ctx.account_id, group_key=group_key)
        ]
        return [("user", entity_info(ctx, "user", r)["Arn"], r) for r in _rows(ctx, "user", keys)]

    if subject.kind == "group":
        return members(subject.row["name_key"])
    attached = iam_store.rows(ctx.tx, schema.attachments, account_id=ctx.account_id, policy_arn=subject.arn)
    found: list[tuple[str, str, Row]] = []
    for kind in ("user", "role"):
        keys = [a["principal_key"] for a in attached if a["principal_type"] == kind]
        found += [(kind, entity_info(ctx, kind, r)["Arn"], r) for r in _rows(ctx, kind, keys)]
    for a in attached:
        if a["principal_type"] == "group":
            found += members(a["principal_key"])
    return found


def _rows(ctx: OperationContext, kind: str, keys: list[str]) -> list[Row]:
    if not keys:
        return []
    return iam_store.rows(ctx.tx, TABLES[kind], order_by=("name_key",), account_id=ctx.account_id, name_key=tuple(keys))


@SERVICE.operation(
    "ListPoliciesGrantingServiceAccess", action="iam:ListPoliciesGrantingServiceAccess", resource=_entity_arn
)
def list_policies_granting_service_access(ctx: OperationContext, params: Params) -> Result:
    validate(params, ARN_RULE, Rule("ServiceNamespaces", True))
    namespaces = [str(n).lower() for n in params.get("ServiceNamespaces") or []]
    if not 1 <= len(namespaces) <= 200:
        raise invalid_input("ServiceNamespaces must name 1 to 200 services.")
    subject = entity(ctx, str(params["Arn"]))
    if subject.kind == "policy":
        raise invalid_input(f"ARN {subject.arn} is not valid: name a user, group or role.")
    granted = granting(ctx, subject)
    return {
        "PoliciesGrantingServiceAccess": [
            {"ServiceNamespace": n, "Policies": [p.shape() for p in granted.get(n, [])]} for n in namespaces
        ],
        "IsTruncated": False,
    }


@SERVICE.operation(
    "GenerateOrganizationsAccessReport",
    action="iam:GenerateOrganizationsAccessReport",
    resource=_anywhere,
    writes=True,
)
def generate_organizations_access_report(ctx: OperationContext, params: Params) -> Result:
    """Only the management account reports on its organization; ``EntityPath`` is
    ``o-ID/r-ROOT[/ou-OU...][/ACCOUNT]`` and must start with the organization's id."""
    validate(params, Rule("EntityPath", True, None, 19, 427), Rule("OrganizationsPolicyId", False))
    org = management_organization(ctx)
    path = str(params["EntityPath"])
    if path.split("/", 1)[0] != org.id:
        raise invalid_input(f"The entity path {path} is not in the organization {org.id}.")
    policy_id = params.get("OrganizationsPolicyId")
    if policy_id and iam_store.one(ctx.tx, schema.org_policies, id=str(policy_id), org_id=org.id) is None:
        raise no_such_entity(f"The policy {policy_id} cannot be found.")
    return {"JobId": _new_job(ctx, ORGANIZATIONS_JOB, path, {"policy": policy_id})}


@SERVICE.operation("GetOrganizationsAccessReport", action="iam:GetOrganizationsAccessReport", resource=_anywhere)
def get_organizations_access_report(ctx: OperationContext, params: Params) -> Result:
    job = _job(ctx, params, ORGANIZATIONS_JOB)
    policy_id = json.loads(job["detail"] or "{}").get("policy")
    accessible = len(catalog.service_prefixes())
    if policy_id:
        policy = iam_store.one(ctx.tx, schema.org_policies, id=str(policy_id))
        accessible = len(services_granted(policy["document"])) if policy else 0
    return {
        "JobStatus": "COMPLETED",
        **_times(job),
        "NumberOfServicesAccessible": accessible,
        "NumberOfServicesNotAccessed": accessible,
        "AccessDetails": [],
        "IsTruncated": False,
    }
