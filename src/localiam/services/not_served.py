"""The IAM and STS operations of botocore's models that localiam does not serve, each with why.

``tests/services/test_not_served.py`` enumerates botocore's IAM and STS models and fails on an
operation that is neither served nor listed here, and on one listed here that is served.
Requests for these operations answer 501 ``NotImplemented`` (``localiam.wire.unserved``).

:data:`INSIDE_AWS`: operations that only make sense inside AWS, because what they act on is run
by AWS itself (its partners' consoles, AWS services' attestation, an LLM) and has no local
counterpart. :data:`NOT_YET`: operations that could be served locally but are not yet.
"""

from __future__ import annotations

_DELEGATION = (
    "Partner delegation requests: an AWS partner asks a customer, through the AWS console, for "
    "temporary access; approval and the exchange token travel over AWS's notification channels."
)
_WORKLOAD = (
    "Workload identity (SPIFFE) for workloads that AWS services run: identities are issued from "
    "attestation documents that AWS services produce, and signed by signers AWS holds."
)
_ROLE_TEMPLATES = (
    "Role Manager role templates: roles created from templates that AWS publishes and versions, "
    "configured through account properties of that feature."
)
_ORG_RESOURCES = (
    "Organization-level IAM resources: IAM resources owned by an organization rather than an "
    "account, a preview feature whose resources no other operation of the model can address yet."
)

INSIDE_AWS: dict[str, dict[str, str]] = {
    "iam": {
        **dict.fromkeys(
            (
                "AcceptDelegationRequest",
                "AssociateDelegationRequest",
                "CreateDelegationRequest",
                "GetDelegationRequest",
                "ListDelegationRequests",
                "RejectDelegationRequest",
                "SendDelegationToken",
                "UpdateDelegationRequest",
            ),
            _DELEGATION,
        ),
        "GetHumanReadableSummary": (
            "Summarises a delegation request with a large language model that AWS runs (see the delegation requests)."
        ),
        **dict.fromkeys(
            (
                "CreateWorkloadIdentityProvider",
                "CreateWorkloadIdentityProviderOutboundSigner",
                "CreateWorkloadIdentityTemplate",
                "DeleteWorkloadIdentityProvider",
                "DeleteWorkloadIdentityProviderOutboundSigner",
                "DeleteWorkloadIdentityProviderResourcePolicy",
                "DeleteWorkloadIdentityTemplate",
                "DeleteWorkloadIdentityTemplateAttestationPolicy",
                "DisableWorkloadIdentityProviderOutboundSigner",
                "EnableWorkloadIdentityProviderOutboundSigner",
                "GetWorkloadIdentityProvider",
                "GetWorkloadIdentityProviderDeletionStatus",
                "GetWorkloadIdentityProviderResourcePolicy",
                "GetWorkloadIdentityTemplate",
                "GetWorkloadIdentityTemplateAttestationPolicy",
                "ListWorkloadIdentityProviderOutboundSigners",
                "ListWorkloadIdentityProviderTags",
                "ListWorkloadIdentityProviders",
                "ListWorkloadIdentityTemplateTags",
                "ListWorkloadIdentityTemplates",
                "PutWorkloadIdentityProviderResourcePolicy",
                "PutWorkloadIdentityTemplateAttestationPolicy",
                "TagWorkloadIdentityProvider",
                "TagWorkloadIdentityTemplate",
                "UntagWorkloadIdentityProvider",
                "UntagWorkloadIdentityTemplate",
                "UpdateWorkloadIdentityProviderOutboundSigner",
            ),
            _WORKLOAD,
        ),
        **dict.fromkeys(
            ("AcquireRole", "GetRoleTemplateVersion", "GetAccountProperties", "PutAccountProperties"),
            _ROLE_TEMPLATES,
        ),
        **dict.fromkeys(("EnableOrganizationLevelResources", "DisableOrganizationLevelResources"), _ORG_RESOURCES),
        "UpdateOpenIDConnectProvider": (
            "Attaches an IAM Identity Center instance or a context provider to an OIDC provider: both are run "
            "by AWS (the thumbprint and client id updates are served)."
        ),
    },
    "sts": {
        "GetDelegatedAccessToken": _DELEGATION,
        "GetCertificate": _WORKLOAD,
        "GetTrustBundles": _WORKLOAD,
        "IssueWorkloadIdentityContext": _WORKLOAD,
    },
}

NOT_YET: dict[str, dict[str, str]] = {}


def not_served(service: str) -> dict[str, str]:
    """Every operation of ``service`` that localiam does not serve, with the reason."""
    return {**INSIDE_AWS.get(service, {}), **NOT_YET.get(service, {})}
