"""The durable store's tables (SQLAlchemy Core). Alembic migrations in
``localiam/state/migrations`` create exactly these; a test checks the two agree.

Conventions: IAM names are unique case-insensitively within an account (``reference_iam-quotas``:
"names are not distinguished by case"), so each named entity keeps the name as created and a
lower-cased ``name_key``. Times are epoch seconds (float, UTC). Policy documents are stored as
the JSON text the caller sent. ``account_versions`` counts writes per account; the engine's
compiled-policy cache compares against it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(12), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("email", String(128), nullable=False),
    Column("canonical_user_id", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

account_versions = Table(
    "account_versions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("version", Integer, nullable=False),
)

# ---------------------------------------------------------------------------- IAM entities
users = Table(
    "users",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id"), primary_key=True),
    Column("name_key", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("user_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("boundary_arn", String(2048)),
    Column("created_at", Float, nullable=False),
)

groups = Table(
    "groups",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id"), primary_key=True),
    Column("name_key", String(128), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("group_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("created_at", Float, nullable=False),
)

group_members = Table(
    "group_members",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("group_key", String(128), primary_key=True),
    Column("user_key", String(64), primary_key=True),
    Column("added_at", Float, nullable=False),
)

roles = Table(
    "roles",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id"), primary_key=True),
    Column("name_key", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("role_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("trust_policy", Text, nullable=False),
    Column("description", String(1000)),
    Column("max_session_duration", Integer, nullable=False),
    Column("boundary_arn", String(2048)),
    Column("service_linked", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
)

tags = Table(
    "tags",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("resource_type", String(32), primary_key=True),  # user | role | policy | ...
    Column("resource_key", String(2048), primary_key=True),
    Column("key_lower", String(128), primary_key=True),
    Column("key", String(128), nullable=False),
    Column("value", String(256), nullable=False),
)

managed_policies = Table(
    "managed_policies",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("policy_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("description", String(1000)),
    Column("default_version", String(8), nullable=False),
    Column("next_version", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_managed_policy_name"),
)

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("policy_arn", String(2048), ForeignKey("managed_policies.arn"), primary_key=True),
    Column("version_id", String(8), primary_key=True),
    Column("document", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

attachments = Table(
    "attachments",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("principal_type", String(8), primary_key=True),  # user | group | role
    Column("principal_key", String(128), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    Column("attached_at", Float, nullable=False),
)
Index("ix_attachments_policy", attachments.c.policy_arn)

inline_policies = Table(
    "inline_policies",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("principal_type", String(8), primary_key=True),
    Column("principal_key", String(128), primary_key=True),
    Column("name_key", String(128), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("document", Text, nullable=False),
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", String(32), primary_key=True),
    Column("secret", String(64), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("user_key", String(64)),  # NULL: the account's root user
    Column("status", String(8), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
    Column("last_used_service", String(64)),
    Column("last_used_region", String(32)),
)
Index("ix_access_keys_owner", access_keys.c.account_id, access_keys.c.user_key)

sessions = Table(
    "sessions",
    metadata,
    Column("access_key_id", String(32), primary_key=True),
    Column("secret", String(64), nullable=False),
    Column("session_token", Text, nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("kind", String(16), nullable=False),  # assumed-role | federated-user | session-token
    Column("arn", String(2048), nullable=False),
    Column("role_arn", String(2048)),
    Column("role_id", String(32)),
    Column("user_key", String(64)),  # GetSessionToken / GetFederationToken: the calling user
    Column("session_name", String(64)),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("policy", Text),  # inline session policy
    Column("policy_arns", Text),  # JSON list
    Column("tags", Text),  # JSON object (session tags)
    Column("transitive_tag_keys", Text),  # JSON list
    Column("source_identity", String(64)),
    Column("mfa", Boolean, nullable=False, default=False),
    Column("mfa_authenticated_at", Float),  # when the session's MFA code was verified
    Column("provider", String(2048)),  # web identity / SAML provider
    Column("federation", Text),  # JSON: the token's or assertion's keys the session keeps
    Column("chained", Boolean, nullable=False, default=False),
    Column("scope_policies", Text),  # JSON list: GetScopedCredentials' scope-down policies, each must allow
)

login_profiles = Table(
    "login_profiles",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("user_key", String(64), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("password_reset_required", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("password_changed_at", Float),  # NULL: never changed since the profile was created
    Column("previous_hashes", Text),  # JSON list, newest first: the account's PasswordReusePrevention
)

# ---------------------------------------------------------------------------- IAM: the rest of the API
# Instance profiles (``API_InstanceProfile``): at most one role each (``reference_iam-quotas``).
instance_profiles = Table(
    "instance_profiles",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name_key", String(128), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("profile_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("created_at", Float, nullable=False),
)

instance_profile_roles = Table(
    "instance_profile_roles",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("profile_key", String(128), primary_key=True),
    Column("role_key", String(64), primary_key=True),
)

# Server certificates (``API_ServerCertificateMetadata``): the private key is checked on upload
# and never kept (IAM never returns it).
server_certificates = Table(
    "server_certificates",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name_key", String(128), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("certificate_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("body", Text, nullable=False),
    Column("chain", Text),
    Column("expires_at", Float, nullable=False),
    Column("uploaded_at", Float, nullable=False),
)

# A user's X.509 signing certificates, SSH public keys and service-specific credentials: each
# has an id of its own; ``user_key`` is NULL for the root user's signing certificates.
signing_certificates = Table(
    "signing_certificates",
    metadata,
    Column("certificate_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("user_key", String(64)),
    Column("body", Text, nullable=False),
    Column("status", String(8), nullable=False),
    Column("uploaded_at", Float, nullable=False),
)
Index("ix_signing_certificates_owner", signing_certificates.c.account_id, signing_certificates.c.user_key)

ssh_public_keys = Table(
    "ssh_public_keys",
    metadata,
    Column("key_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("user_key", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(8), nullable=False),
    Column("uploaded_at", Float, nullable=False),
)
Index("ix_ssh_public_keys_owner", ssh_public_keys.c.account_id, ssh_public_keys.c.user_key)

service_credentials = Table(
    "service_credentials",
    metadata,
    Column("credential_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("user_key", String(64), nullable=False),
    Column("service_name", String(128), nullable=False),
    Column("service_user_name", String(200), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("status", String(8), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),
)
Index("ix_service_credentials_owner", service_credentials.c.account_id, service_credentials.c.user_key)

# Account-wide IAM settings: the alias (one per account, unique across accounts), the
# password policy (JSON of ``API_PasswordPolicy``'s settings), when the credential report was
# last generated, the STS global endpoint's token version, (management accounts) the
# centralized root access features of the organization, and the issuer of the account's
# outbound web identity tokens (kept when the feature is disabled, as AWS keeps it).
iam_account_settings = Table(
    "iam_account_settings",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("alias", String(63), unique=True),
    Column("password_policy", Text),
    Column("credential_report_at", Float),
    Column("global_endpoint_token_version", String(16)),
    Column("root_credentials_management", Boolean, nullable=False, default=False),
    Column("root_sessions", Boolean, nullable=False, default=False),
    Column("outbound_issuer", String(255)),
    Column("outbound_enabled", Boolean, nullable=False, default=False),
)

# Asynchronous IAM jobs: service last accessed reports, organizations access reports and
# service-linked role deletions (``kind``); ``subject`` is what the job is about (an ARN, an
# entity path), ``detail`` JSON of what the job needs to answer.
iam_jobs = Table(
    "iam_jobs",
    metadata,
    Column("job_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject", String(2048), nullable=False),
    Column("detail", Text),
    Column("created_at", Float, nullable=False),
)

# Virtual MFA devices (``API_VirtualMFADevice``): the serial number is the device's ARN,
# unique case-insensitively (``serial_key``); ``seed`` is the TOTP secret in base32, returned
# once by CreateVirtualMFADevice and never again. ``user_key`` is the user the device is
# enabled for (NULL: unassigned); ``last_used_step`` the newest 30-second step whose code was
# accepted (RFC 6238 section 5.2: a code is accepted once); ``drift`` the steps the device's
# clock is off, as ResyncMFADevice measured it.
mfa_devices = Table(
    "mfa_devices",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("serial_key", String(1024), primary_key=True),
    Column("serial_number", String(1024), nullable=False),
    Column("seed", String(64), nullable=False),
    Column("user_key", String(64)),
    Column("enabled_at", Float),
    Column("last_used_step", BigInteger),
    Column("drift", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
)
Index("ix_mfa_devices_user", mfa_devices.c.account_id, mfa_devices.c.user_key)

oidc_providers = Table(
    "oidc_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("url", String(255), nullable=False),
    Column("client_ids", Text, nullable=False),
    Column("thumbprints", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

test_idp_keys = Table(
    "test_idp_keys",
    metadata,
    Column("kind", String(8), primary_key=True),  # oidc | saml
    Column("name", String(1024), primary_key=True),  # the OIDC issuer URL, or the SAML IdP's name
    Column("key_id", String(64), nullable=False),
    Column("private_key", Text, nullable=False),  # PEM (PKCS#8)
    Column("certificate", Text),  # PEM: the SAML IdP's self-signed signing certificate
    Column("created_at", Float, nullable=False),
)

saml_providers = Table(
    "saml_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("metadata_document", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("valid_until", Float),
)

# ---------------------------------------------------------------------------- Organizations
organizations = Table(
    "organizations",
    metadata,
    Column("id", String(34), primary_key=True),
    Column("management_account", String(12), nullable=False, unique=True),
    Column("feature_set", String(16), nullable=False),
    Column("root_id", String(34), nullable=False),
    Column("created_at", Float, nullable=False),
)

org_units = Table(
    "org_units",
    metadata,
    Column("id", String(68), primary_key=True),
    Column("org_id", String(34), nullable=False),
    Column("parent_id", String(68)),  # NULL for the root
    Column("name", String(128), nullable=False),
)

org_accounts = Table(
    "org_accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("org_id", String(34), nullable=False),
    Column("parent_id", String(68), nullable=False),
    Column("joined_method", String(16), nullable=False),
    Column("joined_at", Float, nullable=False),
    Column("status", String(16), nullable=False),
)

org_policies = Table(
    "org_policies",
    metadata,
    Column("id", String(130), primary_key=True),
    Column("org_id", String(34), nullable=False),
    Column("type", String(40), nullable=False),  # SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY
    Column("name", String(128), nullable=False),
    Column("description", String(512), nullable=False),
    Column("document", Text, nullable=False),
    Column("aws_managed", Boolean, nullable=False),
)

org_policy_attachments = Table(
    "org_policy_attachments",
    metadata,
    Column("policy_id", String(130), primary_key=True),
    Column("target_id", String(100), primary_key=True),
)

org_policy_types = Table(
    "org_policy_types",
    metadata,
    Column("root_id", String(34), primary_key=True),
    Column("type", String(40), primary_key=True),
)

create_account_status = Table(
    "create_account_status",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("org_id", String(34), nullable=False),
    Column("account_id", String(12)),
    Column("account_name", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("requested_at", Float, nullable=False),
    Column("completed_at", Float),
    Column("failure_reason", String(64)),
)

# ---------------------------------------------------------------------------- S3
# Bucket names are global (``bucketnamingrules``). Object keys are compared as UTF-8 bytes:
# SQLite's default BINARY collation does that; on PostgreSQL queries order by ``COLLATE "C"``.
# ACLs, Block Public Access settings, tags and metadata are JSON text.
s3_buckets = Table(
    "s3_buckets",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("object_ownership", String(32)),  # NULL: no ownership controls (acts as ObjectWriter)
    Column("acl", Text, nullable=False),
    Column("policy", Text),
    Column("public_access_block", Text),
    Column("created_at", Float, nullable=False),
    Column("versioning", String(16)),  # NULL (never versioned), Enabled or Suspended
    Column("tags", Text),  # the bucket's tag set, JSON; NULL: none (NoSuchTagSet)
    Column("lifecycle", Text),  # the configurations as the API takes them, JSON; NULL: none
    Column("cors", Text),
    Column("encryption", Text),
    Column("settings", Text),  # website, logging, request payment ... by name, JSON; NULL: none
    Index("ix_s3_buckets_account", "account_id"),
)

s3_objects = Table(
    "s3_objects",
    metadata,
    Column("bucket", String(63), primary_key=True),
    Column("key", String(1024), primary_key=True),
    Column("body_ref", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(64), nullable=False),
    Column("owner_account", String(12), nullable=False),
    Column("acl", Text, nullable=False),
    Column("headers", Text, nullable=False),  # Content-Type, Cache-Control ... and x-amz-meta-*
    Column("tags", Text, nullable=False),
    Column("checksums", Text, nullable=False),
    Column("parts", Integer),
    Column("part_sizes", Text),  # JSON list of each part's size (multipart objects)
    Column("last_modified", Float, nullable=False),
    Column("version_id", String(64)),  # NULL: the "null" version
)

# The versions of a key that are not its current object: earlier versions, and delete markers
# (the newest of which is the current version when the key has no row in ``s3_objects``).
# ``sequence`` orders a key's versions, oldest first. A delete marker has no body (``body_ref``
# is empty). ``version_id`` is ``null`` for the null version.
s3_object_versions = Table(
    "s3_object_versions",
    metadata,
    Column("bucket", String(63), primary_key=True),
    Column("key", String(1024), primary_key=True),
    Column("version_id", String(64), primary_key=True),
    Column("sequence", BigInteger, nullable=False),
    Column("delete_marker", Boolean, nullable=False),
    Column("body_ref", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(64), nullable=False),
    Column("owner_account", String(12), nullable=False),
    Column("acl", Text, nullable=False),
    Column("headers", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("checksums", Text, nullable=False),
    Column("parts", Integer),
    Column("part_sizes", Text),
    Column("last_modified", Float, nullable=False),
    Index("ix_s3_object_versions_order", "bucket", "key", "sequence"),
)

s3_uploads = Table(
    "s3_uploads",
    metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("bucket", String(63), nullable=False),
    Column("key", String(1024), nullable=False),
    Column("initiator_arn", String(2048), nullable=False),
    Column("owner_account", String(12), nullable=False),
    Column("acl", Text, nullable=False),
    Column("headers", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("checksum_algorithm", String(16)),
    Column("created_at", Float, nullable=False),
    Index("ix_s3_uploads_bucket", "bucket", "key"),
)

s3_parts = Table(
    "s3_parts",
    metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("part_number", Integer, primary_key=True),
    Column("body_ref", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(64), nullable=False),
    Column("checksums", Text, nullable=False),
    Column("last_modified", Float, nullable=False),
)

s3_account_settings = Table(
    "s3_account_settings",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("public_access_block", Text, nullable=False),
)

# ---------------------------------------------------------------------------- Lambda
# Functions are regional: (account, region, name). ``config`` is the JSON of what
# GetFunctionConfiguration returns and the runtime needs (handler, role, environment ...);
# the deployment package is a body in the body store (``code_ref``), content-addressed by its
# SHA-256. Versions snapshot the configuration; aliases point at a version; each qualifier
# ("" for the unqualified function) has its own function policy.
lambda_functions = Table(
    "lambda_functions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("config", Text, nullable=False),
    Column("code_ref", String(128), nullable=False),
    Column("tags", Text, nullable=False),
    Column("next_version", Integer, nullable=False),
    Column("revision_id", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
)

lambda_versions = Table(
    "lambda_versions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("config", Text, nullable=False),
    Column("code_ref", String(128), nullable=False),
    Column("revision_id", String(64), nullable=False),
)

lambda_aliases = Table(
    "lambda_aliases",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("alias", String(128), primary_key=True),
    Column("function_version", String(16), nullable=False),
    Column("description", String(256), nullable=False),
    Column("revision_id", String(64), nullable=False),
)

lambda_policies = Table(
    "lambda_policies",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("qualifier", String(128), primary_key=True),
    Column("document", Text, nullable=False),
    Column("revision_id", String(64), nullable=False),
)

# ---------------------------------------------------------------------------- Cognito user pools
cognito_user_pools = Table(
    "cognito_user_pools",
    metadata,
    Column("id", String(55), primary_key=True),  # us-east-1_AbC123xyZ
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("config", Text, nullable=False),  # JSON: what DescribeUserPool reports besides the computed fields
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_cognito_user_pools_account", cognito_user_pools.c.account_id, cognito_user_pools.c.region)

cognito_clients = Table(
    "cognito_clients",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("pool_id", String(55), nullable=False),
    Column("name", String(128), nullable=False),
    Column("secret", String(128)),
    Column("config", Text, nullable=False),  # JSON: the client's settings
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_cognito_clients_pool", cognito_clients.c.pool_id)

cognito_users = Table(
    "cognito_users",
    metadata,
    Column("pool_id", String(55), primary_key=True),
    Column("username", String(128), primary_key=True),
    Column("sub", String(36), nullable=False),
    Column("status", String(32), nullable=False),  # UNCONFIRMED | CONFIRMED | FORCE_CHANGE_PASSWORD | RESET_REQUIRED
    Column("enabled", Boolean, nullable=False),
    Column("attributes", Text, nullable=False),  # JSON object
    Column("password_hash", Text),  # scrypt, salted
    Column("srp_salt", String(64)),
    Column("srp_verifier", Text),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until", Float),
    Column("tokens_valid_after", Float),  # GlobalSignOut: tokens issued before are revoked
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # Sign-in names as they are matched (lower-cased), so a user is found by index
    # (services/cognito_idp/users.py: sign_in_columns); null only for a user without that attribute.
    Column("username_lower", String(128)),
    Column("email_lower", String(2048)),
    Column("phone_lower", String(2048)),
)
Index("ix_cognito_users_sub", cognito_users.c.pool_id, cognito_users.c.sub, unique=True)
Index("ix_cognito_users_username_lower", cognito_users.c.pool_id, cognito_users.c.username_lower)
Index("ix_cognito_users_email_lower", cognito_users.c.pool_id, cognito_users.c.email_lower)
Index("ix_cognito_users_phone_lower", cognito_users.c.pool_id, cognito_users.c.phone_lower)

cognito_groups = Table(
    "cognito_groups",
    metadata,
    Column("pool_id", String(55), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("description", Text),
    Column("role_arn", String(2048)),
    Column("precedence", Integer),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

cognito_group_members = Table(
    "cognito_group_members",
    metadata,
    Column("pool_id", String(55), primary_key=True),
    Column("group_name", String(128), primary_key=True),
    Column("username", String(128), primary_key=True),
)

cognito_codes = Table(
    "cognito_codes",
    metadata,
    Column("pool_id", String(55), primary_key=True),
    Column("username", String(128), primary_key=True),
    Column("purpose", String(64), primary_key=True),  # sign-up | forgot-password | verify:email ...
    Column("code", String(16), nullable=False),
    Column("message", Text),  # what a CustomMessage trigger made of it, code filled in
    Column("attempts", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

cognito_refresh_tokens = Table(
    "cognito_refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256: the token itself is never kept
    Column("pool_id", String(55), nullable=False),
    Column("client_id", String(128), nullable=False),
    Column("username", String(128), nullable=False),
    Column("origin_jti", String(36), nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revoked", Boolean, nullable=False),
)
Index("ix_cognito_refresh_user", cognito_refresh_tokens.c.pool_id, cognito_refresh_tokens.c.username)

cognito_auth_sessions = Table(
    "cognito_auth_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("pool_id", String(55), nullable=False),
    Column("client_id", String(128), nullable=False),
    Column("username", String(128), nullable=False),
    Column("challenge", String(64), nullable=False),
    Column("data", Text, nullable=False),  # JSON: the challenge's server state (SRP's b)
    Column("expires_at", Float, nullable=False),
)

# ------------------------------------------------------------------------ Cognito identity pools
cognito_identity_pools = Table(
    "cognito_identity_pools",
    metadata,
    Column("id", String(55), primary_key=True),  # us-east-1:GUID
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("config", Text, nullable=False),  # JSON: what DescribeIdentityPool reports besides id and name
    Column("roles", Text, nullable=False),  # JSON: {"Roles": {...}, "RoleMappings": {...}}
    Column("tag_maps", Text, nullable=False),  # JSON: provider name -> {"UseDefaults", "PrincipalTags"}
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_cognito_identity_pools_account", cognito_identity_pools.c.account_id, cognito_identity_pools.c.region)

cognito_identities = Table(
    "cognito_identities",
    metadata,
    Column("id", String(55), primary_key=True),  # us-east-1:GUID
    Column("pool_id", String(55), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_cognito_identities_pool", cognito_identities.c.pool_id)

cognito_identity_logins = Table(
    "cognito_identity_logins",
    metadata,
    Column("pool_id", String(55), primary_key=True),
    Column("provider", String(256), primary_key=True),  # accounts.google.com, cognito-idp..., a developer provider
    Column("subject", String(512), primary_key=True),  # the token's sub, or the developer's user identifier
    Column("identity_id", String(55), nullable=False),
    Column("developer", Boolean, nullable=False),
)
Index("ix_cognito_identity_logins_identity", cognito_identity_logins.c.identity_id)

# ----------------------------------------------------------------------------------- API Gateway
apigateway_apis = Table(
    "apigateway_apis",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(1024), nullable=False),
    Column("document", Text, nullable=False),  # JSON: the API, its resources, methods and authorizers
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_apigateway_apis_account", apigateway_apis.c.account_id, apigateway_apis.c.region)

apigateway_deployments = Table(
    "apigateway_deployments",
    metadata,
    Column("api_id", String(16), primary_key=True),
    Column("id", String(16), primary_key=True),
    Column("description", Text),
    Column("snapshot", Text, nullable=False),  # JSON: the API's resources and authorizers when deployed
    Column("created_at", Float, nullable=False),
)

apigateway_stages = Table(
    "apigateway_stages",
    metadata,
    Column("api_id", String(16), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("deployment_id", String(16), nullable=False),
    Column("config", Text, nullable=False),  # JSON: description, variables, settings
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# API keys and usage plans are regional, of an account; a key's ``value`` is what callers send
# (``x-api-key``), unique in its account and region. A plan's ``document`` holds its API stages,
# throttle and quota settings and the ids of its keys.
apigateway_api_keys = Table(
    "apigateway_api_keys",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("value", String(128), nullable=False),
    Column("document", Text, nullable=False),  # JSON: name, description, enabled, customerId
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index(
    "ix_apigateway_api_keys_value",
    apigateway_api_keys.c.account_id,
    apigateway_api_keys.c.region,
    apigateway_api_keys.c.value,
    unique=True,
)

apigateway_usage_plans = Table(
    "apigateway_usage_plans",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("document", Text, nullable=False),  # JSON: name, description, apiStages, throttle, quota, keys
    Column("created_at", Float, nullable=False),
)
Index("ix_apigateway_usage_plans_account", apigateway_usage_plans.c.account_id, apigateway_usage_plans.c.region)

# ---------------------------------------------------------------------------- DynamoDB
# Tables are regional: (account, region, name); ``uid`` names a table's items, so that a table
# deleted and created again starts empty. ``config`` is the JSON of the table's description
# (key schema, attribute definitions, indexes, billing, stream, TTL, deletion protection).
# Items are keyed by their partition and sort key values encoded so that bytes order as
# DynamoDB orders the values (``services/dynamodb/values.py``, ``encode_key``): a Query is a
# range scan of the primary key; index entries point at the table's item.
dynamodb_tables = Table(
    "dynamodb_tables",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("uid", String(32), nullable=False, unique=True),
    Column("config", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("policy", Text),
    Column("created_at", Float, nullable=False),
)

dynamodb_items = Table(
    "dynamodb_items",
    metadata,
    Column("table_uid", String(32), primary_key=True),
    Column("hash_key", LargeBinary, primary_key=True),
    Column("range_key", LargeBinary, primary_key=True),
    Column("item", Text, nullable=False),  # JSON, DynamoDB's typed form (binaries base64)
    Column("size", Integer, nullable=False),
)

dynamodb_index_items = Table(
    "dynamodb_index_items",
    metadata,
    Column("table_uid", String(32), primary_key=True),
    Column("index_name", String(255), primary_key=True),
    Column("hash_key", LargeBinary, primary_key=True),
    Column("range_key", LargeBinary, primary_key=True),
    Column("item_hash_key", LargeBinary, primary_key=True),
    Column("item_range_key", LargeBinary, primary_key=True),
)

# ------------------------------------------------------------- IAM last accessed information
iam_access_activity = Table(
    "iam_access_activity",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("entity_arn", String(2048), primary_key=True),  # a user's or a role's ARN
    Column("action", String(256), primary_key=True),  # lower-cased service:Action
    Column("service", String(64), nullable=False),
    Column("action_name", String(256), nullable=False),  # as the request named it
    Column("region", String(32), nullable=False),
    Column("last_at", Float, nullable=False),
)
