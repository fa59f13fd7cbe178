"""Reading of audit-log files as JSON lines or as one JSON array, optionally gzip-compressed."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from io import BufferedIOBase
from pathlib import Path
from typing import Any

import orjson

from pipeline.adapters.errors import InvalidJsonError, NotAnObjectError

_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record of a file: its position, its bytes, and the parsed object or an error.

    `position` is the 1-based line number in a JSON-lines file, or the 1-based index of
    the element in a JSON-array file. Exactly one of `value` and `error` is None, and
    `error` is a NotAnObjectError when the JSON is valid but not an object.
    """

    position: int
    raw: bytes
    value: dict[str, Any] | None
    error: InvalidJsonError | None


def parse_object(raw: bytes) -> dict[str, Any]:
    """Parse bytes holding one JSON object.

    Parsing uses orjson, which keeps the last value of a key that occurs twice in an
    object, as the standard library `json` module does. Raises InvalidJsonError when the
    bytes are not valid JSON, and its subclass NotAnObjectError when they contain
    something other than an object.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidJsonError(f"invalid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise NotAnObjectError(f"expected a JSON object, got a JSON {_json_type(value)}")
    return value


def read_records(path: str | Path) -> Iterator[RawRecord]:
    """Yield the records of a JSON-lines file or of a file holding one JSON array.

    The layout is chosen by the first byte that is not white space: "[" means an array,
    anything else means one JSON value per line. Blank lines are skipped. A file that
    starts with the gzip magic bytes is decompressed whatever its name. Lines that do not
    parse are yielded with `error` set, so one bad line does not stop the file.

    Raises OSError when the file cannot be read, and InvalidJsonError naming the file
    when an array file is not valid JSON as a whole.
    """
    path = Path(path)
    with _open_binary(path) as stream:
        first_byte = _peek_first_byte(stream)
        if first_byte == b"[":
            yield from _read_array(path, stream.read())
        else:
            yield from _read_lines(stream)


def _open_binary(path: Path) -> BufferedIOBase:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return gzip.open(path, "rb")
    return path.open("rb")


def _peek_first_byte(stream: BufferedIOBase) -> bytes:
    """Return the first byte that is not white space or a BOM, and rewind the stream."""
    first_byte = b""
    chunk = stream.read(4096).removeprefix(_UTF8_BOM)
    while chunk:
        stripped = chunk.lstrip(_WHITESPACE)
        if stripped:
            first_byte = stripped[:1]
            break
        chunk = stream.read(4096)
    stream.seek(0)
    return first_byte


def _read_lines(stream: BufferedIOBase) -> Iterator[RawRecord]:
    for line_number, line in enumerate(stream, start=1):
        if line_number == 1:
            line = line.removeprefix(_UTF8_BOM)
        raw = line.rstrip(b"\r\n")
        if not raw.strip(_WHITESPACE):
            continue
        try:
            yield RawRecord(line_number, raw, parse_object(raw), None)
        except InvalidJsonError as exc:
            yield RawRecord(line_number, raw, None, exc)


def _read_array(path: Path, data: bytes) -> Iterator[RawRecord]:
    # NOTE: an array file is parsed as a whole, so it must fit in memory. JSON-lines
    # files are streamed line by line.
    try:
        elements = orjson.loads(data.removeprefix(_UTF8_BOM))
    except orjson.JSONDecodeError as exc:
        raise InvalidJsonError(f"{path}: invalid JSON array: {exc}") from exc
    if not isinstance(elements, list):
        raise InvalidJsonError(f"{path}: expected a JSON array, got a JSON {_json_type(elements)}")

    for index, element in enumerate(elements, start=1):
        raw = orjson.dumps(element)
        if isinstance(element, dict):
            yield RawRecord(index, raw, element, None)
        else:
            error = NotAnObjectError(f"expected a JSON object, got a JSON {_json_type(element)}")
            yield RawRecord(index, raw, None, error)


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
