"""`socialitica bench --small` runs every step against a real broker and reports every figure."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from pipeline.bench.report import REQUIRED_KEYS
from pipeline.cli.bench import bench

pytestmark = pytest.mark.integration

PER_SIZE_KEYS = ("rss_bytes", "state_bytes_per_user")


def test_small_bench_reports_every_figure(kafka_bootstrap: str, tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    work_dir = tmp_path / "work"
    work_dir.mkdir()
    arguments = ["--small", "--broker", kafka_bootstrap, "--work-dir", str(work_dir), "--json", str(output)]

    result = CliRunner().invoke(bench, arguments)

    assert result.exit_code == 0, result.output
    results = orjson.loads(output.read_bytes())
    for key in REQUIRED_KEYS:
        assert key in results, f"{key} missing from {sorted(results)}"
        values = results[key] if isinstance(results[key], dict) else {key: results[key]}
        assert values, f"{key} is empty"
        for label, value in values.items():
            assert value > 0, f"{key}[{label}] = {value}"
    for key in PER_SIZE_KEYS:
        assert len(results[key]) == 2, f"{key} needs one entry per user count: {results[key]}"
    assert "events_per_second" in result.output
    assert list(work_dir.iterdir()) == [], "the temporary broker and worker files were not removed"
