"""Audit-log files (Microsoft 365, Entra ID, Okta, Google Workspace, Slack, Mattermost) as event items."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.adapters import AliasMap, Ignored, Mapped, adapt_file, get_adapter
from pipeline.events import EventDecoder
from pipeline.ingest.items import DEADLETTER_EXCERPT_BYTES, IngestItem, Rejected, Skipped, canonical_value, validated


def read_audit_log(
    path: Path, format_name: str, decoder: EventDecoder, aliases: AliasMap | None = None
) -> Iterator[tuple[int, IngestItem]]:
    """Yield (records read so far, item) for every event an audit-log record maps to.

    A record can map to several events, no event (ignored: not a user action) or a rejection.
    """
    adapter = get_adapter(format_name)
    for read, (record, result) in enumerate(adapt_file(adapter, path, aliases), start=1):
        if isinstance(result, Mapped):
            for event in result.events:
                yield read, validated(decoder, event.topic, canonical_value(dict(event.to_dict())), record.position)
        elif isinstance(result, Ignored):
            yield read, Skipped(record.position, f"{result.reason.value}: {result.detail}")
        else:
            yield read, Rejected(record.position, result.reason.value, result.detail, record.raw[:DEADLETTER_EXCERPT_BYTES])


def count_records(path: Path) -> int:
    from pipeline.adapters import read_records

    return sum(1 for _ in read_records(path))
