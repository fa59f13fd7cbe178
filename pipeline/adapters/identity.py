"""User-id normalisation and the alias map from e-mail addresses or UPNs to directory ids."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import orjson

from pipeline.adapters.errors import AliasMapError, InvalidUserIdError

_GZIP_MAGIC = b"\x1f\x8b"


def normalize_user_id(value: object) -> str:
    """Return the canonical form of a user id taken from an audit record.

    Strings are stripped. A value containing "@" is an e-mail address or a UPN and is
    lower-cased, because Microsoft, Google, Okta and Slack compare those without case.
    Any other string is an opaque id (an Okta, Slack or Mattermost id) and keeps its case.
    Integers, and floats with an integral value such as the JSON number `1E2`, become
    their decimal digits ("100").

    Raises InvalidUserIdError for None, an empty string, a boolean, a fractional float
    or any other type.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidUserIdError(f"invalid user id {value!r}: empty")
        return text.lower() if "@" in text else text

    if isinstance(value, bool) or value is None:
        raise InvalidUserIdError(f"invalid user id {value!r}: expected a string or an integer")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise InvalidUserIdError(
        f"invalid user id {value!r}: expected a string or an integer, got {type(value).__name__}"
    )


@dataclass(frozen=True)
class AliasMap:
    """Maps aliases (e-mail addresses, UPNs, logins) to directory user ids.

    Lookups ignore case and surrounding white space. `resolve` returns its argument
    unchanged when the id is not an alias, so an empty map changes nothing.
    """

    _user_ids: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_dict(cls, aliases: Mapping[str, object]) -> AliasMap:
        """Build a map from alias → user id pairs.

        Raises AliasMapError for an empty alias or user id, or for an alias given twice
        (ignoring case) with two different user ids.
        """
        return cls._from_pairs(
            (alias, user_id, f"key {alias!r}") for alias, user_id in aliases.items()
        )

    @classmethod
    def from_file(cls, path: str | Path) -> AliasMap:
        """Load a map from a CSV or JSON-lines file, gzip-compressed or not.

        A file whose name ends in `.csv` or `.csv.gz` contains `alias,user_id` rows, with
        that header line or without one. Any other file contains one JSON object per line
        with the keys `alias` and `user_id`. Raises AliasMapError naming the file and
        line of the first invalid row.
        """
        path = Path(path)
        suffixes = [suffix.lower() for suffix in path.suffixes]
        is_csv = suffixes[-1:] == [".csv"] or suffixes[-2:] == [".csv", ".gz"]
        text = _read_text(path)
        rows = _csv_rows(path, text) if is_csv else _jsonl_rows(path, text)
        return cls._from_pairs(rows)

    @classmethod
    def _from_pairs(cls, pairs: Iterable[tuple[object, object, str]]) -> AliasMap:
        user_ids: dict[str, str] = {}
        origins: dict[str, str] = {}
        for alias, user_id, origin in pairs:
            key = _alias_key(alias, origin)
            try:
                target = normalize_user_id(user_id)
            except InvalidUserIdError as exc:
                raise AliasMapError(f"{origin}: {exc}") from exc

            existing = user_ids.get(key)
            if existing is not None and existing != target:
                raise AliasMapError(
                    f"{origin}: alias {alias!r} maps to {target!r}, but {origins[key]} "
                    f"maps it to {existing!r}; keep one of the two rows"
                )
            user_ids[key] = target
            origins.setdefault(key, origin)
        return cls(MappingProxyType(user_ids))

    def resolve(self, user_id: str) -> str:
        """Return the directory user id for an alias, or `user_id` itself when it is not one."""
        return self._user_ids.get(user_id.strip().casefold(), user_id)

    def __len__(self) -> int:
        return len(self._user_ids)

    def __contains__(self, alias: object) -> bool:
        return isinstance(alias, str) and alias.strip().casefold() in self._user_ids


def _alias_key(alias: object, origin: str) -> str:
    if not isinstance(alias, str) or not alias.strip():
        raise AliasMapError(f"{origin}: invalid alias {alias!r}; expected a non-empty string")
    return alias.strip().casefold()


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AliasMapError(f"cannot read alias file {path}: {exc}") from exc
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise AliasMapError(f"invalid gzip data in alias file {path}: {exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AliasMapError(f"alias file {path} is not UTF-8: {exc}") from exc


def _csv_rows(path: Path, text: str) -> Iterator[tuple[object, object, str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    for row in reader:
        origin = f"{path}:{reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise AliasMapError(f"{origin}: expected 2 columns (alias,user_id), got {len(row)}")
        if reader.line_num == 1 and [cell.strip().lower() for cell in row] == ["alias", "user_id"]:
            continue
        yield row[0], row[1], origin


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[object, object, str]]:
    for line_number, line in enumerate(text.splitlines(), start=1):
        origin = f"{path}:{line_number}"
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise AliasMapError(f"{origin}: invalid JSON: {exc}") from exc
        if not isinstance(row, dict) or "alias" not in row or "user_id" not in row:
            raise AliasMapError(f'{origin}: expected an object with "alias" and "user_id" keys')
        yield row["alias"], row["user_id"], origin
