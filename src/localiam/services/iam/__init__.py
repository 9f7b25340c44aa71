"""AWS Identity and Access Management on the localiam endpoint: every operation registers
itself on :data:`SERVICE` with the IAM action, resource ARN and condition keys the Service
Authorization Reference (``list_awsidentityandaccessmanagementiam``) gives it.

Importing this package registers all operations; the modules hold one area each (users,
groups, roles, managed policies, inline policies, attachments and boundaries, credentials,
virtual MFA devices and a user's MFA devices, identity providers and the changes made to them
later, account reports, the policy simulator).
"""

from localiam.services.iam import (  # noqa: F401  (imported to register their operations)
    account,
    attachments,
    credential_report,
    groups,
    inline,
    instance_profiles,
    keys,
    last_accessed,
    mfa_devices,
    outbound_federation,
    password_policy,
    policies,
    provider_updates,
    providers,
    reports,
    roles,
    root_access,
    server_certificates,
    service_credentials,
    service_linked,
    signing_certificates,
    simulate,
    ssh_keys,
    users,
    virtual_mfa,
)
from localiam.services.iam.common import SERVICE

__all__ = ["SERVICE"]
