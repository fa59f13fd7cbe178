"""Adapter for Microsoft Entra ID sign-in logs as exported to Azure Monitor."""

from __future__ import annotations

from typing import Final

from pipeline.adapters.base import (
    AdapterResult,
    Ignored,
    IgnoreReason,
    JsonObject,
    LoginEvent,
    Mapped,
    Outcome,
    Rejected,
    RejectReason,
)
from pipeline.adapters.fields import (
    digest,
    fit_id,
    get_path,
    get_text,
    read_optional_id,
    read_timestamp,
    read_user_id,
)

# Azure Monitor categories whose records are sign-ins of people.
USER_SIGN_IN_CATEGORIES: frozenset[str] = frozenset({"SignInLogs", "NonInteractiveUserSignInLogs"})

# Categories whose records are sign-ins of applications and managed identities.
SERVICE_SIGN_IN_CATEGORIES: frozenset[str] = frozenset(
    {
        "ServicePrincipalSignInLogs",
        "ManagedIdentitySignInLogs",
        "MicrosoftServicePrincipalSignInLogs",
    }
)


class EntraSignInAdapter:
    """Adapter from Entra ID sign-in records to logins.

    The outcome comes from `resultType` ("0" is success, any other code a failure),
    falling back to `properties.status.errorCode`. The time is
    `properties.createdDateTime`, which carries the tenant's UTC offset (for example
    "-05:00"), falling back to the UTC `time` of the Azure Monitor record. The user is
    `properties.userPrincipalName`, falling back to the object id `properties.userId`.

    The event id is `properties.id` joined with the category, because the interactive
    and the non-interactive record of one sign-in may share an id.
    """

    name: Final = "entra-signin"

    def matches(self, record: JsonObject) -> bool:
        properties = get_path(record, "properties")
        return (
            isinstance(properties, dict)
            and "createdDateTime" in properties
            and ("category" in record or "operationName" in record)
        )

    def adapt(self, record: JsonObject) -> AdapterResult:
        category = get_text(record, "category") or ""

        # 1. Only the sign-ins of people count.
        if category in SERVICE_SIGN_IN_CATEGORIES:
            return Ignored(
                IgnoreReason.NOT_A_USER, f"category {category} records non-person sign-ins"
            )
        if category not in USER_SIGN_IN_CATEGORIES:
            return Ignored(
                IgnoreReason.NOT_MAPPED, f"category {category!r} is not a user sign-in log"
            )

        # 2. Read the user, the time and the outcome.
        user_value = get_path(record, "properties", "userPrincipalName") or get_path(
            record, "properties", "userId"
        )
        user_id = read_user_id(user_value, "properties.userPrincipalName")
        if isinstance(user_id, Rejected):
            return user_id

        time_value = get_path(record, "properties", "createdDateTime") or get_path(record, "time")
        timestamp = read_timestamp(time_value, "properties.createdDateTime")
        if isinstance(timestamp, Rejected):
            return timestamp

        result_type = get_path(record, "resultType")
        if result_type is None or result_type == "":
            result_type = get_path(record, "properties", "status", "errorCode")
        outcome = _read_outcome(result_type)
        if isinstance(outcome, Rejected):
            return outcome

        # 3. Build the login.
        sign_in_id = read_optional_id(get_path(record, "properties", "id"))
        event_id = fit_id(f"{sign_in_id}:{category}") if sign_in_id else f"entra-{digest(record)}"
        client = get_text(record, "properties", "appDisplayName")
        return Mapped((LoginEvent(event_id, user_id, timestamp, outcome, client=client),))


def _read_outcome(result_type: object) -> Outcome | Rejected:
    # Codes such as 50140 ("Keep me signed in" interrupt) are interruptions that Entra
    # logs before the user completes the sign-in. They count as failures here.
    if isinstance(result_type, bool):
        return Rejected(
            RejectReason.UNKNOWN_OUTCOME, f"resultType {result_type!r} is not an error code"
        )
    if isinstance(result_type, int):
        return "success" if result_type == 0 else "failure"
    if isinstance(result_type, str) and result_type.strip().lstrip("-").isdigit():
        return "success" if int(result_type) == 0 else "failure"
    return Rejected(
        RejectReason.UNKNOWN_OUTCOME,
        f"resultType {result_type!r} is not a numeric error code (0 is success)",
    )
