"""The credential report: ``GenerateCredentialReport`` and ``GetCredentialReport`` (IAM API
Reference; IAM User Guide ``id_credentials_getting-report``, which defines the CSV).

The CSV has AWS's 22 columns in AWS's order, a first row for the root user
(``<root_account>``, whose ``password_enabled`` and the like read ``not_supported``), then one
row per user in name order. Times are ISO 8601 with an offset (``2024-05-01T10:00:00+00:00``);
what never happened reads ``N/A`` (``no_information`` for a password never used, as AWS
writes it when it has no record). A report is generated at once here, so the first
``GenerateCredentialReport`` answers ``STARTED`` and the next ``COMPLETE``; a report is
served for four hours, then ``ReportExpired`` (``GetCredentialReport``); before any
generation, ``ReportNotPresent``. The error messages are the API Reference's descriptions of
those errors.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from localiam.errors import client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.account_settings import save_setting, settings_of
from localiam.services.iam.common import SERVICE, iam_arn, timestamp
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
VALID_FOR = 4 * 3600


def _when(epoch: float | None) -> str:
    return "N/A" if epoch is None else dt.datetime.fromtimestamp(int(epoch), dt.UTC).isoformat()


def _keys(rows: list[Row]) -> list[str]:
    out: list[str] = []
    for i in range(2):
        key = rows[i] if i < len(rows) else None
        if key is None:
            out += ["false", "N/A", "N/A", "N/A", "N/A"]
            continue
        out += [
            "true" if key["status"] == "Active" else "false",
            _when(key["created_at"]),
            _when(key["last_used_at"]),
            key["last_used_region"] or "N/A",
            key["last_used_service"] or "N/A",
        ]
    return out


def _certs(rows: list[Row]) -> list[str]:
    out: list[str] = []
    for i in range(2):
        cert = rows[i] if i < len(rows) else None
        out += (
            ["false", "N/A"] if cert is None else [str(cert["status"] == "Active").lower(), _when(cert["uploaded_at"])]
        )
    return out


def report_csv(ctx: OperationContext) -> str:
    tx, account = ctx.tx, ctx.account_id
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)

    def owned(table: object, user_key: str | None, order: str) -> list[Row]:
        return iam_store.rows(tx, table, order_by=(order,), account_id=account, user_key=user_key)  # type: ignore[arg-type]

    root = iam_store.one(tx, schema.accounts, id=account)
    writer.writerow(
        [
            "<root_account>",
            f"arn:aws:iam::{account}:root",
            _when(root["created_at"] if root else None),
            "not_supported",
            "no_information",
            "not_supported",
            "not_supported",
            "false",
            *_keys(owned(schema.access_keys, None, "created_at")),
            *_certs(owned(schema.signing_certificates, None, "uploaded_at")),
        ]
    )
    for user in iam_store.rows(tx, schema.users, order_by=("name_key",), account_id=account):
        key = user["name_key"]
        profile = iam_store.one(tx, schema.login_profiles, account_id=account, user_key=key)
        mfa = iam_store.count(tx, schema.mfa_devices, account_id=account, user_key=key) > 0
        writer.writerow(
            [
                user["name"],
                iam_arn(account, "user", user["path"], user["name"]),
                _when(user["created_at"]),
                "true" if profile else "false",
                "no_information" if profile else "N/A",
                _when(profile["password_changed_at"] or profile["created_at"]) if profile else "N/A",
                "N/A",
                str(mfa).lower(),
                *_keys(owned(schema.access_keys, key, "created_at")),
                *_certs(owned(schema.signing_certificates, key, "uploaded_at")),
            ]
        )
    return buffer.getvalue()


def _anywhere(_ctx: OperationContext, _params: Params) -> str:
    return "*"


@SERVICE.operation("GenerateCredentialReport", action="iam:GenerateCredentialReport", resource=_anywhere, writes=True)
def generate_credential_report(ctx: OperationContext, params: Params) -> Result:
    settings = settings_of(ctx.tx, ctx.account_id)
    at = settings["credential_report_at"] if settings else None
    if at is not None and ctx.now - at < VALID_FOR:
        return {"State": "COMPLETE"}
    save_setting(ctx.tx, ctx.account_id, credential_report_at=ctx.now)
    return {"State": "STARTED", "Description": "No report exists. Starting a new report generation task"}


@SERVICE.operation("GetCredentialReport", action="iam:GetCredentialReport", resource=_anywhere)
def get_credential_report(ctx: OperationContext, params: Params) -> Result:
    settings = settings_of(ctx.tx, ctx.account_id)
    at = settings["credential_report_at"] if settings else None
    if at is None:
        raise client_error(
            "ReportNotPresent",
            "The request was rejected because the credential report does not exist. To generate a credential "
            "report, use GenerateCredentialReport.",
            410,
        )
    if ctx.now - at >= VALID_FOR:
        raise client_error(
            "ReportExpired",
            "The request was rejected because the most recent credential report has expired. To generate a new "
            "credential report, use GenerateCredentialReport.",
            410,
        )
    return {"Content": report_csv(ctx).encode(), "ReportFormat": "text/csv", "GeneratedTime": timestamp(at)}
