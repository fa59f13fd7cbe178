"""Canonical JSON lines files: one login or interaction event per line, sent as they are."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from pipeline.events import EventDecoder
from pipeline.ingest.items import IngestItem, Skipped, TopicKind, validated


def open_binary(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def read_canonical(path: Path, topic: TopicKind, decoder: EventDecoder) -> Iterator[tuple[int, IngestItem]]:
    """Yield (bytes read so far, item) for every line; blank lines are skipped."""
    with open_binary(path) as handle:
        consumed = 0
        for line_number, line in enumerate(handle, start=1):
            consumed += len(line)
            stripped = line.strip()
            if not stripped:
                yield consumed, Skipped(line_number, "blank line")
                continue
            yield consumed, validated(decoder, topic, stripped, line_number)
