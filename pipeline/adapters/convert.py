"""Entry points that run an adapter on a record, on raw message bytes or on a whole file."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from pipeline.adapters.base import (
    Adapter,
    AdapterResult,
    CanonicalEvent,
    InteractionEvent,
    JsonObject,
    Mapped,
    Rejected,
    RejectReason,
)
from pipeline.adapters.errors import InvalidJsonError, NotAnObjectError
from pipeline.adapters.identity import AliasMap
from pipeline.adapters.jsonlines import RawRecord, parse_object, read_records


def adapt_record(
    adapter: Adapter, record: JsonObject, aliases: AliasMap | None = None
) -> AdapterResult:
    """Map one parsed record and replace aliases in the user ids of the events.

    `aliases` is applied after the adapter has normalised the ids, to `user_id` and to
    `target_user_id`. Bad input gives `Rejected` rather than an exception, as long as
    the adapter keeps the `Adapter` contract.
    """
    result = adapter.adapt(record)
    if aliases is None or not isinstance(result, Mapped) or len(aliases) == 0:
        return result
    return Mapped(tuple(_resolve_aliases(event, aliases) for event in result.events))


def adapt_bytes(adapter: Adapter, raw: bytes, aliases: AliasMap | None = None) -> AdapterResult:
    """Parse one message value as a JSON object and map it, as a Faust agent on a raw topic does.

    Bytes that are not valid JSON become `Rejected` with reason `invalid_json`, and valid
    JSON other than an object with reason `not_an_object`.
    """
    try:
        record = parse_object(raw)
    except InvalidJsonError as exc:
        return _reject_json(exc)
    return adapt_record(adapter, record, aliases)


def adapt_file(
    adapter: Adapter, path: str | Path, aliases: AliasMap | None = None
) -> Iterator[tuple[RawRecord, AdapterResult]]:
    """Yield each record of a JSON-lines or JSON-array file with its result.

    A record that is not a JSON object yields `Rejected` (`invalid_json` or
    `not_an_object`), and reading goes on. Raises what `read_records` raises for an
    unreadable file.
    """
    for raw_record in read_records(path):
        if raw_record.value is not None:
            yield raw_record, adapt_record(adapter, raw_record.value, aliases)
        elif raw_record.error is not None:
            yield raw_record, _reject_json(raw_record.error)


def _reject_json(error: InvalidJsonError) -> Rejected:
    if isinstance(error, NotAnObjectError):
        return Rejected(RejectReason.NOT_AN_OBJECT, str(error))
    return Rejected(RejectReason.INVALID_JSON, str(error))


def _resolve_aliases(event: CanonicalEvent, aliases: AliasMap) -> CanonicalEvent:
    user_id = aliases.resolve(event.user_id)
    if isinstance(event, InteractionEvent) and event.target_user_id is not None:
        return dataclasses.replace(
            event, user_id=user_id, target_user_id=aliases.resolve(event.target_user_id)
        )
    return dataclasses.replace(event, user_id=user_id)
