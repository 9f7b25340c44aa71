"""Last accessed information with boto3 (IAM API Reference
``API_GenerateServiceLastAccessedDetails``, ``API_GetServiceLastAccessedDetails``,
``API_ListPoliciesGrantingServiceAccess``, ``API_GenerateOrganizationsAccessReport``; IAM User
Guide ``access_policies_last-accessed``): the services an entity's policies allow, none of
them accessed (localiam keeps no record of use)."""

from __future__ import annotations

from e2e_helpers import allow, error_of, policy

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def test_service_last_accessed_details_list_the_services_the_policies_allow(server, iam):
    acct = server.account_id
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=READ_ONLY)
    iam.create_user(UserName="ann")
    iam.add_user_to_group(GroupName="readers", UserName="ann")
    iam.put_user_policy(UserName="ann", PolicyName="s3", PolicyDocument=policy(allow(["s3:GetObject", "lambda:Get*"])))
    user_arn = f"arn:aws:iam::{acct}:user/ann"

    job = iam.generate_service_last_accessed_details(Arn=user_arn)["JobId"]
    report = iam.get_service_last_accessed_details(JobId=job)
    assert (report["JobStatus"], report["JobType"]) == ("COMPLETED", "SERVICE_LEVEL")
    services = {s["ServiceNamespace"]: s for s in report["ServicesLastAccessed"]}
    assert sorted(services) == ["iam", "lambda", "s3"]
    assert services["iam"]["ServiceName"] == "AWS Identity and Access Management (IAM)"
    assert services["s3"]["TotalAuthenticatedEntities"] == 0 and "LastAuthenticated" not in services["s3"]

    with_entities = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="s3")
    assert [e["EntityInfo"]["Arn"] for e in with_entities["EntityDetailsList"]] == [user_arn]

    granting = iam.list_policies_granting_service_access(Arn=user_arn, ServiceNamespaces=["iam", "s3", "ec2"])
    by_service = {g["ServiceNamespace"]: g["Policies"] for g in granting["PoliciesGrantingServiceAccess"]}
    assert by_service["iam"] == [{"PolicyName": "IAMReadOnlyAccess", "PolicyType": "MANAGED", "PolicyArn": READ_ONLY}]
    assert by_service["s3"] == [{"PolicyName": "s3", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": "ann"}]
    assert by_service["ec2"] == []

    policy_job = iam.generate_service_last_accessed_details(Arn=READ_ONLY, Granularity="ACTION_LEVEL")["JobId"]
    users = iam.get_service_last_accessed_details_with_entities(JobId=policy_job, ServiceNamespace="iam")
    assert [e["EntityInfo"]["Type"] for e in users["EntityDetailsList"]] == ["GROUP"]

    err = error_of(iam.generate_service_last_accessed_details, Arn=f"arn:aws:iam::{acct}:user/nobody")
    assert err["Code"] == "NoSuchEntity"
    err = error_of(iam.get_service_last_accessed_details, JobId="00000000-0000-0000-0000-000000000000")
    assert err["Code"] == "NoSuchEntity"


def test_organizations_access_report(server, iam):
    orgs = server.client("organizations")
    org_id = orgs.describe_organization()["Organization"]["Id"]
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    job = iam.generate_organizations_access_report(EntityPath=f"{org_id}/{root_id}")["JobId"]
    report = iam.get_organizations_access_report(JobId=job)
    assert report["JobStatus"] == "COMPLETED"
    assert report["NumberOfServicesAccessible"] == report["NumberOfServicesNotAccessed"] > 100
    assert report["AccessDetails"] == []
