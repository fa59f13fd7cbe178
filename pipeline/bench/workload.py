"""Events the benchmark sends: synthetic users with mixed logins and interactions, or CERT e-mails."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson

from pipeline.events import INTERACTION_KINDS, EventDecoder
from pipeline.ingest.csvmap import CsvMapping, read_csv_events
from pipeline.ingest.items import IngestItem, Outgoing

LOGIN_SHARE = 0.3
FAILED_LOGIN_SHARE = 0.05
HISTORY_SECONDS = 30 * 86400
JITTER_SECONDS = 60.0
APPS = ("blogs", "forums", "wikis", "files", "communities", "chat", "mail")
KINDS = tuple(sorted(INTERACTION_KINDS))
CLIENTS = ("web", "mobile", "desktop")

CERT_TIME_FORMAT = "%m/%d/%Y %H:%M:%S"


def user_id(number: int) -> str:
    """Return the id of synthetic user ``number``; ids never collide with CERT ids such as LAP0338."""
    return f"bench{number:07d}"


class SyntheticEvents:
    """Canonical events of synthetic users, as the items that ``socialitica ingest`` sends.

    Event times lie in the ``HISTORY_SECONDS`` before ``now``. About ``LOGIN_SHARE`` of the events are logins (``FAILED_LOGIN_SHARE`` of those failed), and
    the rest are interactions of a random kind and app.
    """

    def __init__(self, seed: int, now: float) -> None:
        self._random = random.Random(seed)
        self._seed = seed
        self._now = now
        self._serial = 0

    def random_users(self, count: int, users: int, first_user: int = 0) -> Iterator[Outgoing]:
        """Yield ``count`` events in time order over the history, each of a user drawn uniformly from ``users``.

        Event times rise from ``now - HISTORY_SECONDS`` to ``now`` with up to a minute of jitter, as
        in a live stream or a time-sorted export, so a user's state keeps few unflushed days.
        """
        draw = self._random.randrange
        jitter = self._random.random
        start = self._now - HISTORY_SECONDS
        step = HISTORY_SECONDS / max(1, count)
        for number in range(count):
            timestamp = min(self._now, start + number * step + jitter() * JITTER_SECONDS)
            yield self.event(first_user + draw(users), timestamp)

    def live(self, count: int, users: int, timestamp: float) -> list[Outgoing]:
        """Return ``count`` events of users drawn uniformly from ``users``, all at ``timestamp``."""
        draw = self._random.randrange
        return [self.event(draw(users), timestamp) for _ in range(count)]

    def event(
        self, number: int, timestamp: float | None = None, login: bool | None = None, failed: bool | None = None
    ) -> Outgoing:
        """Return one event of user ``number``; unset choices are drawn at random."""
        draw = self._random.random
        self._serial += 1
        if timestamp is None:
            timestamp = self._now - draw() * HISTORY_SECONDS
        if login is None:
            login = draw() < LOGIN_SHARE
        user = user_id(number)
        fields: dict[str, object] = {
            "event_id": f"bench{self._seed}-{self._serial}",
            "user_id": user,
            "timestamp": datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds"),
        }
        if login:
            if failed is None:
                failed = draw() < FAILED_LOGIN_SHARE
            fields["outcome"] = "failure" if failed else "success"
            fields["client"] = self._random.choice(CLIENTS)
            return Outgoing("logins", user.encode(), orjson.dumps(fields), self._serial)
        fields["kind"] = self._random.choice(KINDS)
        fields["app"] = self._random.choice(APPS)
        fields["content_id"] = f"content-{self._random.randrange(1_000_000)}"
        return Outgoing("interactions", user.encode(), orjson.dumps(fields), self._serial)


def cert_emails(path: Path, decoder: EventDecoder) -> Iterator[IngestItem]:
    """Yield the CERT r4.2 e-mail file (``date,user``) as message interactions, as ``socialitica ingest`` maps it."""
    mapping = CsvMapping(
        user_column="user",
        time_column="date",
        time_format=CERT_TIME_FORMAT,
        kind="message",
        app="mail",
    )
    for _, item in read_csv_events(path, "interactions", mapping, decoder):
        yield item
