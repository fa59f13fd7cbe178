"""Reading a worker's /metrics page: all samples, or one counter's total on the fast path."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

SCRAPE_TIMEOUT_S = 5.0


def fetch(url: str) -> str:
    """Return the text of a /metrics page; raises OSError while the worker does not serve it."""
    with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT_S) as response:
        return response.read().decode()


@dataclass(frozen=True, slots=True)
class Samples:
    """Every sample of one scrape, keyed by (sample name, sorted label pairs)."""

    values: dict[tuple[str, tuple[tuple[str, str], ...]], float]

    @classmethod
    def parse(cls, text: str) -> Samples:
        values = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return cls(values)

    def value(self, name: str, **labels: str) -> float | None:
        """Return one sample, or None when the page does not have it."""
        return self.values.get((name, tuple(sorted(labels.items()))))

    def total(self, name: str) -> float:
        """Return the sum of a sample over all its label values (0 when absent)."""
        return sum(value for (sample_name, _), value in self.values.items() if sample_name == name)

    def buckets(self, name: str) -> list[tuple[float, float]]:
        """Return a histogram's cumulative (upper bound, count) pairs, sorted by bound."""
        pairs = [
            (float(dict(labels)["le"]), value)
            for (sample_name, labels), value in self.values.items()
            if sample_name == f"{name}_bucket"
        ]
        return sorted(pairs)


def counter_total(text: str, name: str) -> float:
    """Sum the samples of one metric from exposition text without parsing the whole page.

    The full parser takes milliseconds per page, which would stretch a fine poll interval.
    """
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name) : len(name) + 1] in ("{", " "):
            total += float(line.rsplit(" ", 1)[1])
    return total
