"""Microsoft 365 unified audit log operations that the `m365` adapter maps to interactions.

Operation names and their meaning come from Microsoft's "Audit log activities" page
(SharePoint, OneDrive and Yammer tables) and "Search the audit log for events in
Microsoft Teams" (MicrosoftDocs/microsoft-365-docs and MicrosoftDocs/OfficeDocs-SkypeForBusiness).
An operation missing from these tables is ignored, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pipeline.adapters.base import Outcome

LOGIN_OPERATIONS: Mapping[str, Outcome] = MappingProxyType(
    {
        "UserLoggedIn": "success",
        "UserLoginFailed": "failure",
    }
)

# "A user signs in to a Microsoft Teams client. This event doesn't capture token
# refresh activities." It is a sign-in, so it becomes a login with client "teams".
TEAMS_SESSION_OPERATION = "TeamsSessionStarted"

# Workload name in the record → canonical app name.
WORKLOAD_APPS: Mapping[str, str] = MappingProxyType(
    {
        "Yammer": "yammer",
        "MicrosoftTeams": "teams",
        "SharePoint": "sharepoint",
        "OneDrive": "onedrive",
    }
)

# Only operations whose documented actor is the user ("User creates a message") are
# listed. Admin operations (NetworkConfigurationUpdated, DataExport …) and access
# failures (FileAccessFailure …) are left out, so they are ignored.
YAMMER_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "MessageCreated": "post",
        "MessageUpdated": "edit",
        "MessageDeleted": "delete",
        "MessageViewed": "view",
        "FileCreated": "upload",
        "FileDownloaded": "download",
        "FileShared": "share",
        "FileVisited": "view",
        "FileUpdateDescription": "edit",
        "FileUpdateName": "edit",
        "GroupCreation": "create",
    }
)

# Membership, role, setting, app, bot, tab and connector operations are team
# administration and stay unmapped. MessageRead, MessagesListed and ChatRetrieved are
# left out too: Microsoft logs them only for Graph API calls, which are usually made
# by applications on the user's behalf.
TEAMS_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "TeamCreated": "create",
        "ChannelAdded": "create",
        "ChatCreated": "create",
        "TeamDeleted": "delete",
        "ChannelDeleted": "delete",
        "MessageSent": "message",
        "MessageCreatedHasLink": "message",
        "MessageUpdated": "edit",
        "MessageEditedHasLink": "edit",
        "MessageDeleted": "delete",
    }
)

# The *Extended operations (FileAccessedExtended, PageViewedExtended,
# FileModifiedExtended) repeat an access that an earlier record already logged, and
# PagePrefetched is not a view, so none of them is listed.
SHAREPOINT_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "FileAccessed": "view",
        "FilePreviewed": "view",
        "PageViewed": "view",
        "ClientViewSignaled": "view",
        "FileDownloaded": "download",
        "FileSyncDownloadedFull": "download",
        "FileUploaded": "upload",
        "FileSyncUploadedFull": "upload",
        "FileModified": "edit",
        "FileRenamed": "edit",
        "FileMoved": "edit",
        "FileCheckedIn": "edit",
        "FileCopied": "create",
        "FolderCreated": "create",
        "ListItemCreated": "create",
        "ListItemUpdated": "edit",
        "FileDeleted": "delete",
        "FileRecycled": "delete",
        "FolderDeleted": "delete",
        "FolderRecycled": "delete",
        "ListItemRecycled": "delete",
        "SharingSet": "share",
        "SharingInvitationCreated": "share",
        "AnonymousLinkCreated": "share",
        "CompanyLinkCreated": "share",
        "SecureLinkCreated": "share",
    }
)

WORKLOAD_KINDS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "Yammer": YAMMER_KINDS,
        "MicrosoftTeams": TEAMS_KINDS,
        "SharePoint": SHAREPOINT_KINDS,
        "OneDrive": SHAREPOINT_KINDS,
    }
)

# UserType values of the Office 365 Management Activity API that stand for a person:
# 0 Regular and 2 Admin. The others are 1 Reserved, 3 DcAdmin (a Microsoft datacenter
# operator), 4 System, 5 Application and 6 ServicePrincipal.
PERSON_USER_TYPES: frozenset[int] = frozenset({0, 2})

# UserId values that name a service instead of a person.
SERVICE_USER_IDS: frozenset[str] = frozenset({"app@sharepoint", "application"})

# Documented admin operations, ignored with reason "admin_action" rather than "not_mapped".
ADMIN_OPERATIONS: frozenset[str] = frozenset(
    {
        # Yammer network administration.
        "SoftDeleteSettingsUpdated",
        "NetworkConfigurationUpdated",
        "ProcessProfileFields",
        "SupervisorAdminToggled",
        "NetworkSecurityConfigurationUpdated",
        "DataExport",
        "NetworkUserSuspended",
        "UserSuspension",
        # Teams membership, settings and apps, changed by team owners or admins.
        "MemberAdded",
        "MemberRemoved",
        "MemberRoleChanged",
        "TeamSettingChanged",
        "ChannelSettingChanged",
        "TeamsTenantSettingChanged",
        "BotAddedToTeam",
        "BotRemovedFromTeam",
        "ConnectorAdded",
        "ConnectorRemoved",
        "ConnectorUpdated",
        "TabAdded",
        "TabRemoved",
        "TabUpdated",
        "AppInstalled",
        "AppUninstalled",
        "AppUpgraded",
        "AppPublishedToCatalog",
        "AppUpdatedInCatalog",
        "AppDeletedFromCatalog",
        "DeletedAllOrganizationApps",
    }
)
