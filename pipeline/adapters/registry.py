"""The registry of adapters by format name, as given to `socialitica ingest --format`."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pipeline.adapters.base import Adapter
from pipeline.adapters.entra_signin import EntraSignInAdapter
from pipeline.adapters.errors import UnknownFormatError
from pipeline.adapters.google_workspace import GoogleWorkspaceAdapter
from pipeline.adapters.m365 import M365Adapter
from pipeline.adapters.mattermost import MattermostAdapter
from pipeline.adapters.okta import OktaAdapter
from pipeline.adapters.slack import SlackAdapter

# Adapters are stateless, so one shared instance per format is enough.
ADAPTERS: Mapping[str, Adapter] = MappingProxyType(
    {
        adapter.name: adapter
        for adapter in (
            M365Adapter(),
            EntraSignInAdapter(),
            OktaAdapter(),
            GoogleWorkspaceAdapter(),
            SlackAdapter(),
            MattermostAdapter(),
        )
    }
)


def format_names() -> tuple[str, ...]:
    """Return the format names of every registered adapter, in registration order."""
    return tuple(ADAPTERS)


def get_adapter(name: str) -> Adapter:
    """Return the adapter registered under a format name.

    Raises UnknownFormatError naming the valid formats when there is none.
    """
    try:
        return ADAPTERS[name]
    except KeyError:
        raise UnknownFormatError(
            f"unknown format {name!r}; expected one of: {', '.join(ADAPTERS)}"
        ) from None
