"""Active-user counts per window, kept incrementally per partition so a scrape never scans users."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

WINDOWS_DAYS: tuple[int, ...] = (1, 7, 30, 365)


@dataclass(slots=True)
class PartitionActivity:
    """How many users of one partition had their last activity, and last login, on each day."""

    known_users: int = 0
    by_activity_day: Counter[int] = field(default_factory=Counter)
    by_login_day: Counter[int] = field(default_factory=Counter)

    def move(self, histogram: Counter[int], old_day: int | None, new_day: int | None) -> None:
        if old_day == new_day:
            return
        if old_day is not None:
            histogram[old_day] -= 1
            if histogram[old_day] <= 0:
                del histogram[old_day]
        if new_day is not None:
            histogram[new_day] += 1


class ActivityIndex:
    """Per-partition day histograms of last activity and last login.

    Updating a user costs O(1); counting the users active in a window costs O(days with users),
    at most a few hundred buckets, whatever the number of users.
    """

    def __init__(self) -> None:
        self._partitions: dict[int, PartitionActivity] = {}

    @property
    def partitions(self) -> frozenset[int]:
        return frozenset(self._partitions)

    def reset_partition(self, partition: int) -> PartitionActivity:
        activity = self._partitions[partition] = PartitionActivity()
        return activity

    def drop_partition(self, partition: int) -> None:
        self._partitions.pop(partition, None)

    def record(
        self,
        partition: int,
        is_new_user: bool,
        old_activity_day: int | None,
        new_activity_day: int | None,
        old_login_day: int | None,
        new_login_day: int | None,
    ) -> None:
        activity = self._partitions.get(partition)
        if activity is None:
            activity = self.reset_partition(partition)
        if is_new_user:
            activity.known_users += 1
        activity.move(activity.by_activity_day, old_activity_day, new_activity_day)
        activity.move(activity.by_login_day, old_login_day, new_login_day)

    def known_users(self) -> int:
        return sum(activity.known_users for activity in self._partitions.values())

    def active_users(self, today: int, days: int, logins_only: bool = False) -> int:
        """Count users whose last activity (or login) falls on one of the ``days`` days ending ``today``.

        A user whose last day is after ``today`` (an event within the future tolerance that falls
        on the next reporting day) counts as active too.
        """
        first_day = today - days + 1
        total = 0
        for activity in self._partitions.values():
            histogram = activity.by_login_day if logins_only else activity.by_activity_day
            total += sum(count for day, count in histogram.items() if day >= first_day)
        return total
