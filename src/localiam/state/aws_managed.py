"""AWS managed policies that localiam ships, by ARN, and the two built-in organization
policies. Documents as AWS publishes them (AWS Managed Policy Reference Guide); only a small,
commonly used set is bundled. A scenario may reference any other AWS managed policy by
defining it under ``aws_managed_policies``.
"""

from __future__ import annotations

from typing import Any

AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"

FULL_AWS_ACCESS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
"""The SCP AWS attaches to every root, OU and account when SCPs are enabled
(``orgs_manage_policies_scps``)."""

RCP_FULL_AWS_ACCESS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
"""The RCP attached to every root, OU and account, which cannot be detached
(``orgs_manage_policies_rcps``)."""

_DOCUMENTS: dict[str, dict[str, Any]] = {
    "AmazonCognitoUnAuthedIdentitiesSessionPolicy": {
        # The scope-down policy Cognito identity pools put on guests' enhanced-flow credentials
        # (AWS Managed Policy Reference Guide, version v3).
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CognitoUnAuthedIdentitiesSessionPolicy",
                "Effect": "Allow",
                "Action": [
                    "rum:PutRumEvents",
                    "sagemaker:InvokeEndpoint",
                    "polly:*",
                    "comprehend:*",
                    "translate:*",
                    "transcribe:*",
                    "rekognition:*",
                    "mobiletargeting:*",
                    "firehose:*",
                    "personalize:*",
                    "geo:GetMap*",
                    "geo:SearchPlaceIndex*",
                    "geo:GetPlace",
                    "geo:CalculateRoute*",
                    "geo:*Geofence",
                    "geo:*Geofences",
                    "geo:*DevicePosition*",
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptTo",
                    "kms:ReEncryptFrom",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyPair",
                    "kms:GenerateDataKeyPairWithoutPlaintext",
                    "kms:GenerateDataKeyWithoutPlaintext",
                ],
                "Resource": "*",
            }
        ],
    },
    "AdministratorAccess": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
    "AmazonS3FullAccess": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"}],
    },
    "AmazonS3ReadOnlyAccess": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"],
                "Resource": "*",
            }
        ],
    },
    "IAMReadOnlyAccess": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "iam:GenerateCredentialReport",
                    "iam:GenerateServiceLastAccessedDetails",
                    "iam:Get*",
                    "iam:List*",
                    "iam:SimulateCustomPolicy",
                    "iam:SimulatePrincipalPolicy",
                ],
                "Resource": "*",
            }
        ],
    },
    "service-role/AWSLambdaBasicExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ],
    },
    "service-role/AWSLambdaRole": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": ["*"]}],
    },
    # The task policies of centralized root access (``id_root-user-privileged-task``): what an
    # AssumeRoot session may do. Abridged to the actions the IAM User Guide lists for each task.
    "root-task/IAMAuditRootUserCredentials": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "iam:GetAccessKeyLastUsed",
                    "iam:GetAccountSummary",
                    "iam:GetLoginProfile",
                    "iam:GetUser",
                    "iam:ListAccessKeys",
                    "iam:ListMFADevices",
                    "iam:ListSigningCertificates",
                ],
                "Resource": "*",
            }
        ],
    },
    "root-task/IAMCreateRootUserPassword": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:CreateLoginProfile", "iam:GetLoginProfile"], "Resource": "*"}
        ],
    },
    "root-task/IAMDeleteRootUserCredentials": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "iam:DeactivateMFADevice",
                    "iam:DeleteAccessKey",
                    "iam:DeleteLoginProfile",
                    "iam:DeleteSigningCertificate",
                    "iam:DeleteVirtualMFADevice",
                    "iam:GetAccessKeyLastUsed",
                    "iam:GetLoginProfile",
                    "iam:GetUser",
                    "iam:ListAccessKeys",
                    "iam:ListMFADevices",
                    "iam:ListSigningCertificates",
                ],
                "Resource": "*",
            }
        ],
    },
    "root-task/S3UnlockBucketPolicy": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:ListAllMyBuckets"],
                "Resource": "*",
            }
        ],
    },
    "root-task/SQSUnlockQueuePolicy": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:ListQueues", "sqs:SetQueueAttributes"],
                "Resource": "*",
            }
        ],
    },
}

ROOT_TASK_POLICIES = tuple(name for name in _DOCUMENTS if name.startswith("root-task/"))

AWS_MANAGED: dict[str, dict[str, Any]] = {AWS_MANAGED_PREFIX + name: doc for name, doc in _DOCUMENTS.items()}
