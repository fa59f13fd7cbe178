"""Paths to the third-party sample files that the adapter tests read."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
FORMATS_DIR = SHARED_DATA / "formats"

# Sign-in and audit logs with the format each one is in. The entityanalytics_* files
# and entra_directory__contoso.csv are directory exports, not logs.
AUDIT_LOG_FORMATS: dict[str, str] = {
    "o365_audit__azuread-sts-logon.ndjson": "m365",
    "o365_audit__ms-teams.ndjson": "m365",
    "o365_audit_yammer__test-yammer-events.original.ndjson": "m365",
    "azure_signinlogs__test-signinlogs-raw.log": "entra-signin",
    "okta_system__okta-system-no-flattened-events.ndjson": "okta",
    "okta_system_log__sentinel.json": "okta",
    "google_workspace_login__test-login.log": "google-workspace",
    "slack_audit__test-audit.log": "slack",
    "mattermost_audit__test-audit.log": "mattermost",
}


def sample_path(relative: str) -> Path:
    """Return the path of a file under the shared data folder, or skip the calling test."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(
            f"sample file {path} is absent; "
            "the shared data folder sits next to the repository in CI"
        )
    return path


def format_sample(name: str) -> Path:
    """Return the path of a file in the formats folder, or skip the calling test."""
    return sample_path(f"formats/{name}")


def read_sample_line(name: str, line_number: int) -> bytes:
    """Return one line (1-based, without the line break) of a JSON-lines sample file."""
    lines = format_sample(name).read_bytes().splitlines()
    return lines[line_number - 1]
