"""Last accessed information with boto3 (IAM API Reference
``API_GenerateServiceLastAccessedDetails``, ``API_GetServiceLastAccessedDetails``,
``API_ListPoliciesGrantingServiceAccess``, ``API_GenerateOrganizationsAccessReport``; IAM User
Guide ``access_policies_last-accessed``): the services an entity's policies allow, and when its
allowed requests last used each (a role's sessions count for the role)."""

from __future__ import annotations

from e2e_helpers import Keys, allow, error_of, make_user, policy, trust

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


def test_last_accessed_counts_the_requests_that_were_allowed(server, iam):
    acct = server.account_id
    server.client("s3").create_bucket(Bucket="logs")
    server.client("s3").put_object(Bucket="logs", Key="a.txt", Body=b"a")
    reader = make_user(
        iam, server, "reader", inline=policy(allow(["s3:GetObject", "s3:PutObject", "iam:GetUser", "sts:AssumeRole"]))
    )
    reader.client("s3").get_object(Bucket="logs", Key="a.txt")
    assert error_of(reader.client("s3").list_objects_v2, Bucket="logs")["Code"] == "AccessDenied"  # not counted
    role = iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{acct}:root"}))
    iam.put_role_policy(RoleName="auditor", PolicyName="read", PolicyDocument=policy(allow("s3:GetObject")))
    session = Keys.of_session(
        server, reader.client("sts").assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="audit")
    )
    session.client("s3").get_object(Bucket="logs", Key="a.txt")

    user_arn = f"arn:aws:iam::{acct}:user/reader"
    job = iam.generate_service_last_accessed_details(Arn=user_arn, Granularity="ACTION_LEVEL")["JobId"]
    services = {
        s["ServiceNamespace"]: s for s in iam.get_service_last_accessed_details(JobId=job)["ServicesLastAccessed"]
    }
    s3 = services["s3"]
    assert (s3["TotalAuthenticatedEntities"], s3["LastAuthenticatedEntity"]) == (1, user_arn)
    assert s3["LastAuthenticatedRegion"] == "us-east-1" and s3["LastAuthenticated"].year >= 2026
    assert [a["ActionName"] for a in s3["TrackedActionsLastAccessed"]] == ["GetObject"]
    assert services["iam"]["TotalAuthenticatedEntities"] == 0 and "LastAuthenticated" not in services["iam"]
    assert services["sts"]["TotalAuthenticatedEntities"] == 1

    role_job = iam.generate_service_last_accessed_details(Arn=role["Role"]["Arn"])["JobId"]
    role_s3 = iam.get_service_last_accessed_details(JobId=role_job)["ServicesLastAccessed"][0]
    assert (role_s3["ServiceNamespace"], role_s3["LastAuthenticatedEntity"]) == ("s3", role["Role"]["Arn"])
    entities = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="s3")
    assert "LastAuthenticated" in entities["EntityDetailsList"][0]
