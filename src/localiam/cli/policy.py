"""``localiam policy validate FILE...``: findings with codes, severities and locations."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from localiam.policy import Finding, PolicyType, Severity, validate_policy

TYPE_CHOICES = [t.value for t in PolicyType]


@click.group()
def policy() -> None:
    """Work with IAM policy documents."""


def _validate_file(path: Path, policy_type: PolicyType, inline_for: str | None) -> tuple[list[Finding], bool]:
    """Findings for one file and whether it has an error; unreadable files are errors too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return [Finding("UNREADABLE_FILE", Severity.ERROR, "", f"cannot read {path}: {reason}")], True
    result = validate_policy(data, policy_type, inline_for=inline_for)
    findings = list(result.findings)
    return findings, bool(result.errors)


@policy.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--type",
    "policy_type",
    type=click.Choice(TYPE_CHOICES),
    default=PolicyType.IDENTITY.value,
    show_default=True,
    help="The kind of policy the files hold; each kind has its own rules and size limit.",
)
@click.option(
    "--inline-for",
    type=click.Choice(["user", "group", "role"]),
    default=None,
    help="Check an identity policy against the inline size limit of a user, group or role.",
)
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(files: tuple[Path, ...], policy_type: str, inline_for: str | None, output: str) -> None:
    """Validate policy documents as AWS does, plus lint warnings from the IAM catalog.

    Exit 0 when no file has an error (warnings allowed), 1 when any file has one.
    """
    kind = PolicyType(policy_type)
    report: list[dict[str, Any]] = []
    failed = False
    for path in files:
        findings, has_error = _validate_file(path, kind, inline_for)
        failed = failed or has_error
        report.append({"file": str(path), "valid": not has_error, "findings": [f.as_dict() for f in findings]})
    if output == "json":
        click.echo(json.dumps({"files": report, "valid": not failed}, indent=2))
    else:
        _print_text(report)
    sys.exit(1 if failed else 0)


def _print_text(report: list[dict[str, Any]]) -> None:
    for entry in report:
        status = "ok" if entry["valid"] else "INVALID"
        counts = _counts(entry["findings"])
        click.echo(f"{entry['file']}: {status}{counts}")
        for f in entry["findings"]:
            where = f["location"] or "/"
            click.echo(f"  {f['severity']:<7} {f['code']:<34} {where}  {f['message']}")


def _counts(findings: list[dict[str, str]]) -> str:
    errors = sum(1 for f in findings if f["severity"] == "error")
    warnings = len(findings) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f" ({', '.join(parts)})" if parts else ""
